//! One module per subcommand; each `exec` turns flags into options and calls the library.

pub mod apply;
pub mod completions;
pub mod drill;
pub mod graph;
pub mod history;
pub mod init;
pub mod man;
pub mod output;
pub mod plan;
pub mod providers;
pub mod schema;
pub mod shared_budget;
pub mod show;
pub mod sim;
pub mod state;
pub mod status;
pub mod validate;
pub mod version;

use crate::args::Global;
use crate::error::CliError;
use crate::load::Loaded;
use crate::settings::{self, Settings};
use rewind_state::backend::{self, Backend, Location, OpenOptions};
use rewind_state::{LockHolder, postgres};
use std::path::Path;
use std::time::Duration;

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Settings for a spec: `rewind.toml` beside it, then environment and flags on top.
pub fn settings_for(
    spec_dir: &Path,
    global: &Global,
    parallelism: Option<usize>,
) -> Result<Settings, CliError> {
    let file = settings::read_file(spec_dir)?;
    settings::resolve(
        spec_dir,
        file,
        global.state.as_deref(),
        parallelism,
        &env_lookup,
    )
    .map_err(CliError::msg)
}

/// Lock lease of PostgreSQL states, in seconds: short in tests, long enough for a loaded
/// machine by default.
pub const LOCK_LEASE_ENV: &str = "REWIND_LOCK_LEASE";

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

fn open_options(global: Option<&Global>, command: &str) -> Result<OpenOptions, CliError> {
    // Every caller with a `Global` has read this `rewind.toml` already, so it reads cleanly.
    let file = match global {
        Some(g) => {
            let dir = g.file.parent().filter(|p| !p.as_os_str().is_empty());
            settings::read_file(dir.unwrap_or(Path::new(".")))?
                .lock_lease
                .map(|l| *l.get_ref())
        }
        None => None,
    };
    let lease = lock_lease(env_lookup(LOCK_LEASE_ENV), file)?;
    Ok(OpenOptions {
        holder: LockHolder::new(command),
        lock_timeout: global
            .and_then(|g| g.lock_timeout)
            .unwrap_or(Duration::ZERO),
        lease,
    })
}

/// The state location that settings name: a sled directory or a PostgreSQL workspace.
pub fn location(global: &Global, state: &Path) -> Location {
    let text = state.to_string_lossy();
    let workspace = global
        .workspace
        .clone()
        .unwrap_or_else(|| default_workspace(&global.file));
    Location::parse(&text, workspace)
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

/// Opens (creating if needed) and locks the state at `state` (a directory or URL), waiting
/// up to `--lock-timeout` for another holder.
pub fn open_at(global: &Global, state: &Path, command: &str) -> Result<Box<dyn Backend>, CliError> {
    let options = open_options(Some(global), command)?;
    Ok(backend::open(&location(global, state), &options)?)
}

/// One attempt at opening and locking the state at `state`, without waiting for another
/// holder: the state error (`Locked` among them) is the caller's to handle.
pub fn try_open_at(
    global: &Global,
    state: &Path,
    command: &str,
) -> Result<Result<Box<dyn Backend>, rewind_engine::state::StateError>, CliError> {
    let options = OpenOptions {
        lock_timeout: Duration::ZERO,
        ..open_options(Some(global), command)?
    };
    Ok(backend::open(&location(global, state), &options))
}

/// A consistent read-only snapshot of the state at `state` (a directory or URL), taken
/// without waiting for its lock: what the read commands use, so an apply never blocks them.
pub fn open_read(global: &Global, state: &Path) -> Result<rewind_state::Snapshot, CliError> {
    Ok(rewind_state::snapshot::read(&location(global, state))?)
}

/// The snapshot a read command (`history`, `status`, `output`) shows: the state `--state` or
/// `rewind.toml` beside the spec names. A read never creates state, so a missing one is an
/// error that says where state comes from.
pub fn read_existing(global: &Global) -> Result<rewind_state::Snapshot, CliError> {
    let dir = global
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let settings = settings_for(dir, global, None)?;
    let shared = backend::is_postgres_url(&settings.state_dir.to_string_lossy());
    if !shared && !settings.state_dir.exists() {
        return Err(CliError::hint(
            format!("no state at {}", settings.state_dir.display()),
            "state is created by `rewind apply`; pass --state DIR|URL or -f SPEC to find another",
        ));
    }
    open_read(global, &settings.state_dir)
}

/// The command line as the lock file should name it.
pub fn command_line(name: &str, loaded: &Loaded) -> String {
    format!("rewind {name} -f {}", loaded.compiled.file)
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
