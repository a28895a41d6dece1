//! The dependency graph: inferred RDS→DDM edges and their reasons, cycle reports, examples, DOT/Mermaid output.

mod common;

use common::{compile_err, compile_ok, example, examples, nth, only};
use rewind_engine::graph::{Format, render};
use rewind_engine::kinds::OpSpec;
use rewind_engine::spec::Code;
use std::collections::BTreeMap;

#[test]
fn ddm_pitr_has_exactly_the_two_inferred_rds_to_ddm_edges() {
    let text = example("ddm-pitr.yaml");
    assert!(
        !text.contains("depends_on:"),
        "the example must rely on inference alone"
    );
    let c = compile_ok("examples/ddm-pitr.yaml", &text);

    // What the edges must be, worked out from the spec: each RDS restore writes a data node
    // that the metadata restore reads.
    let OpSpec::DdmMetadata(meta) = &c.spec.ops["orders-metadata"].spec else {
        panic!("orders-metadata is a ddm.metadata_restore")
    };
    let mut want = Vec::new();
    for (name, op) in &c.spec.ops {
        if let OpSpec::Rds(r) = &op.spec {
            assert!(
                meta.target.data_nodes.contains(&r.target.instance_id),
                "{name} restores a data node"
            );
            want.push((
                name.clone(),
                "orders-metadata".to_owned(),
                vec![format!(
                    "reads rds instance {} written by {name}",
                    r.target.instance_id
                )],
            ));
        }
    }
    assert_eq!(want.len(), 2);
    let got: Vec<_> = c
        .graph
        .edges()
        .into_iter()
        .map(|e| (e.from, e.to, e.reasons))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        c.graph.order(),
        vec!["orders-dn-1", "orders-dn-2", "orders-metadata"]
    );
    assert_eq!(
        c.graph.predecessors("orders-metadata"),
        vec!["orders-dn-1", "orders-dn-2"]
    );
}

