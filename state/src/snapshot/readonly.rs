//! The read-only store a snapshot is: one commit's records, runs and journal tail, every
//! write refused.

use rewind_engine::state::{JournalEntry, OpRecord, RunEntry, StateError, StateMeta, StateStore};
use serde_json::Value;

use crate::backend::Backend;

/// How many of the newest journal entries a snapshot carries.
pub const JOURNAL_TAIL: usize = 200;

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
