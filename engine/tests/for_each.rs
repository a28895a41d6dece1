//! `for_each:` fleets: one operation over a list or map var expands into plain operations
//! named `NAME[KEY]` that the graph, the plan and drills see like any other.

use rewind_engine::compile::compile;
use rewind_engine::plan::{self, Action, PlanOptions};
use rewind_engine::spec::{Code, LoadOptions};
use rewind_engine::state::StateMeta;
use std::fmt::Write as _;

const META: &str = "orders-metadata";

/// 32 hex characters for node `i` and a role digit, so every ID differs.
fn id(role: u32, i: u32) -> String {
    format!("{role:x}{i:07x}{}in01", "0".repeat(24))
}

/// A DDM instance with `n` data nodes: the nodes as a mapping var (`dn-NN: {source,
/// target}`), one `for_each` RDS restore over it, and one metadata restore onto the
/// restored nodes. `bad` replaces node 7's target with a malformed ID.
fn fleet_spec(n: u32, bad: bool) -> String {
    let mut nodes = String::new();
    let mut targets = String::new();
    for i in 1..=n {
        let target = if bad && i == 7 {
            "not-an-instance-id".to_owned()
        } else {
            id(0xb, i)
        };
        let _ = writeln!(
            nodes,
            "    dn-{i:02}: {{source: {}, target: {target}}}",
            id(0xa, i)
        );
        let _ = writeln!(targets, "    - {target}");
    }
    format!(
        "version: 1
vars:
  at: 2026-11-20T03:00:00Z
  nodes:
{nodes}  restored:
{targets}restores:
  dn:
    kind: rds.restore
    for_each: ${{var.nodes}}
    source:
      instance_id: ${{each.value.source}}
      restore_time: ${{var.at}}
    target:
      instance_id: ${{each.value.target}}
  {META}:
    kind: ddm.metadata_restore
    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09
    source:
      restore_time: ${{var.at}}
    target:
      instance_id: 2f0324a93859487eb5566d75951fcd2din09
      data_nodes: ${{var.restored}}
drills:
  rehearse:
    operations: [dn]
    scratch: [{}]
",
        (1..=n).map(|i| id(0xb, i)).collect::<Vec<_>>().join(", ")
    )
}

#[test]
fn a_for_each_over_16_data_nodes_plans_16_restores_that_feed_one_metadata_restore() {
    let compiled = compile(
        "fleet.yaml",
        &fleet_spec(16, false),
        &LoadOptions::default(),
    )
    .unwrap_or_else(|r| panic!("{}", r.plain()));
    let spec = &compiled.spec;
    let instances = &spec.fleets["dn"];
    assert_eq!(instances.len(), 16);
    assert_eq!(instances[0], "dn[dn-01]");
    assert_eq!(instances[15], "dn[dn-16]");
    assert!(
        !spec.ops.contains_key("dn"),
        "the fleet itself is not an operation"
    );

    let meta = StateMeta {
        lineage: "l".into(),
        serial: 0,
    };
    let p = plan::build(
        "fleet.yaml",
        spec,
        &compiled.graph,
        &meta,
        &[],
        &PlanOptions::default(),
    );
    let restores: Vec<&str> = p
        .steps
        .iter()
        .filter(|s| s.action == Action::Restore && s.name.starts_with("dn["))
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(restores.len(), 16, "{restores:?}");
    let metadata = p
        .steps
        .iter()
        .find(|s| s.name == META)
        .expect("metadata step");
    let mut after = metadata.after.clone();
    after.sort();
    let mut expected: Vec<String> = instances.clone();
    expected.sort();
    assert_eq!(
        after, expected,
        "every data node restore feeds the metadata restore"
    );

    // Each instance carries its own element.
    let body = serde_json::to_value(&spec.ops["dn[dn-07]"].spec).unwrap();
    let text = body.to_string();
    assert!(
        text.contains(&id(0xa, 7)) && text.contains(&id(0xb, 7)),
        "{text}"
    );

    // A drill naming the fleet runs every instance.
    assert_eq!(spec.drills["rehearse"].operations.len(), 16);
}

