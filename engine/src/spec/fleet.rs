//! `for_each:` fleets: an operation over a list or a map (written inline or as a var) becomes
//! one plain operation per element, named `NAME[KEY]`, with `${each.key}` and
//! `${each.value}` substituted. Everything after lowering (graph, plan, walker, drills) sees
//! only the plain operations.

use super::diagnostic::{Code, Diagnostic, Span};
use super::suggest::did_you_mean;
use super::yaml::{Node, Value, scalar_text};
use std::collections::BTreeMap;

/// The key every operation may carry to become a fleet.
pub const FOR_EACH: &str = "for_each";

/// One instance of a fleet: its name, its body with `each` substituted, and where its
/// element is written (its anchor for messages).
pub(super) struct Instance {
    pub name: String,
    pub node: Node,
    pub span: Span,
}

/// `NAME[KEY]`.
pub fn instance_name(base: &str, key: &str) -> String {
    format!("{base}[{key}]")
}

/// A key as instance names take it: letters, digits, `-` and `_`.
fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The `for_each:` entry of an operation's mapping, if it has one.
fn for_each_of(node: &Node) -> Option<&Node> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k.value == Value::Str(FOR_EACH.into()))
        .map(|(_, v)| v)
}

/// The elements `for_each` ranges over: (key, where the key is written, value).
fn elements<'a>(
    name: &str,
    over: &'a Node,
    vars: &'a BTreeMap<String, Node>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, Span, &'a Node)> {
    let path = format!("restores.{name}.for_each");
    let collection = match &over.value {
        Value::Str(s) => {
            let Some(var) = s
                .trim()
                .strip_prefix("${var.")
                .and_then(|r| r.strip_suffix('}'))
            else {
                diags.push(
                    Diagnostic::new(
                        Code::WrongType,
                        format!("`{path}` must be a list, a mapping or `${{var.NAME}}`"),
                    )
                    .at(over.span)
                    .with_hint("for example `for_each: ${var.data_nodes}` with `data_nodes:` a list under `vars:`"),
                );
                return Vec::new();
            };
            let Some(node) = vars.get(var.trim()) else {
                let hint = did_you_mean(var, vars.keys().map(String::as_str)).map_or_else(
                    || "declare it under `vars:` as a list or a mapping".to_owned(),
                    |s| format!("did you mean `{s}`?"),
                );
                diags.push(
                    Diagnostic::new(Code::UnknownVar, format!("unknown var `{var}`"))
                        .at(over.span)
                        .with_hint(hint),
                );
                return Vec::new();
            };
            node
        }
        _ => over,
    };
    let mut out: Vec<(String, Span, &Node)> = Vec::new();
    let mut push = |key: String, at: Span, value: &'a Node, diags: &mut Vec<Diagnostic>| {
        if !valid_key(&key) {
            diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!("`{key}` cannot name an instance of `{name}`"),
                )
                .at(at)
                .with_hint("for_each keys use letters, digits, `-` and `_`, as instances are named NAME[KEY]"),
            );
        } else if let Some((_, first, _)) = out.iter().find(|(k, _, _)| *k == key) {
            let first = *first;
            diags.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!("`{key}` appears twice in `{path}`"),
                )
                .at(at)
                .with_label(first, "first here")
                .with_hint("each instance needs its own key; remove the repeat"),
            );
        } else {
            out.push((key, at, value));
        }
    };
    match &collection.value {
        Value::Seq(items) => {
            for item in items {
                match scalar_text(&item.value) {
                    Some(key) => push(key, item.span, item, diags),
                    None => diags.push(
                        Diagnostic::new(
                            Code::WrongType,
                            format!(
                                "an element of `{path}` must be a single value (it is its own key), found {}",
                                item.value.type_name()
                            ),
                        )
                        .at(item.span)
                        .with_hint("for records, use a mapping keyed by name: `dn-1: {source: ..., target: ...}`"),
                    ),
                }
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                match scalar_text(&k.value) {
                    Some(key) => push(key, k.span, v, diags),
                    None => diags.push(
                        Diagnostic::new(
                            Code::WrongType,
                            format!("keys of `{path}` must be strings"),
                        )
                        .at(k.span),
                    ),
                }
            }
        }
        other => diags.push(
            Diagnostic::new(
                Code::WrongType,
                format!(
                    "`{path}` must be a list or a mapping, found {}",
                    other.type_name()
                ),
            )
            .at(collection.span)
            .with_hint("write the elements as a YAML list or mapping (inline or under `vars:`)"),
        ),
    }
    out
}

