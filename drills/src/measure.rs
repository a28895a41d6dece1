//! RTO and RPO: measured from the drill's timings, with the critical path, against budgets.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::timing::{DrillProbe, OpOutcome, OperationTiming};

/// A measurement against its budget.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Budget {
    /// `None` when it could not be measured (a restore failed, or a probe that fails the drill).
    #[serde(with = "crate::timefmt::opt_ms", rename = "measured_ms")]
    pub measured: Option<Duration>,
    #[serde(with = "crate::timefmt::opt_ms", rename = "budget_ms")]
    pub budget: Option<Duration>,
    /// `None` without a budget; `false` when the budget is set and nothing was measured.
    pub met: Option<bool>,
    /// budget − measured, in ms: positive is time to spare, negative is the overrun.
    pub margin_ms: Option<i64>,
    /// Why a measurement is not verified (probes that did not run): then `met` is `None`, so
    /// nothing reads "met" into a time no probe confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
}

impl Budget {
    pub fn new(measured: Option<Duration>, budget: Option<Duration>) -> Self {
        let margin_ms = match (measured, budget) {
            (Some(m), Some(b)) => Some(b.as_millis() as i64 - m.as_millis() as i64),
            _ => None,
        };
        let met = budget.map(|_| margin_ms.is_some_and(|m| m >= 0));
        Self {
            measured,
            budget,
            met,
            margin_ms,
            unverified: None,
        }
    }

    /// Marks the measurement unverified (`why`): no longer met, nor missed.
    pub fn unverify(&mut self, why: String) {
        self.met = None;
        self.unverified = Some(why);
    }

    /// Missed: a budget was set and not met.
    pub fn missed(&self) -> bool {
        self.met == Some(false)
    }
}

/// One operation's recovery time: from the drill's first submit until this operation was
/// usable (restored, and its last probe passed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperationRto {
    pub name: String,
    #[serde(with = "crate::timefmt::opt_ms", rename = "measured_ms")]
    pub measured: Option<Duration>,
    pub ready_at: Option<Timestamp>,
}

/// RTO end to end (first submit to the last passed probe) and per operation, with the chain
/// of operations that set it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rto {
    #[serde(flatten)]
    pub result: Budget,
    pub first_submit_at: Option<Timestamp>,
    pub ready_at: Option<Timestamp>,
    pub per_operation: Vec<OperationRto>,
    /// Operation names, first to last: the last one became ready last, and each earlier one is
    /// the dependency that finished last before the next could start.
    pub critical_path: Vec<String>,
}

/// One operation's restored recovery point.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpoPoint {
    pub operation: String,
    /// `restore_time`, or the restored backup's end time.
    pub recovery_point: Timestamp,
    /// Drill start − recovery point.
    #[serde(with = "crate::timefmt::ms", rename = "measured_ms")]
    pub measured: Duration,
}

/// RPO: the age of the oldest recovery point restored, at the drill's start.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rpo {
    #[serde(flatten)]
    pub result: Budget,
    pub recovery_point: Option<Timestamp>,
    pub per_operation: Vec<RpoPoint>,
}

/// When each operation was ready: restored, and every probe that can fail the drill passed
/// (ready = the later of the restore's end and its last passed probe's end).
fn ready_times(
    ops: &[OperationTiming],
    probes: &[DrillProbe],
) -> BTreeMap<String, Option<Timestamp>> {
    let mut out = BTreeMap::new();
    for op in ops {
        let ready = match (op.outcome, op.finished_at) {
            (OpOutcome::Succeeded, Some(done)) => {
                let mine: Vec<&DrillProbe> =
                    probes.iter().filter(|p| p.operation == op.name).collect();
                if mine.iter().any(|p| p.result.fails_drill()) {
                    None
                } else {
                    Some(
                        mine.iter()
                            .filter(|p| p.result.passed)
                            .map(|p| p.result.finished_at())
                            .fold(done, std::cmp::Ord::max),
                    )
                }
            }
            _ => None,
        };
        out.insert(op.name.clone(), ready);
    }
    out
}

/// Measures the RTO from the operations' timings and the probes' results.
pub fn measure_rto(
    ops: &[OperationTiming],
    probes: &[DrillProbe],
    budget: Option<Duration>,
) -> Rto {
    let ready = ready_times(ops, probes);
    let first_submit_at = ops.iter().map(|o| o.submitted_at).min();
    let since = |t: Timestamp| first_submit_at.and_then(|s| t.duration_since(s).try_into().ok());
    let per_operation = ops
        .iter()
        .map(|o| {
            let at = ready.get(&o.name).copied().flatten();
            OperationRto {
                name: o.name.clone(),
                measured: at.and_then(since),
                ready_at: at,
            }
        })
        .collect();
    let all_ready = !ops.is_empty() && ready.values().all(Option::is_some);
    let ready_at = if all_ready {
        ready.values().copied().flatten().max()
    } else {
        None
    };
    // The path is traced even for a failed drill (by end times) so the report shows what stalled.
    let end = |o: &OperationTiming| ready.get(&o.name).copied().flatten().or(o.finished_at);
    let critical_path = critical_path(ops, &end);
    Rto {
        result: Budget::new(ready_at.and_then(since), budget),
        first_submit_at,
        ready_at,
        per_operation,
        critical_path,
    }
}

