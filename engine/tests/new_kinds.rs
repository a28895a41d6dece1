//! The restore-to-new and DDS kinds: every documented request example renders exactly, and every mistake is located.

mod common;

use common::{assert_at, compile_err, compile_ok, fixture, locate, only};
use rewind_engine::kinds::{OpSpec, SENSITIVE, Secret};
use rewind_engine::provider::Operation;
use serde_json::{Value, json};
use std::fmt::Write;

/// A documented request example: where it comes from, the path and the body.
struct DocExample {
    file: String,
    source: String,
    path: String,
    body: Value,
}

fn doc_example(name: &str) -> DocExample {
    let v: Value = serde_json::from_str(&fixture(&format!("doc-examples/{name}")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    DocExample {
        file: name.to_owned(),
        source: v["source"].as_str().expect("source").to_owned(),
        path: v["path"].as_str().expect("path").to_owned(),
        body: v["body"].clone(),
    }
}

/// A spec written like the example: one key per body field, each value as the doc writes it
/// (JSON is YAML), except the password, which is a secret reference.
fn spec_like(kind: &str, ex: &DocExample, extra: &str) -> String {
    let mut s = String::from(
        "version: 1\nsecrets:\n  root: { env: REWIND_DOC_PASSWORD }\nrestores:\n  x:\n",
    );
    let _ = writeln!(s, "    kind: {kind}");
    s.push_str(extra);
    for (k, v) in ex.body.as_object().expect("body is an object") {
        if k == "password" {
            s.push_str("    password: \"${secrets.root}\"\n");
        } else {
            let _ = writeln!(s, "    {k}: {v}");
        }
    }
    s
}

/// Lowers the spec and checks the rendered request against the example: the body shows the
/// password as `(sensitive)`, and the wire body, with the secret put back, is the example.
fn check_example(kind: &str, name: &str, extra: &str) {
    let ex = doc_example(name);
    let text = spec_like(kind, &ex, extra);
    let compiled = compile_ok(&ex.file, &text);
    let op = compiled.spec.ops.get("x").expect("operation x");
    let req = op.spec.request();
    assert_eq!(req.method, "POST", "{}", ex.source);
    assert_eq!(req.path, ex.path, "{} ({})", ex.file, ex.source);
    // The examples of these two DDS pages write their times as numbers, but their parameter
    // tables type them String; rewind sends what the tables say (the same values, as text).
    // `dds.restore_new`'s table types `restore_point.restore_time` Integer, as its example.
    let mut documented = ex.body.clone();
    if kind == "dds.restore" || kind == "dds.restore_collections" {
        times_as_strings(&mut documented);
    }
    let mut expected = documented.clone();
    let password = expected
        .get_mut("password")
        .map(|p| std::mem::replace(p, json!(SENSITIVE)));
    assert_eq!(
        req.body, expected,
        "{} ({}): the body differs from the documented example",
        ex.file, ex.source
    );
    let refs = op.spec.secret_refs();
    let mut operation = Operation::new("x".to_owned(), op.spec.clone(), req);
    match password {
        Some(Value::String(pw)) => {
            assert_eq!(refs.len(), 1, "{}", ex.file);
            assert_eq!(refs[0].0, "/password");
            assert_eq!(refs[0].1.name, "secrets.root");
            assert!(!operation.request.body.to_string().contains(&pw));
            operation
                .secrets
                .insert("/password".to_owned(), Secret::new(pw.clone()));
            // What state and plans see never holds the value.
            let stored = serde_json::to_string(&operation).expect("serializes");
            assert!(!stored.contains(&pw), "{}: {stored}", ex.file);
        }
        None => assert!(refs.is_empty(), "{}", ex.file),
        Some(other) => panic!("{}: password is {other}", ex.file),
    }
    assert_eq!(
        operation.wire_body(),
        documented,
        "{} ({}): the wire body differs from the documented example",
        ex.file,
        ex.source
    );
}

/// Every DDS time field (`restore_time`, `restore_database_time`, `restore_collection_time`)
/// written as a number becomes the same number as text.
fn times_as_strings(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k.starts_with("restore_") && k.ends_with("_time") || k == "restore_time" {
                    if let Some(n) = x.as_i64() {
                        *x = Value::String(n.to_string());
                    }
                } else {
                    times_as_strings(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(times_as_strings),
        _ => {}
    }
}

#[test]
fn dds_bodies_carry_their_times_as_strings_and_rds_as_integers() {
    let dds = compile_ok(
        "t.yaml",
        "version: 1\nrestores:\n  a:\n    kind: dds.restore\n    source: { instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin02, restore_time: 1532001446987 }\n    target: { instance_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9in02 }\n  b:\n    kind: dds.restore_collections\n    instance_id: d5833c2854a4486cb7960f829269e211in02\n    restore_collections:\n      - { database: a, restore_database_time: 1607762955000 }\n      - database: b\n        collections: [{ old_name: c, restore_collection_time: 1607762955001 }]\n  c:\n    kind: rds.restore\n    source: { instance_id: f4e2b9f0b8a64bb4b4f5a1e4f8c9d0a1in01, restore_time: 1532001446987 }\n    target: { instance_id: a4e2b9f0b8a64bb4b4f5a1e4f8c9d0a1in01 }\n",
    );
    let body = |op: &str| dds.spec.ops[op].spec.request().body;
    assert_eq!(body("a")["source"]["restore_time"], json!("1532001446987"));
    let b = body("b");
    assert_eq!(
        b["restore_collections"][0]["restore_database_time"],
        json!("1607762955000")
    );
    assert_eq!(
        b["restore_collections"][1]["collections"][0]["restore_collection_time"],
        json!("1607762955001")
    );
    // RDS's table types `restore_time` Integer.
    assert_eq!(
        body("c")["source"]["restore_time"],
        json!(1_532_001_446_987_i64)
    );
}

#[test]
fn rds_restore_new_renders_both_documented_examples() {
    for name in ["rds-restore-new-1.json", "rds-restore-new-2.json"] {
        check_example("rds.restore_new", name, "");
    }
}

#[test]
fn dds_restore_new_renders_all_four_documented_examples() {
    for n in 1..=4 {
        check_example("dds.restore_new", &format!("dds-restore-new-{n}.json"), "");
    }
}

#[test]
fn dds_restore_renders_both_documented_examples() {
    // The doc restores an instance onto itself.
    for name in ["dds-restore-1.json", "dds-restore-2.json"] {
        check_example("dds.restore", name, "    allow_overwrite_source: true\n");
    }
}

#[test]
fn dds_restore_collections_renders_both_documented_examples() {
    for name in [
        "dds-restore-collections-1.json",
        "dds-restore-collections-2.json",
    ] {
        check_example(
            "dds.restore_collections",
            name,
            "    instance_id: d5833c2854a4486cb7960f829269e211in02\n",
        );
    }
}

/// The design's own shape: block YAML, an RFC 3339 time, `type` left out, an integer port.
const NODE_A: &str = r#"version: 1
vars:
  at: "2018-07-19T11:57:26.987Z"
secrets:
  node_password: { env: REWIND_NODE_PASSWORD }
restores:
  node-a:
    kind: rds.restore_new
    name: drill-node-a
    restore_point: { instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, restore_time: "${var.at}" }
    flavor_ref: rds.mysql.n1.large
    volume: { type: CLOUDSSD, size: 40 }
    port: 3307
    availability_zone: eu-de-01
    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce
    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f
    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5
    password: "${secrets.node_password}"
"#;

#[test]
fn rds_restore_new_infers_type_and_sends_the_port_as_a_string() {
    let c = compile_ok("a.yaml", NODE_A);
    let body = c.spec.ops["node-a"].spec.request().body;
    assert_eq!(
        body["restore_point"],
        json!({"instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01", "type": "timestamp", "restore_time": 1_532_001_446_987_i64})
    );
    assert_eq!(body["port"], json!("3307"));
    assert_eq!(body["password"], json!(SENSITIVE));
    // Create fields keep the spec's order, between `name` and `password`.
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "flavor_ref",
            "volume",
            "port",
            "availability_zone",
            "vpc_id",
            "subnet_id",
            "security_group_id",
            "password",
            "restore_point"
        ]
    );
}

#[test]
fn an_output_of_another_operation_is_accepted_as_an_instance_id() {
    let text = format!(
        "{NODE_A}  back:\n    kind: dds.restore_collections\n    instance_id: \"${{restores.node-b.outputs.instance_id}}\"\n    restore_collections: [{{ database: test, restore_database_time: 1607762955000 }}]\n  node-b:\n    kind: dds.restore_new\n    name: drill-mongo\n    restore_point: {{ backup_id: 43e4feaab48f11e89039fa163ebaa7e4br01 }}\n    availability_zone: eu-de-01\n    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce\n    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f\n    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5\n    flavor: [{{ type: replica, num: 1, spec_code: dds.mongodb.s2.medium.4.repset, size: 30 }}]\n"
    );
    let c = compile_ok("o.yaml", &text);
    let OpSpec::DdsCollections(r) = &c.spec.ops["back"].spec else {
        panic!("not collections")
    };
    assert_eq!(r.instance_id, "${restores.node-b.outputs.instance_id}");
    let new = c.spec.ops["node-b"].spec.request().body;
    assert_eq!(
        new["restore_point"],
        json!({"backup_id": "43e4feaab48f11e89039fa163ebaa7e4br01"}),
        "a DDS backup restore sends type only when written"
    );
    assert_eq!(
        new["flavor"][0]["size"],
        json!("30"),
        "size goes out as the doc's string"
    );
    assert!(
        new.get("password").is_none(),
        "the DDS password is optional"
    );
}

/// A valid `rds.restore_new`, to break one line at a time.
const RDS_OK: &str = r#"version: 1
secrets:
  pw: { env: REWIND_PW }
restores:
  db:
    kind: rds.restore_new
    name: drill-db
    restore_point:
      instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01
      backup_id: 37a3d791431045a782d72496d384150abr01
    flavor_ref: rds.mysql.n1.large
    volume: { type: CLOUDSSD, size: 40 }
    availability_zone: eu-de-01
    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce
    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f
    password: "${secrets.pw}"
"#;

fn replace(from: &str, to: &str) -> String {
    assert!(RDS_OK.contains(from), "{from:?}");
    RDS_OK.replacen(from, to, 1)
}

#[test]
fn the_valid_base_spec_loads_and_infers_backup() {
    let c = compile_ok("ok.yaml", RDS_OK);
    let body = c.spec.ops["db"].spec.request().body;
    assert_eq!(body["restore_point"]["type"], json!("backup"));
}

#[test]
fn a_literal_password_is_a_located_error() {
    let text = replace("\"${secrets.pw}\"", "Demo@12345678");
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "secret",
        locate(&text, "db", "password:", "Demo"),
        "Demo@12345678",
    );
    assert!(!r.plain().contains("Demo@12345678"), "{}", r.plain());
    assert!(
        d.hint.as_deref().unwrap_or("").contains("secrets:"),
        "{d:?}"
    );
}

