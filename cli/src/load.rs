//! Reading the spec file and turning it into a compiled spec, or a located report.

use crate::args::Global;
use crate::error::CliError;
use rewind_engine::compile::{Compiled, Parsed};
use rewind_engine::kinds::KindDecl;
use rewind_engine::spec::{Code, Diagnostic, LoadOptions, Report, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A spec that loaded, with where it came from.
#[derive(Debug)]
pub struct Loaded {
    pub compiled: Compiled,
    /// The spec as parsed (its text and located tree), for messages that point into it.
    pub parsed: Parsed,
    /// The directory holding the spec (home of `rewind.toml` and `.rewind/`).
    pub dir: PathBuf,
}

pub fn vars(raw: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    let mut out = BTreeMap::new();
    for v in raw {
        let Some((name, value)) = v.split_once('=') else {
            return Err(CliError::hint(
                format!("--var {v:?} has no `=`"),
                "write --var NAME=VALUE",
            ));
        };
        out.insert(name.trim().to_owned(), value.to_owned());
    }
    Ok(out)
}

/// Reads bytes; invalid UTF-8 is a located error, not a crash or a vague I/O message.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::hint(
            format!("cannot read {name}: {}", crate::words::io_reason(&e)),
            "pass the spec with -f FILE, or run rewind in the spec's directory",
        )
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text
            .strip_prefix('\u{feff}')
            .map(str::to_owned)
            .unwrap_or(text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let line = prefix.matches('\n').count() as u32 + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            let lossy: Arc<str> = Arc::from(String::from_utf8_lossy(&bytes).as_ref());
            let d = Diagnostic::new(
                Code::Syntax,
                format!("the file is not UTF-8 text (invalid byte at offset {valid})"),
            )
            .at(Span::new(prefix.len(), 1, line, column))
            .with_hint("save the spec as UTF-8; binary files are not specs");
            Err(CliError::Spec(Report::new(&name, lossy, vec![d])))
        }
    }
}

/// Reads and compiles the spec once. `plugin_kinds` is asked only when the spec names a
/// kind rewind does not build in: a spec of built-in kinds starts no plugin.
pub fn load(
    global: &Global,
    dir: &Path,
    plugin_kinds: impl FnOnce() -> Result<Vec<KindDecl>, CliError>,
) -> Result<Loaded, CliError> {
    let text = read_text(&global.file)?;
    let name = global.file.display().to_string();
    let parsed = rewind_engine::compile::parse(&name, &text)?;
    let options = LoadOptions {
        vars: vars(&global.vars)?,
        probe_check: Some(probe_check),
        kinds: if parsed.names_other_kinds() {
            plugin_kinds()?
        } else {
            Vec::new()
        },
    };
    let compiled = parsed.compile(&options)?;
    Ok(Loaded {
        compiled,
        parsed,
        dir: dir.to_path_buf(),
    })
}

/// The drills crate's probe parser, for the engine's check of each `drills:` probe.
fn probe_check(v: &serde_json::Value) -> Result<(), (String, String)> {
    rewind_drills::ProbeSpec::from_value(v)
        .map(|_| ())
        .map_err(|e| (e.path, e.message))
}
