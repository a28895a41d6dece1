//! Lowering of a plugin kind's body: its declared JSON Schema (a subset) checked in place.

use super::bodies::{COMMON_KEYS, Cx};
use super::diagnostic::{Code, Diagnostic, Span};
use super::obj::{Obj, missing, wrong_type};
use super::suggest::did_you_mean;
use super::yaml::{Node, Value as Yaml};
use crate::kinds::{ExternalOp, Footprint, KindDecl, OpSpec, Resource, SecretRef};
use serde_json::{Map, Number, Value};

/// Checks the body of `o` against `decl.schema` and derives its footprint. Every problem is
/// a located diagnostic; `None` when there was any.
pub fn lower(decl: &KindDecl, o: &Obj, cx: &mut Cx) -> Option<OpSpec> {
    let before = cx.diags.len();
    let entries: Vec<(&str, &Node, Span)> = o
        .keys()
        .filter(|(k, _, _)| !COMMON_KEYS.contains(k))
        .collect();
    let body = object(&entries, o, &decl.schema, &o.path, cx);
    if cx.diags.len() != before {
        return None;
    }
    let mut footprint = Footprint::default();
    for rule in &decl.footprint {
        let mut found = Vec::new();
        let segs: Vec<&str> = rule.pointer.split('/').skip(1).collect();
        collect(&entries, &segs, &mut found);
        for node in found {
            if let Yaml::Str(id) = &node.value {
                cx.id_spans.entry(id.clone()).or_insert(node.span);
                rule.access
                    .record(&mut footprint, Resource::new(rule.class(), id));
            }
        }
    }
    for list in [
        &mut footprint.reads,
        &mut footprint.writes,
        &mut footprint.adds,
    ] {
        list.sort();
        list.dedup();
    }
    let mut secrets = Vec::new();
    for pointer in decl.sensitive_pointers() {
        let segs: Vec<&str> = pointer.split('/').skip(1).collect();
        secret_slots(&body, &segs, String::new(), &mut secrets);
    }
    secrets.sort();
    Some(OpSpec::External(ExternalOp {
        kind: decl.kind(),
        body,
        footprint,
        secrets,
    }))
}

/// A sensitive value's reference: `${secrets.NAME}`, `${env.VAR}`, or the older `env:VAR`.
fn secret_ref(text: &str) -> Option<SecretRef> {
    if let Some(var) = text.strip_prefix("env:") {
        return super::secrets::as_reference(&format!("${{env.{var}}}"))
            .map(|name| SecretRef { name });
    }
    super::secrets::as_reference(text).map(|name| SecretRef { name })
}

