//! `--simulate` and its flags, shared by plan, apply and drill, and the number parser they use.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Clone, Default)]
pub struct SimulateArgs {
    /// Rehearse against an in-process simulator whose world is built from the spec; state is
    /// kept in a throw-away directory unless --state is given.
    #[arg(long)]
    pub simulate: bool,
    /// With --simulate: use this world file instead of a generated one.
    #[arg(long, value_name = "FILE", requires = "simulate")]
    pub world: Option<PathBuf>,
    /// With --simulate: simulated seconds per real second [default: 600].
    #[arg(long, value_name = "X", requires = "simulate", value_parser = number)]
    pub time_scale: Option<f64>,
}

/// A number such as 600 or 0.5 (range checks are the command's).
pub(crate) fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number like 600 or 0.5"))
}
