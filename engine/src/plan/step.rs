//! One step of a plan: the action apply takes on an operation, and everything a reviewer sees of it.

use super::diff::FieldChange;
use super::facts::Facts;
use crate::kinds::{ApiRequest, Kind, OpSpec, Resource};
use crate::provider::{Check, Handle};
use crate::state::Status;
use serde::{Deserialize, Serialize};

/// What apply will do with one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Never run: submit it.
    Restore,
    /// Succeeded before with other inputs: submit again.
    Rerun,
    /// A job is in flight (or a submit was ambiguous): re-attach, never resubmit.
    Resume,
    /// Failed before: submit again.
    Retry,
    /// In state but gone from the spec: drop the record; nothing in the cloud is touched.
    Forget,
    /// Succeeded with these very inputs.
    Unchanged,
    /// The last submit's outcome is unknown: needs `--resubmit NAME` or `state rm NAME`.
    Blocked,
    /// Succeeded under another name (renamed): apply renames the record; nothing runs.
    Moved,
}

impl Action {
    /// Whether apply submits this step or follows a job of it: the steps a run's progress
    /// counts.
    pub fn submits_or_follows(self) -> bool {
        matches!(
            self,
            Action::Restore | Action::Rerun | Action::Resume | Action::Retry
        )
    }

    pub fn symbol(self) -> char {
        match self {
            Action::Restore => '+',
            Action::Rerun => '~',
            Action::Resume => '>',
            Action::Retry => '!',
            Action::Forget => '-',
            Action::Unchanged => '=',
            Action::Blocked => '?',
            Action::Moved => '→',
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::Restore => "restore",
            Action::Rerun => "rerun",
            Action::Resume => "resume",
            Action::Retry => "retry",
            Action::Forget => "forget",
            Action::Unchanged => "unchanged",
            Action::Blocked => "blocked",
            Action::Moved => "moved",
        }
    }

    /// Whether the action submits a new restore POST.
    pub fn submits(self) -> bool {
        matches!(self, Action::Restore | Action::Rerun | Action::Retry)
    }

    /// Whether the action changes anything (for `--detailed-exitcode`).
    pub fn is_change(self) -> bool {
        !matches!(self, Action::Unchanged | Action::Blocked)
    }
}

/// A target the operation overwrites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overwrite {
    pub resource: Resource,
    /// The target is also the restore's own source ("restore to the original").
    pub is_source: bool,
}

/// What state said about an operation when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prior {
    pub status: Status,
    pub handle: Option<Handle>,
    pub last_error: Option<String>,
    pub submitted_at: Option<i64>,
}

/// One operation in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub kind: Kind,
    pub action: Action,
    pub spec: OpSpec,
    /// The exact request apply will send (when the action submits).
    pub request: ApiRequest,
    /// SHA-256 of `request` (and the names of the secrets it uses).
    pub inputs_digest: String,
    /// JSON pointers into `request.body` of values known only after apply: each still holds
    /// its template, `${restores.OP.outputs.NAME}`, rendered at submit time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// Operations that must succeed first.
    pub after: Vec<String>,
    pub overwrites: Vec<Overwrite>,
    /// Field-level changes since the last success (reruns only).
    pub changes: Vec<FieldChange>,
    pub prior: Option<Prior>,
    /// Preflight results; empty with `--offline`.
    pub checks: Vec<Check>,
    /// Source, point in time or backup, target and created instances, for reviewers.
    #[serde(default)]
    pub facts: Facts,
    /// The name state knew this operation by, when the plan moves its record here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// Anything else the user should know about this step.
    pub notes: Vec<String>,
    /// The operation's own `timeout:`, if it sets one.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// A create whose last outcome was unknown, resubmitted with `--resubmit`: apply looks its
    /// name up first and adopts the instance that has it, and sends the create only when no
    /// instance has it (the name is the create's idempotency key).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt_or_create: bool,
    /// How long this restore is expected to take (0 when there is nothing to do).
    #[serde(default)]
    pub expected_ms: u64,
    /// `expected_ms` plus the longest expected chain of operations waiting for this one:
    /// apply launches the longest first when slots are short.
    #[serde(default)]
    pub path_ms: u64,
}
