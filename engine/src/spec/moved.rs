//! The `moved:` section: renames the user declares, so that state follows the new name.

use super::diagnostic::{Code, Diagnostic, Span};
use super::obj::Obj;
use super::suggest::did_you_mean;
use super::yaml::Node;
use serde::Serialize;
use std::collections::BTreeMap;

/// One `- from: OLD` / `to: NEW` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub from: String,
    pub to: String,
    pub span: Span,
}

/// Lowers `moved:`. `to` must name an operation of `restores:` (a broken one too), and
/// `from` must not: an operation cannot be both the old and the new name.
pub fn section(
    top: &Obj,
    restores: &BTreeMap<String, &Node>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Moved> {
    let mut out: Vec<Moved> = Vec::new();
    let Some((items, _)) = top.opt_seq("moved", diags) else {
        return out;
    };
    for (i, item) in items.iter().enumerate() {
        let path = format!("moved.{i}");
        let Some(entry) = Obj::new(item, &path, diags) else {
            continue;
        };
        entry.check_keys(&["from", "to"], diags);
        let (Some((from, from_at)), Some((to, to_at))) =
            (entry.str_field("from", diags), entry.str_field("to", diags))
        else {
            continue;
        };
        if !restores.contains_key(&to) {
            let hint = did_you_mean(&to, restores.keys().map(String::as_str)).map_or_else(
                || "`to` is the operation's new name in `restores:`".to_owned(),
                |s| format!("did you mean `{s}`?"),
            );
            diags.push(
                Diagnostic::new(
                    Code::DanglingReference,
                    format!("`{path}.to`: no operation named `{to}` in `restores`"),
                )
                .at(to_at)
                .with_hint(hint),
            );
            continue;
        }
        if restores.contains_key(&from) {
            diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!("`{path}.from`: `{from}` is still an operation in `restores`"),
                )
                .at(from_at)
                .with_hint(
                    "`from` is the old name; remove the operation of that name, or this entry",
                ),
            );
            continue;
        }
        if let Some(prev) = out.iter().find(|m| m.from == from || m.to == to) {
            let (what, name) = if prev.from == from {
                ("from", &from)
            } else {
                ("to", &to)
            };
            diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!("`{path}.{what}`: `{name}` is already moved by an earlier entry"),
                )
                .at(if prev.from == from { from_at } else { to_at })
                .with_hint("each name is moved at most once; chain renames by editing the entry"),
            );
            continue;
        }
        out.push(Moved {
            from,
            to,
            span: entry.span,
        });
    }
    out
}