#[test]
fn a_missing_password_is_reported_at_the_operation() {
    let text = replace("    password: \"${secrets.pw}\"\n", "");
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "missing_field",
        locate(&text, "db", "", "kind"),
        "kind",
    );
    assert!(d.message.contains("restores.db.password"), "{d:?}");
}

#[test]
fn a_missing_restore_point_is_a_located_error() {
    let text = replace(
        "    restore_point:\n      instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01\n      backup_id: 37a3d791431045a782d72496d384150abr01\n",
        "",
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "missing_field",
        locate(&text, "db", "", "kind"),
        "kind",
    );
    assert!(d.message.contains("restores.db.restore_point"), "{d:?}");
}

#[test]
fn a_bad_volume_size_is_a_located_error() {
    for size in ["45", "30", "4010"] {
        let text = replace("size: 40 }", &format!("size: {size} }}"));
        let r = compile_err("t.yaml", &text);
        let d = only(&r);
        assert_at(
            &text,
            d,
            "bad_value",
            locate(&text, "db", "volume:", size),
            size,
        );
        assert!(d.message.contains("volume.size"), "{d:?}");
    }
}

#[test]
fn collation_on_a_mysql_flavor_is_a_located_error() {
    let text = replace(
        "    password:",
        "    collation: Chinese_PRC_CI_AS\n    password:",
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "bad_value",
        locate(&text, "db", "", "collation"),
        "collation",
    );
    assert!(d.message.contains("MySQL"), "{d:?}");
    let label = d.labels.first().expect("a label at the flavor");
    assert_eq!(label.span.line, locate(&text, "db", "", "rds.mysql").line);
    // The same field on a SQL Server flavor is fine.
    let ok = text.replace("rds.mysql.n1.large", "rds.mssql.x1.large.4");
    compile_ok("ok.yaml", &ok);
}

