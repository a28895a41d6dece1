//! Secret references (`${secrets.NAME}`, `${env.VAR}`) in sensitive fields; never values.

use super::diagnostic::{Code, Diagnostic, Span};
use super::obj::{Obj, wrong_type};
use super::yaml::Value;

/// An environment variable name as POSIX shells accept it.
pub fn env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The reference in a sensitive field: exactly `${secrets.NAME}` or `${env.VAR}` (left
/// unresolved by interpolation). A literal is refused, naming where it is written.
#[allow(clippy::option_option)] // absent (`Some(None)`) and invalid (`None`) differ
pub fn reference(o: &Obj, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Option<String>> {
    let Some(node) = o.get(key).filter(|n| !matches!(n.value, Value::Null)) else {
        return Some(None);
    };
    let path = o.child_path(key);
    let Value::Str(text) = &node.value else {
        diags.push(wrong_type(node, &path, "a secret reference"));
        return None;
    };
    let Some(name) = as_reference(text) else {
        diags.push(literal(&path, node.span));
        return None;
    };
    Some(Some(name))
}

/// `secrets.NAME` / `env.VAR` when `text` is exactly one such reference.
pub fn as_reference(text: &str) -> Option<String> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?.trim();
    let (ns, name) = inner.split_once('.')?;
    let ok = match ns {
        "secrets" => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        "env" => env_name(name),
        _ => false,
    };
    ok.then(|| inner.to_owned())
}

fn literal(path: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Secret,
        format!("`{path}` is sensitive and is written as a literal"),
    )
    .at(span)
    .with_hint(
        "declare it under `secrets:` (`{ env: VAR }` or `{ file: PATH }`) and write `${secrets.NAME}`, or write `${env.VAR}`; the value then never reaches state or plans",
    )
}
