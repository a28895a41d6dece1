//! The dependency graph of operations: edges with reasons, conflicts, cycles and order.

mod build;
mod render;

pub use build::build;
pub use render::{Format, render};

use crate::kinds::Resource;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why one operation must run before another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EdgeReason {
    /// Listed in `depends_on`.
    DependsOn,
    /// A `${restores.FROM.path}` in the later operation.
    Reference { path: String },
    /// The later operation reads (or also writes) what the earlier one overwrites.
    Footprint { resource: Resource },
}

impl EdgeReason {
    /// Human wording, with `from` the operation that runs first.
    pub fn describe(&self, from: &str) -> String {
        match self {
            EdgeReason::DependsOn => "depends_on".to_owned(),
            EdgeReason::Reference { path } => format!("uses ${{restores.{from}.{path}}}"),
            EdgeReason::Footprint { resource } => format!("reads {resource} written by {from}"),
        }
    }
}

/// An edge: `from` runs before `to`, for one or more reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub reasons: Vec<EdgeReason>,
}

/// The operations (nodes, named) and their ordering constraints. Node indices follow name
/// order, so everything derived from the graph is deterministic.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub inner: DiGraph<String, Edge>,
    index: BTreeMap<String, NodeIndex>,
}

/// One edge in plain terms, for plans and renderers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeView {
    pub from: String,
    pub to: String,
    pub reasons: Vec<String>,
}

impl Graph {
    pub fn node(&self, name: &str) -> Option<NodeIndex> {
        self.index.get(name).copied()
    }

    pub fn name(&self, ix: NodeIndex) -> &str {
        &self.inner[ix]
    }

    pub fn len(&self) -> usize {
        self.inner.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.node_count() == 0
    }

    /// Direct predecessors of `name`, sorted.
    pub fn predecessors(&self, name: &str) -> Vec<String> {
        let Some(ix) = self.node(name) else {
            return Vec::new();
        };
        let mut out: Vec<String> = self
            .inner
            .neighbors_directed(ix, petgraph::Direction::Incoming)
            .map(|p| self.inner[p].clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every edge, sorted by (from, to).
    pub fn edges(&self) -> Vec<EdgeView> {
        let mut out: Vec<EdgeView> = self
            .inner
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.inner.edge_endpoints(e)?;
                let from = self.inner[a].clone();
                let reasons = self.inner[e]
                    .reasons
                    .iter()
                    .map(|r| r.describe(&from))
                    .collect();
                Some(EdgeView {
                    from,
                    to: self.inner[b].clone(),
                    reasons,
                })
            })
            .collect();
        out.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
        out
    }

    /// A topological order that breaks ties by name: byte-identical across runs.
    pub fn order(&self) -> Vec<String> {
        let n = self.inner.node_count();
        let mut indegree = vec![0usize; n];
        for e in self.inner.edge_indices() {
            if let Some((_, b)) = self.inner.edge_endpoints(e) {
                indegree[b.index()] += 1;
            }
        }
        let mut ready: BTreeSet<NodeIndex> = self
            .inner
            .node_indices()
            .filter(|i| indegree[i.index()] == 0)
            .collect();
        let mut out = Vec::with_capacity(n);
        while let Some(ix) = ready.pop_first() {
            out.push(self.inner[ix].clone());
            for next in self
                .inner
                .neighbors_directed(ix, petgraph::Direction::Outgoing)
            {
                indegree[next.index()] -= 1;
                if indegree[next.index()] == 0 {
                    ready.insert(next);
                }
            }
        }
        out
    }
}

impl fmt::Display for EdgeView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} ({})",
            self.from,
            self.to,
            self.reasons.join("; ")
        )
    }
}
