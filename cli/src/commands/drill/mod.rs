//! `rewind drill`: run a drill of the spec, list past drills, or clean up what drills left.

pub(crate) mod alerts;
pub(crate) mod cleanup;
mod due;
pub(crate) mod evidence;
pub mod forecast;
mod history;
pub(crate) mod hooks;
pub(crate) mod journal;
pub mod metrics;
pub(crate) mod probing;
pub mod recovery;
pub(crate) mod report;
mod run;
pub(crate) mod simtime;

use crate::args::{DrillArgs, DrillCommand};
use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use rewind_engine::drill::DrillDecl;
use rewind_engine::spec::Spec;
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

/// The drill `name`, or the spec's only drill when no name is given.
fn pick<'a>(spec: &'a Spec, name: Option<&str>) -> Result<&'a DrillDecl, CliError> {
    let names = || {
        spec.drills
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(n) => spec.drills.get(n).ok_or_else(|| {
            if spec.drills.is_empty() {
                CliError::hint(
                    format!("the spec has no drill `{n}`: it has no `drills:` section"),
                    "add one (see the README's \"Restore drills\"), or run `rewind validate`",
                )
            } else {
                CliError::hint(
                    format!("the spec has no drill `{n}`"),
                    format!("its drills: {}", names()),
                )
            }
        }),
        None => match spec.drills.len() {
            1 => spec
                .drills
                .values()
                .next()
                .ok_or_else(|| CliError::msg("the spec has no drills")),
            0 => Err(CliError::hint(
                "the spec has no `drills:` section",
                "add one (see the README's \"Restore drills\")",
            )),
            _ => Err(CliError::hint(
                "the spec has several drills: name the one to run",
                format!("rewind drill NAME, with NAME one of: {}", names()),
            )),
        },
    }
}
