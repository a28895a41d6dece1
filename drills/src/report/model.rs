//! The data every drill report is rendered from.

use jiff::Timestamp;

use crate::measure::{Rpo, Rto};
use crate::timing::{DrillProbe, OpOutcome, OperationTiming};

/// The version of `report.json`'s shape; bumped on any change a reader would notice.
pub const FORMAT_VERSION: u32 = 1;

/// Everything one drill did and found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrillReport {
    pub format_version: u32,
    pub drill: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// Against the simulator rather than the cloud.
    #[serde(default)]
    pub simulated: bool,
    /// Restores ran, no probe failed the drill, budgets met, clean-up done: see [`Self::verdict`].
    pub passed: bool,
    pub operations: Vec<OperationTiming>,
    pub probes: Vec<DrillProbe>,
    pub rto: Rto,
    pub rpo: Option<Rpo>,
    pub cleanup: Vec<CleanupResult>,
    /// Drill-level problems not tied to one operation or probe.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// What happened to one scratch instance after the drill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CleanupResult {
    pub operation: String,
    /// The service it belongs to (`rds`, `dds`, `dcs`…).
    pub service: String,
    pub instance_id: String,
    #[serde(flatten)]
    pub action: CleanupAction,
    pub at: Option<Timestamp>,
    pub detail: Option<String>,
}

/// The clean-up policy's effect on one instance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CleanupAction {
    Deleted,
    /// Kept until `until`, when `rewind drill cleanup` will delete it.
    KeptUntil {
        until: Timestamp,
    },
    /// Kept by policy (`keep`, or `--keep`).
    Kept,
    /// The delete failed: the instance may still exist, and the drill says so.
    Failed,
}

impl CleanupAction {
    pub fn describe(&self) -> String {
        match self {
            Self::Deleted => "deleted".into(),
            // To the second: nanoseconds are noise to whoever reads when it goes.
            Self::KeptUntil { until } => {
                format!("kept until {}", until.strftime("%Y-%m-%dT%H:%M:%SZ"))
            }
            Self::Kept => "kept".into(),
            Self::Failed => "delete FAILED".into(),
        }
    }
}

impl DrillReport {
    /// The report's time span (never negative).
    pub fn span(&self) -> std::time::Duration {
        self.finished_at
            .duration_since(self.started_at)
            .try_into()
            .unwrap_or_default()
    }

    /// Why the drill did not pass, one line each; empty when it passed.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for op in &self.operations {
            if op.outcome != OpOutcome::Succeeded {
                out.push(format!("restore `{}` {}", op.name, op.outcome.as_str()));
            }
        }
        for p in &self.probes {
            if p.result.fails_drill() {
                out.push(format!(
                    "probe `{}` on `{}` failed: {}",
                    p.result.name, p.operation, p.result.detail
                ));
            }
        }
        let not_run = self.probes_not_run();
        if not_run > 0 {
            out.push(format!(
                "{not_run} of {} probe(s) did not run, so the drill cannot pass (a rehearsal \
                 probes only instances a world file gives a real address)",
                self.probes.len()
            ));
        }
        if self.rto.result.missed() {
            out.push(match self.rto.result.margin_ms {
                Some(m) => format!(
                    "RTO budget missed by {}",
                    crate::timefmt::human(std::time::Duration::from_millis(m.unsigned_abs()))
                ),
                None => "RTO budget missed: no RTO was measured".into(),
            });
        }
        if let Some(rpo) = &self.rpo
            && rpo.result.missed()
        {
            out.push(match rpo.result.margin_ms {
                Some(m) => format!(
                    "RPO budget missed by {}",
                    crate::timefmt::human(std::time::Duration::from_millis(m.unsigned_abs()))
                ),
                None => "RPO budget missed: no recovery point known".into(),
            });
        }
        for c in &self.cleanup {
            if c.action == CleanupAction::Failed {
                out.push(format!(
                    "clean-up of `{}` ({}) failed",
                    c.instance_id, c.operation
                ));
            }
        }
        out.extend(self.errors.iter().cloned());
        out
    }

    /// The verdict in one word: `PASSED`, `FAILED`, or `INCOMPLETE` when the only thing
    /// standing between the drill and a pass is probes that did not run.
    pub fn verdict_word(&self) -> &'static str {
        let failures = self.failures();
        if failures.is_empty() {
            "PASSED"
        } else if failures.len() == 1 && self.probes_not_run() > 0 {
            "INCOMPLETE"
        } else {
            "FAILED"
        }
    }

    /// Probes that were never run (see [`crate::ProbeResult::not_run`]).
    pub fn probes_not_run(&self) -> usize {
        self.probes.iter().filter(|p| p.result.not_run).count()
    }

    /// Passed: every restore succeeded, every probe ran and none failed the drill, RTO and RPO
    /// budgets met, every clean-up that ran succeeded, and no drill-level error.
    pub fn verdict(&self) -> bool {
        self.failures().is_empty()
    }

    /// The report with `on_critical_path` marked from `rto.critical_path` and `passed` from
    /// [`Self::verdict`].
    pub fn finalized(mut self) -> Self {
        for op in &mut self.operations {
            op.on_critical_path = self.rto.critical_path.contains(&op.name);
        }
        // An RTO whose probes did not run measures restores only: no probe confirmed the data
        // was usable, so it is neither met nor missed.
        let not_run = self.probes_not_run();
        if not_run > 0 && self.rto.result.measured.is_some() {
            self.rto.result.unverify(format!(
                "{not_run} probe(s) did not run, so nothing confirmed the restored data"
            ));
        }
        self.passed = self.verdict();
        self
    }

    /// The probe whose pass set the end-to-end RTO, if any: the last passed probe on the last
    /// operation of the critical path.
    pub fn rto_probe(&self) -> Option<&DrillProbe> {
        let last = self.rto.critical_path.last()?;
        self.probes
            .iter()
            .filter(|p| &p.operation == last && p.result.passed)
            .max_by_key(|p| p.result.finished_at())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_until_reads_to_the_second() {
        let until: Timestamp = "2026-12-06T23:52:10.980256377Z".parse().expect("timestamp");
        assert_eq!(
            CleanupAction::KeptUntil { until }.describe(),
            "kept until 2026-12-06T23:52:10Z"
        );
    }
}
