//! `MemoryState`: an in-memory `StateStore` for tests that need no disk.

use rewind_engine::state::{JournalEntry, OpRecord, RunEntry, StateError, StateMeta, StateStore};
use std::collections::BTreeMap;

use crate::codec;
use crate::export;

/// Behaves like [`crate::SledState`] (serial, journal, `from`/`to`), minus durability and
/// locking.
#[derive(Debug, Clone)]
pub struct MemoryState {
    pub(crate) lineage: String,
    pub(crate) serial: u64,
    pub(crate) records: BTreeMap<String, OpRecord>,
    pub(crate) journal: Vec<JournalEntry>,
    pub(crate) runs: BTreeMap<u64, RunEntry>,
    pub(crate) backups: Vec<serde_json::Value>,
}

impl MemoryState {
    /// An empty state with a fresh random lineage.
    pub fn new() -> MemoryState {
        MemoryState::with_lineage(uuid::Uuid::new_v4().to_string())
    }

    /// An empty state with a fixed lineage, for snapshot tests.
    pub fn with_lineage(lineage: impl Into<String>) -> MemoryState {
        MemoryState {
            lineage: lineage.into(),
            serial: 0,
            records: BTreeMap::new(),
            journal: Vec::new(),
            runs: BTreeMap::new(),
            backups: Vec::new(),
        }
    }

    /// The same document as [`crate::SledState::export`].
    pub fn export(&self) -> Result<serde_json::Value, StateError> {
        export::export(self)
    }

    fn append(
        &mut self,
        name: &str,
        previous: Option<OpRecord>,
        record: Option<&OpRecord>,
        note: &str,
    ) -> u64 {
        self.serial += 1;
        self.journal.push(JournalEntry {
            serial: self.serial,
            at: codec::now_ms(),
            name: name.to_owned(),
            from: previous.map(|r| r.status),
            to: record.map(|r| r.status),
            note: note.to_owned(),
        });
        self.serial
    }
}

impl Default for MemoryState {
    fn default() -> MemoryState {
        MemoryState::new()
    }
}

impl StateStore for MemoryState {
    fn meta(&self) -> Result<StateMeta, StateError> {
        Ok(StateMeta {
            lineage: self.lineage.clone(),
            serial: self.serial,
        })
    }

    fn get(&self, name: &str) -> Result<Option<OpRecord>, StateError> {
        Ok(self.records.get(name).cloned())
    }

    fn list(&self) -> Result<Vec<OpRecord>, StateError> {
        Ok(self.records.values().cloned().collect())
    }

    fn put(&mut self, record: &OpRecord, note: &str) -> Result<u64, StateError> {
        // Same check as on disk, so a test against memory fails where sled would.
        codec::encode_record(record)?;
        let previous = self.records.insert(record.name.clone(), record.clone());
        Ok(self.append(&record.name, previous, Some(record), note))
    }

    fn remove(&mut self, name: &str, note: &str) -> Result<u64, StateError> {
        let previous = self.records.remove(name);
        Ok(self.append(name, previous, None, note))
    }

    fn journal(&self) -> Result<Vec<JournalEntry>, StateError> {
        Ok(self.journal.clone())
    }

    fn put_run(&mut self, run: &RunEntry) -> Result<(), StateError> {
        self.runs.insert(run.id, run.clone());
        Ok(())
    }

    fn runs(&self) -> Result<Vec<RunEntry>, StateError> {
        Ok(self.runs.values().cloned().collect())
    }
}
