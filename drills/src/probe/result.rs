//! What a probe run found, and what a kind's check hands back to the runner.

use std::time::Duration;

use super::spec::{OnError, ProbeKind};

/// What one probe run found. Never holds a password: every text is scrubbed before it lands here.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
// Each flag is a field of report.json that readers (CI, dashboards) test on its own.
#[allow(clippy::struct_excessive_bools)]
pub struct ProbeResult {
    pub name: String,
    pub kind: ProbeKind,
    /// The check held.
    pub passed: bool,
    /// The check did not hold, and the probe's policy is `on_error: warn`: the drill goes on.
    pub warned: bool,
    /// The policy the probe ran under.
    pub on_error: OnError,
    /// One line: what was expected and what was found (or why it could not be checked).
    pub detail: String,
    /// Captured output (query rows, the reply, a command's stdout and stderr), bounded in size.
    pub output: String,
    pub started_at: jiff::Timestamp,
    #[serde(with = "crate::timefmt::ms", rename = "duration_ms")]
    pub duration: Duration,
    /// The probe ran out of its `timeout:`.
    #[serde(default)]
    pub timed_out: bool,
    /// The probe was never run (a rehearsal whose instance has no real address): neither
    /// passed nor failed, and the drill cannot pass while one is left unrun.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_run: bool,
}

impl ProbeResult {
    /// A failed probe whose policy is `fail`: the drill fails.
    pub fn fails_drill(&self) -> bool {
        !self.passed && !self.warned && !self.not_run
    }

    pub fn finished_at(&self) -> jiff::Timestamp {
        let d = jiff::SignedDuration::try_from(self.duration).unwrap_or(jiff::SignedDuration::MAX);
        self.started_at.checked_add(d).unwrap_or(self.started_at)
    }
}

/// What a kind's check returns before the runner adds name, timing and policy.
pub(crate) struct Outcome {
    pub passed: bool,
    pub detail: String,
    pub output: String,
}

impl Outcome {
    pub(crate) fn error(detail: impl Into<String>) -> Self {
        Self {
            passed: false,
            detail: detail.into(),
            output: String::new(),
        }
    }
}
