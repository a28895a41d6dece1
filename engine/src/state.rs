//! The `StateStore` trait and the records it keeps: what rewind knows it has done.

use crate::kinds::{ApiRequest, Kind};
use crate::provider::Handle;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Version of the JSON shape of [`OpRecord`]; bumped on any incompatible change.
pub const RECORD_VERSION: u32 = 1;

/// Where an operation stands, as far as rewind knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The POST may or may not have reached the cloud: reconcile before anything else.
    Submitting,
    /// The cloud accepted the restore; `handle` says how to follow it.
    Running,
    Succeeded,
    Failed,
    /// An ambiguous submit that reconcile could not resolve: resubmitted only when asked.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitting => "submitting",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation's durable record. It never holds a secret: `request` is the rendered body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    pub version: u32,
    pub name: String,
    pub kind: Kind,
    /// SHA-256 (hex) of the rendered request.
    pub inputs_digest: String,
    pub request: ApiRequest,
    pub status: Status,
    pub handle: Option<Handle>,
    /// How many POSTs rewind has sent for this record.
    pub attempts: u32,
    /// Epoch ms of the last POST (the lower bound that reconcile searches from).
    pub submitted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub outputs: BTreeMap<String, String>,
    pub last_error: Option<String>,
}

/// Identity and version of a state: `serial` grows with every write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMeta {
    pub lineage: String,
    pub serial: u64,
}

/// One line of the append-only audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The state serial this entry produced.
    pub serial: u64,
    pub at: i64,
    pub name: String,
    pub from: Option<Status>,
    /// `None` when the record was removed.
    pub to: Option<Status>,
    pub note: String,
}

/// One apply (or drill) as the audit trail keeps it: which spec ran, who approved it, which
/// cloud jobs it started and how it ended. Written when the run starts and again when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEntry {
    /// Numbered from 1 within a state, in the order runs started.
    pub id: u64,
    /// `apply` or `drill`.
    pub command: String,
    pub spec_file: String,
    /// The commit of the git repository holding the spec, when there is one.
    pub git_commit: Option<String>,
    /// Whether that repository had uncommitted changes.
    pub git_dirty: Option<bool>,
    /// SHA-256 (hex) of the spec file's bytes.
    pub spec_digest: String,
    /// SHA-256 (hex) of the plan as JSON.
    pub plan_digest: String,
    /// `user@host`, or what `--approver` said.
    pub approver: String,
    /// Epoch ms.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// Operation name to the cloud job (or restore) ID it followed.
    pub jobs: BTreeMap<String, String>,
    /// `running` until the run ends, then `complete`, `incomplete` or `error: ...`.
    pub outcome: String,
    /// A drill run's record (with `command = "drill"`): its timings, budgets and scratch
    /// instances. Older states have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<crate::drill::DrillRecord>,
    /// The operations the run set out to submit or follow, so `rewind status` can count what
    /// is left. Older states have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<String>,
    /// A rehearsal (`--simulate`), copied from [`crate::plan::Plan::simulated`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state is locked by {holder}")]
    Locked { holder: String },
    #[error("state record {name:?} is unreadable: {reason}")]
    Corrupt { name: String, reason: String },
    #[error("state storage failed: {0}")]
    Storage(String),
}

/// Durable storage of records, meta and journal. Every mutating call is flushed to disk
/// before it returns: callers rely on that before the next network call.
pub trait StateStore: Send {
    fn meta(&self) -> Result<StateMeta, StateError>;
    fn get(&self, name: &str) -> Result<Option<OpRecord>, StateError>;
    /// All records, sorted by name.
    fn list(&self) -> Result<Vec<OpRecord>, StateError>;
    /// Writes `record`, appends a journal entry, bumps the serial and flushes. Returns the new
    /// serial.
    fn put(&mut self, record: &OpRecord, note: &str) -> Result<u64, StateError>;
    /// Writes each `(record, note)` as its own transition, in order (its record, its journal
    /// entry, its serial), all made durable together before it returns their serials: one
    /// commit for the transitions of one scheduling tick. The default writes them one by one.
    fn put_batch(&mut self, batch: &[(&OpRecord, &str)]) -> Result<Vec<u64>, StateError> {
        batch.iter().map(|(r, note)| self.put(r, note)).collect()
    }
    /// Removes a record (no-op if absent), journals it, bumps the serial and flushes.
    fn remove(&mut self, name: &str, note: &str) -> Result<u64, StateError>;
    /// The whole journal, oldest first.
    fn journal(&self) -> Result<Vec<JournalEntry>, StateError>;
    /// Inserts or replaces run `run.id` in the audit trail and flushes. Runs do not bump the
    /// serial: they describe transitions, they are not ones.
    fn put_run(&mut self, run: &RunEntry) -> Result<(), StateError>;
    /// Every run, by id.
    fn runs(&self) -> Result<Vec<RunEntry>, StateError>;
}
