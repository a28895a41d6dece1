//! `rewind version` and `--version`: the version, git commit and build date, as text or JSON.

use crate::printer::Printer;
use std::process::ExitCode;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Short commit hash, or `unknown` when the build had no git checkout (see build.rs).
pub const COMMIT: &str = env!("REWIND_GIT_COMMIT");
/// `YYYY-MM-DD` (UTC), or SOURCE_DATE_EPOCH's date for reproducible builds.
pub const BUILD_DATE: &str = env!("REWIND_BUILD_DATE");

/// What `--version` prints after `rewind `.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("REWIND_GIT_COMMIT"),
    ", built ",
    env!("REWIND_BUILD_DATE"),
    ")"
);

/// The same fields as one JSON document.
pub fn json() -> serde_json::Value {
    serde_json::json!({
        "format_version": 1,
        "name": "rewind",
        "version": VERSION,
        "commit": COMMIT,
        "build_date": BUILD_DATE,
    })
}

pub fn exec(printer: &Printer) -> ExitCode {
    if printer.json {
        printer.out(&json().to_string());
    } else {
        printer.out(&format!("rewind {LONG}"));
    }
    ExitCode::SUCCESS
}