/// The instances of operation `name` when it has `for_each:`, else `None`.
pub(super) fn expand(
    name: &str,
    node: &Node,
    vars: &BTreeMap<String, Node>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Instance>> {
    let over = for_each_of(node)?;
    let Value::Map(entries) = &node.value else {
        return None;
    };
    let body: Vec<(Node, Node)> = entries
        .iter()
        .filter(|(k, _)| k.value != Value::Str(FOR_EACH.into()))
        .cloned()
        .collect();
    let body = Node {
        value: Value::Map(body),
        span: node.span,
    };
    let instances = elements(name, over, vars, diags)
        .into_iter()
        .map(|(key, at, value)| {
            let each = Each {
                key: &key,
                key_span: at,
                value,
            };
            Instance {
                name: instance_name(name, &key),
                node: each.substitute(&body, diags),
                span: at,
            }
        })
        .collect();
    Some(instances)
}

/// One element being substituted into the body.
struct Each<'a> {
    key: &'a str,
    key_span: Span,
    value: &'a Node,
}

impl Each<'_> {
    fn substitute(&self, node: &Node, diags: &mut Vec<Diagnostic>) -> Node {
        let value = match &node.value {
            Value::Str(s) if s.contains("${each.") => return self.template(s, node, diags),
            Value::Seq(items) => {
                Value::Seq(items.iter().map(|n| self.substitute(n, diags)).collect())
            }
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.substitute(v, diags)))
                    .collect(),
            ),
            other => other.clone(),
        };
        Node {
            value,
            span: node.span,
        }
    }

    /// The node `expr` (`key`, `value` or `value.a.b`) names, located where it is written
    /// in the element, so a bad value is reported at its element's line.
    fn lookup(&self, expr: &str, at: Span, diags: &mut Vec<Diagnostic>) -> Option<Node> {
        let mut parts = expr.split('.');
        match parts.next() {
            Some("key") if parts.clone().next().is_none() => Some(Node {
                value: Value::Str(self.key.to_owned()),
                span: self.key_span,
            }),
            Some("value") => {
                let mut node = self.value;
                for field in parts {
                    let found = match &node.value {
                        Value::Map(entries) => entries
                            .iter()
                            .find(|(k, _)| k.value == Value::Str(field.to_owned()))
                            .map(|(_, v)| v),
                        _ => None,
                    };
                    let Some(next) = found else {
                        let fields: Vec<String> = match &node.value {
                            Value::Map(entries) => entries
                                .iter()
                                .filter_map(|(k, _)| scalar_text(&k.value))
                                .collect(),
                            _ => Vec::new(),
                        };
                        let hint = did_you_mean(field, fields.iter().map(String::as_str))
                            .map_or_else(
                                || {
                                    if fields.is_empty() {
                                        "this element is a single value: use `${each.value}`"
                                            .to_owned()
                                    } else {
                                        format!("its fields: {}", fields.join(", "))
                                    }
                                },
                                |s| format!("did you mean `{s}`?"),
                            );
                        diags.push(
                            Diagnostic::new(
                                Code::MissingField,
                                format!("element `{}` has no field `{field}`", self.key),
                            )
                            .at(node.span)
                            .with_label(at, "used here")
                            .with_hint(hint),
                        );
                        return None;
                    };
                    node = next;
                }
                Some(node.clone())
            }
            _ => {
                diags.push(
                    Diagnostic::new(Code::BadValue, format!("`${{each.{expr}}}` is not defined"))
                        .at(at)
                        .with_hint("use `${each.key}`, `${each.value}` or `${each.value.FIELD}`"),
                );
                None
            }
        }
    }

    fn template(&self, s: &str, node: &Node, diags: &mut Vec<Diagnostic>) -> Node {
        // The whole value: the element's node itself, keeping its type and its place.
        if let Some(expr) = s.strip_prefix("${each.").and_then(|r| r.strip_suffix('}'))
            && !expr.contains('}')
        {
            return self
                .lookup(expr.trim(), node.span, diags)
                .unwrap_or_else(|| node.clone());
        }
        // Part of a string: text substituted; the value is then located at the element.
        let mut out = String::new();
        let mut rest = s;
        let mut span = node.span;
        while let Some(i) = rest.find("${each.") {
            out.push_str(&rest[..i]);
            let after = &rest[i + "${each.".len()..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let Some(found) = self.lookup(after[..end].trim(), node.span, diags) else {
                return node.clone();
            };
            let Some(text) = scalar_text(&found.value) else {
                diags.push(
                    Diagnostic::new(
                        Code::WrongType,
                        format!(
                            "`${{each.{}}}` is {} and cannot be part of a string",
                            &after[..end],
                            found.value.type_name()
                        ),
                    )
                    .at(node.span)
                    .with_label(found.span, "the element"),
                );
                return node.clone();
            };
            out.push_str(&text);
            span = found.span;
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Node {
            value: Value::Str(out),
            span,
        }
    }
}
