//! Graph construction: explicit edges, footprint inference, write conflicts and cycle reports.

use super::{Edge, EdgeReason, Graph};
use crate::kinds::{Resource, output_template};
use crate::spec::{Code, Diagnostic, Span, Spec};
use petgraph::algo::{DfsSpace, has_path_connecting, tarjan_scc};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, BTreeSet};

fn add_reason(g: &mut DiGraph<String, Edge>, a: NodeIndex, b: NodeIndex, reason: EdgeReason) {
    if let Some(e) = g.find_edge(a, b) {
        let reasons = &mut g[e].reasons;
        if !reasons.contains(&reason) {
            reasons.push(reason);
            reasons.sort();
        }
    } else {
        g.add_edge(
            a,
            b,
            Edge {
                reasons: vec![reason],
            },
        );
    }
}

/// Builds the graph of a (possibly partially lowered) spec, reporting write conflicts and
/// cycles. The graph is returned even when there are diagnostics.
pub fn build(spec: &Spec) -> (Graph, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut g: DiGraph<String, Edge> = DiGraph::with_capacity(spec.ops.len(), spec.ops.len() * 2);
    let mut index = BTreeMap::new();
    let names: BTreeSet<&String> = spec.ops.keys().chain(spec.broken.keys()).collect();
    for name in names {
        index.insert(name.clone(), g.add_node(name.clone()));
    }
    let explicit = spec
        .ops
        .iter()
        .map(|(n, o)| (n, &o.depends_on, &o.references))
        .chain(
            spec.broken
                .iter()
                .map(|(n, b)| (n, &b.depends_on, &b.references)),
        );
    for (name, depends_on, references) in explicit {
        let to = index[name];
        for (dep, _) in depends_on {
            if let Some(&from) = index.get(dep) {
                add_reason(&mut g, from, to, EdgeReason::DependsOn);
            }
        }
        for r in references {
            if let (Some(&from), true) = (index.get(&r.op), r.op != *name) {
                add_reason(
                    &mut g,
                    from,
                    to,
                    EdgeReason::Reference {
                        path: r.path.clone(),
                    },
                );
            }
        }
    }

    // Who reads and who writes each resource, in name order.
    let mut writers: BTreeMap<Resource, Vec<&str>> = BTreeMap::new();
    let mut readers: BTreeMap<Resource, Vec<&str>> = BTreeMap::new();
    for (name, op) in &spec.ops {
        let mut fp = op.spec.footprint();
        // A create writes the instance it makes, whose ID is its output: whoever names that
        // output reads what this operation writes, and runs after it.
        if let Some(class) = op.spec.created_class() {
            fp.writes
                .push(Resource::new(class, &output_template(name, "instance_id")));
        }
        for w in fp.writes {
            writers.entry(w).or_default().push(name);
        }
        for r in fp.reads {
            readers.entry(r).or_default().push(name);
        }
    }

    // Decide inferred edges against the explicit graph only, so that inference never
    // contradicts what the user wrote.
    let explicit = g.clone();
    let mut space = DfsSpace::new(&explicit);
    let mut reaches =
        |a: &str, b: &str| has_path_connecting(&explicit, index[a], index[b], Some(&mut space));
    let mut inferred = Vec::new();
    for (resource, ws) in &writers {
        for (i, a) in ws.iter().enumerate() {
            for b in &ws[i + 1..] {
                if !reaches(a, b) && !reaches(b, a) {
                    let adds = |op: &str| {
                        spec.ops
                            .get(op)
                            .is_some_and(|o| o.spec.footprint().adds.contains(resource))
                    };
                    diags.push(conflict(spec, resource, a, b, adds(a) && adds(b)));
                }
            }
        }
        for w in ws {
            for r in readers.get(resource).into_iter().flatten() {
                if r != w && !reaches(r, w) {
                    inferred.push((*w, *r, resource.clone()));
                }
            }
        }
    }
    for (w, r, resource) in inferred {
        add_reason(
            &mut g,
            index[w],
            index[r],
            EdgeReason::Footprint { resource },
        );
    }

    let graph = Graph { inner: g, index };
    diags.extend(cycles(&graph, spec));
    (graph, diags)
}