fn critical_path(
    ops: &[OperationTiming],
    end: &dyn Fn(&OperationTiming) -> Option<Timestamp>,
) -> Vec<String> {
    let by_name: BTreeMap<&str, &OperationTiming> =
        ops.iter().map(|o| (o.name.as_str(), o)).collect();
    let Some(mut cur) = ops
        .iter()
        .filter(|o| end(o).is_some())
        .max_by_key(|o| end(o))
    else {
        return Vec::new();
    };
    let mut path = vec![cur.name.clone()];
    // Bounded by the operation count, so a cyclic `depends_on` cannot loop.
    for _ in 0..ops.len() {
        let prev = cur
            .depends_on
            .iter()
            .filter_map(|d| by_name.get(d.as_str()).copied())
            .filter(|d| !path.contains(&d.name))
            .max_by_key(|d| end(d).unwrap_or(d.submitted_at));
        match prev {
            Some(p) => {
                path.push(p.name.clone());
                cur = p;
            }
            None => break,
        }
    }
    path.reverse();
    path
}

/// Measures the RPO at `drill_started` from each operation's restored recovery point.
pub fn measure_rpo(
    drill_started: Timestamp,
    points: &[(String, Timestamp)],
    budget: Option<Duration>,
) -> Rpo {
    let per_operation: Vec<RpoPoint> = points
        .iter()
        .map(|(op, at)| RpoPoint {
            operation: op.clone(),
            recovery_point: *at,
            measured: drill_started
                .duration_since(*at)
                .try_into()
                .unwrap_or_default(),
        })
        .collect();
    let oldest = per_operation.iter().min_by_key(|p| p.recovery_point);
    Rpo {
        result: Budget::new(oldest.map(|p| p.measured), budget),
        recovery_point: oldest.map(|p| p.recovery_point),
        per_operation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{OnError, ProbeKind, ProbeResult};

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("in range")
    }

    fn op(name: &str, from: i64, to: i64, deps: &[&str]) -> OperationTiming {
        OperationTiming {
            name: name.into(),
            kind: "rds.restore_new".into(),
            instance_id: None,
            submitted_at: at(from),
            finished_at: Some(at(to)),
            outcome: OpOutcome::Succeeded,
            detail: None,
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
            on_critical_path: false,
        }
    }

    fn probe(op: &str, from: i64, secs: u64, passed: bool) -> DrillProbe {
        DrillProbe {
            operation: op.into(),
            result: ProbeResult {
                name: format!("{op}-probe"),
                kind: ProbeKind::Tcp,
                passed,
                warned: false,
                on_error: OnError::Fail,
                detail: String::new(),
                output: String::new(),
                started_at: at(from),
                duration: Duration::from_secs(secs),
                timed_out: false,
                not_run: false,
            },
        }
    }

    #[test]
    fn rto_follows_the_latest_dependency() {
        let ops = [
            op("a", 0, 100, &[]),
            op("b", 0, 300, &[]),
            op("meta", 310, 400, &["a", "b"]),
            op("cache", 0, 50, &[]),
        ];
        let probes = [probe("meta", 400, 20, true), probe("cache", 60, 500, true)];
        let rto = measure_rto(&ops, &probes, Some(Duration::from_secs(500)));
        assert_eq!(rto.result.measured, Some(Duration::from_secs(560)));
        assert_eq!(rto.critical_path, ["cache"]);
        assert_eq!(rto.result.met, Some(false));
        assert_eq!(rto.result.margin_ms, Some(-60_000));

        let probes = [probe("meta", 400, 20, true)];
        let rto = measure_rto(&ops, &probes, Some(Duration::from_secs(500)));
        assert_eq!(rto.result.measured, Some(Duration::from_secs(420)));
        assert_eq!(rto.critical_path, ["b", "meta"]);
        assert_eq!(rto.result.met, Some(true));
        assert_eq!(
            rto.per_operation[0].measured,
            Some(Duration::from_secs(100))
        );
    }

    #[test]
    fn a_failing_probe_leaves_rto_unmeasured() {
        let ops = [op("a", 0, 100, &[])];
        let rto = measure_rto(
            &ops,
            &[probe("a", 100, 1, false)],
            Some(Duration::from_secs(900)),
        );
        assert_eq!(rto.result.measured, None);
        assert_eq!(rto.result.met, Some(false));
        assert_eq!(rto.critical_path, ["a"]);
    }

    #[test]
    fn rpo_is_the_oldest_point() {
        let rpo = measure_rpo(
            at(3600),
            &[("a".into(), at(0)), ("b".into(), at(1800))],
            Some(Duration::from_secs(1800)),
        );
        assert_eq!(rpo.result.measured, Some(Duration::from_secs(3600)));
        assert_eq!(rpo.recovery_point, Some(at(0)));
        assert!(rpo.result.missed());
    }
}
