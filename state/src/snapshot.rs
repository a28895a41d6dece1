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

use rewind_engine::state::{JournalEntry, OpRecord, RunEntry, StateError, StateMeta, StateStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

use crate::backend::{Backend, Location};
use crate::codec::storage;
use crate::lock::{LockHolder, LockInfo};
use crate::sled_state::SledState;

/// The file beside the sled database that the writer refreshes with every commit.
pub const SNAPSHOT_FILE: &str = "snapshot.json";
/// How many of the newest journal entries a snapshot carries.
pub const JOURNAL_TAIL: usize = 200;
/// Version of the snapshot document's shape.
const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// `snapshot.json`: one commit's view of a state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SnapshotDoc {
    format_version: u32,
    lineage: String,
    serial: u64,
    records: Vec<OpRecord>,
    /// The newest entries, oldest first.
    journal_tail: Vec<JournalEntry>,
    runs: Vec<RunEntry>,
}

/// A read-only state as of one commit. It implements [`StateStore`] (and [`Backend`]) so the
/// read commands use it unchanged; every write is refused.
#[derive(Debug, Clone)]
pub struct Snapshot {
    location: String,
    meta: StateMeta,
    records: Vec<OpRecord>,
    journal_tail: Vec<JournalEntry>,
    runs: Vec<RunEntry>,
    /// Who holds the writer's lock right now, when someone does.
    pub holder: Option<String>,
}

/// What a backend read for a snapshot.
#[derive(Debug)]
pub(crate) struct SnapshotParts {
    pub lineage: String,
    pub serial: u64,
    pub records: Vec<OpRecord>,
    pub journal_tail: Vec<JournalEntry>,
    pub runs: Vec<RunEntry>,
    pub holder: Option<String>,
}

impl Snapshot {
    pub(crate) fn from_parts(p: SnapshotParts, location: String) -> Snapshot {
        Snapshot {
            location,
            meta: StateMeta {
                lineage: p.lineage,
                serial: p.serial,
            },
            records: p.records,
            journal_tail: p.journal_tail,
            runs: p.runs,
            holder: p.holder,
        }
    }

    /// Whether the state has never been written (a PostgreSQL workspace not yet created):
    /// it reads as empty and has no lineage.
    pub fn is_new(&self) -> bool {
        self.meta.lineage.is_empty()
    }

    /// The newest journal entries (at most [`JOURNAL_TAIL`]), oldest first.
    pub fn journal_tail(&self) -> &[JournalEntry] {
        &self.journal_tail
    }

    fn from_doc(doc: SnapshotDoc, location: String, holder: Option<String>) -> Snapshot {
        Snapshot {
            location,
            meta: StateMeta {
                lineage: doc.lineage,
                serial: doc.serial,
            },
            records: doc.records,
            journal_tail: doc.journal_tail,
            runs: doc.runs,
            holder,
        }
    }
}

fn read_only() -> StateError {
    StateError::Storage("this is a read-only snapshot of the state; writes need the lock".into())
}

impl StateStore for Snapshot {
    fn meta(&self) -> Result<StateMeta, StateError> {
        Ok(self.meta.clone())
    }
    fn get(&self, name: &str) -> Result<Option<OpRecord>, StateError> {
        Ok(self.records.iter().find(|r| r.name == name).cloned())
    }
    fn list(&self) -> Result<Vec<OpRecord>, StateError> {
        Ok(self.records.clone())
    }
    fn put(&mut self, _: &OpRecord, _: &str) -> Result<u64, StateError> {
        Err(read_only())
    }
    fn remove(&mut self, _: &str, _: &str) -> Result<u64, StateError> {
        Err(read_only())
    }
    /// Refused unless the snapshot holds the whole journal: a tail passed off as the
    /// journal would make an export that silently lost history.
    fn journal(&self) -> Result<Vec<JournalEntry>, StateError> {
        let whole = self.journal_tail.first().is_none_or(|j| j.serial == 1);
        if whole {
            Ok(self.journal_tail.clone())
        } else {
            Err(StateError::Storage(format!(
                "a snapshot holds only the newest {JOURNAL_TAIL} journal entries; the whole \
                 journal needs the lock"
            )))
        }
    }
    fn put_run(&mut self, _: &RunEntry) -> Result<(), StateError> {
        Err(read_only())
    }
    fn runs(&self) -> Result<Vec<RunEntry>, StateError> {
        Ok(self.runs.clone())
    }
}

