//! What every `rewind init` scaffold shares: the scaffold itself, the restore point, and
//! helpers turning cloud answers into spec text or errors.

use super::yaml::{self, Entry, Y, entry, s};
use crate::error::CliError;
use rewind_providers::wire_time;

/// What a scaffold holds before it is rendered: each part already in its final order.
#[derive(Debug, Default, Clone)]
pub struct Scaffold {
    pub header: Vec<String>,
    pub vars: Vec<Entry>,
    pub secrets: Vec<Entry>,
    pub restores: Vec<Entry>,
}

impl Scaffold {
    pub(super) fn render(self) -> String {
        let mut top = vec![entry("version", Y::Int(1))];
        if !self.vars.is_empty() {
            top.push(entry("vars", Y::Map(self.vars)));
        }
        if !self.secrets.is_empty() {
            top.push(
                entry("secrets", Y::Map(self.secrets)).note(
                    "Values come from the environment at apply time; they never reach a file.",
                ),
            );
        }
        top.push(entry("restores", Y::Map(self.restores)));
        yaml::document(&self.header, &top)
    }
}

/// The restore point asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    At(i64),
    LatestBackup,
}

/// A cloud answer turned into an error of this command (exit status 1).
pub fn cloud(e: rewind_providers::discover::DiscoverError) -> CliError {
    CliError::msg(e.message)
}

/// RFC 3339 in UTC, as specs write times.
pub fn time_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// Fails clearly unless `ms` lies in one of `windows`. `backups`: whether `--backup latest`
/// is an alternative for this service (not for `init ddm`, which refuses it).
pub fn inside(what: &str, ms: i64, windows: &[(i64, i64)], backups: bool) -> Result<(), CliError> {
    if windows.iter().any(|(a, b)| (*a..=*b).contains(&ms)) {
        return Ok(());
    }
    let shown: Vec<String> = windows
        .iter()
        .map(|(a, b)| format!("{} .. {}", wire_time::show(*a), wire_time::show(*b)))
        .collect();
    Err(CliError::hint(
        format!(
            "--at {} is outside the restorable window of {what}: {}",
            wire_time::show(ms),
            if shown.is_empty() {
                "it has none".to_owned()
            } else {
                format!("[{}]", shown.join(", "))
            }
        ),
        if backups {
            "pick a time inside the window, or restore a backup with --backup latest"
        } else {
            "pick a time inside the window"
        },
    ))
}

/// The secret every created instance's root password comes from.
pub fn password_secret() -> Entry {
    entry(
        "node_password",
        Y::Map(vec![entry("env", s("REWIND_NODE_PASSWORD"))]),
    )
    .note(
        "export REWIND_NODE_PASSWORD=... before `rewind apply` (the new instances' root password)",
    )
}

/// A string field of a cloud answer, or an error naming where it should have been.
pub fn field(v: &serde_json::Value, pointer: &str, from: &str) -> Result<String, CliError> {
    v.pointer(pointer)
        .and_then(|x| {
            x.as_str()
                .map(str::to_owned)
                .or_else(|| x.as_i64().map(|i| i.to_string()))
        })
        .filter(|x| !x.is_empty())
        .ok_or_else(|| CliError::msg(format!("{from} gave no `{}`", &pointer[1..])))
}
