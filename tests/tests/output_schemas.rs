//! `report.json` and `history --json`, as real runs write them, validate against the JSON
//! Schemas committed under `schema/`.

use rewind_tests::{Harness, Options, repo_root};

/// Validates `doc` against `schema/NAME`, formats (date-time) included.
fn assert_valid(name: &str, doc: &serde_json::Value) {
    let path = repo_root().join("schema").join(name);
    let text = std::fs::read_to_string(&path).expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let id = schema["$id"].as_str().expect("$id").to_owned();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(&id, schema).expect("schema loads");
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile(&id, &mut schemas)
        .unwrap_or_else(|e| panic!("{name} is not a valid JSON Schema: {e}"));
    if let Err(e) = schemas.validate(doc, index) {
        panic!("{name}: {e:#}\n{doc:#}");
    }
}

const DRILL_SPEC: &str = "version: 1
secrets:
  node_password: { env: REWIND_NODE_PASSWORD }
restores:
  node:
    kind: rds.restore_new
    name: node-drill
    restore_point:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      restore_time: \"2026-11-20T03:00:00Z\"
    flavor_ref: rds.mysql.n1.large
    volume: { type: CLOUDSSD, size: 40 }
    availability_zone: eu-de-01
    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce
    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f
    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5
    password: ${secrets.node_password}
  cache:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
drills:
  nightly:
    scratch: [3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77]
    rto: 2h
    rpo: 720h
    cleanup: { on_success: delete, on_failure: keep 4h }
    probes:
      node:
        - name: says hello
          exec: { command: 'echo hello' }
          timeout: 10s
        - name: a warning
          exec: { command: 'exit 3' }
          on_error: warn
";

#[test]
fn report_json_and_history_json_follow_their_schemas() {
    let h = Harness::new(DRILL_SPEC, &Options::default());
    for (run, fail) in [(1, false), (2, true)] {
        // A failing probe makes the second drill fail, and keep its instance.
        if fail {
            let failing = DRILL_SPEC.replace(
                "exec: { command: 'echo hello' }",
                "exec: { command: 'exit 1' }",
            );
            std::fs::write(&h.spec, failing).expect("write spec");
        }
        let reports = h.dir.path().join(format!("reports-{run}"));
        let arg = reports.display().to_string();
        let drill = h.rewind(&["drill", "nightly", "--report-dir", &arg]);
        assert_eq!(drill.ok(), !fail, "{}", drill.transcript());
        let text = std::fs::read_to_string(reports.join("report.json")).expect("report.json");
        let report: serde_json::Value = serde_json::from_str(&text).expect("report.json is JSON");
        assert_valid("drill-report.schema.json", &report);
    }
    // An apply entry too: the cache restore alone.
    let cache_only = DRILL_SPEC[..DRILL_SPEC.find("  node:").expect("node")].to_owned()
        + &DRILL_SPEC[DRILL_SPEC.find("  cache:").expect("cache")
            ..DRILL_SPEC.find("drills:").expect("drills")];
    std::fs::write(&h.spec, cache_only).expect("write spec");
    let apply = h.apply(&[]);
    assert!(apply.ok(), "{}", apply.transcript());
    let history = h.rewind(&["history", "--json"]);
    assert!(history.ok(), "{}", history.transcript());
    let doc: serde_json::Value = serde_json::from_str(&history.stdout).expect("history is JSON");
    assert_eq!(doc["runs"].as_array().map(Vec::len), Some(3), "{doc:#}");
    assert!(
        doc["runs"][1]["drill"].is_object(),
        "a drill entry is checked too"
    );
    assert_eq!(doc["runs"][2]["command"], "apply", "{doc:#}");
    assert_valid("history.schema.json", &doc);
}

#[test]
fn the_schemas_reject_what_they_should() {
    let bad_history = serde_json::json!({"format_version": 1, "runs": [{"id": 0}]});
    let result = std::panic::catch_unwind(|| assert_valid("history.schema.json", &bad_history));
    assert!(result.is_err(), "a run without its keys is refused");
    let bad_report = serde_json::json!({"format_version": 2});
    let result = std::panic::catch_unwind(|| assert_valid("drill-report.schema.json", &bad_report));
    assert!(result.is_err(), "another format version is refused");
}
