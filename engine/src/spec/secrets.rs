//! The `secrets:` section, and the rule that sensitive fields take only secret references.

use super::SecretSource;
use super::diagnostic::{Code, Diagnostic, Span};
use super::interp::env_name;
use super::obj::{Obj, wrong_type};
use super::yaml::Value;
use crate::kinds::SecretRef;
use std::collections::BTreeMap;

/// Lowers `secrets:`: each entry is `{ env: VAR }` or `{ file: PATH }`, never a value.
pub fn section(top: &Obj, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, SecretSource> {
    let mut out = BTreeMap::new();
    let Some(section) = top.opt_obj("secrets", diags) else {
        return out;
    };
    for (name, node, _) in section.keys() {
        let path = format!("secrets.{name}");
        if let Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) = node.value {
            diags.push(
                Diagnostic::new(
                    Code::Secret,
                    format!("`{path}` is a literal; a secret is never written in the spec"),
                )
                .at(node.span)
                .with_hint(format!(
                    "write `{name}: {{ env: VARIABLE }}` or `{name}: {{ file: /run/secrets/{name} }}`"
                )),
            );
            continue;
        }
        let Some(entry) = Obj::new(node, &path, diags) else {
            continue;
        };
        entry.check_keys(&["env", "file"], diags);
        let env = entry.opt_str("env", diags);
        let file = entry.opt_str("file", diags);
        match (env, file) {
            (Some((var, span)), None) => {
                if env_name(&var) {
                    out.insert(name.to_owned(), SecretSource::Env(var));
                } else {
                    diags.push(
                        Diagnostic::new(
                            Code::BadValue,
                            format!("`{path}.env` = {var:?} is not a variable name"),
                        )
                        .at(span)
                        .with_hint("letters, digits and `_`, not starting with a digit"),
                    );
                }
            }
            (None, Some((file, _))) => {
                out.insert(name.to_owned(), SecretSource::File(file));
            }
            (Some(_), Some((_, span))) => diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!("`{path}` sets both `env` and `file`"),
                )
                .at(span)
                .with_hint("keep one source per secret"),
            ),
            (None, None) => diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("`{path}` needs `env` or `file`"),
                )
                .at(entry.span)
                .with_hint("for example `{ env: RESTORE_DB_PASSWORD }`"),
            ),
        }
    }
    out
}

/// The reference in a sensitive field: exactly `${secrets.NAME}` or `${env.VAR}` (left
/// unresolved by interpolation). A literal is refused, naming where it is written.
#[allow(clippy::option_option)] // absent (`Some(None)`) and invalid (`None`) differ
pub fn reference(o: &Obj, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Option<SecretRef>> {
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
    Some(Some(SecretRef { name }))
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
