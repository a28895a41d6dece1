//! Kind declarations: built-in rules agree with the typed footprints; plugin kinds lower,
//! locate their errors, keep secrets as references and survive a serde round trip.

mod common;

use rewind_engine::compile::compile;
use rewind_engine::kinds::{
    Access, FootprintRule, Kind, KindDecl, OpSpec, Resource, ResourceClass, Service, builtin_decls,
};
use rewind_engine::spec::{Code, LoadOptions};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn apply_rule(body: &Value, segs: &[&str], out: &mut Vec<String>) {
    let Some((first, rest)) = segs.split_first() else {
        if let Some(s) = body.as_str() {
            out.push(s.to_owned());
        }
        return;
    };
    match (body, *first) {
        (Value::Array(items), "*") => items.iter().for_each(|i| apply_rule(i, rest, out)),
        (Value::Object(m), key) => {
            if let Some(v) = m.get(key) {
                apply_rule(v, rest, out);
            }
        }
        _ => {}
    }
}

#[test]
fn builtin_footprint_rules_agree_with_the_typed_footprints() {
    let decls = builtin_decls();
    assert_eq!(decls.len(), Kind::ALL.len());
    let mut checked = 0;
    for (name, text) in common::examples() {
        let raw: Value = serde_saphyr::from_str(&text).expect("example is YAML");
        let compiled = common::compile_ok(&name, &text);
        for (op_name, op) in &compiled.spec.ops {
            let body = &raw["restores"][op_name];
            if body.to_string().contains("${") {
                continue;
            }
            let decl = decls
                .iter()
                .find(|d| d.name == op.spec.kind().as_str())
                .expect("every built-in kind is declared");
            let (mut reads, mut writes) = (BTreeSet::new(), BTreeSet::new());
            for rule in &decl.footprint {
                let mut ids = Vec::new();
                let segs: Vec<&str> = rule.pointer.split('/').skip(1).collect();
                apply_rule(body, &segs, &mut ids);
                for id in ids {
                    let r = Resource::new(rule.class(), &id);
                    match rule.access {
                        Access::Reads => reads.insert(r),
                        Access::Writes | Access::Adds => writes.insert(r),
                    };
                }
            }
            let fp = op.spec.footprint();
            assert_eq!(
                reads,
                fp.reads.into_iter().collect(),
                "{name} {op_name} reads"
            );
            assert_eq!(
                writes,
                fp.writes.into_iter().collect(),
                "{name} {op_name} writes"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "checked {checked} operations");
}

fn vault_kind() -> KindDecl {
    KindDecl {
        name: "vault.restore".to_owned(),
        description: "test".to_owned(),
        schema: json!({
            "type": "object",
            "properties": {
                "target": { "type": "string" },
                "token": { "type": "string", "sensitive": true },
                "mode": { "enum": ["full", "diff"] },
                "nodes": { "type": "array", "items": { "type": "string" } }
            },
            "required": ["target", "token"]
        }),
        footprint: vec![
            FootprintRule {
                pointer: "/target".to_owned(),
                resource: "rds_instance".to_owned(),
                access: Access::Writes,
            },
            FootprintRule {
                pointer: "/nodes/*".to_owned(),
                resource: "vault_node".to_owned(),
                access: Access::Reads,
            },
        ],
        outputs: vec!["restored_at".to_owned()],
        provider: Some("vault".to_owned()),
    }
}

fn load(text: &str) -> Result<rewind_engine::compile::Compiled, rewind_engine::spec::Report> {
    let opts = LoadOptions {
        kinds: vec![vault_kind()],
        ..LoadOptions::default()
    };
    compile("restore.yaml", text, &opts)
}

const RDS_ID: &str = "f4e2b9f0b8a64bb4b4f5a1e4f8c9d0a1in01";

#[test]
fn a_plugin_kind_that_overwrites_an_rds_instance_conflicts_with_rds_restore() {
    let text = format!(
        "version: 1
restores:
  db:
    kind: rds.restore
    source: {{ instance_id: 0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5din01, type: backup, backup_id: 2f4c1b1c6b7d4e3f8a9b0c1d2e3f4a5bbr01 }}
    target: {{ instance_id: {RDS_ID} }}
  vault:
    kind: vault.restore
    target: {RDS_ID}
    token: env:VAULT_TOKEN
"
    );
    let report = load(&text).expect_err("two unordered writers");
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.code == Code::ConflictingWriters),
        "{}",
        report.plain()
    );
    let ordered = text.replace(
        "    token: env:VAULT_TOKEN\n",
        "    token: env:VAULT_TOKEN\n    depends_on: [db]\n",
    );
    let compiled = load(&ordered).unwrap_or_else(|r| panic!("{}", r.plain()));
    let op = &compiled.spec.ops["vault"];
    assert_eq!(op.spec.kind(), Kind::External("vault.restore"));
    assert_eq!(op.spec.kind().service(), Service::External("vault"));
    assert_eq!(
        op.spec.footprint().writes,
        vec![Resource::new(ResourceClass::RdsInstance, RDS_ID)]
    );
}

#[test]
fn plugin_body_errors_are_located_and_secrets_must_be_references() {
    let text = "version: 1
restores:
  vault:
    kind: vault.restore
    target: 12
    token: hunter2
    mode: partial
    nodez: []
";
    let report = load(text).expect_err("bad body");
    let at: Vec<(Code, u32, u32)> = report
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                d.span.map_or(0, |s| s.line),
                d.span.map_or(0, |s| s.column),
            )
        })
        .collect();
    assert!(at.contains(&(Code::WrongType, 5, 13)), "{at:?}");
    assert!(
        at.contains(&(Code::Secret, 6, 12)),
        "a literal secret: {at:?}"
    );
    assert!(at.contains(&(Code::BadValue, 7, 11)), "enum: {at:?}");
    assert!(
        at.contains(&(Code::UnknownKey, 8, 5)),
        "unknown key: {at:?}"
    );
    assert!(
        !report.plain().contains("hunter2"),
        "the secret is not echoed: {}",
        report.plain()
    );
}

#[test]
fn a_plugin_operation_round_trips_through_serde() {
    let text = "version: 1
restores:
  vault:
    kind: vault.restore
    target: abc
    token: env:VAULT_TOKEN
    nodes: [n1, n2]
";
    let compiled = load(text).unwrap_or_else(|r| panic!("{}", r.plain()));
    let spec = compiled.spec.ops["vault"].spec.clone();
    let OpSpec::External(ext) = &spec else {
        panic!("a plugin op: {spec:?}")
    };
    assert_eq!(ext.body["token"], json!("env:VAULT_TOKEN"));
    assert_eq!(ext.footprint.reads.len(), 2);
    let text = serde_json::to_string(&spec).expect("serializes");
    let back: OpSpec = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, spec);
    let request = spec.request();
    assert_eq!(request.service, Service::External("vault"));
    let rds: OpSpec = serde_json::from_str(&serde_json::to_string(&compiled_rds()).expect("json"))
        .expect("built-in still tagged");
    assert_eq!(rds.kind(), Kind::RdsRestore);
}

fn compiled_rds() -> OpSpec {
    let c = common::compile_ok("rds-restore.yaml", &common::example("rds-restore.yaml"));
    c.spec.ops.values().next().expect("one op").spec.clone()
}
