//! Restore drills: what a spec's `drills:` section declares, and the record each drill run leaves.
//!
//! The declaration ([`DrillDecl`]) is lowered by `spec::drills` and checked there against the
//! rule that a drill never touches production. The record ([`DrillRecord`]) is journaled in
//! the state's audit trail (a [`crate::state::RunEntry`] with `command = "drill"`) before the
//! drill sends its first request, and again at every scratch-instance transition, so that
//! `rewind drill cleanup` finds every leftover after a crash. [`forecast`] turns past records
//! into an RTO forecast per kind and per plan.

pub mod forecast;
pub mod notify;
pub mod recovery;
pub mod schedule;

use crate::syntax::diagnostic::Span;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// One entry of `drills:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillDecl {
    pub name: String,
    pub span: Span,
    /// The operations it runs, in spec order: `operations:`, or every operation of the spec.
    /// Lowering adds nothing implicitly: an operation a listed one depends on must be listed.
    pub operations: Vec<String>,
    /// Existing instances it may overwrite (IDs after `${...}` interpolation).
    pub scratch: Vec<String>,
    pub rto: Option<Duration>,
    pub rpo: Option<Duration>,
    pub cleanup: CleanupPolicy,
    /// Probe definitions per operation, as JSON values for `rewind_drills::ProbeSpec`.
    pub probes: BTreeMap<String, Vec<ProbeDecl>>,
    /// How probes log in to an operation's target, when not by the create's own password.
    pub logins: BTreeMap<String, Login>,
    /// `report_dir:` relative to the spec's directory; `None` is under the state directory.
    pub report_dir: Option<String>,
    /// `schedule:`: when `rewind drill --due` runs it.
    pub schedule: Option<schedule::Schedule>,
    /// `notify:`: a webhook on failure and recovery (and on every run with `when: always`).
    pub notify: Option<notify::NotifyDecl>,
}

/// A probe as written in the spec, with where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeDecl {
    pub value: serde_json::Value,
    pub span: Span,
}

/// Credentials a probe uses on one operation's target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Login {
    pub user: Option<String>,
    /// A secret reference only, as in any sensitive field.
    pub password: Option<crate::kinds::SecretRef>,
}

/// What happens to the drill's scratch instances, on success and on failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupPolicy {
    pub on_success: Cleanup,
    pub on_failure: Cleanup,
}

impl Default for CleanupPolicy {
    /// Delete after a pass; keep a failure's instances for a day, to look at.
    fn default() -> Self {
        CleanupPolicy {
            on_success: Cleanup::Delete,
            on_failure: Cleanup::KeepFor(Duration::from_secs(24 * 3600)),
        }
    }
}

/// One clean-up rule: `delete`, `keep`, or `keep 4h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cleanup {
    Delete,
    Keep,
    /// Keep, then delete at the first `rewind drill cleanup` after this long.
    KeepFor(#[serde(with = "duration_ms")] Duration),
}

/// The durable record of one drill run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillRecord {
    pub drill: String,
    pub simulated: bool,
    /// `running` until it ends, then `passed` or `failed`.
    pub outcome: DrillOutcome,
    /// Epoch ms.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub operations: Vec<DrillOpRecord>,
    pub rto_ms: Option<u64>,
    pub rto_budget_ms: Option<u64>,
    /// Why the measured RTO is neither met nor missed (its probes did not run), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_unverified: Option<String>,
    pub rpo_ms: Option<u64>,
    pub rpo_budget_ms: Option<u64>,
    pub critical_path: Vec<String>,
    /// The instances the drill creates, written (as `pending`) before the first create is sent.
    pub scratch: Vec<ScratchInstance>,
    /// Where its reports are.
    pub report_dir: Option<String>,
    /// Why it failed, one line each.
    #[serde(default)]
    pub failures: Vec<String>,
    /// Recovery points chosen when the drill's plan was made (`restore_time: latest` or
    /// `random_within`), pinned in its plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery: Vec<recovery::RecoveryPick>,
    /// The RPO the cloud offered at the drill's start: its start minus the newest point
    /// every chosen operation's source could be restored to (the oldest of their newest).
    /// `rpo_ms` is the RPO of the points actually restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_offered_ms: Option<u64>,
    /// The schedule slot (epoch ms) this run was claimed for by `rewind drill --due`; with
    /// outcome `missed`, a slot recorded as missed and not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<i64>,
}

impl DrillRecord {
    /// The record of drill `drill` that has just started at `started_at` (epoch ms): running,
    /// nothing measured yet.
    pub fn running(drill: &str, started_at: i64) -> DrillRecord {
        DrillRecord {
            drill: drill.to_owned(),
            simulated: false,
            outcome: DrillOutcome::Running,
            started_at,
            finished_at: None,
            operations: Vec::new(),
            rto_ms: None,
            rto_budget_ms: None,
            rto_unverified: None,
            rpo_ms: None,
            rpo_budget_ms: None,
            critical_path: Vec::new(),
            scratch: Vec::new(),
            report_dir: None,
            failures: Vec::new(),
            recovery: Vec::new(),
            rpo_offered_ms: None,
            slot: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillOutcome {
    Running,
    Passed,
    Failed,
    /// A schedule slot that `rewind drill --due` did not run (a later slot was run instead).
    Missed,
}

/// One operation's timing in a drill: the input of the forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillOpRecord {
    pub name: String,
    /// The spec kind (`rds.restore_new`).
    pub kind: String,
    /// Submit to success, when it succeeded.
    pub restore_ms: Option<u64>,
    /// The drill's first submit to this operation's last passed probe (its place in the
    /// drill's RTO), when it was ready. Not a duration of its own: an operation that waited
    /// for others counts their time here too, so the forecast does not use it.
    pub ready_ms: Option<u64>,
    /// The operation's own duration: its own submit to ready (restored, and its last probe
    /// passed). What the forecast adds along the graph. `None` in records written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_ms: Option<u64>,
}

/// A scratch instance the drill creates, and where its clean-up stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScratchInstance {
    pub operation: String,
    /// The service that holds it and deletes it (`rds`, `dds`).
    pub service: String,
    /// The instance name the create uses: how a crashed drill's instance is found.
    pub name: String,
    /// Known once the create answered (or the name was looked up).
    pub instance_id: Option<String>,
    pub status: ScratchStatus,
    /// With `kept`: epoch ms after which `rewind drill cleanup` deletes it; `None` keeps it.
    pub keep_until: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScratchStatus {
    /// Planned: it may or may not exist (a crash before or during the create).
    Pending,
    /// It exists, and the drill still uses it.
    Live,
    /// Kept by policy.
    Kept,
    /// The DELETE is about to be sent, or was sent without an answer.
    Deleting,
    /// Deleted, or it never existed.
    Deleted,
    /// The delete failed; `detail` says why.
    Failed,
}

impl ScratchStatus {
    /// Whether `rewind drill cleanup` still has work here (kept instances only once due).
    pub fn is_open(self) -> bool {
        !matches!(self, ScratchStatus::Deleted)
    }
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
