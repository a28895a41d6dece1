//! `rds.restore_tables`: the three forms render exactly the documented requests
//! (`providers/tests/fixtures/docs/huawei.rds.*`), and every mistake is located.

mod common;

use common::{assert_at, compile_err, compile_ok, locate, only, workspace};
use rewind_engine::kinds::{Kind, OpSpec};
use serde_json::Value;

fn doc(name: &str) -> Value {
    let path = workspace().join("providers/tests/fixtures/docs").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn request_of(text: &str) -> (String, Value) {
    let c = compile_ok("t.yaml", text);
    let op = &c.spec.ops["t"];
    assert_eq!(op.spec.kind(), Kind::RdsRestoreTables);
    let req = op.spec.request();
    assert_eq!(req.method, "POST");
    (req.path, req.body)
}

const MYSQL: &str = "version: 1
restores:
  t:
    kind: rds.restore_tables
    instance_id: 5d742eda6e574ff3a003191638ef8c51in01
    restore_time: 1688556737000
    restore_tables:
      - database: data1
        tables:
          - { old_name: table1, new_name: table1_1688556737000 }
    is_fast_restore: false
";

const PG: &str = "version: 1
restores:
  t:
    kind: rds.restore_tables
    instance_id: df29b535eec64ee1b286bd2c62871a9cin03
    restore_time: 2023-07-05T11:32:17Z
    databases:
      - database: data1
        schemas:
          - schema: schema1
            tables: [ { old_name: table1, new_name: table1_1688556737000 } ]
";

const DATABASES: &str = "version: 1
restores:
  t:
    kind: rds.restore_tables
    instance_id: 5d742eda6e574ff3a003191638ef8c51in01
    restore_time: 1688556737000
    databases:
      - { old_name: data1, new_name: data1_1688556737000 }
    is_fast_restore: false
";

#[test]
fn mysql_tables_render_the_v3_1_request_of_the_parameter_tables() {
    let (path, body) = request_of(MYSQL);
    assert_eq!(
        path,
        "/v3.1/{project_id}/instances/5d742eda6e574ff3a003191638ef8c51in01/restore/tables"
    );
    assert_eq!(
        body,
        doc("huawei.rds.restoring_tables_mysql.request.constructed.json")
    );
    // A Long on the wire, as the table types it.
    assert!(body["restore_time"].is_i64());
}

#[test]
fn postgresql_tables_render_the_documented_example() {
    let (path, body) = request_of(PG);
    assert_eq!(path, "/v3/{project_id}/instances/batch/restore/tables");
    assert_eq!(
        body,
        doc("huawei.rds.restoring_tables_postgresql.request.repaired.json")
    );
}

#[test]
fn whole_databases_render_the_batch_databases_request() {
    let (path, body) = request_of(DATABASES);
    assert_eq!(path, "/v3/{project_id}/instances/batch/restore/databases");
    assert_eq!(
        body,
        doc("huawei.rds.restoring_databases.request.constructed.json")
    );
}

#[test]
fn the_instance_is_written_and_is_the_drill_target_and_the_time_the_recovery_point() {
    let c = compile_ok("t.yaml", MYSQL);
    let spec = &c.spec.ops["t"].spec;
    let fp = spec.footprint();
    assert_eq!(fp.writes.len(), 1);
    assert_eq!(fp.writes[0].id, "5d742eda6e574ff3a003191638ef8c51in01");
    assert!(fp.reads.is_empty());
    assert_eq!(spec.restore_time(), Some(1_688_556_737_000));
    assert!(spec.source_and_target().is_none(), "nothing is overwritten");
    assert!(matches!(spec, OpSpec::RdsTables(_)));
}

#[test]
fn a_new_name_equal_to_the_old_is_located() {
    let text = MYSQL.replace("new_name: table1_1688556737000", "new_name: table1");
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "bad_value",
        locate(&text, "t", "new_name: ", "table1"),
        "table1",
    );
    assert!(d.message.contains("gets a new name"), "{d:?}");
}

#[test]
fn a_new_name_used_twice_is_located_at_the_second() {
    let text = DATABASES.replace(
        "      - { old_name: data1, new_name: data1_1688556737000 }\n",
        "      - { old_name: data1, new_name: back }\n      - { old_name: data2, new_name: back }\n",
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "bad_value",
        locate(&text, "t", "data2", "back"),
        "back",
    );
}

#[test]
fn both_forms_or_neither_are_located() {
    let both = format!("{MYSQL}    databases: [ {{ old_name: a, new_name: b }} ]\n");
    let r = compile_err("t.yaml", &both);
    let d = only(&r);
    assert!(d.message.contains("two APIs"), "{d:?}");
    assert_at(
        &both,
        d,
        "bad_value",
        locate(&both, "t", "databases:", "["),
        "[",
    );
    let neither = "version: 1\nrestores:\n  t:\n    kind: rds.restore_tables\n    instance_id: 5d742eda6e574ff3a003191638ef8c51in01\n    restore_time: 1688556737000\n";
    let r = compile_err("t.yaml", neither);
    assert!(only(&r).message.contains("say what to restore"), "{r:?}");
}

#[test]
fn mixed_databases_and_fast_restore_on_postgresql_tables_are_located() {
    let mixed = PG.replace(
        "    databases:\n",
        "    databases:\n      - { old_name: a, new_name: b }\n",
    );
    let r = compile_err("t.yaml", &mixed);
    assert!(only(&r).message.contains("mixes"), "{r:?}");
    let fast = format!("{PG}    is_fast_restore: true\n");
    let r = compile_err("t.yaml", &fast);
    let d = only(&r);
    assert_at(
        &fast,
        d,
        "bad_value",
        locate(&fast, "t", "is_fast_restore: ", "true"),
        "true",
    );
}

#[test]
fn a_taurusdb_id_and_an_empty_table_list_are_located() {
    let text = MYSQL.replace(
        "5d742eda6e574ff3a003191638ef8c51in01",
        "5d742eda6e574ff3a003191638ef8c51in07",
    );
    let r = compile_err("t.yaml", &text);
    assert!(!r.diagnostics.is_empty());
    let empty = MYSQL.replace(
        "        tables:\n          - { old_name: table1, new_name: table1_1688556737000 }\n",
        "        tables: []\n",
    );
    let r = compile_err("t.yaml", &empty);
    let d = only(&r);
    assert!(d.message.contains("must not be empty"), "{d:?}");
}
