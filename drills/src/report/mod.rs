//! The drill report: one data type, four renderings, and the writer that puts them on disk.

mod escape;
pub mod html;
pub mod junit;
pub mod markdown;
mod model;
pub mod sample;

use std::path::{Path, PathBuf};

pub use crate::timefmt::{human_duration, human_margin};
pub use crate::timing::{DrillProbe, OpOutcome, OperationTiming};
pub use model::{CleanupAction, CleanupResult, DrillReport, FORMAT_VERSION};

/// File names [`write_all`] writes, in order.
pub const FILES: [&str; 4] = ["report.md", "report.json", "junit.xml", "report.html"];

/// A report file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The report as pretty JSON (`format_version` first).
pub fn to_json(report: &DrillReport) -> String {
    // A tree of strings, numbers and timestamps always serializes.
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"format_version\":{FORMAT_VERSION},\"error\":\"{e}\"}}"))
}

/// Writes `report.md`, `report.json`, `junit.xml` and `report.html` into `dir` (created if
/// missing). Each file is written to a temporary name and renamed, so a reader never sees half a
/// file. Returns the paths written.
pub fn write_all(dir: &Path, report: &DrillReport) -> Result<Vec<PathBuf>, WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })?;
    let bodies = [
        markdown::render(report),
        to_json(report),
        junit::render(report),
        html::render(report),
    ];
    let mut written = Vec::with_capacity(FILES.len());
    for (name, body) in FILES.iter().zip(bodies) {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let fail = |source| WriteError {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, body.as_bytes()).map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)?;
        written.push(path);
    }
    Ok(written)
}
