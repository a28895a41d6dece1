//! A bad var is one mistake: errors at each use of a whole `${var.NAME}` become one, at the var.

use super::diagnostic::{Code, Diagnostic, Span};
use super::yaml::{Node, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Span offset of each value written exactly `${var.NAME}`, to NAME.
fn whole_uses(node: &Node, out: &mut BTreeMap<usize, String>) {
    match &node.value {
        Value::Str(s) => {
            if let Some(name) = s
                .trim()
                .strip_prefix("${var.")
                .and_then(|r| r.strip_suffix('}'))
                .filter(|n| !n.is_empty() && !n.contains(['$', '{', '}']))
            {
                out.insert(node.span.offset, name.to_owned());
            }
        }
        Value::Seq(items) => items.iter().for_each(|n| whole_uses(n, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, n)| whole_uses(n, out)),
        _ => {}
    }
}

/// `diags` with every error located at a whole `${var.NAME}` use folded into one per var and
/// kind of error, located at the var's value (or, for `--var`, at its first use), with a
/// label at each use.
pub fn at_the_var(
    ops: &BTreeMap<String, &Node>,
    vars: &BTreeMap<String, Node>,
    overrides: &BTreeMap<String, String>,
    diags: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut uses = BTreeMap::new();
    for node in ops.values() {
        whole_uses(node, &mut uses);
    }
    if uses.is_empty() {
        return diags;
    }
    let mut out = Vec::with_capacity(diags.len());
    // (var, code) -> index in `out` of the folded diagnostic, and the uses seen.
    let mut folded: BTreeMap<(String, &'static str), (usize, Vec<Span>)> = BTreeMap::new();
    for d in diags {
        // Only a value that is wrong in itself (a time, an ID, a choice) is the var's
        // fault; a restore onto its source or a conflict is the operation's.
        let about_the_value = matches!(
            d.code,
            Code::BadTime | Code::BadId | Code::BadValue | Code::WrongType
        ) && d.message.starts_with("`restores.");
        let Some((span, name)) = d
            .span
            .filter(|_| about_the_value)
            .and_then(|s| uses.get(&s.offset).map(|n| (s, n.clone())))
            // A list or mapping var is a fine var (for_each takes one); used where one
            // value belongs, the use is the mistake, so the error stays there.
            .filter(|(_, n)| {
                vars.get(n)
                    .is_some_and(|v| !matches!(v.value, Value::Seq(_) | Value::Map(_)))
            })
        else {
            out.push(d);
            continue;
        };
        let key = (name.clone(), d.code.as_str());
        if let Some((_, spans)) = folded.get_mut(&key) {
            spans.push(span);
            continue;
        }
        let overridden = overrides.contains_key(&name);
        let label = if overridden {
            format!("--var {name}")
        } else {
            format!("vars.{name}")
        };
        // "`restores.a.source.restore_time` is not ..." -> "`vars.t` is not ...".
        let message = match d.message.strip_prefix('`').and_then(|m| m.split_once('`')) {
            Some((_, rest)) => format!("`{label}`{rest}"),
            None => format!("`{label}`: {}", d.message),
        };
        let at = if overridden {
            span
        } else {
            vars.get(&name).map_or(span, |n| n.span)
        };
        let mut one = Diagnostic::new(d.code, message).at(at);
        one.hint = d.hint;
        folded.insert(key, (out.len(), vec![span]));
        out.push(one);
    }
    for (index, spans) in folded.into_values() {
        let n = spans.len();
        let d = &mut out[index];
        // A `--var` is located at its first use already; a second label there says nothing.
        let primary = d.span;
        for s in spans.into_iter().filter(|s| Some(*s) != primary) {
            *d = std::mem::replace(d, Diagnostic::new(d.code, String::new()))
                .with_label(s, "used here");
        }
        if n > 1 {
            let _ = write!(d.message, " (used {n} times)");
        }
    }
    out
}