#[test]
fn an_unknown_key_suggests_the_right_one() {
    let text = replace("    flavor_ref:", "    flavour_ref:");
    let r = compile_err("t.yaml", &text);
    let unknown = r
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "unknown_key")
        .expect("unknown key");
    assert_at(
        &text,
        unknown,
        "unknown_key",
        locate(&text, "db", "", "flavour_ref"),
        "flavour_ref",
    );
    assert_eq!(unknown.hint.as_deref(), Some("did you mean `flavor_ref`?"));
    // And the required field it was meant to be is missing.
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.code.as_str() == "missing_field" && d.message.contains("flavor_ref")),
        "{}",
        r.plain()
    );
    // Inside `restore_point` too.
    let text = replace("      backup_id:", "      backupid:");
    let r = compile_err("t.yaml", &text);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "unknown_key")
        .expect("unknown key");
    assert_at(
        &text,
        d,
        "unknown_key",
        locate(&text, "db", "restore_point:", "backupid"),
        "backupid",
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `backup_id`?"));
}

#[test]
fn type_and_restore_point_conflicts_are_located() {
    // Both a backup and a time, no type.
    let text = replace(
        "      backup_id: 37a3d791431045a782d72496d384150abr01\n",
        "      backup_id: 37a3d791431045a782d72496d384150abr01\n      restore_time: 1532001446987\n",
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "type_mismatch",
        locate(&text, "db", "restore_time:", "1532"),
        "1532001446987",
    );
    // `type: timestamp` with a backup.
    let text = replace(
        "      backup_id:",
        "      type: timestamp\n      backup_id:",
    );
    let r = compile_err("t.yaml", &text);
    let sites: Vec<_> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(sites, ["type_mismatch", "type_mismatch"], "{}", r.plain());
    assert_at(
        &text,
        &r.diagnostics[0],
        "type_mismatch",
        locate(&text, "db", "type:", "timestamp"),
        "timestamp",
    );
    assert_at(
        &text,
        &r.diagnostics[1],
        "type_mismatch",
        locate(&text, "db", "backup_id:", "37a3"),
        "37a3",
    );
    // Neither.
    let text = replace(
        "      backup_id: 37a3d791431045a782d72496d384150abr01\n",
        "",
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "missing_field",
        locate(&text, "db", "restore_point:", "instance_id"),
        "instance_id",
    );
    // A DDS point in time needs its source instance.
    let text = "version: 1\nrestores:\n  m:\n    kind: dds.restore_new\n    name: drill-mongo\n    restore_point: { restore_time: 1607689584000 }\n    availability_zone: az1\n    vpc_id: dcdadabc-efed-4518-8b34-4af66fcd97e7\n    subnet_id: 4a9348f2-f232-4700-a440-2f1641d80960\n    security_group_id: c57b9db2-cccb-4c0d-b058-7ea51dda0c99\n    flavor: [{ type: replica, num: 1, spec_code: dds.mongodb.c3.large.2.repset }]\n";
    let r = compile_err("t.yaml", text);
    let d = only(&r);
    assert_at(
        text,
        d,
        "missing_field",
        locate(text, "m", "restore_point:", "{"),
        "{ restore_time",
    );
    assert!(d.message.contains("restore_point.instance_id"), "{d:?}");
}

