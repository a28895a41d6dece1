//! DOT and Mermaid text of the graph: quoted node IDs, an action per node, a reason per edge.

use super::Graph;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Mermaid node ID: a fleet instance's brackets would open a node shape.
fn mermaid_id(name: &str) -> String {
    name.replace('[', "__").replace(']', "")
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// Renders the graph. `labels` maps an operation to its node caption (kind and plan action).
pub fn render(graph: &Graph, labels: &BTreeMap<String, String>, format: Format) -> String {
    let mut out = String::new();
    let names: Vec<&str> = graph.inner.node_indices().map(|i| graph.name(i)).collect();
    let edges = graph.edges();
    match format {
        Format::Dot => {
            out.push_str("digraph rewind {\n  rankdir=LR;\n  node [shape=box];\n");
            for n in &names {
                let label = labels
                    .get(*n)
                    .map_or_else(|| (*n).to_owned(), |l| format!("{n}\\n{l}"));
                let _ = writeln!(
                    out,
                    "  \"{}\" [label=\"{}\"];",
                    dot_escape(n),
                    dot_escape(&label).replace("\\\\n", "\\n")
                );
            }
            for e in &edges {
                let _ = writeln!(
                    out,
                    "  \"{}\" -> \"{}\" [label=\"{}\"];",
                    dot_escape(&e.from),
                    dot_escape(&e.to),
                    dot_escape(&e.reasons.join("; "))
                );
            }
            out.push_str("}\n");
        }
        Format::Mermaid => {
            out.push_str("flowchart LR\n");
            for n in &names {
                let label = labels
                    .get(*n)
                    .map_or_else(|| (*n).to_owned(), |l| format!("{n}<br/>{l}"));
                let _ = writeln!(out, "  {}[\"{}\"]", mermaid_id(n), mermaid_escape(&label));
            }
            for e in &edges {
                let _ = writeln!(
                    out,
                    "  {} -->|\"{}\"| {}",
                    mermaid_id(&e.from),
                    mermaid_escape(&e.reasons.join("; ")),
                    mermaid_id(&e.to)
                );
            }
        }
    }
    out
}
