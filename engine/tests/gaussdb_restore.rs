//! `gaussdb.restore_new`: the page's request examples render exactly, and mistakes are located.

mod common;

use common::{assert_at, compile_err, compile_ok, locate, only, workspace};
use rewind_engine::kinds::{Kind, SENSITIVE};
use serde_json::{Value, json};
use std::fmt::Write;

fn doc(name: &str) -> Value {
    let path = workspace().join("providers/tests/fixtures/docs").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A spec written like the example: one key per body field, as the page writes it (JSON is
/// YAML), the password a secret reference.
fn spec_like(example: &Value) -> String {
    let mut s = String::from(
        "version: 1\nsecrets:\n  pw: { env: REWIND_GAUSS_PASSWORD }\nrestores:\n  g:\n    kind: gaussdb.restore_new\n",
    );
    for (k, v) in example.as_object().expect("object") {
        if k == "password" {
            s.push_str("    password: \"${secrets.pw}\"\n");
        } else {
            let _ = writeln!(s, "    {k}: {v}");
        }
    }
    s
}

fn renders_as_documented(name: &str) {
    let example = doc(name);
    let c = compile_ok(name, &spec_like(&example));
    let op = &c.spec.ops["g"];
    assert_eq!(op.spec.kind(), Kind::GaussdbRestoreNew);
    let req = op.spec.request();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v3/{project_id}/instances")
    );
    let mut want = example.clone();
    want["password"] = json!(SENSITIVE);
    assert_eq!(req.body, want, "{name}");
}

#[test]
fn the_backup_example_renders_exactly() {
    renders_as_documented("gaussdb.restoring_data_to_a_new_db_instance.request_backup.json");
}

#[test]
fn the_point_in_time_example_renders_exactly() {
    renders_as_documented("gaussdb.restoring_data_to_a_new_db_instance.request_timestamp.json");
}

#[test]
fn the_footprint_reads_the_source_and_creates_a_gaussdb_instance() {
    let text = spec_like(&doc(
        "gaussdb.restoring_data_to_a_new_db_instance.request_timestamp.json",
    ));
    let c = compile_ok("t.yaml", &text);
    let spec = &c.spec.ops["g"].spec;
    let fp = spec.footprint();
    assert_eq!(fp.reads[0].id, "d8e6ca5a624745bcb546a227aa3ae1cfin14");
    assert!(fp.writes.is_empty());
    assert_eq!(spec.restore_time(), Some(1_532_001_446_987));
    assert_eq!(spec.created_name().as_deref(), Some("targetInst"));
}

#[test]
fn an_rds_source_id_a_bad_volume_and_a_literal_password_are_located() {
    let base = spec_like(&doc(
        "gaussdb.restoring_data_to_a_new_db_instance.request_backup.json",
    ));
    let text = base.replace(
        "d8e6ca5a624745bcb546a227aa3ae1cfin14",
        "d8e6ca5a624745bcb546a227aa3ae1cfin01",
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "bad_value",
        locate(&text, "g", "instance_id", "\"d8e6"),
        "\"d8e6",
    );
    let text = base.replace("\"size\":160", "\"size\":150");
    let r = compile_err("t.yaml", &text);
    assert!(only(&r).message.contains("multiple of 40"), "{r:?}");
    let text = base.replace("\"${secrets.pw}\"", "Secret-123");
    let r = compile_err("t.yaml", &text);
    assert!(!r.plain().contains("Secret-123"), "{}", r.plain());
}

#[test]
fn the_plan_facts_name_the_source_instance_the_backup_and_the_new_name() {
    let text = spec_like(&doc(
        "gaussdb.restoring_data_to_a_new_db_instance.request_backup.json",
    ));
    let c = compile_ok("t.yaml", &text);
    let spec = &c.spec.ops["g"].spec;
    let f = rewind_engine::plan::facts(spec, None);
    // The backup is the facts' `backup`, not a source beside the instance.
    let sources: Vec<&str> = f.source.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(sources, ["d8e6ca5a624745bcb546a227aa3ae1cfin14"]);
    assert_eq!(
        f.backup.as_deref(),
        Some("2f4ddb93b9014b0893d81d2e472f30febr14")
    );
    assert_eq!(f.creates, ["targetInst"]);
}
