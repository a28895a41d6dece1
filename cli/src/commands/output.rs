//! `rewind output [NAME]` (what restores produced, from state), and `state mv`/`state show` helpers.

use crate::args::OutputArgs;
use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use rewind_engine::state::{OpRecord, StateStore, Status};
use rewind_state::Backend;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::ExitCode;

/// Outputs in the order people read them: where the data is first.
const FIRST: &[&str] = &["instance_id", "name", "private_ip", "port"];

fn ordered(outputs: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = FIRST
        .iter()
        .filter_map(|k| outputs.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    out.extend(
        outputs
            .iter()
            .filter(|(k, _)| !FIRST.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    out
}

/// The lines of one record's outputs, as `name  key = value`.
pub fn text(records: &[&OpRecord]) -> String {
    let mut out = String::new();
    for r in records {
        let _ = writeln!(out, "{} ({}, {}):", r.name, r.kind, r.status);
        for (k, v) in ordered(&r.outputs) {
            let _ = writeln!(out, "  {k:<16} {v}");
        }
    }
    out
}

/// The instances a finished apply created, for its summary: `name: ID at ADDRESS:PORT`.
pub fn created_lines(records: &[OpRecord], names: &[String]) -> Vec<String> {
    records
        .iter()
        .filter(|r| names.contains(&r.name) && r.status == Status::Succeeded)
        .filter(|r| r.kind.as_str().ends_with("restore_new"))
        .map(|r| {
            let o = &r.outputs;
            let get = |k: &str| o.get(k).map_or("?", String::as_str);
            let mut line = format!("  {}: {}", r.name, get("instance_id"));
            if let Some(n) = o.get("name") {
                let _ = write!(line, " ({n})");
            }
            if o.contains_key("private_ip") || o.contains_key("port") {
                let _ = write!(line, " at {}:{}", get("private_ip"), get("port"));
            }
            line
        })
        .collect()
}

pub fn exec(session: &Session, args: &OutputArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    // A snapshot: a read never waits for (or blocks) an apply.
    let state = session.read_existing()?;
    let records = state.list()?;
    // A fleet's name (`NAME` of `NAME[KEY]`) stands for all of its instances, as elsewhere.
    let exact = args
        .name
        .as_ref()
        .and_then(|name| records.iter().find(|r| &r.name == name));
    let chosen: Vec<&OpRecord> = match (&args.name, exact) {
        (Some(_), Some(r)) => vec![r],
        (Some(name), None) => {
            let prefix = format!("{name}[");
            let fleet: Vec<&OpRecord> = records
                .iter()
                .filter(|r| r.name.starts_with(&prefix))
                .collect();
            if fleet.is_empty() {
                return Err(CliError::hint(
                    format!("no record named {name:?}"),
                    "`rewind state list` shows what is recorded; outputs exist once a restore ran",
                ));
            }
            fleet
        }
        (None, _) => records.iter().filter(|r| !r.outputs.is_empty()).collect(),
    };
    if printer.json {
        let doc = if let Some(r) = exact {
            serde_json::json!({
                "format_version": 1,
                "name": r.name,
                "status": r.status,
                "outputs": r.outputs,
            })
        } else {
            let all: BTreeMap<&str, &BTreeMap<String, String>> = chosen
                .iter()
                .map(|r| (r.name.as_str(), &r.outputs))
                .collect();
            serde_json::json!({"format_version": 1, "outputs": all})
        };
        printer.out(&doc.to_string());
    } else if chosen.iter().all(|r| r.outputs.is_empty()) {
        printer.info(match &args.name {
            Some(_) => "No outputs recorded for it yet: they appear once the restore has run.",
            None => "No outputs recorded yet: they appear once a restore has run.",
        });
    } else {
        printer.out(&text(&chosen));
    }
    Ok(ExitCode::SUCCESS)
}

/// `rewind state mv OLD NEW`: the record of OLD becomes NEW's, after a backup. The new record
/// is durable before the old one is removed, so a crash in between restores nothing again.
/// `in_spec`: whether the spec has an operation named `new` (`None`: no spec was read).
pub fn state_mv(
    state: &mut dyn Backend,
    old: &str,
    new: &str,
    in_spec: Option<bool>,
    printer: &Printer,
) -> Result<(), CliError> {
    if old == new {
        return Err(CliError::msg(format!(
            "`{old}` and `{new}` are the same name"
        )));
    }
    let Some(mut record) = state.get(old)? else {
        return Err(CliError::hint(
            format!("no record named {old:?}"),
            "`rewind state list` shows what is recorded",
        ));
    };
    if state.get(new)?.is_some() {
        return Err(CliError::hint(
            format!("state already has a record named {new:?}"),
            format!("if that record is stale, `rewind state rm {new}` first (it backs up state)"),
        ));
    }
    let backup = state.backup()?;
    new.clone_into(&mut record.name);
    state.put(&record, &format!("moved from {old} by `rewind state mv`"))?;
    state.remove(old, &format!("moved to {new} by `rewind state mv`"))?;
    if in_spec == Some(false) {
        printer.info(&format!(
            "Moved {old} to {new} in state (backup: {backup}). Nothing in the cloud was touched."
        ));
        // A typo in NEW: say what the next plan really does with the record.
        printer.error(&format!(
            "Warning: the spec has no operation named `{new}`: the next plan forgets this record, or moves it back to an operation with the same kind and inputs. `rewind state mv {new} NAME` renames it again."
        ));
    } else {
        printer.info(&format!(
            "Moved {old} to {new} in state (backup: {backup}). Nothing in the cloud was touched; the next plan shows {new} as it showed {old}."
        ));
    }
    Ok(())
}

/// A record as JSON with its times in RFC 3339 (UTC) instead of epoch milliseconds.
pub fn with_rfc3339(record: &OpRecord) -> String {
    let mut v = serde_json::to_value(record).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        for key in ["created_at", "updated_at", "submitted_at"] {
            if let Some(ms) = obj.get(key).and_then(serde_json::Value::as_i64) {
                obj.insert(key.to_owned(), rewind_engine::plan::rfc3339(ms).into());
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}