fn conflict(spec: &Spec, resource: &Resource, a: &str, b: &str, both_add: bool) -> Diagnostic {
    let span_in = |op: &str| {
        spec.ops
            .get(op)
            .map(|o| o.id_spans.get(&resource.id).copied().unwrap_or(o.span))
    };
    // Two table-level restores overwrite nothing, but the API runs one restore of an
    // instance at a time.
    let mut d = if both_add {
        Diagnostic::new(
            Code::ConflictingWriters,
            format!("`{a}` and `{b}` both restore into {resource} with no order between them"),
        )
        .with_hint(format!(
            "the instance takes one restore at a time; add `depends_on: [{a}]` to `{b}`, or list both's objects in one operation"
        ))
    } else {
        Diagnostic::new(
            Code::ConflictingWriters,
            format!("`{a}` and `{b}` both overwrite {resource} with no order between them"),
        )
        .with_hint(format!(
            "the result would depend on which finishes last; add `depends_on: [{a}]` to `{b}`, or remove one"
        ))
    };
    if let Some(s) = span_in(b) {
        d = d.at(s);
    }
    if let Some(s) = span_in(a) {
        d = d.with_label(s, format!("also written by `{a}`"));
    }
    d
}

/// One report per strongly connected component: the loop, and the edge to cut.
fn cycles(graph: &Graph, spec: &Spec) -> Vec<Diagnostic> {
    let g = &graph.inner;
    let mut out = Vec::new();
    let mut sccs: Vec<Vec<NodeIndex>> = tarjan_scc(g).into_iter().filter(|c| c.len() > 1).collect();
    for c in &mut sccs {
        c.sort();
    }
    sccs.sort();
    for scc in sccs {
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let start = scc[0];
        let path = loop_from(g, start, &members);
        let names: Vec<&str> = path.iter().map(|ix| g[*ix].as_str()).collect();
        // Prefer cutting an edge the user wrote (depends_on), then a reference, then an
        // inferred one.
        let mut best: Option<(usize, NodeIndex, NodeIndex)> = None;
        for w in path.windows(2) {
            let Some(e) = g.find_edge(w[0], w[1]) else {
                continue;
            };
            let rank = g[e]
                .reasons
                .iter()
                .map(|r| match r {
                    EdgeReason::DependsOn => 0,
                    EdgeReason::Reference { .. } => 1,
                    EdgeReason::Footprint { .. } => 2,
                })
                .max()
                .unwrap_or(2);
            if best.is_none_or(|(b, _, _)| rank < b) {
                best = Some((rank, w[0], w[1]));
            }
        }
        let mut d = Diagnostic::new(
            Code::Cycle,
            format!("dependency cycle: {}", names.join(" -> ")),
        );
        if let Some((_, a, b)) = best {
            let (an, bn) = (g[a].as_str(), g[b].as_str());
            let why = g
                .find_edge(a, b)
                .map(|e| {
                    g[e].reasons
                        .iter()
                        .map(|r| r.describe(an))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            d = d.with_hint(format!("break the edge {an} -> {bn} ({why})"));
            if let Some((span, deps)) = op_anchor(spec, bn) {
                let at = deps.iter().find(|(n, _)| n == an).map_or(span, |(_, s)| *s);
                d = d.at(at);
            }
        }
        for ix in &path[..path.len().saturating_sub(1)] {
            if let Some((span, _)) = op_anchor(spec, &g[*ix]) {
                d = d.with_label(span, format!("`{}` is in the cycle", g[*ix]));
            }
        }
        out.push(d);
    }
    out
}

/// Where an operation (lowered or broken) is named, and its `depends_on`.
fn op_anchor<'s>(spec: &'s Spec, name: &str) -> Option<(Span, &'s [(String, Span)])> {
    spec.ops
        .get(name)
        .map(|o| (o.span, o.depends_on.as_slice()))
        .or_else(|| {
            spec.broken
                .get(name)
                .map(|b| (b.span, b.depends_on.as_slice()))
        })
}

/// A closed walk start -> ... -> start inside one SCC, found by BFS for the shortest loop.
fn loop_from(
    g: &DiGraph<String, Edge>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Vec<NodeIndex> {
    let mut prev: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(ix) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = g
            .edges(ix)
            .map(|e| e.target())
            .filter(|t| members.contains(t))
            .collect();
        next.sort();
        for t in next {
            if t == start {
                // Walk back from `ix` to `start`, then read it forwards and close the loop.
                let mut chain = vec![ix];
                while let Some(p) = chain.last().and_then(|c| prev.get(c)) {
                    chain.push(*p);
                }
                chain.reverse();
                chain.push(start);
                return chain;
            }
            if let std::collections::btree_map::Entry::Vacant(v) = prev.entry(t) {
                v.insert(ix);
                queue.push_back(t);
            }
        }
    }
    vec![start, start]
}
