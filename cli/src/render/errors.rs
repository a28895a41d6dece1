//! Errors and spec diagnostics: miette for people, one JSON document for scripts.

use crate::error::CliError;
use crate::printer::{Printer, Style};
use miette::{GraphicalReportHandler, GraphicalTheme};
use rewind_engine::spec::Report;
use serde_json::json;
use std::fmt::Write as _;

/// Renders a report as miette would on a terminal (colors only when the printer allows).
pub fn human(report: &Report, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for view in report.views() {
        let _ = handler.render_report(&mut out, &view);
    }
    let _ = writeln!(
        out,
        "{} problem{} found in {}",
        report.diagnostics.len(),
        if report.diagnostics.len() == 1 {
            ""
        } else {
            "s"
        },
        report.file
    );
    out
}

/// The machine form shared by `validate --json` and failing commands under `--json`.
pub fn json(report: &Report) -> serde_json::Value {
    let items: Vec<serde_json::Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "code": d.code.as_str(),
                "message": d.message,
                "file": report.file,
                "line": d.span.map(|s| s.line),
                "column": d.span.map(|s| s.column),
                "hint": d.hint,
            })
        })
        .collect();
    json!({ "format_version": 1, "valid": items.is_empty(), "diagnostics": items })
}

pub fn print(err: &CliError, printer: &Printer) {
    match err {
        CliError::Spec(report) if printer.json => printer.out(&json(report).to_string()),
        CliError::Spec(report) => printer.error(&human(report, printer.color)),
        CliError::Message { message, hint } if printer.json => {
            printer.out(&json!({"format_version": 1, "error": message, "hint": hint}).to_string());
        }
        CliError::Message { message, hint } => {
            let mut text = format!("{} {message}", printer.paint("error:", Style::Red));
            if let Some(h) = hint {
                let _ = write!(text, "\n  {} {h}", printer.paint("hint:", Style::Cyan));
            }
            printer.error(&text);
        }
    }
}
