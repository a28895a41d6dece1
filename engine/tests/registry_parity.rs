//! The kind registry reproduces what rewind declared before it existed: for every example,
//! each operation's footprint, request and outputs, and each built-in kind's declaration
//! (schema, footprint rules, outputs, sensitive fields) and expected duration, as captured in
//! `fixtures/registry_parity.json` before the registry replaced the per-kind matches.
//!
//! `REWIND_CAPTURE_PARITY=1` rewrites the fixture; do that only for an intended change, and
//! say why in the commit.

mod common;

use rewind_engine::kinds::builtin_decls;
use rewind_engine::plan::default_expected;
use serde_json::{Map, Value, json};

fn current() -> Value {
    let mut kinds = Map::new();
    for decl in builtin_decls() {
        let kind = decl.kind();
        kinds.insert(
            decl.name.clone(),
            json!({
                "schema": decl.schema,
                "footprint": decl.footprint,
                "outputs": decl.outputs,
                "sensitive": decl.sensitive_pointers(),
                "expected_ms": u64::try_from(default_expected(kind).as_millis()).unwrap(),
            }),
        );
    }
    let mut examples = Map::new();
    for (name, text) in common::examples() {
        let compiled = common::compile_ok(&name, &text);
        let mut ops = Map::new();
        for (op_name, op) in &compiled.spec.ops {
            let decl = builtin_decls()
                .into_iter()
                .find(|d| d.name == op.spec.kind().as_str())
                .expect("examples use built-in kinds");
            ops.insert(
                op_name.clone(),
                json!({
                    "kind": op.spec.kind(),
                    "footprint": op.spec.footprint(),
                    "request": op.spec.request(),
                    "outputs": decl.outputs,
                }),
            );
        }
        examples.insert(name, Value::Object(ops));
    }
    json!({ "kinds": kinds, "examples": examples })
}

#[test]
fn the_registry_declares_what_rewind_declared_before_it() {
    let path = common::workspace().join("engine/tests/fixtures/registry_parity.json");
    let now = current();
    if std::env::var_os("REWIND_CAPTURE_PARITY").is_some() {
        let mut text = serde_json::to_string_pretty(&now).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        return;
    }
    let before: Value = serde_json::from_str(&common::fixture("registry_parity.json")).unwrap();
    let (Value::Object(b), Value::Object(n)) = (&before["kinds"], &now["kinds"]) else {
        panic!("kinds is an object");
    };
    for (kind, was) in b {
        assert_eq!(Some(was), n.get(kind), "kind {kind}");
    }
    let (Value::Object(b), Value::Object(n)) = (&before["examples"], &now["examples"]) else {
        panic!("examples is an object");
    };
    assert!(b.len() >= 10, "{} examples captured", b.len());
    for (example, ops) in b {
        assert_eq!(Some(ops), n.get(example), "example {example}");
    }
}
