//! The error for a sled state that fails or cannot be trusted: it names the state, the
//! newest backup and the command that puts the backup back, never a bare storage message.

use rewind_engine::state::StateError;
use std::fmt::Write as _;
use std::path::Path;

use crate::backup;

/// Prefix of every message made here, so that one is not wrapped twice.
const PREFIX: &str = "the state at ";

/// `problem` (what is wrong with the state in `dir`) as a state error that says how to
/// recover. `detail` is the underlying message, kept last for whoever debugs it.
pub fn damaged(dir: &Path, problem: &str, detail: Option<&str>) -> StateError {
    let mut message = format!(
        "{PREFIX}{} cannot be trusted: {problem}; nothing was sent to the cloud.",
        dir.display()
    );
    match backup::newest(dir) {
        Some((path, serial)) => {
            let _ = write!(
                message,
                " Newest backup: {} (serial {serial}). Put it back with `rewind state restore {}` \
                 (the damaged files are kept aside); operations recorded after that backup are \
                 not in it, so check the cloud for them before `rewind apply`.",
                path.display(),
                path.display()
            );
        }
        None => {
            let _ = write!(
                message,
                " There is no backup under {}: check the cloud for the restores this state had \
                 recorded before you apply again.",
                dir.join("backups").display()
            );
        }
    }
    if let Some(detail) = detail {
        let _ = write!(message, " (storage said: {detail})");
    }
    StateError::Storage(message)
}

/// A failed write: the state is not damaged, but the disk may be full or read-only.
fn unwritable(dir: &Path, detail: &str) -> StateError {
    let mut message = format!(
        "{PREFIX}{} could not be written (is its disk full or read-only?): {detail}; the last \
         transition before this error is saved.",
        dir.display()
    );
    if let Some((path, _)) = backup::newest(dir) {
        let _ = write!(message, " Newest backup: {}.", path.display());
    }
    StateError::Storage(message)
}

/// A failure to read an open state, as [`damaged`]. A record that does not decode stays
/// `Corrupt` (it names the record, and `rewind state rm` is the way out); a held lock stays
/// what it is.
pub fn explain_read(dir: &Path, e: StateError) -> StateError {
    match e {
        StateError::Locked { .. } | StateError::Corrupt { .. } => e,
        StateError::Storage(ref m) if m.starts_with(PREFIX) => e,
        StateError::Storage(m) => damaged(dir, "its database cannot be read", Some(&m)),
    }
}

/// A failure to open, as [`damaged`]: here a meta or journal that does not decode or does
/// not add up means the whole state cannot be trusted.
pub fn explain_open(dir: &Path, e: StateError) -> StateError {
    match e {
        StateError::Corrupt { .. } => damaged(
            dir,
            "its meta and journal do not add up",
            Some(&e.to_string()),
        ),
        other => explain_read(dir, other),
    }
}

/// A failure to write, as [`unwritable`].
pub fn explain_write(dir: &Path, e: StateError) -> StateError {
    match e {
        StateError::Storage(m) if !m.starts_with(PREFIX) => unwritable(dir, &m),
        other => explain_read(dir, other),
    }
}
