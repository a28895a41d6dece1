//! `rewind schema`: the JSON Schema of the spec, for editors.

use crate::error::CliError;
use crate::printer::Printer;
use std::process::ExitCode;

// Same signature as every other command, so `run` treats them alike.
#[allow(clippy::unnecessary_wraps)]
pub fn exec(printer: &Printer) -> Result<ExitCode, CliError> {
    printer.out(&rewind_engine::schema::spec_schema_json());
    Ok(ExitCode::SUCCESS)
}