#[test]
fn an_unknown_secret_is_located_with_a_suggestion() {
    let text = replace("\"${secrets.pw}\"", "\"${secrets.pww}\"");
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "secret",
        locate(&text, "db", "password:", "\"$"),
        "\"${secrets.pww}\"",
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `pw`?"));
    let text = replace("\"${secrets.pw}\"", "\"${secrets.nope}\"");
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "secret",
        locate(&text, "db", "password:", "\"$"),
        "\"${secrets.nope}\"",
    );
    assert!(d.message.contains("unknown secret `nope`"), "{d:?}");
}

#[test]
fn a_secret_in_a_field_that_is_not_sensitive_is_located() {
    let text = replace(
        "availability_zone: eu-de-01",
        "availability_zone: \"${secrets.pw}\"",
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "secret",
        locate(&text, "db", "availability_zone:", "\"$"),
        "\"${secrets.pw}\"",
    );
    assert!(d.message.contains("availability_zone"), "{d:?}");
}

#[test]
fn engine_rules_of_the_documented_fields_are_checked() {
    // SQL Server replicates synchronously only.
    let text = replace(
        "    password:",
        "    ha: { mode: ha, replication_mode: async }\n    password:",
    )
    .replace("rds.mysql.n1.large", "rds.mssql.x1.large.4.ha");
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "bad_value",
        locate(&text, "db", "replication_mode:", "async"),
        "async",
    );
    // A PostgreSQL port outside 2100..9500 (fine for MySQL).
    let text = replace("    password:", "    port: 10000\n    password:")
        .replace("rds.mysql.n1.large", "rds.pg.x1.large.4");
    let r = compile_err("t.yaml", &text);
    assert_at(
        &text,
        only(&r),
        "bad_value",
        locate(&text, "db", "port:", "10000"),
        "10000",
    );
    // Backup windows are one hour, minutes as documented.
    let text = replace(
        "    password:",
        "    backup_strategy: { start_time: \"19:10-20:10\", keep_days: 2 }\n    password:",
    );
    let r = compile_err("t.yaml", &text);
    assert_at(
        &text,
        only(&r),
        "bad_value",
        locate(&text, "db", "start_time:", "\"19"),
        "\"19:10",
    );
    // A bad instance name, and a subnet that is not a UUID.
    let text = replace("name: drill-db", "name: 1db")
        .replace("0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f", "subnet-1");
    let r = compile_err("t.yaml", &text);
    let codes: Vec<_> = r
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.span.map(|s| s.line)))
        .collect();
    assert_eq!(
        codes,
        [("bad_value", Some(7)), ("bad_id", Some(15))],
        "{}",
        r.plain()
    );
}

