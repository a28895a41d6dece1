//! Lock-free reads: a consistent, read-only copy of a state that any command can take while
//! a writer (an apply) holds the lock.
//!
//! The lock guards writers only. On sled, which one process at a time may open, the writer
//! refreshes `DIR/snapshot.json` with every commit (write to a temporary file, then rename,
//! so a reader sees the previous commit or this one, never half of one); readers read that
//! file and never touch the lock or sled. On PostgreSQL a read is one `REPEATABLE READ`
//! transaction on its own connection, which never touches the lock row.
//!
//! A snapshot holds the records, the runs and the newest [`JOURNAL_TAIL`] journal entries:
//! everything a read command shows. The whole journal stays behind the lock (`state export`).

pub(crate) mod file;
pub(crate) mod readonly;

pub use file::SNAPSHOT_FILE;
pub use readonly::{JOURNAL_TAIL, Snapshot};

use rewind_engine::state::StateError;
use std::fs;
use std::path::Path;

use file::{SnapshotDoc, doc_bytes, parse, snapshot_path};
use readonly::SnapshotParts;

use crate::backend::Location;
use crate::codec::storage;
use crate::lock::{LockHolder, LockInfo};
use crate::sled_state::SledState;

/// Reads a consistent snapshot of the state at `location` without waiting for its lock.
pub fn read(location: &Location) -> Result<Snapshot, StateError> {
    match location {
        Location::Dir(dir) => read_dir(dir),
        Location::Postgres { url, workspace } => crate::postgres::snapshot::read(url, workspace),
    }
}

/// The holder named in `DIR/lock.json`, when that process still runs (a SIGKILLed holder
/// leaves the file behind but not the lock).
fn sled_holder(dir: &Path) -> Option<String> {
    let bytes = fs::read(dir.join("lock.json")).ok()?;
    let info: LockInfo = serde_json::from_slice(&bytes).ok()?;
    // A holder that cannot be checked (another host, no /proc): trust the file.
    (info.runs() != Some(false)).then(|| info.describe())
}

/// How long a reader waits for the first snapshot of a writer that is just opening the state.
const FIRST_SNAPSHOT_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

fn read_dir(dir: &Path) -> Result<Snapshot, StateError> {
    let path = snapshot_path(dir);
    let location = dir.display().to_string();
    // A reader never takes the lock from a writer that is starting: until the writer's
    // first snapshot is there, it waits (bounded) rather than open the state itself.
    let deadline = std::time::Instant::now() + FIRST_SNAPSHOT_WAIT;
    loop {
        match fs::read(&path) {
            Ok(bytes) => {
                let doc = parse(&path, &bytes)?;
                return Ok(doc.into_snapshot(location, sled_holder(dir)));
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(storage(&format!("reading {}", path.display()), e));
            }
            Err(_) => {}
        }
        if !dir.join(crate::sled_state::DB_DIR).exists() {
            // Never written (or a writer has only just created the directory): empty.
            return Ok(Snapshot::from_parts(
                SnapshotParts {
                    lineage: String::new(),
                    serial: 0,
                    records: Vec::new(),
                    journal_tail: Vec::new(),
                    runs: Vec::new(),
                    holder: sled_holder(dir),
                },
                location,
            ));
        }
        // A writer names itself in lock.json before it opens the database, so a database
        // with no snapshot and no holder is a state no rewind of this kind has written.
        let Some(holder) = sled_holder(dir) else {
            break;
        };
        if std::time::Instant::now() >= deadline {
            return Err(StateError::Locked {
                holder: format!(
                    "{holder}, which keeps no read snapshot (an older rewind?); wait for it \
                     to finish"
                ),
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // A state last written by a rewind that kept no snapshot, and nobody at it: open it
    // once, which writes one.
    let state = SledState::open(dir, LockHolder::new("rewind (taking a read snapshot)"))?;
    let doc: SnapshotDoc = serde_json::from_slice(&doc_bytes(&state)?)
        .map_err(|e| storage("reading the snapshot", e))?;
    Ok(doc.into_snapshot(location, None))
}
