//! `rewind state list|show|rm|export|migrate|force-unlock|restore`.

use crate::args::StateCommand;
use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use rewind_engine::state::StateStore;
use rewind_state::Backend;
use rewind_state::backend::Location;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn exec(
    session: &Session,
    cmd: &StateCommand,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let location = session.settings(None)?.state;
    if let StateCommand::ForceUnlock { lock_id } = cmd {
        return force_unlock(&location, lock_id, printer);
    }
    if let StateCommand::Restore { backup, force } = cmd {
        return restore(&location, backup, *force, printer);
    }
    if !location.may_exist() {
        return Err(CliError::hint(
            format!("no state at {location}"),
            "state is created by `rewind apply`; pass --state DIR|URL or -f SPEC to find another",
        ));
    }
    let label = match cmd {
        StateCommand::List => "rewind state list",
        StateCommand::Show { .. } => "rewind state show",
        StateCommand::Rm { .. } => "rewind state rm",
        StateCommand::Mv { .. } => "rewind state mv",
        StateCommand::Export => "rewind state export",
        StateCommand::ForceUnlock { .. } => "rewind state force-unlock",
        StateCommand::Migrate { .. } => "rewind state migrate",
        StateCommand::Restore { .. } => "rewind state restore",
    };
    // Reads take a snapshot and never wait for the lock an apply holds.
    let mut state: Box<dyn Backend> =
        if matches!(cmd, StateCommand::List | StateCommand::Show { .. }) {
            Box::new(session.read(&location)?)
        } else {
            session.open(&location, label)?
        };
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
                let mut out = format!("{:<32} {:<22} {:<11} UPDATED\n", "NAME", "KIND", "STATUS");
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
            if printer.json {
                printer.out(&serde_json::to_string_pretty(&record).unwrap_or_default());
            } else {
                printer.out(&super::output::with_rfc3339(&record));
            }
        }
        StateCommand::Mv { old, new } => {
            let in_spec = session
                .loaded()
                .ok()
                .map(|l| l.compiled.spec.ops.contains_key(new.as_str()));
            super::output::state_mv(&mut *state, old, new, in_spec, printer)?;
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
                "Removed {name} from state (backup: {backup}). Nothing in the cloud was touched; the next apply treats it as never run."
            ));
        }
        StateCommand::Export => {
            printer.out(&serde_json::to_string_pretty(&state.export()?).unwrap_or_default());
        }
        StateCommand::Migrate { to } => migrate(session, &*state, to, printer)?,
        StateCommand::ForceUnlock { .. } | StateCommand::Restore { .. } => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Copies `source` into the empty state at `to`, then compares the two exports.
fn migrate(
    session: &Session,
    source: &dyn Backend,
    to: &str,
    printer: &Printer,
) -> Result<(), CliError> {
    let export = source.export()?;
    let mut dest = session.open(
        &Location::parse(to, session.workspace()),
        "rewind state migrate",
    )?;
    if dest.location() == source.location() {
        return Err(CliError::msg("--to names the state being migrated"));
    }
    dest.import(&export)?;
    let copied = dest.export()?;
    if copied != export {
        return Err(CliError::hint(
            format!("the copy at {} differs from the source", dest.location()),
            "the source is unchanged; remove the destination and try again",
        ));
    }
    let records = export["records"].as_array().map_or(0, Vec::len);
    let journal = export["journal"].as_array().map_or(0, Vec::len);
    printer.info(&format!(
        "Copied {records} record(s), {journal} journal entries and serial {} from {} to {}, and checked the copy against the source. Point --state (or REWIND_STATE, or rewind.toml) at the new state; the old one is unchanged.",
        export["serial"],
        source.location(),
        dest.location()
    ));
    Ok(())
}

/// Puts `backup` back as the sled state in `dir`, the damaged files kept aside.
/// The serial a backup file records.
fn backup_serial(backup: &Path) -> Result<u64, CliError> {
    let text = crate::load::read_text(backup)?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::msg(format!("{} is not a state backup: {e}", backup.display())))?;
    doc["serial"].as_u64().ok_or_else(|| {
        CliError::msg(format!(
            "{} is not a state backup: it has no serial",
            backup.display()
        ))
    })
}

fn restore(
    location: &Location,
    backup: &Path,
    force: bool,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let Some(dir) = location.dir() else {
        return Err(CliError::hint(
            "`rewind state restore` puts back a sled state's backup",
            "a PostgreSQL state is restored with the database's own tools (point-in-time recovery, pg_restore)",
        ));
    };
    let holder = rewind_state::LockHolder {
        command: "rewind state restore".to_owned(),
    };
    if !force && dir.join("db").exists() {
        // A healthy state newer than the backup would forget restores it recorded.
        if let Ok(current) = rewind_state::SledState::open(dir, holder.clone()) {
            let now = current.meta()?.serial;
            drop(current);
            let serial = backup_serial(backup)?;
            if now > serial {
                return Err(CliError::hint(
                    format!(
                        "the state at {} is healthy and newer than {} (serial {now} > {serial}): restoring it would forget {} recorded transition(s), and restores recorded since could be submitted again",
                        dir.display(),
                        backup.display(),
                        now - serial
                    ),
                    "restore a state that is damaged, or pass --force if you mean it (the current database is kept aside)",
                ));
            }
        }
    }
    let state = rewind_state::SledState::restore(dir, backup, holder)?;
    let meta = state.meta()?;
    let records = state.list()?.len();
    printer.info(&format!(
        "Restored {} from {} ({records} record(s), serial {}, lineage {}); the damaged database was kept aside in {}. Run `rewind plan` to see what the backup does not know of, and check the cloud for restores recorded after it.",
        dir.display(),
        backup.display(),
        meta.serial,
        meta.lineage,
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn force_unlock(
    location: &Location,
    lock_id: &str,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let Location::Postgres { url, .. } = location else {
        return Err(CliError::hint(
            "force-unlock is for PostgreSQL states",
            "a sled state's lock is an OS file lock: it is released when its holder exits",
        ));
    };
    match rewind_state::postgres::force_unlock(url, lock_id)? {
        Some(holder) => {
            printer.info(&format!(
                "Released lock {lock_id} ({holder}). If that process is still running, its next state write fails instead of racing the next holder."
            ));
            Ok(ExitCode::SUCCESS)
        }
        None => Err(CliError::hint(
            format!("no lock with ID {lock_id}"),
            "it may have been released already; the \"state is locked by\" message names the ID",
        )),
    }
}