#[test]
fn dds_restore_collections_rules() {
    let base = "version: 1\nrestores:\n  c:\n    kind: dds.restore_collections\n    instance_id: d5833c2854a4486cb7960f829269e211in02\n    restore_collections:\n      - database: test\n";
    // Neither a database time nor collections.
    let r = compile_err("t.yaml", base);
    assert_at(
        base,
        only(&r),
        "missing_field",
        locate(base, "c", "- ", "database"),
        "database",
    );
    // Both.
    let text = format!(
        "{base}        restore_database_time: 1607762955000\n        collections: [{{ old_name: test, restore_collection_time: 1607762955000 }}]\n"
    );
    let r = compile_err("t.yaml", &text);
    assert_at(
        &text,
        only(&r),
        "type_mismatch",
        locate(&text, "c", "restore_database_time:", "16"),
        "1607762955000",
    );
    // A collection without its time; an RDS instance ID.
    let text = format!("{base}        collections: [{{ old_name: test, new_name: test_bak }}]\n")
        .replace("211in02", "211in01");
    let r = compile_err("t.yaml", &text);
    let codes: Vec<_> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["bad_id", "missing_field"], "{}", r.plain());
    assert!(
        r.diagnostics[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("RDS"),
        "{}",
        r.plain()
    );
}

#[test]
fn the_schema_marks_the_password_sensitive_and_knows_the_secrets_section() {
    use rewind_engine::kinds::{Kind, builtin_decls};
    for decl in builtin_decls() {
        let kind = decl.kind();
        let marked = decl.sensitive_pointers();
        // Only the creates take a password; nothing else of a built-in body is a secret.
        let expected: Vec<String> = if decl.name.ends_with(".restore_new") {
            vec!["/password".to_owned()]
        } else {
            Vec::new()
        };
        assert_eq!(marked, expected, "{kind}");
    }
    let schema = rewind_engine::schema::spec_schema();
    assert!(schema["properties"]["secrets"].is_object(), "{schema:#}");
    let rds = builtin_decls()
        .into_iter()
        .find(|d| d.kind() == Kind::RdsRestoreNew)
        .expect("rds.restore_new");
    let required: Vec<&str> = rds.schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for key in ["name", "restore_point", "password", "flavor_ref", "volume"] {
        assert!(required.contains(&key), "{key}: {required:?}");
    }
}

#[test]
fn rds_restore_takes_the_documented_uuid_backup_id_through_the_shared_lowering() {
    check_example(
        "rds.restore",
        "rds-restore-1.json",
        "    allow_overwrite_source: true\n",
    );
}

#[test]
fn a_password_may_come_straight_from_the_environment() {
    let text = replace("\"${secrets.pw}\"", "\"${env.REWIND_DB_PASSWORD}\"");
    let c = compile_ok("env.yaml", &text);
    let refs = c.spec.ops["db"].spec.secret_refs();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].1.name, "env.REWIND_DB_PASSWORD");
    // A reference glued to text is refused: a secret is never built out of parts.
    let text = replace("\"${secrets.pw}\"", "\"x${secrets.pw}\"");
    let r = compile_err("t.yaml", &text);
    assert_at(
        &text,
        only(&r),
        "secret",
        locate(&text, "db", "password:", "\"x"),
        "\"x${",
    );
}
