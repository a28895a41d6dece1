//! One command's inputs, each read at most once: `rewind.toml`, the plugins, the spec, the state's place.
//!
//! A command gets a [`Session`] from `lib.rs` and asks it for what it needs; nothing is read
//! before it is asked for (`rewind version` reads nothing), and nothing twice (the spec is
//! lowered once, with the plugins' kinds only when it names a kind rewind does not build in).
//! Each read logs a debug event (target `rewind::session`), which the tests count.

use crate::args::Global;
use crate::error::CliError;
use crate::load::{self, Loaded};
use crate::plugins::{self, Plugin};
use crate::settings::{self, FileSettings, Settings};
use rewind_engine::kinds::{KindDecl, Service};
use rewind_engine::state::StateError;
use rewind_state::backend::{self, Backend, Location, OpenOptions};
use rewind_state::{LockHolder, postgres};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the session's reads are logged, for `REWIND_LOG=rewind::session=debug`.
pub const LOG_TARGET: &str = "rewind::session";

/// Lock lease of PostgreSQL states, in seconds: short in tests, long enough for a loaded
/// machine by default.
pub const LOCK_LEASE_ENV: &str = rewind_base::env::LOCK_LEASE;

/// The inputs of one command, read lazily and kept.
#[derive(Debug)]
pub struct Session {
    global: Global,
    /// The directory holding the spec: home of `rewind.toml` and `.rewind/`.
    dir: PathBuf,
    file: OnceCell<FileSettings>,
    plugins: OnceCell<Vec<Plugin>>,
    loaded: OnceCell<Loaded>,
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Returns the cell's value, computing it first if it has none; an error is not kept.
fn once<T>(cell: &OnceCell<T>, make: impl FnOnce() -> Result<T, CliError>) -> Result<&T, CliError> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = make()?;
    Ok(cell.get_or_init(|| v))
}

impl Session {
    pub fn new(global: Global) -> Session {
        let dir = global
            .file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Session {
            global,
            dir,
            file: OnceCell::new(),
            plugins: OnceCell::new(),
            loaded: OnceCell::new(),
        }
    }

    /// A fresh session for another spec file (a saved plan names the spec it was made of).
    pub fn for_file(&self, file: PathBuf) -> Session {
        Session::new(Global {
            file,
            state: self.global.state.clone(),
            vars: self.global.vars.clone(),
            workspace: self.global.workspace.clone(),
            ..self.global
        })
    }

    pub fn global(&self) -> &Global {
        &self.global
    }

    /// `rewind.toml` beside the spec, read and range-checked once.
    pub fn file_settings(&self) -> Result<&FileSettings, CliError> {
        once(&self.file, || {
            tracing::debug!(target: LOG_TARGET, dir = %self.dir.display(), "read rewind.toml");
            Ok(settings::read_file(&self.dir)?)
        })
    }

    /// Settings: `rewind.toml`, then environment and flags on top. `parallelism` is apply's
    /// `--parallelism`.
    pub fn settings(&self, parallelism: Option<usize>) -> Result<Settings, CliError> {
        let file = self.file_settings()?.clone();
        settings::resolve(
            &self.dir,
            file,
            self.global.state.as_deref(),
            &self.workspace(),
            parallelism,
            &env_lookup,
        )
        .map_err(CliError::msg)
    }

    /// The PostgreSQL workspace: `--workspace`, else the spec's path inside its repository.
    pub fn workspace(&self) -> String {
        self.global
            .workspace
            .clone()
            .unwrap_or_else(|| default_workspace(&self.global.file))
    }

    /// Every plugin found for this spec (`rewind.toml`'s `[providers]`, then `PATH`),
    /// described once. A plugin that does not answer properly, or two that claim the same
    /// kind or service, is an error.
    pub fn plugins(&self) -> Result<&[Plugin], CliError> {
        once(&self.plugins, || {
            let found = plugins::find(self.file_settings()?);
            tracing::debug!(target: LOG_TARGET, count = found.len(), "described plugins");
            plugins::describe_strict(found)
        })
        .map(Vec::as_slice)
    }

    /// The plugins described so far, without starting any: a spec of built-in kinds runs
    /// no plugin.
    pub fn plugins_started(&self) -> &[Plugin] {
        self.plugins.get().map_or(&[], Vec::as_slice)
    }

    /// The kinds the plugins declare.
    pub fn plugin_kinds(&self) -> Result<Vec<KindDecl>, CliError> {
        Ok(self
            .plugins()?
            .iter()
            .flat_map(|p| p.described.kinds.iter().cloned())
            .collect())
    }

    /// The spec, compiled once; the plugins are started only when it names a kind rewind
    /// does not build in.
    pub fn loaded(&self) -> Result<&Loaded, CliError> {
        once(&self.loaded, || {
            tracing::debug!(target: LOG_TARGET, file = %self.global.file.display(), "compile the spec");
            load::load(&self.global, &self.dir, || self.plugin_kinds())
        })
    }