#[test]
fn a_bad_element_is_reported_once_at_its_own_line() {
    let text = fleet_spec(16, true);
    let report = compile("fleet.yaml", &text, &LoadOptions::default())
        .expect_err("node 7's target is malformed");
    let bad: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::BadId)
        .collect();
    // Once in the fleet (the metadata restore's list names it too, at its own line).
    let element_line = text
        .lines()
        .position(|l| l.contains("dn-07:"))
        .map(|i| i + 1)
        .unwrap();
    let at_element: Vec<_> = bad
        .iter()
        .filter(|d| d.span.map(|s| s.line as usize) == Some(element_line))
        .collect();
    assert_eq!(at_element.len(), 1, "{}", report.plain());
    assert!(
        at_element[0].message.contains("dn[dn-07]"),
        "the message names the instance: {}",
        at_element[0].message
    );
}

#[test]
fn for_each_mistakes_are_located() {
    let dup = "version: 1
vars:
  ids: [a, b, a]
restores:
  dn:
    kind: dcs.restore
    for_each: ${var.ids}
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: ${each.value}
";
    let report = compile("d.yaml", dup, &LoadOptions::default()).expect_err("duplicate key");
    let d = &report.diagnostics[0];
    assert_eq!(d.code, Code::DuplicateKey, "{}", report.plain());
    assert_eq!(d.span.map(|s| s.line), Some(3));

    let outside = "version: 1
restores:
  one:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: ${each.key}
";
    let report = compile("o.yaml", outside, &LoadOptions::default()).expect_err("no for_each");
    assert!(report.plain().contains("for_each"), "{}", report.plain());

    let unknown = dup.replace("${var.ids}", "${var.idz}");
    let report = compile("u.yaml", &unknown, &LoadOptions::default()).expect_err("unknown var");
    assert!(
        report.plain().contains("did you mean `ids`"),
        "{}",
        report.plain()
    );
}

#[test]
fn a_map_var_is_overridden_with_flow_yaml_and_depends_on_a_fleet_means_all_of_it() {
    let text = "version: 1
vars:
  caches: {xa: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77}
restores:
  dn:
    kind: dcs.restore
    for_each: ${var.caches}
    instance_id: ${each.value}
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: copy ${each.key}
  after:
    kind: dcs.restore
    depends_on: [dn]
    instance_id: 4c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 9ba256cb-e5ac-44f6-a3da-c03d8f0e5029
";
    let flag = "{xa: 1c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77, yb: 2c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77, zc: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77}";
    let options = LoadOptions {
        vars: [("caches".to_owned(), flag.to_owned())].into(),
        ..LoadOptions::default()
    };
    let compiled = compile("v.yaml", text, &options).unwrap_or_else(|r| panic!("{}", r.plain()));
    assert_eq!(compiled.spec.fleets["dn"], ["dn[xa]", "dn[yb]", "dn[zc]"]);
    let body = serde_json::to_value(&compiled.spec.ops["dn[yb]"].spec)
        .unwrap()
        .to_string();
    assert!(
        body.contains("2c49d6b8") && body.contains("copy yb"),
        "{body}"
    );
    let mut preds = compiled.graph.predecessors("after");
    preds.sort();
    assert_eq!(preds, ["dn[xa]", "dn[yb]", "dn[zc]"]);

    let options = LoadOptions {
        vars: [("caches".to_owned(), "just-text".to_owned())].into(),
        ..LoadOptions::default()
    };
    let report = compile("v.yaml", text, &options).expect_err("not a mapping");
    assert!(report.plain().contains("flow style"), "{}", report.plain());
}