#[test]
fn every_example_compiles_with_explained_edges() {
    let all = examples();
    assert!(
        all.len() >= 7,
        "one example per kind plus ddm-pitr: {:?}",
        all.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    let mut kinds = std::collections::BTreeSet::new();
    for (name, text) in &all {
        let c = compile_ok(name, text);
        assert!(!c.spec.ops.is_empty(), "{name} has operations");
        assert_eq!(
            c.graph.order().len(),
            c.spec.ops.len(),
            "{name}: every operation is ordered"
        );
        for e in c.graph.edges() {
            assert!(!e.reasons.is_empty(), "{name}: edge {e} has no reason");
        }
        kinds.extend(c.spec.ops.values().map(|o| o.spec.kind()));
    }
    assert_eq!(
        kinds.len(),
        rewind_engine::kinds::Kind::ALL.len(),
        "the examples cover every built-in kind: {kinds:?}"
    );
}

const THREE_LOOP: &str = "\
version: 1
restores:
  a:
    kind: dcs.restore
    depends_on: [c]
    instance_id: 1c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 1ba256cb-e5ac-44f6-a3da-c03d8f0e5029
  b:
    kind: dcs.restore
    depends_on: [a]
    instance_id: 2c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 2ba256cb-e5ac-44f6-a3da-c03d8f0e5029
  c:
    kind: dcs.restore
    depends_on: [b]
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 3ba256cb-e5ac-44f6-a3da-c03d8f0e5029
  free:
    kind: dcs.restore
    instance_id: 4c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 4ba256cb-e5ac-44f6-a3da-c03d8f0e5029
";

#[test]
fn a_cycle_report_names_the_whole_loop_and_an_edge_of_it_to_break() {
    let r = compile_err("loop.yaml", THREE_LOOP);
    let d = only(&r);
    assert_eq!(d.code, Code::Cycle);
    assert!(d.message.contains("a -> b -> c -> a"), "{d:?}");
    assert!(!d.message.contains("free"), "{d:?}");
    let hint = d.hint.as_deref().expect("a hint");
    let loop_edges = ["a -> b", "b -> c", "c -> a"];
    assert!(
        loop_edges
            .iter()
            .any(|e| hint.contains(&format!("break the edge {e} (depends_on)"))),
        "{hint}"
    );
    // Located at the `depends_on` entry that makes the suggested edge.
    let s = d.span.expect("located");
    let (from, to) = loop_edges
        .iter()
        .find(|e| hint.contains(*e))
        .unwrap()
        .split_once(" -> ")
        .unwrap();
    let entry = THREE_LOOP.find(&format!("  {to}:\n")).unwrap();
    let at = entry + THREE_LOOP[entry..].find(&format!("[{from}]")).unwrap() + 1;
    assert_eq!(s.offset, at, "{d:?}");
    let mut labelled: Vec<&str> = d
        .labels
        .iter()
        .map(|l| &THREE_LOOP[l.span.offset..l.span.offset + l.span.len])
        .collect();
    labelled.sort_unstable();
    assert_eq!(
        labelled,
        vec!["a", "b", "c"],
        "every member of the loop is labelled"
    );
}

/// `a -> b` is written (depends_on); `b -> c` and `c -> a` are inferred from footprints.
const MIXED_LOOP: &str = "\
version: 1
restores:
  a:
    kind: rds.restore
    source: { instance_id: 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5ain01, restore_time: 1763607600000 }
    target: { instance_id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaain01 }
  b:
    kind: rds.restore
    depends_on: [a]
    source: { instance_id: 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0bin01, restore_time: 1763607600000 }
    target: { instance_id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbin01 }
  c:
    kind: rds.restore
    source: { instance_id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbin01, restore_time: 1763607600000 }
    target: { instance_id: 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5ain01 }
";

#[test]
fn a_cycle_through_inferred_edges_suggests_cutting_the_written_one() {
    let r = compile_err("mixed.yaml", MIXED_LOOP);
    let d = only(&r);
    assert_eq!(d.code, Code::Cycle);
    assert!(d.message.contains("a -> b -> c -> a"), "{d:?}");
    assert_eq!(
        d.hint.as_deref(),
        Some("break the edge a -> b (depends_on)")
    );
    assert_eq!(
        d.span.map(|s| s.offset),
        Some(nth(MIXED_LOOP, "[a]", 0).offset + 1)
    );
}

#[test]
fn a_cycle_of_inferred_edges_alone_explains_each_reason() {
    let text = "version: 1\nrestores:\n  a:\n    kind: rds.restore\n    source: { instance_id: 0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0ain01, restore_time: 1763607600000 }\n    target: { instance_id: 1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1ain01 }\n  b:\n    kind: rds.restore\n    source: { instance_id: 1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1ain01, restore_time: 1763607600000 }\n    target: { instance_id: 0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0ain01 }\n";
    let r = compile_err("fp.yaml", text);
    let d = only(&r);
    assert!(d.message.contains("a -> b -> a"), "{d:?}");
    assert!(
        d.hint
            .as_deref()
            .unwrap_or("")
            .contains("reads rds instance 1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1ain01 written by a"),
        "{d:?}"
    );
}

#[test]
fn an_explicit_order_wins_over_an_inferred_one() {
    // The metadata restore reads the node the RDS restore writes, but the user ordered the
    // metadata restore first: no inferred edge may contradict that (and no cycle results).
    let text = example("ddm-pitr.yaml").replace(
        "  orders-dn-1:\n    kind: rds.restore\n",
        "  orders-dn-1:\n    kind: rds.restore\n    depends_on: [orders-metadata]\n",
    );
    let c = compile_ok("ordered.yaml", &text);
    let edges: BTreeMap<(String, String), Vec<String>> = c
        .graph
        .edges()
        .into_iter()
        .map(|e| ((e.from, e.to), e.reasons))
        .collect();
    assert_eq!(
        edges.get(&("orders-metadata".into(), "orders-dn-1".into())),
        Some(&vec!["depends_on".to_owned()])
    );
    assert!(!edges.contains_key(&("orders-dn-1".into(), "orders-metadata".into())));
    let order = c.graph.order();
    let pos = |n: &str| order.iter().position(|o| o == n).unwrap();
    assert!(pos("orders-metadata") < pos("orders-dn-1"));
}

#[test]
fn a_reference_adds_an_edge_with_its_path_next_to_the_footprint_reason() {
    let text = example("ddm-pitr.yaml").replace(
        "        - f4e2949e9b9b4d60b42c89ed39bfe34cin01\n",
        "        - ${restores.orders-dn-1.target.instance_id}\n",
    );
    let c = compile_ok("ref.yaml", &text);
    let e = c
        .graph
        .edges()
        .into_iter()
        .find(|e| e.from == "orders-dn-1")
        .expect("edge");
    assert_eq!(e.to, "orders-metadata");
    assert!(
        e.reasons
            .contains(&"uses ${restores.orders-dn-1.target.instance_id}".to_owned()),
        "{e}"
    );
    assert!(
        e.reasons
            .iter()
            .any(|r| r.starts_with("reads rds instance f4e2949e")),
        "{e}"
    );
}

#[test]
fn unrelated_operations_are_ordered_by_name() {
    let text = "version: 1\nrestores:\n  zeta:\n    kind: dcs.restore\n    instance_id: 1c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77\n    backup_id: 1ba256cb-e5ac-44f6-a3da-c03d8f0e5029\n  alpha:\n    kind: dcs.restore\n    instance_id: 2c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77\n    backup_id: 2ba256cb-e5ac-44f6-a3da-c03d8f0e5029\n  mid:\n    kind: dcs.restore\n    depends_on: [zeta]\n    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77\n    backup_id: 3ba256cb-e5ac-44f6-a3da-c03d8f0e5029\n";
    let c = compile_ok("names.yaml", text);
    assert_eq!(c.graph.order(), vec!["alpha", "zeta", "mid"]);
}

fn labels(c: &rewind_engine::compile::Compiled) -> BTreeMap<String, String> {
    c.spec
        .ops
        .iter()
        .map(|(n, o)| (n.clone(), format!("+ restore {}", o.spec.kind())))
        .collect()
}

#[test]
fn dot_output_quotes_names_and_labels_every_edge_with_its_reason() {
    let c = compile_ok("examples/ddm-pitr.yaml", &example("ddm-pitr.yaml"));
    let dot = render(&c.graph, &labels(&c), Format::Dot);
    for e in c.graph.edges() {
        let line = format!(
            "  \"{}\" -> \"{}\" [label=\"{}\"];",
            e.from,
            e.to,
            e.reasons.join("; ")
        );
        assert!(dot.contains(&line), "missing {line:?} in\n{dot}");
    }
    for name in c.spec.ops.keys() {
        assert!(
            dot.contains(&format!("  \"{name}\" [label=")),
            "{name} in\n{dot}"
        );
    }
    insta::assert_snapshot!("ddm_pitr_dot", dot);
}

#[test]
fn mermaid_output_labels_every_edge_with_its_reason() {
    let c = compile_ok("examples/ddm-pitr.yaml", &example("ddm-pitr.yaml"));
    let mermaid = render(&c.graph, &labels(&c), Format::Mermaid);
    assert!(mermaid.starts_with("flowchart LR\n"));
    for e in c.graph.edges() {
        assert!(
            mermaid.contains(&format!("-->|\"{}\"|", e.reasons.join("; "))),
            "{mermaid}"
        );
    }
    insta::assert_snapshot!("ddm_pitr_mermaid", mermaid);
}