impl Backend for Snapshot {
    fn location(&self) -> String {
        self.location.clone()
    }
    fn backup(&mut self) -> Result<String, StateError> {
        Err(read_only())
    }
    fn import(&mut self, _: &Value) -> Result<(), StateError> {
        Err(read_only())
    }
}

/// Reads a consistent snapshot of the state at `location` without waiting for its lock.
pub fn read(location: &Location) -> Result<Snapshot, StateError> {
    match location {
        Location::Dir(dir) => read_dir(dir),
        Location::Postgres { url, workspace } => crate::postgres::snapshot::read(url, workspace),
    }
}

fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_FILE)
}

/// The snapshot document of the open state, as JSON. sled stores every record, journal
/// entry and run as the JSON of its type, so the stored bytes are copied in as they are:
/// a commit pays for a copy, not for decoding and encoding every record again.
fn doc_bytes(state: &SledState) -> Result<Vec<u8>, StateError> {
    fn array<'a>(out: &mut Vec<u8>, items: impl Iterator<Item = &'a [u8]>) {
        out.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(item);
        }
        out.push(b']');
    }
    let read = |e: sled::Error| storage("reading state for the snapshot", e);
    let meta = state.meta()?;
    let [records, journal, runs] = state.trees();
    let records: Vec<sled::IVec> = records
        .iter()
        .values()
        .collect::<Result<_, _>>()
        .map_err(read)?;
    let mut tail: Vec<sled::IVec> = journal
        .iter()
        .values()
        .rev()
        .take(JOURNAL_TAIL)
        .collect::<Result<_, _>>()
        .map_err(read)?;
    tail.reverse();
    let runs: Vec<sled::IVec> = runs
        .iter()
        .values()
        .collect::<Result<_, _>>()
        .map_err(read)?;
    let text = |v: &str| serde_json::to_string(v).unwrap_or_default();
    let mut out = Vec::with_capacity(records.iter().map(|r| r.len() + 1).sum::<usize>() + 4096);
    out.extend_from_slice(
        format!(
            "{{\"format_version\":{SNAPSHOT_FORMAT_VERSION},\"lineage\":{},\"serial\":{},\"records\":",
            text(&meta.lineage),
            meta.serial
        )
        .as_bytes(),
    );
    array(&mut out, records.iter().map(|r| &r[..]));
    out.extend_from_slice(b",\"journal_tail\":");
    array(&mut out, tail.iter().map(|r| &r[..]));
    out.extend_from_slice(b",\"runs\":");
    array(&mut out, runs.iter().map(|r| &r[..]));
    out.push(b'}');
    Ok(out)
}

/// Rewrites `DIR/snapshot.json` from the open (locked) state: called after every commit.
///
/// A snapshot that cannot be written is removed rather than left stale, so a reader is
/// told to wait instead of being shown an old state as the current one.
pub(crate) fn refresh(state: &SledState) {
    let path = snapshot_path(state.dir());
    let written = doc_bytes(state).and_then(|bytes| {
        let tmp = path.with_extension("json.tmp");
        fs::write(&tmp, bytes).map_err(|e| storage(&format!("writing {}", tmp.display()), e))?;
        fs::rename(&tmp, &path).map_err(|e| storage(&format!("writing {}", path.display()), e))
    });
    if let Err(e) = written {
        tracing::warn!(error = %e, "could not refresh the read snapshot; readers wait for the lock");
        let _ = fs::remove_file(&path);
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

fn parse(path: &Path, bytes: &[u8]) -> Result<SnapshotDoc, StateError> {
    let doc: SnapshotDoc = serde_json::from_slice(bytes)
        .map_err(|e| storage(&format!("reading {}", path.display()), e))?;
    if doc.format_version != SNAPSHOT_FORMAT_VERSION {
        return Err(StateError::Storage(format!(
            "{} has format {} (this build reads {SNAPSHOT_FORMAT_VERSION})",
            path.display(),
            doc.format_version
        )));
    }
    Ok(doc)
}

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
                return Ok(Snapshot::from_doc(doc, location, sled_holder(dir)));
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
    Ok(Snapshot::from_doc(doc, location, None))
}