/// Every concrete pointer a sensitive pointer (with `*` for array elements) names in `body`.
fn secret_slots(v: &Value, segs: &[&str], at: String, out: &mut Vec<(String, SecretRef)>) {
    let Some((first, rest)) = segs.split_first() else {
        if let Some(r) = v.as_str().and_then(secret_ref) {
            out.push((at, r));
        }
        return;
    };
    match v {
        Value::Object(map) => {
            if let Some(child) = map.get(*first) {
                let key = first.replace('~', "~0").replace('/', "~1");
                secret_slots(child, rest, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) if *first == "*" => {
            for (i, item) in items.iter().enumerate() {
                secret_slots(item, rest, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The nodes a footprint pointer names; `*` walks every element of a sequence.
fn collect<'a>(entries: &[(&str, &'a Node, Span)], segs: &[&str], out: &mut Vec<&'a Node>) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    for (k, node, _) in entries {
        if k == first {
            walk(node, rest, out);
        }
    }
}

fn walk<'a>(node: &'a Node, segs: &[&str], out: &mut Vec<&'a Node>) {
    let Some((first, rest)) = segs.split_first() else {
        out.push(node);
        return;
    };
    match &node.value {
        Yaml::Map(entries) => {
            for (k, v) in entries {
                if k.value == Yaml::Str((*first).to_owned()) {
                    walk(v, rest, out);
                }
            }
        }
        Yaml::Seq(items) => {
            if *first == "*" {
                for item in items {
                    walk(item, rest, out);
                }
            } else if let Some(item) = first.parse::<usize>().ok().and_then(|i| items.get(i)) {
                walk(item, rest, out);
            }
        }
        _ => {}
    }
}

fn object(
    entries: &[(&str, &Node, Span)],
    at: &Obj,
    schema: &Value,
    path: &str,
    cx: &mut Cx,
) -> Value {
    let props = schema.get("properties").and_then(Value::as_object);
    let extra_ok = schema.get("additionalProperties").and_then(Value::as_bool) == Some(true);
    let mut out = Map::new();
    for (key, node, key_span) in entries {
        let child = format!("{path}.{key}");
        match props.and_then(|p| p.get(*key)) {
            Some(sub) => {
                if let Some(v) = check(node, sub, &child, cx) {
                    out.insert((*key).to_owned(), v);
                }
            }
            None if extra_ok => {
                out.insert((*key).to_owned(), plain(node));
            }
            None => {
                let allowed: Vec<&str> = props
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let hint = did_you_mean(key, allowed.iter().copied()).map_or_else(
                    || format!("allowed keys here: {}", allowed.join(", ")),
                    |s| format!("did you mean `{s}`?"),
                );
                cx.diags.push(
                    Diagnostic::new(Code::UnknownKey, format!("unknown key `{key}` in `{path}`"))
                        .at(*key_span)
                        .with_hint(hint),
                );
            }
        }
    }
    for req in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !entries.iter().any(|(k, _, _)| *k == req) {
            cx.diags.push(missing(&format!("{path}.{req}"), at.span));
        }
    }
    Value::Object(out)
}

fn type_matches(node: &Node, ty: &str) -> bool {
    matches!(
        (ty, &node.value),
        ("object", Yaml::Map(_))
            | ("array", Yaml::Seq(_))
            | ("string", Yaml::Str(_))
            | ("integer", Yaml::Int(_))
            | ("number", Yaml::Int(_) | Yaml::Float(_))
            | ("boolean", Yaml::Bool(_))
            | ("null", Yaml::Null)
    )
}

/// One value against one schema (`type`, `enum`, `properties`, `required`,
/// `additionalProperties`, `items`, `minimum`, `maximum`, `minLength`, `maxLength`, and the
/// `sensitive` mark).
fn check(node: &Node, schema: &Value, path: &str, cx: &mut Cx) -> Option<Value> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(node, t)) {
        cx.diags.push(wrong_type(node, path, &types.join(" or ")));
        return None;
    }
    if schema.get("sensitive").and_then(Value::as_bool) == Some(true) {
        let ok = matches!(&node.value, Yaml::Str(s) if secret_ref(s).is_some());
        if !ok {
            cx.diags.push(
                Diagnostic::new(
                    Code::Secret,
                    format!("`{path}` is sensitive: it takes a secret reference, not a value"),
                )
                .at(node.span)
                .with_hint("write `${secrets.NAME}` (declared under `secrets:`) or `${env.VAR}`; the value is read at submit time and never reaches state or plans"),
            );
            return None;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        let v = plain(node);
        if !allowed.contains(&v) {
            let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
            cx.diags.push(
                Diagnostic::new(Code::BadValue, format!("`{path}` = {v} is not allowed"))
                    .at(node.span)
                    .with_hint(format!("one of {}", names.join(", "))),
            );
            return None;
        }
    }
    match &node.value {
        Yaml::Map(_) => {
            let mut local = Vec::new();
            let o = Obj::new(node, path, &mut local)?;
            cx.diags.extend(local);
            let entries: Vec<(&str, &Node, Span)> = o.keys().collect();
            Some(object(&entries, &o, schema, path, cx))
        }
        Yaml::Seq(items) => {
            let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(check(item, &item_schema, &format!("{path}.{i}"), cx)?);
            }
            Some(Value::Array(out))
        }
        Yaml::Str(s) => {
            let len = s.chars().count() as u64;
            let min = schema.get("minLength").and_then(Value::as_u64);
            let max = schema.get("maxLength").and_then(Value::as_u64);
            if min.is_some_and(|m| len < m) || max.is_some_and(|m| len > m) {
                cx.diags.push(
                    Diagnostic::new(Code::BadValue, format!("`{path}` has {len} characters"))
                        .at(node.span)
                        .with_hint(format!(
                            "between {} and {} allowed",
                            min.unwrap_or(0),
                            max.map_or_else(|| "any".to_owned(), |m| m.to_string())
                        )),
                );
                return None;
            }
            Some(Value::String(s.clone()))
        }
        Yaml::Int(_) | Yaml::Float(_) => {
            let v = plain(node);
            let n = v.as_f64().unwrap_or_default();
            let min = schema.get("minimum").and_then(Value::as_f64);
            let max = schema.get("maximum").and_then(Value::as_f64);
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                cx.diags.push(
                    Diagnostic::new(Code::BadValue, format!("`{path}` = {v} is out of range"))
                        .at(node.span)
                        .with_hint(format!(
                            "minimum {}, maximum {}",
                            min.map_or_else(|| "none".to_owned(), |m| m.to_string()),
                            max.map_or_else(|| "none".to_owned(), |m| m.to_string())
                        )),
                );
                return None;
            }
            Some(v)
        }
        Yaml::Bool(_) | Yaml::Null => Some(plain(node)),
    }
}

/// A YAML node as JSON, without checks.
fn plain(node: &Node) -> Value {
    match &node.value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => Value::Number((*i).into()),
        Yaml::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Yaml::Str(s) => Value::String(s.clone()),
        Yaml::Seq(items) => Value::Array(items.iter().map(plain).collect()),
        Yaml::Map(entries) => Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| match &k.value {
                    Yaml::Str(key) => Some((key.clone(), plain(v))),
                    _ => None,
                })
                .collect(),
        ),
    }
}
