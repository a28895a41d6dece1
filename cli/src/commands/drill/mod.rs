//! `rewind drill`: run a drill of the spec, list past drills, or clean up what drills left.

mod cleanup;
mod due;
pub mod forecast;
mod history;
pub mod metrics;
mod run;

use crate::args::{DrillArgs, DrillCommand};
use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use std::process::ExitCode;

pub fn exec(session: &Session, args: &DrillArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    match &args.command {
        None if args.run.due => due::exec(session, &args.run, printer),
        None => run::exec(session, &args.run, printer),
        Some(DrillCommand::History { name }) => history::exec(session, name.as_deref(), printer),
        Some(DrillCommand::Cleanup { all, sim }) => cleanup::exec(session, *all, sim, printer),
        Some(DrillCommand::Metrics { textfile, push }) => {
            metrics::exec(session, textfile.as_deref(), push.as_deref(), printer)
        }
    }
}
