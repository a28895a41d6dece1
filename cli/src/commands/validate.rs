//! `rewind validate`: the offline checks, reported all at once.

use crate::args::Global;
use crate::error::CliError;
use crate::load;
use crate::printer::{Printer, Style};
use crate::render::errors;
use std::process::ExitCode;

pub fn exec(global: &Global, printer: &Printer) -> Result<ExitCode, CliError> {
    let loaded = load::load(global)?;
    // rewind.toml is checked too: a bad setting must fail here, not mid-apply.
    super::settings_for(&loaded.dir, global, None)?;
    super::providers::check_limits(&loaded.dir)?;
    let c = &loaded.compiled;
    if printer.json {
        let mut doc = errors::json(&rewind_engine::spec::Report::new(
            &c.file,
            "".into(),
            Vec::new(),
        ));
        doc["operations"] = serde_json::json!(c.spec.ops.len());
        doc["edges"] = serde_json::json!(c.graph.edges().len());
        printer.out(&doc.to_string());
    } else {
        printer.info(&format!(
            "{} {} is valid: {} operation(s), {} ordering edge(s).",
            printer.paint("ok:", Style::Green),
            c.file,
            c.spec.ops.len(),
            c.graph.edges().len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
