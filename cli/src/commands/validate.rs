//! `rewind validate`: the offline checks, reported all at once.

use crate::error::CliError;
use crate::printer::{Printer, Style};
use crate::render::errors;
use crate::session::Session;
use std::process::ExitCode;

pub fn exec(session: &Session, printer: &Printer) -> Result<ExitCode, CliError> {
    let loaded = session.loaded()?;
    // rewind.toml is checked too: a bad setting must fail here, not mid-apply.
    session.settings(None)?;
    session.check_limits()?;
    crate::ops::validate::plugin_checks(session, printer)?;
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
