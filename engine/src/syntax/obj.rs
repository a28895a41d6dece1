//! Typed access to one YAML mapping that remembers which keys were read, for unknown-key errors.

use super::diagnostic::{Code, Diagnostic, Span};
use super::suggest::did_you_mean;
use super::yaml::{Node, Value};

/// A mapping being lowered: `path` names it in messages (`restores.db.source`).
pub struct Obj<'a> {
    pub path: String,
    pub span: Span,
    entries: Vec<(&'a str, &'a Node, Span)>,
}

impl<'a> Obj<'a> {
    /// Views `node` as a mapping, reporting non-mappings, non-string keys and duplicates.
    pub fn new(node: &'a Node, path: &str, diags: &mut Vec<Diagnostic>) -> Option<Obj<'a>> {
        let Value::Map(entries) = &node.value else {
            diags.push(wrong_type(node, path, "a mapping"));
            return None;
        };
        // A map, not a list: the `restores:` mapping can hold tens of thousands of keys.
        let mut seen: std::collections::HashMap<&str, Span> =
            std::collections::HashMap::with_capacity(entries.len());
        let mut out = Vec::new();
        for (k, v) in entries {
            let Value::Str(key) = &k.value else {
                diags.push(
                    Diagnostic::new(
                        Code::WrongType,
                        format!(
                            "keys in {} must be strings, found {}",
                            display(path),
                            k.value.type_name()
                        ),
                    )
                    .at(k.span),
                );
                continue;
            };
            if let Some(first) = seen.get(key.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!("duplicate key `{key}` in {}", display(path)),
                    )
                    .at(k.span)
                    .with_label(*first, "first defined here")
                    .with_hint("YAML keys must be unique; remove one of them"),
                );
                continue;
            }
            seen.insert(key.as_str(), k.span);
            out.push((key.as_str(), v, k.span));
        }
        Some(Obj {
            path: path.to_owned(),
            span: node.span,
            entries: out,
        })
    }

    pub fn keys(&self) -> impl Iterator<Item = (&'a str, &'a Node, Span)> + '_ {
        self.entries.iter().copied()
    }

    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, _)| *v)
    }

    pub fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Reports every key not in `allowed`, with a "did you mean" when one is close.
    pub fn check_keys(&self, allowed: &[&str], diags: &mut Vec<Diagnostic>) {
        for (key, _, span) in &self.entries {
            if allowed.contains(key) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::UnknownKey,
                format!("unknown key `{key}` in {}", display(&self.path)),
            )
            .at(*span);
            d = match did_you_mean(key, allowed.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!("allowed keys here: {}", allowed.join(", "))),
            };
            diags.push(d);
        }
    }

    /// A required key: reports it missing (pointing at the mapping) when absent.
    pub fn required(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<&'a Node> {
        let v = self.get(key);
        if v.is_none() {
            diags.push(missing(&self.child_path(key), self.span));
        }
        v
    }

    pub fn str_field(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<(String, Span)> {
        let node = self.required(key, diags)?;
        as_str(node, &self.child_path(key), diags)
    }

    pub fn opt_str(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<(String, Span)> {
        let node = self.get(key)?;
        if matches!(node.value, Value::Null) {
            return None;
        }
        as_str(node, &self.child_path(key), diags)
    }

    pub fn opt_bool(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<bool> {
        let node = self.get(key)?;
        match node.value {
            Value::Bool(b) => Some(b),
            Value::Null => None,
            _ => {
                diags.push(wrong_type(
                    node,
                    &self.child_path(key),
                    "a boolean (true or false)",
                ));
                None
            }
        }
    }

    pub fn obj(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Obj<'a>> {
        let node = self.required(key, diags)?;
        Obj::new(node, &self.child_path(key), diags)
    }

    pub fn opt_obj(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Obj<'a>> {
        let node = self.get(key)?;
        if matches!(node.value, Value::Null) {
            return None;
        }
        Obj::new(node, &self.child_path(key), diags)
    }

    /// A list field; `None` when absent.
    pub fn opt_seq(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<(&'a [Node], Span)> {
        let node = self.get(key)?;
        match &node.value {
            Value::Seq(items) => Some((items.as_slice(), node.span)),
            Value::Null => None,
            _ => {
                diags.push(wrong_type(node, &self.child_path(key), "a list"));
                None
            }
        }
    }
}

fn display(path: &str) -> String {
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`{path}`")
    }
}

pub fn missing(path: &str, at: Span) -> Diagnostic {
    let key = path.rsplit('.').next().unwrap_or(path);
    Diagnostic::new(
        Code::MissingField,
        format!("missing required field `{path}`"),
    )
    .at(at)
    .with_hint(format!("add `{key}:` here"))
}

pub fn wrong_type(node: &Node, path: &str, expected: &str) -> Diagnostic {
    let what = if path.is_empty() {
        "the spec".to_owned()
    } else {
        format!("`{path}`")
    };
    let hint = if path.is_empty() {
        "a spec is a mapping: `version: 1` and `restores:` with one entry per operation".to_owned()
    } else {
        format!("write {expected} here; see `rewind schema` for every field's type")
    };
    Diagnostic::new(
        Code::WrongType,
        format!(
            "{what} must be {expected}, found {}",
            node.value.type_name()
        ),
    )
    .at(node.span)
    .with_hint(hint)
}

/// A string scalar; plain integers are accepted where an ID happens to be all digits.
pub fn as_str(node: &Node, path: &str, diags: &mut Vec<Diagnostic>) -> Option<(String, Span)> {
    if let Value::Str(s) = &node.value {
        Some((s.clone(), node.span))
    } else {
        diags.push(wrong_type(node, path, "a string"));
        None
    }
}
