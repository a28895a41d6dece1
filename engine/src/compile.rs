//! The offline front half of the pipeline: text -> spec -> graph, with every error collected.

use crate::graph::{self, Graph};
use crate::kinds::Kind;
use crate::spec::yaml::{Node, Value};
use crate::spec::{self, LoadOptions, Report, Spec};
use std::sync::Arc;

/// A spec that loaded without errors, and its graph.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub file: String,
    pub spec: Spec,
    pub graph: Graph,
}

/// Parses, lowers and builds the graph. All problems from all stages come back together.
pub fn compile(file: &str, text: &str, options: &LoadOptions) -> Result<Compiled, Report> {
    parse(file, text)?.compile(options)
}

/// A spec's text parsed into its located tree, not yet lowered: what a caller looks at to
/// decide which plugin kinds lowering needs (so that it lowers once).
#[derive(Debug, Clone)]
pub struct Parsed {
    file: String,
    source: Arc<str>,
    root: Node,
}

/// Parses the YAML; a syntax error is the report.
pub fn parse(file: &str, text: &str) -> Result<Parsed, Report> {
    let source: Arc<str> = Arc::from(text);
    match spec::yaml::parse(text) {
        Ok(root) => Ok(Parsed {
            file: file.to_owned(),
            source,
            root,
        }),
        Err(d) => Err(Report::new(file, source, vec![d])),
    }
}

impl Parsed {
    /// Whether some `kind:` under `restores:` is not built in: only then are plugins
    /// started to learn their kinds. Over-approximates (any `kind:` inside a restore, a
    /// fleet's included), which at worst starts the plugins for nothing.
    pub fn names_other_kinds(&self) -> bool {
        let Value::Map(top) = &self.root.value else {
            return false;
        };
        top.iter()
            .filter(|(k, _)| matches!(&k.value, Value::Str(s) if s == "restores"))
            .any(|(_, restores)| has_other_kind(restores))
    }

    /// The located tree, for callers that point at a place in the text.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The text parsed.
    pub fn source(&self) -> &Arc<str> {
        &self.source
    }

    /// Lowers and builds the graph. All problems from all stages come back together.
    pub fn compile(&self, options: &LoadOptions) -> Result<Compiled, Report> {
        let (spec, mut diags) = spec::lower(&self.root, options);
        let (graph, graph_diags) = graph::build(&spec);
        diags.extend(graph_diags);
        if diags.is_empty() {
            Ok(Compiled {
                file: self.file.clone(),
                spec,
                graph,
            })
        } else {
            Err(Report::new(&self.file, self.source.clone(), diags))
        }
    }
}

fn has_other_kind(node: &Node) -> bool {
    match &node.value {
        Value::Map(entries) => entries.iter().any(|(k, v)| {
            let is_kind = matches!(&k.value, Value::Str(s) if s == "kind");
            match &v.value {
                Value::Str(kind) if is_kind => Kind::parse(kind).is_none(),
                _ => has_other_kind(v),
            }
        }),
        Value::Seq(items) => items.iter().any(has_other_kind),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_restore_of_another_kind_asks_for_plugins() {
        let builtin = "version: 1\nrestores:\n  db:\n    kind: rds.restore\n";
        let plugin = "version: 1\nrestores:\n  disk:\n    kind: evs.snapshot_rollback\n";
        let elsewhere = "version: 1\ndrills:\n  d:\n    kind: evs.x\nrestores: {}\n";
        assert!(!parse("a", builtin).unwrap().names_other_kinds());
        assert!(parse("a", plugin).unwrap().names_other_kinds());
        assert!(!parse("a", elsewhere).unwrap().names_other_kinds());
    }
}
