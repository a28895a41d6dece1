//! The committed JSON Schema is current, lists exactly the keys the loader accepts, and accepts every example.

mod common;

use common::{examples, workspace};
use rewind_engine::kinds::Kind;
use rewind_engine::schema::spec_schema_json;
use rewind_engine::spec::COMMON_KEYS;
use rewind_engine::spec::yaml::{Node, Value as Yaml};
use serde_json::Value;
use std::collections::BTreeSet;

const COMMITTED: &str = "schema/restore-spec.schema.json";
const REGENERATE: &str = "cargo run -p rewind-cli -- schema > schema/restore-spec.schema.json";

fn schema() -> Value {
    serde_json::from_str(&spec_schema_json()).expect("the schema is JSON")
}

#[test]
fn committed_schema_is_current() {
    let path = workspace().join(COMMITTED);
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}\nGenerate it with:\n  {REGENERATE}", path.display()));
    let current = spec_schema_json();
    if committed != current {
        let first = committed
            .lines()
            .zip(current.lines())
            .position(|(a, b)| a != b);
        panic!(
            "{COMMITTED} is stale (first difference at line {}).\nRegenerate it with:\n  {REGENERATE}",
            first.map_or_else(|| "end of file".to_owned(), |i| (i + 1).to_string())
        );
    }
}

/// The schema object of each kind (the `oneOf` branch whose `kind` is that constant).
fn kind_branch(schema: &Value, kind: Kind) -> &Value {
    let branches = schema["$defs"]["Operation"]["oneOf"]
        .as_array()
        .expect("Operation is a oneOf");
    branches
        .iter()
        .find(|b| b["properties"]["kind"]["const"] == kind.as_str())
        .unwrap_or_else(|| panic!("no schema for {kind}"))
}

#[test]
fn each_kind_lists_exactly_the_keys_the_loader_accepts() {
    let schema = schema();
    assert_eq!(
        schema["$defs"]["Operation"]["oneOf"]
            .as_array()
            .map(Vec::len),
        Some(Kind::ALL.len()),
        "one schema branch per kind"
    );
    for kind in Kind::ALL {
        let branch = kind_branch(&schema, kind);
        let props: BTreeSet<&str> = branch["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let body = rewind_engine::kinds::builtin::get(kind)
            .expect("every built-in kind is in the registry")
            .body_keys();
        let accepted: BTreeSet<&str> = COMMON_KEYS.iter().copied().chain(body).collect();
        assert_eq!(props, accepted, "{kind}");
        assert_eq!(
            branch["additionalProperties"],
            Value::Bool(false),
            "{kind} refuses unknown keys"
        );
    }
}

/// Follows `$ref`s into `$defs`, and an optional value's `anyOf: [X, null]` into `X`.
fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/").expect("local ref");
            s = &root["$defs"][name];
        } else if let Some(any) = s.get("anyOf").and_then(Value::as_array)
            // An `Option`'s `[T, null]`; a real union stays one for `check`.
            && any.len() == 2
            && any.iter().any(|b| b.get("type") == Some(&Value::from("null")))
            && let Some(x) = any
                .iter()
                .find(|b| b.get("type") != Some(&Value::from("null")))
        {
            s = x;
        } else {
            return s;
        }
    }
}

/// A small structural check of a YAML tree against the schema: known keys, required keys,
/// and the right `oneOf` branch by `kind`. Returns the problems found.
fn check(root: &Value, schema: &Value, node: &Node, path: &str, out: &mut Vec<String>) {
    let schema = resolve(root, schema);
    // schemars writes an untagged enum as `anyOf`; for checking a document it is a union too.
    if let Some(branches) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        let kind = match &node.value {
            Yaml::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.value == Yaml::Str("kind".into()))
                .map(|(_, v)| &v.value),
            _ => None,
        };
        let branch = branches.iter().find(|b| {
            kind.is_some_and(|k| {
                *k == Yaml::Str(
                    b["properties"]["kind"]["const"]
                        .as_str()
                        .unwrap_or("")
                        .into(),
                )
            })
        });
        match branch {
            Some(b) => check(root, b, node, path, out),
            // A union without a `kind` (a secret's `env` | `file`): some branch must fit.
            None if kind.is_none() => {
                let fits = branches.iter().any(|b| {
                    let mut local = Vec::new();
                    check(root, b, node, path, &mut local);
                    local.is_empty()
                });
                if !fits {
                    out.push(format!("{path}: fits no branch of the union"));
                }
            }
            None => out.push(format!("{path}: no schema branch for kind {kind:?}")),
        }
        return;
    }
    match &node.value {
        Yaml::Map(entries) => {
            let keys: BTreeSet<&str> = entries
                .iter()
                .filter_map(|(k, _)| {
                    if let Yaml::Str(s) = &k.value {
                        Some(s.as_str())
                    } else {
                        None
                    }
                })
                .collect();
            for req in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let req = req.as_str().unwrap_or("");
                if !keys.contains(req) {
                    out.push(format!("{path}: missing {req}"));
                }
            }
            for (k, v) in entries {
                let Yaml::Str(key) = &k.value else { continue };
                let sub = schema.get("properties").and_then(|p| p.get(key));
                match (sub, schema.get("additionalProperties")) {
                    (Some(sub), _) | (None, Some(sub @ Value::Object(_))) => {
                        check(root, sub, v, &format!("{path}.{key}"), out);
                    }
                    (None, Some(Value::Bool(true))) => {}
                    (None, _) => out.push(format!("{path}: key {key} is not in the schema")),
                }
            }
        }
        Yaml::Seq(items) => {
            if let Some(items_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(root, items_schema, item, &format!("{path}.{i}"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_example_fits_the_schema() {
    let root = schema();
    for (name, text) in examples() {
        let node =
            rewind_engine::spec::yaml::parse(&text).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        let mut problems = Vec::new();
        check(&root, &root, &node, "", &mut problems);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
}

#[test]
fn the_schema_check_above_does_catch_unknown_and_missing_keys() {
    let root = schema();
    let text =
        "version: 1\nrestores:\n  a:\n    kind: dcs.restore\n    instance: x\n    backup_id: y\n";
    let node = rewind_engine::spec::yaml::parse(text).unwrap();
    let mut problems = Vec::new();
    check(&root, &root, &node, "", &mut problems);
    assert_eq!(
        problems,
        vec![
            ".restores.a: missing instance_id",
            ".restores.a: key instance is not in the schema"
        ]
    );
}
