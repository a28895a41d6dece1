//! `rewind schema`: the JSON Schema of the spec, for editors.

use crate::args::Global;
use crate::error::CliError;
use crate::printer::Printer;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The built-in schema, plus the kinds of any plugin found beside the spec (`rewind.toml`)
/// or on `PATH`.
pub fn exec(global: &Global, printer: &Printer) -> Result<ExitCode, CliError> {
    let dir = global
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let kinds = super::providers::kinds_for(&dir)?;
    if kinds.is_empty() {
        printer.out(&rewind_engine::schema::spec_schema_json());
    } else {
        printer.out(&rewind_engine::schema::spec_schema_json_with(&kinds));
    }
    Ok(ExitCode::SUCCESS)
}
