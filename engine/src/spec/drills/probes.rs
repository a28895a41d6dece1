//! A drill's `probes:` and `logins:`, both keyed by the operations the drill runs.

use super::super::diagnostic::{Code, Diagnostic, Span};
use super::super::obj::{Obj, wrong_type};
use super::super::suggest::did_you_mean;
use super::super::yaml::{Node, Value};
use super::super::{ProbeCheck, secrets};
use super::values::{locate, to_json};
use crate::drill::{Login, ProbeDecl};
use std::collections::{BTreeMap, BTreeSet};

/// The operations a drill runs, and every operation of the spec, for keys naming one.
pub(super) struct Runs<'a> {
    pub(super) drill: &'a str,
    pub(super) ops: &'a BTreeSet<String>,
    pub(super) known: &'a BTreeSet<String>,
}

impl Runs<'_> {
    /// Whether an entry of `section` (`probes`, `logins`) for `op` is for an operation the
    /// drill runs; reports it when not.
    fn covers(&self, op: &str, span: Span, section: &str, diags: &mut Vec<Diagnostic>) -> bool {
        if self.ops.contains(op) {
            return true;
        }
        let drill = self.drill;
        let d = if self.known.contains(op) {
            Diagnostic::new(
                Code::DanglingReference,
                format!("drill `{drill}` does not run `{op}`, so its `{section}` entry would never be used"),
            )
            .with_hint(format!(
                "add `{op}` to `drills.{drill}.operations`, or remove this entry"
            ))
        } else {
            let hint = did_you_mean(op, self.ops.iter().map(String::as_str)).map_or_else(
                || {
                    format!(
                        "the drill runs: {}",
                        self.ops.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                },
                |s| format!("did you mean `{s}`?"),
            );
            Diagnostic::new(
                Code::DanglingReference,
                format!("no operation named `{op}` in `restores` (in `drills.{drill}.{section}`)"),
            )
            .with_hint(hint)
        };
        diags.push(d.at(span));
        false
    }
}

/// `logins:`: per operation, `{ user, password }`; the password is a secret reference.
pub(super) fn logins(o: &Obj, runs: &Runs, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, Login> {
    let mut out = BTreeMap::new();
    let Some(section) = o.opt_obj("logins", diags) else {
        return out;
    };
    for (op, node, span) in section.keys() {
        if !runs.covers(op, span, "logins", diags) {
            continue;
        }
        let Some(entry) = Obj::new(node, &section.child_path(op), diags) else {
            continue;
        };
        entry.check_keys(&["user", "password"], diags);
        let user = entry.opt_str("user", diags).map(|(u, _)| u);
        let password = secrets::reference(&entry, "password", diags).flatten();
        out.insert(op.to_owned(), Login { user, password });
    }
    out
}

/// `probes:`: per operation, a list of probe mappings, each checked by `check` when set.
/// A probe holding a value whose `${...}` failed (offsets in `failed`) is not checked: its
/// error is already reported.
pub(super) fn probes(
    o: &Obj,
    runs: &Runs,
    check: Option<ProbeCheck>,
    failed: &BTreeSet<usize>,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Vec<ProbeDecl>> {
    let mut out = BTreeMap::new();
    let Some(section) = o.opt_obj("probes", diags) else {
        return out;
    };
    for (op, node, span) in section.keys() {
        if !runs.covers(op, span, "probes", diags) {
            continue;
        }
        let path = section.child_path(op);
        let Value::Seq(items) = &node.value else {
            diags.push(wrong_type(node, &path, "a list of probes"));
            continue;
        };
        let mut names: BTreeMap<&str, Span> = BTreeMap::new();
        let mut list = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}[{i}]");
            if !matches!(item.value, Value::Map(_)) {
                diags.push(wrong_type(item, &at, "a probe mapping"));
                continue;
            }
            let before = diags.len();
            let value = to_json(item, &at, diags);
            if let Some((name, name_span)) = name_of(item) {
                if let Some(first) = names.get(name) {
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateKey,
                            format!("duplicate probe name `{name}` in `{path}`"),
                        )
                        .at(name_span)
                        .with_label(*first, "first defined here")
                        .with_hint("give each probe of an operation its own name: reports and JUnit test cases are keyed by it"),
                    );
                } else {
                    names.insert(name, name_span);
                }
            }
            if let Some(check) = check
                && diags.len() == before
                && !any_failed(item, failed)
                && let Err((below, msg)) = check(&value)
            {
                let full = match below.as_str() {
                    "" | "." => at.clone(),
                    b if b.starts_with('[') => format!("{at}{b}"),
                    b => format!("{at}.{b}"),
                };
                diags.push(
                    Diagnostic::new(Code::BadValue, format!("{full}: {msg}"))
                        .at(locate(item, &below))
                        .with_hint("see `$defs/Probe` in `rewind schema` for the probe fields"),
                );
            }
            list.push(ProbeDecl {
                value,
                span: item.span,
            });
        }
        out.insert(op.to_owned(), list);
    }
    out
}

fn name_of(item: &Node) -> Option<(&str, Span)> {
    let Value::Map(entries) = &item.value else {
        return None;
    };
    entries
        .iter()
        .find_map(|(k, v)| match (&k.value, &v.value) {
            (Value::Str(k), Value::Str(name)) if k == "name" => Some((name.as_str(), v.span)),
            _ => None,
        })
}

fn any_failed(node: &Node, failed: &BTreeSet<usize>) -> bool {
    if failed.contains(&node.span.offset) {
        return true;
    }
    match &node.value {
        Value::Seq(items) => items.iter().any(|n| any_failed(n, failed)),
        Value::Map(entries) => entries.iter().any(|(_, v)| any_failed(v, failed)),
        _ => false,
    }
}
