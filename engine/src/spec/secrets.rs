//! The `secrets:` section, and the rule that sensitive fields take only secret references.

use super::SecretSource;
use super::diagnostic::{Code, Diagnostic};
use super::obj::Obj;
use super::yaml::Value;
use crate::kinds::SecretRef;
use crate::syntax::secret_ref::env_name;
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

/// The reference in a sensitive field, as a [`SecretRef`].
#[allow(clippy::option_option)] // absent (`Some(None)`) and invalid (`None`) differ
pub fn reference(o: &Obj, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Option<SecretRef>> {
    crate::syntax::secret_ref::reference(o, key, diags).map(|r| r.map(|name| SecretRef { name }))
}

pub use crate::syntax::secret_ref::as_reference;
