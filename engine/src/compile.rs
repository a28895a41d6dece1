//! The offline front half of the pipeline: text -> spec -> graph, with every error collected.

use crate::graph::{self, Graph};
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
    let source: Arc<str> = Arc::from(text);
    let root = match spec::yaml::parse(text) {
        Ok(root) => root,
        Err(d) => return Err(Report::new(file, source, vec![d])),
    };
    let (spec, mut diags) = spec::lower(&root, options);
    let (graph, graph_diags) = graph::build(&spec);
    diags.extend(graph_diags);
    if diags.is_empty() {
        Ok(Compiled {
            file: file.to_owned(),
            spec,
            graph,
        })
    } else {
        Err(Report::new(file, source, diags))
    }
}