    /// Checks `[limits]` keys that are not built-in services against the plugins' services,
    /// describing the plugins first if loading the spec did not need them.
    pub fn check_limits(&self) -> Result<(), CliError> {
        let file = self.file_settings()?;
        if file.limits.keys().all(|k| Service::parse(k).is_some()) {
            return Ok(());
        }
        let services = self
            .plugin_kinds()?
            .into_iter()
            .filter_map(|k| k.name.split_once('.').map(|(svc, _)| svc.to_owned()))
            .collect();
        settings::check_limit_services(&self.dir, file, &services)?;
        Ok(())
    }

    fn open_options(&self, command: &str) -> Result<OpenOptions, CliError> {
        let file = self
            .file_settings()?
            .lock_lease
            .as_ref()
            .map(|l| *l.get_ref());
        Ok(OpenOptions {
            holder: LockHolder::new(command),
            lock_timeout: self.global.lock_timeout.unwrap_or(Duration::ZERO),
            lease: lock_lease(env_lookup(LOCK_LEASE_ENV), file)?,
        })
    }

    /// Opens (creating if needed) and locks the state at `location`, waiting up to
    /// `--lock-timeout` for another holder.
    pub fn open(&self, location: &Location, command: &str) -> Result<Box<dyn Backend>, CliError> {
        let options = self.open_options(command)?;
        Ok(backend::open(location, &options)?)
    }

    /// One attempt at opening and locking the state, without waiting for another holder:
    /// the state error (`Locked` among them) is the caller's to handle.
    pub fn try_open(
        &self,
        location: &Location,
        command: &str,
    ) -> Result<Result<Box<dyn Backend>, StateError>, CliError> {
        let options = OpenOptions {
            lock_timeout: Duration::ZERO,
            ..self.open_options(command)?
        };
        Ok(backend::open(location, &options))
    }

    /// A consistent read-only snapshot of the state at `location`, taken without waiting for
    /// its lock: what the read commands use, so an apply never blocks them.
    #[allow(
        clippy::unused_self,
        reason = "every state access of a command goes through its session"
    )]
    pub fn read(&self, location: &Location) -> Result<rewind_state::Snapshot, CliError> {
        Ok(rewind_state::snapshot::read(location)?)
    }

    /// The snapshot a read command (`history`, `status`, `output`) shows. A read never
    /// creates state, so a missing one is an error that says where state comes from.
    pub fn read_existing(&self) -> Result<rewind_state::Snapshot, CliError> {
        let location = self.settings(None)?.state;
        if !location.may_exist() {
            return Err(CliError::hint(
                format!("no state at {location}"),
                "state is created by `rewind apply`; pass --state DIR|URL or -f SPEC to find another",
            ));
        }
        self.read(&location)
    }

    /// The runs recorded in the configured state; none when there is no state yet.
    pub fn runs_if_any(&self) -> Result<Vec<rewind_engine::state::RunEntry>, CliError> {
        let location = self.settings(None)?.state;
        if !location.may_exist() {
            return Ok(Vec::new());
        }
        Ok(rewind_engine::state::StateStore::runs(
            &self.read(&location)?,
        )?)
    }

    /// The command line as the lock file should name it.
    pub fn command_line(&self, name: &str) -> String {
        format!("rewind {name} -f {}", self.global.file.display())
    }
}

/// The lock lease: `REWIND_LOCK_LEASE`, else `rewind.toml`'s `lock_lease` (`file`), else the
/// default.
fn lock_lease(env: Option<String>, file: Option<f64>) -> Result<Duration, CliError> {
    match (env, file) {
        (Some(v), _) => v
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= settings::MIN_LOCK_LEASE.as_secs_f64())
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                CliError::msg(format!(
                    "{LOCK_LEASE_ENV}={v:?} is not seconds (0.1 or more)"
                ))
            }),
        // `read_file` range-checked it.
        (None, Some(secs)) => Ok(Duration::from_secs_f64(secs)),
        (None, None) => Ok(postgres::DEFAULT_LEASE),
    }
}

/// The spec's path inside its git repository (the same on every clone), else its file name.
pub fn default_workspace(spec: &Path) -> String {
    let absolute = std::fs::canonicalize(spec).unwrap_or_else(|_| spec.to_owned());
    let mut dir = absolute.parent();
    while let Some(d) = dir {
        if d.join(".git").exists()
            && let Ok(rel) = absolute.strip_prefix(d)
        {
            return rel.to_string_lossy().replace('\\', "/");
        }
        dir = d.parent();
    }
    spec.file_name().map_or_else(
        || "default".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_comes_from_the_environment_then_the_file_then_the_default() {
        let secs = |env: Option<&str>, file| lock_lease(env.map(str::to_owned), file).unwrap();
        assert_eq!(secs(Some("2.5"), Some(45.0)), Duration::from_millis(2500));
        assert_eq!(secs(None, Some(45.0)), Duration::from_secs(45));
        assert_eq!(secs(None, None), postgres::DEFAULT_LEASE);
        assert!(lock_lease(Some("0.01".into()), None).is_err());
    }
}
