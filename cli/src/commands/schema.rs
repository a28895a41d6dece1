//! `rewind schema`: the JSON Schema of the spec, for editors.

use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use std::process::ExitCode;

/// The built-in schema, plus the kinds of any plugin found beside the spec (`rewind.toml`)
/// or on `PATH`.
pub fn exec(session: &Session, printer: &Printer) -> Result<ExitCode, CliError> {
    let kinds = session.plugin_kinds()?;
    if kinds.is_empty() {
        printer.out(&rewind_engine::schema::spec_schema_json());
    } else {
        printer.out(&rewind_engine::schema::spec_schema_json_with(&kinds));
    }
    Ok(ExitCode::SUCCESS)
}
