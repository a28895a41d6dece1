//! `${...}` resolution: vars and other operations' fields substituted, outputs and secrets
//! kept as checked templates.

use super::diagnostic::{Code, Diagnostic, Span};
use super::interp::{self, Piece};
use super::names::dangling;
use super::suggest::did_you_mean;
use super::yaml::{Node, Value, scalar_text};
use super::{Reference, SecretSource};
use crate::kinds::{Kind, KindDecl};
use std::collections::{BTreeMap, BTreeSet};

/// Substitutes `${...}` in every string of every operation, following references between
/// operations depth-first so that a reference sees its target's resolved values.
pub(super) struct Resolver<'a> {
    pub(super) raw: &'a BTreeMap<String, &'a Node>,
    pub(super) vars: &'a BTreeMap<String, Node>,
    pub(super) secrets: &'a BTreeMap<String, SecretSource>,
    pub(super) kinds: &'a BTreeMap<String, KindInfo>,
    pub(super) done: BTreeMap<String, Node>,
    pub(super) active: Vec<String>,
    pub(super) refs: BTreeMap<String, Vec<Reference>>,
    pub(super) in_cycle: BTreeSet<String>,
    /// Byte offsets of values whose `${...}` could not be resolved.
    pub(super) failed: BTreeSet<usize>,
    pub(super) diags: Vec<Diagnostic>,
}

