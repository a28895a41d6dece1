//! `rewind show PLANFILE`: a saved plan as text, JSON or a pull-request comment.

use crate::args::{PlanFormat, ShowArgs};
use crate::error::CliError;
use crate::printer::Printer;
use crate::render;
use std::process::ExitCode;

pub fn exec(args: &ShowArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let plan = super::apply::read_saved_plan(&args.plan)?;
    if printer.json {
        printer.out(&serde_json::to_string(&plan).unwrap_or_default());
    } else if args.format == PlanFormat::Markdown {
        printer.out(&render::markdown::plan(&plan));
    } else {
        printer.out(&render::plan::human(&plan, printer));
    }
    Ok(ExitCode::SUCCESS)
}
