//! What a drill recorded: each operation's timing and outcome, and each probe's result.

use jiff::Timestamp;

use crate::probe::ProbeResult;

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpOutcome {
    Succeeded,
    Failed,
    /// Still running when the drill stopped waiting (timeout, interrupt).
    Running,
    /// Not started, because something it depends on failed.
    Skipped,
}

impl OpOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Running => "running",
            Self::Skipped => "skipped",
        }
    }
}

/// One restore operation's timing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperationTiming {
    pub name: String,
    /// The spec kind, e.g. `rds.restore_new`.
    pub kind: String,
    /// The restored (or created) instance.
    pub instance_id: Option<String>,
    pub submitted_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub outcome: OpOutcome,
    /// Why it failed, or the job's last status.
    pub detail: Option<String>,
    /// The operations it waited for (graph edges), so the critical path can be traced.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Set by [`DrillReport::finalized`] from `rto.critical_path`.
    #[serde(default)]
    pub on_critical_path: bool,
}

/// A probe's result and the operation whose target it checked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrillProbe {
    pub operation: String,
    #[serde(flatten)]
    pub result: ProbeResult,
}