impl Resolver<'_> {
    pub(super) fn resolve(&mut self, name: &str) -> Option<Node> {
        if let Some(n) = self.done.get(name) {
            return Some(n.clone());
        }
        if let Some(pos) = self.active.iter().position(|a| a == name) {
            // A loop of references. The graph reports it (naming the loop and the edge to
            // cut); here it only silences the follow-on errors of unresolved fields.
            let members: Vec<String> = self.active[pos..].to_vec();
            self.in_cycle.extend(members);
            return None;
        }
        let raw = *self.raw.get(name)?;
        self.active.push(name.to_owned());
        let node = self.interp(raw, name, None);
        self.active.pop();
        self.done.insert(name.to_owned(), node.clone());
        Some(node)
    }

    /// `key` is the mapping key the value sits under, for the secrets rule.
    fn interp(&mut self, node: &Node, op: &str, key: Option<&str>) -> Node {
        let value = match &node.value {
            Value::Str(s) if s.contains('$') => return self.template(s, node, op, key),
            Value::Seq(items) => {
                Value::Seq(items.iter().map(|n| self.interp(n, op, key)).collect())
            }
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match &k.value {
                            Value::Str(s) => Some(s.as_str()),
                            _ => None,
                        };
                        (k.clone(), self.interp(v, op, key))
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

    fn template(&mut self, s: &str, node: &Node, op: &str, key: Option<&str>) -> Node {
        let pieces = match interp::parse(s) {
            Ok(p) => p,
            Err(msg) => {
                self.diags
                    .push(Diagnostic::new(Code::BadValue, msg).at(node.span));
                self.failed.insert(node.span.offset);
                return node.clone();
            }
        };
        let mut values = Vec::new();
        for piece in &pieces {
            let v = match piece {
                Piece::Lit(l) => Some(Value::Str(l.clone())),
                Piece::Var(name) => self.var(name, node.span),
                Piece::Ref { op: target, path } => self.reference(op, target, path, node.span),
                Piece::Secret(name) => self.secret(op, name, pieces.len(), key, node.span),
            };
            if let Some(v) = v {
                values.push(v);
            } else {
                self.failed.insert(node.span.offset);
                return node.clone();
            }
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

    fn var(&mut self, name: &str, span: Span) -> Option<Value> {
        if let Some(v) = self.vars.get(name) {
            return Some(v.value.clone());
        }
        let hint = did_you_mean(name, self.vars.keys().map(String::as_str)).map_or_else(
            || "declare it under `vars:`".to_owned(),
            |s| format!("did you mean `{s}`?"),
        );
        self.diags.push(
            Diagnostic::new(Code::UnknownVar, format!("unknown var `{name}`"))
                .at(span)
                .with_hint(hint),
        );
        None
    }

    /// A secret reference stays as written (`${secrets.NAME}`): only sensitive fields take
    /// one, as their whole value, and the value is looked up at submit time.
    fn secret(
        &mut self,
        op: &str,
        name: &str,
        pieces: usize,
        key: Option<&str>,
        span: Span,
    ) -> Option<Value> {
        let sensitive = self
            .kinds
            .get(op)
            .is_some_and(|k| key.is_some_and(|key| k.sensitive.iter().any(|s| s == key)));
        let problem = if !sensitive {
            Some((
                format!("`${{{name}}}` is a secret, and `{}` is not a sensitive field", key.unwrap_or("this value")),
                "secrets go only in sensitive fields such as `password`; use `${var.NAME}` for other values".to_owned(),
            ))
        } else if pieces != 1 {
            Some((
                format!("`${{{name}}}` must be the whole value"),
                "write the reference alone; rewind never builds a secret out of parts".to_owned(),
            ))
        } else if let Some(declared) = name.strip_prefix("secrets.")
            && !self.secrets.contains_key(declared)
        {
            let hint = did_you_mean(declared, self.secrets.keys().map(String::as_str)).map_or_else(
                || format!("declare it: `secrets: {{ {declared}: {{ env: VARIABLE }} }}`"),
                |s| format!("did you mean `{s}`?"),
            );
            Some((format!("unknown secret `{declared}`"), hint))
        } else {
            None
        };
        if let Some((msg, hint)) = problem {
            self.diags
                .push(Diagnostic::new(Code::Secret, msg).at(span).with_hint(hint));
            return None;
        }
        Some(Value::Str(format!("${{{name}}}")))
    }

    /// `${restores.OP.outputs.NAME}`: a value known only after `OP` has run. It stays a
    /// template, rendered at submit time; here it only gets checked and becomes an edge.
    fn output(&mut self, target: &str, path: &[String], span: Span) -> Option<Value> {
        let declared = self
            .kinds
            .get(target)
            .map(|k| k.outputs.clone())
            .unwrap_or_default();
        let [_, name] = path else {
            self.diags.push(
                Diagnostic::new(
                    Code::DanglingReference,
                    format!("`restores.{target}.{}` is not an output", path.join(".")),
                )
                .at(span)
                .with_hint(format!(
                    "write `${{restores.{target}.outputs.NAME}}`; outputs: {}",
                    declared.join(", ")
                )),
            );
            return None;
        };
        if !declared.iter().any(|d| d == name) {
            let hint = did_you_mean(name, declared.iter().map(String::as_str)).map_or_else(
                || format!("`{target}` reports: {}", declared.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            self.diags.push(
                Diagnostic::new(
                    Code::DanglingReference,
                    format!("`restores.{target}` has no output `{name}`"),
                )
                .at(span)
                .with_hint(hint),
            );
            return None;
        }
        Some(Value::Str(crate::kinds::output_template(target, name)))
    }

    fn reference(&mut self, op: &str, target: &str, path: &[String], span: Span) -> Option<Value> {
        let dotted = path.join(".");
        if !self.raw.contains_key(target) {
            self.diags.push(dangling(target, span, self.raw));
            return None;
        }
        self.refs.entry(op.to_owned()).or_default().push(Reference {
            op: target.to_owned(),
            path: dotted.clone(),
            span,
        });
        if path.first().is_some_and(|p| p == "outputs") && target != op {
            return self.output(target, path, span);
        }
        if target == op {
            self.diags.push(
                Diagnostic::new(
                    Code::Cycle,
                    format!("`{op}` refers to its own field `{dotted}`"),
                )
                .at(span)
                .with_hint("write the value directly"),
            );
            return None;
        }
        let tree = self.resolve(target)?;
        let mut cur = &tree;
        for seg in path {
            let next = match &cur.value {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.value == Value::Str(seg.clone()))
                    .map(|(_, v)| v),
                Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            let Some(next) = next else {
                self.diags.push(
                    Diagnostic::new(
                        Code::DanglingReference,
                        format!("`restores.{target}` has no field `{dotted}`"),
                    )
                    .at(span)
                    .with_hint(
                        "reference a field written in that operation, e.g. `target.instance_id`",
                    ),
                );
                return None;
            };
            cur = next;
        }
        if scalar_text(&cur.value).is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::WrongType,
                    format!(
                        "`restores.{target}.{dotted}` is {}, not a single value",
                        cur.value.type_name()
                    ),
                )
                .at(span),
            );
            return None;
        }
        Some(cur.value.clone())
    }
}

/// What the resolver needs to know of an operation's kind before its body is lowered.
pub(super) struct KindInfo {
    pub(super) outputs: Vec<String>,
    /// Keys whose value must be a secret reference.
    pub(super) sensitive: Vec<String>,
}

impl KindInfo {
    pub(super) fn of(node: &Node, plugins: &[KindDecl]) -> KindInfo {
        let kind = match &node.value {
            Value::Map(entries) => entries
                .iter()
                .find_map(|(k, v)| match (&k.value, &v.value) {
                    (Value::Str(k), Value::Str(v)) if k == "kind" => Some(v.clone()),
                    _ => None,
                }),
            _ => None,
        };
        let Some(kind) = kind else {
            return KindInfo {
                outputs: Vec::new(),
                sensitive: Vec::new(),
            };
        };
        let builtin = Kind::parse(&kind)
            .and_then(crate::kinds::builtin::get)
            .map(crate::kinds::builtin::Builtin::decl);
        builtin
            .or_else(|| plugins.iter().find(|d| d.name == kind))
            .map_or(
                KindInfo {
                    outputs: Vec::new(),
                    sensitive: Vec::new(),
                },
                |d| KindInfo {
                    outputs: d.outputs.clone(),
                    sensitive: d
                        .sensitive_pointers()
                        .iter()
                        .filter_map(|p| p.rsplit('/').next().map(str::to_owned))
                        .collect(),
                },
            )
    }
}
