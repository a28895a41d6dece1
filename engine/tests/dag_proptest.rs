//! Random DAG specs: the graph has exactly the intended edges, the plan order respects each, and output is byte-identical across runs and file orders.

use proptest::prelude::*;
use rewind_engine::compile::{Compiled, compile};
use rewind_engine::graph::{Format, render};
use rewind_engine::plan::{self, Plan, PlanOptions};
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::StateStore;
use rewind_state::MemoryState;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// One generated operation, before it is turned into YAML.
#[derive(Debug, Clone)]
struct OpGen {
    kind: u8,
    word: usize,
    deps: Vec<usize>,
    /// (mode, which earlier operation): how each read is sourced.
    picks: Vec<(u8, usize)>,
    use_var: bool,
    /// Where the operation is written in the shuffled file.
    shuffle: u64,
}

fn op_gen() -> impl Strategy<Value = OpGen> {
    (
        0u8..6,
        0usize..WORDS.len(),
        prop::collection::vec(any::<usize>(), 0..3),
        prop::collection::vec((0u8..4, any::<usize>()), 1..4),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(kind, word, deps, picks, use_var, shuffle)| OpGen {
            kind,
            word,
            deps,
            picks,
            use_var,
            shuffle,
        })
}

/// Name prefixes, so that name order and dependency order disagree.
const WORDS: &[&str] = &[
    "zulu",
    "alpha",
    "mike",
    "echo",
    "orders-dn",
    "catalog",
    "b",
    "x_y",
];

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Why {
    DependsOn,
    Reference,
    Footprint,
}

/// The YAML (in dependency order and shuffled) and the edges the graph must have.
struct Built {
    ranked: String,
    shuffled: String,
    names: Vec<String>,
    expected: BTreeMap<(String, String), BTreeSet<Why>>,
}

fn hex_id(op: usize, slot: usize, suffix: &str) -> String {
    format!("{op:016x}{slot:016x}{suffix}")
}

fn uuid(op: usize, slot: usize) -> String {
    format!("{op:08x}-{slot:04x}-4000-8000-000000000000")
}

/// Earlier operations whose written ID a later one can read.
#[derive(Default)]
struct Written {
    rds_targets: Vec<(usize, String)>,
    node_targets: Vec<(usize, String)>,
    ddm_targets: Vec<(usize, String)>,
    taurus_targets: Vec<(usize, String)>,
}

fn pick(list: &[(usize, String)], ix: usize) -> Option<(usize, String)> {
    (!list.is_empty()).then(|| list[ix % list.len()].clone())
}

