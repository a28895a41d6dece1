//! A drill's values: `${var.NAME}` substituted, secrets kept only in a login's password, and
//! probe mappings turned into JSON.

use super::super::SecretSource;
use super::super::diagnostic::{Code, Diagnostic, Span};
use super::super::interp::{self, Piece};
use super::super::obj::Obj;
use super::super::suggest::did_you_mean;
use super::super::yaml::{Node, Value, scalar_text};
use std::collections::{BTreeMap, BTreeSet};

/// Substitutes `${...}` in one drill's tree.
pub(super) struct Interp<'a> {
    pub(super) vars: &'a BTreeMap<String, Node>,
    pub(super) secrets: &'a BTreeMap<String, SecretSource>,
    /// `drills.NAME`, for messages.
    pub(super) path: String,
    /// Byte offsets of values whose `${...}` failed: their follow-on errors are noise.
    pub(super) failed: BTreeSet<usize>,
    pub(super) diags: Vec<Diagnostic>,
}

impl Interp<'_> {
    /// The drill's tree with every `${var.NAME}` substituted.
    pub(super) fn drill(&mut self, node: &Node) -> Node {
        self.walk(node, &mut Vec::new())
    }

    /// `keys` are the mapping keys above `node`, below the drill: a secret reference is kept
    /// at `logins.OP.password` and refused anywhere else.
    fn walk(&mut self, node: &Node, keys: &mut Vec<String>) -> Node {
        let value = match &node.value {
            Value::Str(s) if s.contains('$') => return self.template(s, node, keys),
            Value::Seq(items) => Value::Seq(items.iter().map(|n| self.walk(n, keys)).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        keys.push(scalar_text(&k.value).unwrap_or_default());
                        let v = self.walk(v, keys);
                        keys.pop();
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Node {
            value,
            span: node.span,
        }
    }

    fn template(&mut self, s: &str, node: &Node, keys: &[String]) -> Node {
        let pieces = match interp::parse(s) {
            Ok(p) => p,
            Err(msg) => return self.fail(node, Diagnostic::new(Code::BadValue, msg)),
        };
        let mut values = Vec::new();
        for piece in &pieces {
            let value = match piece {
                Piece::Lit(l) => Value::Str(l.clone()),
                Piece::Var(name) => {
                    if let Some(v) = self.vars.get(name) {
                        v.value.clone()
                    } else {
                        let hint = did_you_mean(name, self.vars.keys().map(String::as_str))
                            .map_or_else(
                                || "declare it under `vars:`".to_owned(),
                                |s| format!("did you mean `{s}`?"),
                            );
                        let d = Diagnostic::new(Code::UnknownVar, format!("unknown var `{name}`"))
                            .with_hint(hint);
                        return self.fail(node, d);
                    }
                }
                Piece::Secret(name) => {
                    if let Some(d) = self.secret_problem(name, pieces.len(), keys) {
                        return self.fail(node, d);
                    }
                    Value::Str(format!("${{{name}}}"))
                }
                Piece::Ref { op, path } => {
                    let d = Diagnostic::new(
                        Code::BadValue,
                        format!(
                            "`${{restores.{op}.{}}}` cannot be used in a drill",
                            path.join(".")
                        ),
                    )
                    .with_hint(
                        "a drill names operations directly; use `${var.NAME}` for shared values",
                    );
                    return self.fail(node, d);
                }
            };
            values.push(value);
        }
        let value = if values.len() == 1 {
            values.remove(0)
        } else {
            Value::Str(values.iter().filter_map(scalar_text).collect())
        };
        Node {
            value,
            span: node.span,
        }
    }

    fn secret_problem(&self, name: &str, pieces: usize, keys: &[String]) -> Option<Diagnostic> {
        let sensitive = matches!(keys, [l, _, p] if l == "logins" && p == "password")
            || matches!(keys, [n, u] if n == "notify" && u == "url");
        if !sensitive {
            let at = if keys.is_empty() {
                self.path.clone()
            } else {
                format!("{}.{}", self.path, keys.join("."))
            };
            return Some(
                Diagnostic::new(
                    Code::Secret,
                    format!("`${{{name}}}` is a secret, and `{at}` is not a sensitive field"),
                )
                .with_hint(
                    "in a drill, secrets go only in a login's `password` (`logins: { OP: { password: ${secrets.NAME} } }`) and in `notify.url`",
                ),
            );
        }
        if pieces != 1 {
            return Some(
                Diagnostic::new(
                    Code::Secret,
                    format!("`${{{name}}}` must be the whole value"),
                )
                .with_hint("write the reference alone; rewind never builds a secret out of parts"),
            );
        }
        let declared = name.strip_prefix("secrets.")?;
        if self.secrets.contains_key(declared) {
            return None;
        }
        let hint = did_you_mean(declared, self.secrets.keys().map(String::as_str)).map_or_else(
            || format!("declare it: `secrets: {{ {declared}: {{ env: VARIABLE }} }}`"),
            |s| format!("did you mean `{s}`?"),
        );
        Some(Diagnostic::new(Code::Secret, format!("unknown secret `{declared}`")).with_hint(hint))
    }

    fn fail(&mut self, node: &Node, d: Diagnostic) -> Node {
        self.diags.push(d.at(node.span));
        self.failed.insert(node.span.offset);
        node.clone()
    }
}

/// A probe's tree as JSON; duplicate and non-string keys are reported (and left out).
pub(super) fn to_json(node: &Node, path: &str, diags: &mut Vec<Diagnostic>) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(items) => J::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, n)| to_json(n, &format!("{path}[{i}]"), diags))
                .collect(),
        ),
        Value::Map(_) => {
            let mut out = serde_json::Map::new();
            if let Some(o) = Obj::new(node, path, diags) {
                for (key, v, _) in o.keys() {
                    out.insert(key.to_owned(), to_json(v, &o.child_path(key), diags));
                }
            }
            J::Object(out)
        }
    }
}

/// Where `path` (as a probe parser names it: `mysql.expect`, `redis.command[1]`, `.` for the
/// probe itself) is written below `node`: the deepest part of it that exists.
pub(super) fn locate(node: &Node, path: &str) -> Span {
    let mut cur = node;
    let mut at = node.span;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let (key, indices) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if !key.is_empty() {
            let Value::Map(entries) = &cur.value else {
                return at;
            };
            let Some((k, v)) = entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
            else {
                return at;
            };
            cur = v;
            at = k.span;
        }
        for index in indices
            .split(['[', ']'])
            .filter(|s| !s.is_empty())
            .map(str::parse::<usize>)
        {
            let (Ok(i), Value::Seq(items)) = (index, &cur.value) else {
                return at;
            };
            let Some(item) = items.get(i) else {
                return at;
            };
            cur = item;
            at = item.span;
        }
    }
    at
}
