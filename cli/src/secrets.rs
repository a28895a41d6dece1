//! Secret values for submits: read from the environment or a file, in memory only.

use rewind_engine::kinds::{Secret, SecretRef};
use rewind_engine::provider::Secrets;
use rewind_engine::spec::SecretSource;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;

/// The secrets of one spec. In a rehearsal (`--simulate`) a secret that is not set gets a
/// throwaway value, so that a rehearsal needs no real password.
pub struct SpecSecrets {
    sources: BTreeMap<String, SecretSource>,
    /// Relative secret files are read from the spec's directory.
    dir: PathBuf,
    rehearsal: bool,
}

impl SpecSecrets {
    pub fn new(sources: BTreeMap<String, SecretSource>, dir: PathBuf, rehearsal: bool) -> Self {
        SpecSecrets {
            sources,
            dir,
            rehearsal,
        }
    }

    fn read(&self, reference: &SecretRef) -> Result<String, String> {
        if let Some(var) = reference.name.strip_prefix("env.") {
            return env(var);
        }
        let name = reference
            .name
            .strip_prefix("secrets.")
            .unwrap_or(&reference.name);
        match self.sources.get(name) {
            Some(SecretSource::Env(var)) => env(var),
            Some(SecretSource::File(path)) => {
                let path = self.dir.join(path);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "cannot read secret file {}: {}",
                        path.display(),
                        crate::words::io_reason(&e)
                    )
                })?;
                let value = text.trim_end_matches(['\n', '\r']);
                // As an empty variable is: no password is a mistake, not a value to send.
                if value.is_empty() {
                    return Err(format!("secret file {} is empty", path.display()));
                }
                Ok(value.to_owned())
            }
            None => Err(format!("the spec declares no secret `{name}`")),
        }
    }
}

fn env(var: &str) -> Result<String, String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => Err(format!("environment variable {var} is empty")),
        Err(std::env::VarError::NotPresent) => {
            Err(format!("environment variable {var} is not set"))
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("environment variable {var} is not valid UTF-8"))
        }
    }
}

/// A password that meets every engine's rules, for rehearsals only.
fn throwaway() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("Rw9-{:016x}", h.finish())
}

impl Secrets for SpecSecrets {
    fn resolve(&self, reference: &SecretRef) -> Result<Secret, String> {
        match self.read(reference) {
            Ok(v) => Ok(Secret::new(v)),
            Err(_) if self.rehearsal => Ok(Secret::new(throwaway())),
            Err(why) => Err(why),
        }
    }
}

/// Every secret the plan's submits need, checked before anything runs: each problem as
/// "`OP` needs ${secrets.X}: why".
pub fn missing(plan: &rewind_engine::plan::Plan, secrets: &SpecSecrets) -> Vec<String> {
    let mut out = Vec::new();
    for step in plan.steps.iter().filter(|s| s.action.submits()) {
        for (_, reference) in step.spec.secret_refs() {
            if let Err(why) = secrets.resolve(&reference) {
                out.push(format!("`{}` needs {reference}: {why}", step.name));
            }
        }
    }
    out
}

/// In a rehearsal, the secrets that are not set and get a throwaway value instead: each as
/// "`OP` needs ${secrets.X}: why", for a warning. Outside a rehearsal, none.
pub fn stand_ins(plan: &rewind_engine::plan::Plan, secrets: &SpecSecrets) -> Vec<String> {
    if !secrets.rehearsal {
        return Vec::new();
    }
    let mut out = Vec::new();
    for step in plan.steps.iter().filter(|s| s.action.submits()) {
        for (_, reference) in step.spec.secret_refs() {
            if let Err(why) = secrets.read(&reference) {
                out.push(format!("`{}` needs {reference}: {why}", step.name));
            }
        }
    }
    out
}

/// Prints one warning per secret a rehearsal stands in for: never silently replaced.
pub fn warn_stand_ins(missing: &[String], printer: &crate::printer::Printer) {
    for m in missing {
        printer.error(&format!(
            "Warning: {m}; the rehearsal uses a throwaway value (a real run would stop here)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rehearsal_names_the_secret_it_stands_in_for() {
        let sources = BTreeMap::from([(
            "root".to_owned(),
            SecretSource::Env("REWIND_TEST_SURELY_UNSET_VAR".to_owned()),
        )]);
        let rehearsal = SpecSecrets::new(sources.clone(), PathBuf::from("."), true);
        let reference = SecretRef {
            name: "secrets.root".to_owned(),
        };
        assert!(rehearsal.resolve(&reference).is_ok());
        let why = rehearsal.read(&reference).err().unwrap_or_default();
        assert!(why.contains("REWIND_TEST_SURELY_UNSET_VAR"), "{why}");
        let real = SpecSecrets::new(sources, PathBuf::from("."), false);
        assert!(real.resolve(&reference).is_err());
    }

    #[test]
    fn an_empty_secret_file_is_refused_like_an_empty_variable() {
        let dir = std::env::temp_dir().join(format!("rewind-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("pw"), "\n").expect("write");
        let sources = BTreeMap::from([("pw".to_owned(), SecretSource::File("pw".into()))]);
        let secrets = SpecSecrets::new(sources, dir.clone(), false);
        let why = secrets
            .read(&SecretRef {
                name: "secrets.pw".to_owned(),
            })
            .err()
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(why.ends_with("pw is empty"), "{why}");
    }
}