fn build(ops: &[OpGen]) -> Built {
    let names: Vec<String> = ops
        .iter()
        .enumerate()
        .map(|(i, o)| format!("{}-{i}", WORDS[o.word]))
        .collect();
    let mut expected: BTreeMap<(String, String), BTreeSet<Why>> = BTreeMap::new();
    let mut edge = |from: usize, to: usize, why: Why| {
        expected
            .entry((names[from].clone(), names[to].clone()))
            .or_default()
            .insert(why);
    };
    let mut w = Written::default();
    let mut bodies = Vec::new();
    for (j, op) in ops.iter().enumerate() {
        let mut body = String::new();
        let time = if op.use_var {
            "\"${var.pit}\"".to_owned()
        } else {
            "1795143600000".to_owned()
        };
        let deps: BTreeSet<usize> = if j == 0 {
            BTreeSet::new()
        } else {
            op.deps.iter().map(|d| d % j).collect()
        };
        if !deps.is_empty() {
            let list: Vec<&str> = deps.iter().map(|d| names[*d].as_str()).collect();
            let _ = writeln!(body, "    depends_on: [{}]", list.join(", "));
            for d in &deps {
                edge(*d, j, Why::DependsOn);
            }
        }
        // Reads an earlier RDS instance (chain or reference) or a fresh one.
        let read_rds = |mode: u8,
                        ix: usize,
                        slot: usize,
                        w: &Written,
                        edge: &mut dyn FnMut(usize, usize, Why)| {
            let node = match mode {
                1 => pick(&w.rds_targets, ix).map(|(i, id)| {
                    edge(i, j, Why::Footprint);
                    id
                }),
                2 => pick(&w.rds_targets, ix).map(|(i, _)| {
                    edge(i, j, Why::Footprint);
                    edge(i, j, Why::Reference);
                    format!("\"${{restores.{}.target.instance_id}}\"", names[i])
                }),
                3 => pick(&w.node_targets, ix).map(|(i, id)| {
                    edge(i, j, Why::Footprint);
                    id
                }),
                _ => None,
            };
            node.unwrap_or_else(|| hex_id(j, slot, "in01"))
        };
        match op.kind {
            0 => {
                let (mode, ix) = op.picks[0];
                let source = read_rds(mode, ix, 1, &w, &mut edge);
                let target = hex_id(j, 2, "in01");
                let _ = write!(
                    body,
                    "    kind: rds.restore\n    source: {{ instance_id: {source}, type: timestamp, restore_time: {time} }}\n    target: {{ instance_id: {target} }}\n"
                );
                w.rds_targets.push((j, target));
            }
            1 => {
                let (mode, ix) = op.picks[0];
                let source = match (mode, pick(&w.ddm_targets, ix)) {
                    (1 | 2, Some((i, id))) => {
                        edge(i, j, Why::Footprint);
                        id
                    }
                    _ => hex_id(j, 1, "in09"),
                };
                let target = hex_id(j, 2, "in09");
                let _ = write!(
                    body,
                    "    kind: ddm.restore\n    source: {{ instance_id: {source}, restore_time: {time} }}\n    target: {{ instance_id: {target} }}\n    data_node_relations:\n"
                );
                for (k, (mode, ix)) in op.picks.iter().enumerate() {
                    let from = read_rds(*mode % 2, *ix, 10 + k, &w, &mut edge);
                    let to = hex_id(j, 20 + k, "in01");
                    let _ = writeln!(
                        body,
                        "      - {{ source_instance_id: {from}, target_instance_id: {to} }}"
                    );
                    w.node_targets.push((j, to));
                }
                w.ddm_targets.push((j, target));
            }
            2 => {
                let source = match pick(&w.ddm_targets, op.picks[0].1) {
                    Some((i, id)) if op.use_var => {
                        edge(i, j, Why::Footprint);
                        id
                    }
                    _ => hex_id(j, 1, "in09"),
                };
                let target = hex_id(j, 2, "in09");
                let mut nodes = Vec::new();
                let mut seen = BTreeSet::new();
                for (k, (mode, ix)) in op.picks.iter().enumerate() {
                    // The same node twice would be one read; keep the first.
                    let key = match mode {
                        1 | 2 => pick(&w.rds_targets, *ix).map(|(i, _)| ("rds", i)),
                        3 => {
                            pick(&w.node_targets, *ix).map(|(i, id)| ("node", i * 1000 + id.len()))
                        }
                        _ => None,
                    };
                    if key.is_some_and(|k| !seen.insert(k)) {
                        continue;
                    }
                    nodes.push(read_rds(*mode, *ix, 10 + k, &w, &mut edge));
                }
                let _ = write!(
                    body,
                    "    kind: ddm.metadata_restore\n    instance_id: {source}\n    source: {{ restore_time: {time} }}\n    target:\n      instance_id: {target}\n      data_nodes: [{}]\n",
                    nodes.join(", ")
                );
                w.ddm_targets.push((j, target));
            }
            3 => {
                let (mode, ix) = op.picks[0];
                let source = match (mode, pick(&w.taurus_targets, ix)) {
                    (1, Some((i, id))) => {
                        edge(i, j, Why::Footprint);
                        id
                    }
                    (2, Some((i, _))) => {
                        edge(i, j, Why::Footprint);
                        edge(i, j, Why::Reference);
                        format!("\"${{restores.{}.target_instance_id}}\"", names[i])
                    }
                    _ => hex_id(j, 1, "in07"),
                };
                let target = hex_id(j, 2, "in07");
                let _ = write!(
                    body,
                    "    kind: taurusdb.restore\n    source_instance_id: {source}\n    target_instance_id: {target}\n    backup_id: {}\n",
                    hex_id(j, 3, "br07")
                );
                w.taurus_targets.push((j, target));
            }
            4 => {
                let _ = write!(
                    body,
                    "    kind: cbr.restore\n    backup_id: {}\n    volume_id: {}\n    power_on: false\n",
                    uuid(j, 1),
                    uuid(j, 2)
                );
            }
            _ => {
                let _ = write!(
                    body,
                    "    kind: dcs.restore\n    instance_id: {}\n    backup_id: {}\n    remark: op {j}\n",
                    uuid(j, 1),
                    uuid(j, 2)
                );
            }
        }
        bodies.push(body);
    }
    let header = "version: 1\nvars:\n  pit: 2026-11-20T03:00:00Z\nrestores:\n";
    let doc = |order: &[usize]| {
        let mut text = header.to_owned();
        for &i in order {
            let _ = write!(text, "  {}:\n{}", names[i], bodies[i]);
        }
        text
    };
    let ranked: Vec<usize> = (0..ops.len()).collect();
    let mut shuffled = ranked.clone();
    shuffled.sort_by_key(|&i| (ops[i].shuffle, i));
    Built {
        ranked: doc(&ranked),
        shuffled: doc(&shuffled),
        names,
        expected,
    }
}

