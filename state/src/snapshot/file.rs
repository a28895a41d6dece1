//! `snapshot.json`: the document the sled writer rewrites after every commit, and its parsing.

use rewind_engine::state::{JournalEntry, OpRecord, RunEntry, StateError, StateStore};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

use super::readonly::{JOURNAL_TAIL, Snapshot, SnapshotParts};
use crate::codec::storage;

/// The file beside the sled database that the writer refreshes with every commit.
pub const SNAPSHOT_FILE: &str = "snapshot.json";
/// Version of the snapshot document's shape.
const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// `snapshot.json`: one commit's view of a state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SnapshotDoc {
    format_version: u32,
    lineage: String,
    serial: u64,
    records: Vec<OpRecord>,
    /// The newest entries, oldest first.
    journal_tail: Vec<JournalEntry>,
    runs: Vec<RunEntry>,
}

/// What a snapshot is written from: the open sled state. A trait, so that the state (which
/// calls [`refresh`] on every commit) and this file do not import each other.
pub(crate) trait Committed: StateStore {
    /// The state directory, where `snapshot.json` lives.
    fn dir(&self) -> &Path;
    /// The records, journal and runs trees.
    fn trees(&self) -> [&sled::Tree; 3];
}

impl SnapshotDoc {
    pub(super) fn into_snapshot(self, location: String, holder: Option<String>) -> Snapshot {
        Snapshot::from_parts(
            SnapshotParts {
                lineage: self.lineage,
                serial: self.serial,
                records: self.records,
                journal_tail: self.journal_tail,
                runs: self.runs,
                holder,
            },
            location,
        )
    }
}

pub(super) fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_FILE)
}

/// The snapshot document of the open state, as JSON. sled stores every record, journal
/// entry and run as the JSON of its type, so the stored bytes are copied in as they are:
/// a commit pays for a copy, not for decoding and encoding every record again.
pub(super) fn doc_bytes(state: &impl Committed) -> Result<Vec<u8>, StateError> {
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
pub(crate) fn refresh(state: &impl Committed) {
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

pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<SnapshotDoc, StateError> {
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
