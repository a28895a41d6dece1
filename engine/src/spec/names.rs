//! Operation names: what a valid one looks like, and the error for a reference to none.

use super::diagnostic::{Code, Diagnostic, Span};
use super::suggest::did_you_mean;
use super::yaml::Node;
use std::collections::BTreeMap;

/// Whether `name` may name an operation or a drill: a letter, then letters, digits, `-`, `_`.
pub(super) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The error for `op`, named at `span`, when `restores` (`raw`) has no operation of that name.
pub(super) fn dangling(op: &str, span: Span, raw: &BTreeMap<String, &Node>) -> Diagnostic {
    let hint = did_you_mean(op, raw.keys().map(String::as_str)).map_or_else(
        || {
            format!(
                "defined operations: {}",
                raw.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        },
        |s| format!("did you mean `{s}`?"),
    );
    Diagnostic::new(
        Code::DanglingReference,
        format!("no operation named `{op}` in `restores`"),
    )
    .at(span)
    .with_hint(hint)
}