fn why(reason: &str) -> Why {
    if reason == "depends_on" {
        Why::DependsOn
    } else if reason.starts_with("uses ${restores.") {
        Why::Reference
    } else if reason.starts_with("reads ") {
        Why::Footprint
    } else {
        panic!("unexplained reason {reason:?}")
    }
}

fn compiled(text: &str) -> Result<Compiled, TestCaseError> {
    compile("dag.yaml", text, &LoadOptions::default())
        .map_err(|r| TestCaseError::fail(format!("{}\n--- spec ---\n{text}", r.plain())))
}

/// The plan (against an empty state with a fixed lineage) as JSON, and the DOT graph.
fn outputs(c: &Compiled) -> (Plan, String, String) {
    let state = MemoryState::with_lineage("dag-lineage");
    let meta = state.meta().unwrap();
    let p = plan::build(
        &c.file,
        &c.spec,
        &c.graph,
        &meta,
        &state.list().unwrap(),
        &PlanOptions::default(),
    );
    let labels: BTreeMap<String, String> = p
        .steps
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                format!("{} {} {}", s.action.symbol(), s.action.verb(), s.kind),
            )
        })
        .collect();
    let json = serde_json::to_string_pretty(&p).unwrap();
    let dot = render(&c.graph, &labels, Format::Dot);
    (p, json, dot)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn plan_order_respects_every_edge_and_output_is_deterministic(ops in prop::collection::vec(op_gen(), 1..24)) {
        let built = build(&ops);
        let c = compiled(&built.ranked)?;

        // The graph has exactly the intended edges, each for the intended reasons.
        let got: BTreeMap<(String, String), BTreeSet<Why>> = c
            .graph
            .edges()
            .into_iter()
            .map(|e| ((e.from, e.to), e.reasons.iter().map(|r| why(r)).collect()))
            .collect();
        prop_assert_eq!(&got, &built.expected, "\n--- spec ---\n{}", built.ranked);

        // The plan covers every operation once, in the graph's order, after its predecessors.
        let (p, json, dot) = outputs(&c);
        let order: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
        prop_assert_eq!(order.len(), built.names.len());
        prop_assert_eq!(&order, &c.graph.order());
        let pos: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        for e in c.graph.edges() {
            prop_assert!(pos[e.from.as_str()] < pos[e.to.as_str()], "{} must come before {}", e.from, e.to);
        }
        for s in &p.steps {
            let preds: BTreeSet<&str> =
                built.expected.keys().filter(|(_, to)| *to == s.name).map(|(from, _)| from.as_str()).collect();
            prop_assert_eq!(s.after.iter().map(String::as_str).collect::<BTreeSet<_>>(), preds);
        }

        // Byte-identical across independent runs, and whatever order the file lists them in.
        let (_, json2, dot2) = outputs(&compiled(&built.ranked)?);
        prop_assert_eq!(&json, &json2);
        prop_assert_eq!(&dot, &dot2);
        let (_, json3, dot3) = outputs(&compiled(&built.shuffled)?);
        prop_assert_eq!(&json, &json3, "file order changed the plan");
        prop_assert_eq!(&dot, &dot3, "file order changed the graph");
    }
}

#[test]
fn the_generator_makes_every_kind_of_edge() {
    // A fixed case: rds-0 <- rds-1 (chain), metadata-2 reads both (reference and literal),
    // dcs-3 depends on metadata-2.
    let ops = vec![
        OpGen {
            kind: 0,
            word: 1,
            deps: vec![],
            picks: vec![(0, 0)],
            use_var: true,
            shuffle: 3,
        },
        OpGen {
            kind: 0,
            word: 0,
            deps: vec![],
            picks: vec![(1, 0)],
            use_var: false,
            shuffle: 2,
        },
        OpGen {
            kind: 2,
            word: 2,
            deps: vec![],
            picks: vec![(2, 0), (1, 1)],
            use_var: false,
            shuffle: 1,
        },
        OpGen {
            kind: 5,
            word: 3,
            deps: vec![2],
            picks: vec![(0, 0)],
            use_var: false,
            shuffle: 0,
        },
    ];
    let built = build(&ops);
    let c = compile("dag.yaml", &built.ranked, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    let edges: Vec<(String, String, Vec<String>)> = c
        .graph
        .edges()
        .into_iter()
        .map(|e| (e.from, e.to, e.reasons))
        .collect();
    let kinds: BTreeSet<Why> = edges
        .iter()
        .flat_map(|e| e.2.iter().map(|r| why(r)))
        .collect();
    assert_eq!(kinds.len(), 3, "{edges:#?}");
    assert_eq!(
        c.graph.order(),
        vec!["alpha-0", "zulu-1", "mike-2", "echo-3"]
    );
    assert_ne!(built.ranked, built.shuffled);
}
