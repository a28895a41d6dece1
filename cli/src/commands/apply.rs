//! `rewind apply`: plan, confirm, then run every restore exactly once, in dependency order.
//!
//! A thin wrapper: the work is [`crate::ops::apply`]; what it says at the end is
//! [`crate::render::apply`].

use crate::args::ApplyArgs;
use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use std::process::ExitCode;

pub use crate::ops::apply::read_saved_plan;

pub fn exec(session: &Session, args: &ApplyArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    crate::ops::apply::apply(session, args, printer)
}
