//! `rewind schema`: the JSON Schema of the spec, for editors.

use crate::error::CliError;
use crate::printer::Printer;
use std::process::ExitCode;

pub fn exec(printer: &Printer) -> Result<ExitCode, CliError> {
    printer.out(&rewind_engine::schema::spec_schema_json());
    Ok(ExitCode::SUCCESS)
}
