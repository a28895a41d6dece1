//! A drill's findings: operation timings from the walker's records, RTO and RPO, the report
//! value every renderer reads, and the durable record's figures.

use rewind_drills::report::{human_duration, human_margin};
use rewind_drills::{DrillProbe, DrillReport, OpOutcome, OperationTiming, Rpo, Rto};
use rewind_engine::drill::DrillOpRecord;
use rewind_engine::plan::Plan;
use rewind_engine::state::{OpRecord, Status};
use std::collections::BTreeMap;

fn ts(ms: i64) -> Option<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(ms).ok()
}

/// Each step's timing as the walker recorded it; a step without a record never started.
pub fn timings(
    plan: &Plan,
    records: &[OpRecord],
    instances: &BTreeMap<String, String>,
    started: jiff::Timestamp,
) -> Vec<OperationTiming> {
    let by_name: BTreeMap<&str, &OpRecord> = records.iter().map(|r| (r.name.as_str(), r)).collect();
    plan.steps
        .iter()
        .map(|step| {
            let record = by_name.get(step.name.as_str());
            let outcome = match record.map(|r| r.status) {
                Some(Status::Succeeded) => OpOutcome::Succeeded,
                Some(Status::Failed) => OpOutcome::Failed,
                Some(Status::Running | Status::Submitting | Status::Unknown) => OpOutcome::Running,
                None => OpOutcome::Skipped,
            };
            let submitted_at = record
                .and_then(|r| r.submitted_at)
                .and_then(ts)
                .unwrap_or(started);
            let finished_at = match outcome {
                OpOutcome::Succeeded | OpOutcome::Failed => record.and_then(|r| ts(r.updated_at)),
                OpOutcome::Running | OpOutcome::Skipped => None,
            };
            let instance_id = instances
                .get(&step.name)
                .cloned()
                .or_else(|| record.and_then(|r| r.outputs.get("instance_id").cloned()));
            let detail = record
                .and_then(|r| r.last_error.clone())
                .or_else(|| (outcome == OpOutcome::Skipped).then(|| "not started".to_owned()));
            OperationTiming {
                name: step.name.clone(),
                kind: step.kind.as_str().to_owned(),
                instance_id,
                submitted_at,
                finished_at,
                outcome,
                detail,
                depends_on: step.after.clone(),
                on_critical_path: false,
            }
        })
        .collect()
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The per-operation figures the forecast learns from.
pub fn op_records(ops: &[OperationTiming], rto: &Rto) -> Vec<DrillOpRecord> {
    ops.iter()
        .map(|o| {
            let restore_ms = match (o.outcome, o.finished_at) {
                (OpOutcome::Succeeded, Some(end)) => {
                    std::time::Duration::try_from(end.duration_since(o.submitted_at))
                        .ok()
                        .map(millis)
                }
                _ => None,
            };
            let mine = rto.per_operation.iter().find(|r| r.name == o.name);
            let ready_ms = mine.and_then(|r| r.measured).map(millis);
            // From its own submit, not the drill's first: the forecast adds these along the
            // graph, so a duration that already holds the wait for others counts it twice.
            let own_ms = mine
                .and_then(|r| r.ready_at)
                .and_then(|at| {
                    std::time::Duration::try_from(at.duration_since(o.submitted_at)).ok()
                })
                .map(millis);
            DrillOpRecord {
                name: o.name.clone(),
                kind: o.kind.clone(),
                restore_ms,
                ready_ms,
                own_ms,
            }
        })
        .collect()
}

/// Everything measured, as one report (cleanup and errors filled in by the caller).
#[derive(Clone)]
pub struct Findings {
    pub ops: Vec<OperationTiming>,
    pub probes: Vec<DrillProbe>,
    pub rto: Rto,
    pub rpo: Option<Rpo>,
}

pub fn report(
    drill: &str,
    simulated: bool,
    started: jiff::Timestamp,
    f: Findings,
    cleanup: Vec<rewind_drills::CleanupResult>,
    errors: Vec<String>,
) -> DrillReport {
    DrillReport {
        format_version: rewind_drills::FORMAT_VERSION,
        drill: drill.to_owned(),
        started_at: started,
        finished_at: jiff::Timestamp::now(),
        simulated,
        passed: false,
        operations: f.ops,
        probes: f.probes,
        rto: f.rto,
        rpo: f.rpo,
        cleanup,
        errors,
    }
    .finalized()
}

pub fn ms_of(d: Option<std::time::Duration>) -> Option<u64> {
    d.map(millis)
}

/// The summary's RPO line, always there: the restored RPO against its budget (or why it is
/// not measured), and the RPO the cloud offered when the drill chose its recovery point.
pub fn rpo_line(rpo: Option<&Rpo>, offered_ms: Option<u64>) -> String {
    let mut line = match rpo {
        Some(rpo) => budget_line("RPO", &rpo.result, &[]),
        None => {
            "  RPO not measured (no restore of this drill reports its recovery point)".to_owned()
        }
    };
    if let Some(ms) = offered_ms {
        line = format!(
            "{line}; offered {} (the newest point the cloud offered, at the start)",
            human_duration(std::time::Duration::from_millis(ms))
        );
    }
    line
}

/// One line of the summary: a measurement against its budget.
pub fn budget_line(what: &str, b: &rewind_drills::Budget, path: &[String]) -> String {
    let measured = b
        .measured
        .map_or_else(|| "not measured".to_owned(), human_duration);
    let budget = match (b.budget, b.met, b.margin_ms) {
        _ if b.unverified.is_some() => format!(
            " ({}not verified: {})",
            b.budget
                .map(|d| format!("budget {}: ", human_duration(d)))
                .unwrap_or_default(),
            b.unverified.as_deref().unwrap_or_default()
        ),
        (Some(budget), Some(true), Some(m)) => {
            format!(
                " (budget {}: met, {})",
                human_duration(budget),
                human_margin(m)
            )
        }
        (Some(budget), _, Some(m)) => {
            format!(
                " (budget {}: MISSED, {})",
                human_duration(budget),
                human_margin(m)
            )
        }
        (Some(budget), _, None) => format!(" (budget {}: MISSED)", human_duration(budget)),
        (None, _, _) => " (no budget)".to_owned(),
    };
    let along = if path.is_empty() {
        String::new()
    } else {
        format!(", critical path {}", path.join(" → "))
    };
    format!("  {what} {measured}{budget}{along}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_drills::measure_rto;

    fn timing(name: &str, from_ms: i64, to_ms: i64, after: &[&str]) -> OperationTiming {
        let at = |ms: i64| jiff::Timestamp::from_millisecond(1_795_143_600_000 + ms).expect("ts");
        OperationTiming {
            name: name.into(),
            kind: format!("kind.{name}"),
            instance_id: None,
            submitted_at: at(from_ms),
            finished_at: Some(at(to_ms)),
            outcome: OpOutcome::Succeeded,
            detail: None,
            depends_on: after.iter().map(|a| (*a).to_owned()).collect(),
            on_critical_path: false,
        }
    }

    #[test]
    fn an_unverified_rto_is_not_met_and_the_rpo_line_is_always_there() {
        let mut rto = rewind_drills::Budget::new(
            Some(std::time::Duration::from_secs(600)),
            Some(std::time::Duration::from_secs(7_200)),
        );
        assert!(budget_line("RTO", &rto, &[]).contains(": met,"));
        rto.unverify("1 probe(s) did not run".into());
        let line = budget_line("RTO", &rto, &[]);
        assert!(
            line.contains("(budget 2h 00m: not verified: 1 probe(s) did not run)")
                && !line.contains("met")
                && !line.contains("MISSED"),
            "{line}"
        );

        // No budget and no point a provider reported: the line says so, not nothing.
        assert!(rpo_line(None, None).starts_with("  RPO not measured"));
        let at = jiff::Timestamp::from_second(1_800_000_000).expect("ts");
        let rpo = rewind_drills::measure_rpo(
            at,
            &[("db".into(), at - jiff::SignedDuration::from_secs(3_600))],
            None,
        );
        let line = rpo_line(Some(&rpo), Some(60_000));
        assert!(
            line.starts_with("  RPO 1h 00m (no budget); offered 1m"),
            "{line}"
        );
    }

    #[test]
    fn own_duration_runs_from_the_operations_own_submit() {
        // dn from 0 to 3.0 s; metadata submitted when dn was done, ready at 3.5 s.
        let ops = [
            timing("dn", 0, 3_000, &[]),
            timing("metadata", 3_000, 3_500, &["dn"]),
        ];
        let rto = measure_rto(&ops, &[], None);
        let got = op_records(&ops, &rto);
        let figures: Vec<_> = got
            .iter()
            .map(|r| (r.name.as_str(), r.ready_ms, r.own_ms, r.restore_ms))
            .collect();
        assert_eq!(
            figures,
            vec![
                ("dn", Some(3_000), Some(3_000), Some(3_000)),
                ("metadata", Some(3_500), Some(500), Some(500)),
            ]
        );
    }
}