/// The list form: 16 source data nodes, each restored into a new instance, and the metadata
/// restore over the new instances' IDs (known after apply). `bad` breaks element 5.
fn list_spec(bad: bool) -> String {
    let mut nodes = String::new();
    let mut data_nodes = String::new();
    for i in 1..=16 {
        let source = if bad && i == 5 {
            "7edae0250ebc464897bd92b8d3e8b769in09".to_owned()
        } else {
            id(0xa, i)
        };
        let _ = writeln!(nodes, "    - {source}");
        let _ = writeln!(
            data_nodes,
            "        - \"${{restores.dn[{}].outputs.instance_id}}\"",
            id(0xa, i)
        );
    }
    format!(
        "version: 1
vars:
  at: 2026-11-20T03:00:00Z
  nodes:
{nodes}secrets:
  node_password: {{ env: REWIND_NODE_PASSWORD }}
restores:
  dn:
    kind: rds.restore_new
    for_each: ${{var.nodes}}
    name: restored-${{each.key}}
    restore_point: {{ instance_id: \"${{each.value}}\", restore_time: \"${{var.at}}\" }}
    flavor_ref: rds.mysql.n1.large
    volume: {{ type: CLOUDSSD, size: 40 }}
    availability_zone: eu-de-01
    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce
    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f
    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5
    password: \"${{secrets.node_password}}\"
  {META}:
    kind: ddm.metadata_restore
    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09
    source:
      restore_time: ${{var.at}}
    target:
      instance_id: 2f0324a93859487eb5566d75951fcd2din09
      data_nodes:
{data_nodes}"
    )
}

#[test]
fn a_for_each_over_a_list_of_16_data_nodes_plans_16_creates_that_feed_one_metadata_restore() {
    let compiled = compile("list.yaml", &list_spec(false), &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    let instances = &compiled.spec.fleets["dn"];
    assert_eq!(instances.len(), 16);
    assert_eq!(instances[0], format!("dn[{}]", id(0xa, 1)));
    let meta = StateMeta {
        lineage: "l".into(),
        serial: 0,
    };
    let p = plan::build(
        "list.yaml",
        &compiled.spec,
        &compiled.graph,
        &meta,
        &[],
        &PlanOptions::default(),
    );
    let restores = p
        .steps
        .iter()
        .filter(|s| s.action == Action::Restore && s.name.starts_with("dn["))
        .count();
    assert_eq!(restores, 16);
    let metadata = p
        .steps
        .iter()
        .find(|s| s.name == META)
        .expect("metadata step");
    assert_eq!(metadata.after.len(), 16, "{:?}", metadata.after);
    assert_eq!(
        metadata.unknown.len(),
        16,
        "each data node is known after its create"
    );
}

#[test]
fn a_bad_list_element_is_located_at_its_line() {
    let text = list_spec(true);
    let report = compile("list.yaml", &text, &LoadOptions::default()).expect_err("bad element");
    let line = text
        .lines()
        .position(|l| l.contains("in09") && l.trim_start().starts_with("- 7edae"))
        .map(|i| i + 1)
        .unwrap();
    let at: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::BadId && d.span.map(|s| s.line as usize) == Some(line))
        .collect();
    assert_eq!(at.len(), 1, "{}", report.plain());
    assert!(
        at[0]
            .message
            .contains("dn[7edae0250ebc464897bd92b8d3e8b769in09]"),
        "{}",
        at[0].message
    );
}

#[test]
fn targeting_a_fleet_by_its_name_means_every_instance() {
    use rewind_engine::plan::Targeting;
    let compiled = compile("fleet.yaml", &fleet_spec(4, false), &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    let spec = &compiled.spec;
    let meta = StateMeta {
        lineage: "l".into(),
        serial: 0,
    };
    let targeting = Targeting {
        target: vec!["dn".into()],
        ..Targeting::default()
    };
    assert!(
        targeting.unknown(spec).is_empty(),
        "a fleet's name is known"
    );
    let options = PlanOptions {
        targeting,
        ..PlanOptions::default()
    };
    let p = plan::build("fleet.yaml", spec, &compiled.graph, &meta, &[], &options);
    let mut kept: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
    kept.sort_unstable();
    assert_eq!(kept, ["dn[dn-01]", "dn[dn-02]", "dn[dn-03]", "dn[dn-04]"]);
    assert_eq!(p.left_out, [META]);

    // Excluding the fleet drops every instance and the metadata restore that waits for them.
    let options = PlanOptions {
        targeting: Targeting {
            exclude: vec!["dn".into()],
            ..Targeting::default()
        },
        ..PlanOptions::default()
    };
    let p = plan::build("fleet.yaml", spec, &compiled.graph, &meta, &[], &options);
    assert!(
        p.steps.is_empty(),
        "{:?}",
        p.steps.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
}

#[test]
fn replace_of_a_fleet_that_never_ran_says_there_is_nothing_to_replace() {
    use rewind_engine::plan::Targeting;
    let compiled = compile("fleet.yaml", &fleet_spec(2, false), &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    let meta = StateMeta {
        lineage: "l".into(),
        serial: 0,
    };
    let options = PlanOptions {
        targeting: Targeting {
            replace: vec!["dn".into()],
            ..Targeting::default()
        },
        ..PlanOptions::default()
    };
    let p = plan::build(
        "fleet.yaml",
        &compiled.spec,
        &compiled.graph,
        &meta,
        &[],
        &options,
    );
    for name in ["dn[dn-01]", "dn[dn-02]"] {
        let step = p
            .steps
            .iter()
            .find(|s| s.name == name)
            .expect("instance planned");
        assert_eq!(step.action, Action::Restore, "{name}");
        assert!(
            step.notes.iter().any(|n| n.contains("nothing to replace")),
            "{name}: {:?}",
            step.notes
        );
    }
}
