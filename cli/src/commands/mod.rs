//! One module per subcommand; each `exec` turns flags into options and calls the library.

pub mod apply;
pub mod graph;
pub mod plan;
pub mod providers;
pub mod schema;
pub mod sim;
pub mod state;
pub mod validate;

use crate::args::Global;
use crate::error::CliError;
use crate::load::Loaded;
use crate::settings::{self, Settings};
use rewind_state::{LockHolder, SledState};
use std::path::Path;

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

/// Opens (creating if needed) and locks the state for one command.
pub fn open_state(dir: &Path, command: &str) -> Result<SledState, CliError> {
    Ok(SledState::open(dir, LockHolder::new(command))?)
}

/// The command line as the lock file should name it.
pub fn command_line(name: &str, loaded: &Loaded) -> String {
    format!("rewind {name} -f {}", loaded.compiled.file)
}
