//! `rewind state list|show|rm|export`.

use crate::args::{Global, StateCommand};
use crate::error::CliError;
use crate::printer::Printer;
use rewind_engine::state::StateStore;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn exec(global: &Global, cmd: &StateCommand, printer: &Printer) -> Result<ExitCode, CliError> {
    let dir = global
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let settings = super::settings_for(dir, global, None)?;
    if !settings.state_dir.exists() {
        return Err(CliError::hint(
            format!("no state at {}", settings.state_dir.display()),
            "state is created by `rewind apply`; pass --state DIR or -f SPEC to find another",
        ));
    }
    let label = match cmd {
        StateCommand::List => "rewind state list",
        StateCommand::Show { .. } => "rewind state show",
        StateCommand::Rm { .. } => "rewind state rm",
        StateCommand::Export => "rewind state export",
    };
    let mut state = super::open_state(&settings.state_dir, label)?;
    match cmd {
        StateCommand::List => {
            let records = state.list()?;
            if printer.json {
                let rows: Vec<_> = records
                    .iter()
                    .map(|r| serde_json::json!({"name": r.name, "kind": r.kind, "status": r.status, "updated_at": r.updated_at}))
                    .collect();
                printer.out(&serde_json::json!({"format_version": 1, "records": rows}).to_string());
            } else if records.is_empty() {
                printer.info("State is empty.");
            } else {
                let mut out = String::new();
                for r in &records {
                    let when = jiff::Timestamp::from_millisecond(r.updated_at)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "{:<32} {:<22} {:<11} {}",
                        r.name,
                        r.kind.as_str(),
                        r.status.as_str(),
                        when
                    );
                }
                printer.out(&out);
            }
        }
        StateCommand::Show { name } => {
            let record = state.get(name)?.ok_or_else(|| {
                CliError::hint(
                    format!("no record named {name:?}"),
                    "`rewind state list` shows what is recorded",
                )
            })?;
            printer.out(&serde_json::to_string_pretty(&record).unwrap_or_default());
        }
        StateCommand::Rm { name } => {
            if state.get(name)?.is_none() {
                return Err(CliError::hint(
                    format!("no record named {name:?}"),
                    "`rewind state list` shows what is recorded",
                ));
            }
            let backup = state.backup()?;
            state.remove(name, "removed by `rewind state rm`")?;
            printer.info(&format!(
                "Removed {name} from state (backup: {}). Nothing in the cloud was touched; the next apply treats it as never run.",
                backup.display()
            ));
        }
        StateCommand::Export => {
            printer.out(&serde_json::to_string_pretty(&state.export()?).unwrap_or_default());
        }
    }
    Ok(ExitCode::SUCCESS)
}
