//! `rewind drill history`: past drills with their RTO and RPO against budgets, and trends.

use crate::error::CliError;
use crate::printer::{Printer, Style};
use crate::render::when;
use crate::session::Session;
use rewind_drills::report::human_duration;
use rewind_engine::drill::forecast::nearest_rank;
use rewind_engine::drill::{DrillOutcome, DrillRecord};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

fn dur(ms: Option<u64>) -> String {
    ms.map_or_else(
        || "-".to_owned(),
        |ms| human_duration(Duration::from_millis(ms)),
    )
}

fn against(ms: Option<u64>, budget: Option<u64>, unverified: bool) -> String {
    match (ms, budget) {
        (_, None) => dur(ms),
        // Measured, but no probe confirmed the data: neither met nor missed (as the reports say).
        (Some(_), Some(_)) if unverified => format!("{} unverified", dur(ms)),
        (Some(m), Some(b)) if m <= b => format!("{} ≤ {}", dur(ms), dur(budget)),
        // Nothing measured is not "more than the budget": the budget is missed, unmeasured.
        (None, Some(_)) => format!("- MISSED (budget {})", dur(budget)),
        (Some(_), Some(_)) => format!("{} > {} MISSED", dur(ms), dur(budget)),
    }
}

/// One line per drill: how its RTO moves.
pub fn trends(drills: &[(u64, &DrillRecord)]) -> Vec<String> {
    let mut by_name: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (_, d) in drills {
        if let Some(ms) = d.rto_ms {
            by_name.entry(d.drill.as_str()).or_default().push(ms);
        }
    }
    by_name
        .into_iter()
        .map(|(name, rtos)| {
            let last = rtos.last().copied();
            let prev = rtos.len().checked_sub(2).and_then(|i| rtos.get(i)).copied();
            let mut sorted = rtos.clone();
            sorted.sort_unstable();
            let change = match (last, prev) {
                (Some(l), Some(p)) if p > 0 => {
                    #[allow(clippy::cast_precision_loss)]
                    let pct = (l as f64 - p as f64) / p as f64 * 100.0;
                    format!(", last {} ({pct:+.0}% on the one before)", dur(last))
                }
                _ => format!(", last {}", dur(last)),
            };
            format!(
                "`{name}`: RTO p50 {}, p95 {} over {} measured drill(s){change}",
                dur(Some(nearest_rank(&sorted, 50))),
                dur(Some(nearest_rank(&sorted, 95))),
                sorted.len()
            )
        })
        .collect()
}

pub fn exec(
    session: &Session,
    name: Option<&str>,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let runs = session.runs_if_any()?;
    let drills: Vec<(u64, &DrillRecord)> = runs
        .iter()
        .filter_map(|r| Some((r.id, r.drill.as_ref()?)))
        .filter(|(_, d)| name.is_none_or(|n| d.drill == n))
        .collect();
    if printer.json {
        let list: Vec<_> = drills
            .iter()
            .map(|(id, d)| serde_json::json!({"run": id, "record": d}))
            .collect();
        printer.out(
            &serde_json::json!({"format_version": 1, "drills": list, "trends": trends(&drills)})
                .to_string(),
        );
        return Ok(ExitCode::SUCCESS);
    }
    if drills.is_empty() {
        printer.info("No drills recorded yet: run `rewind drill NAME`.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:<16} {:<21} {:<8} {:<24} {:<24} LEFT",
        "RUN", "DRILL", "STARTED", "OUTCOME", "RTO", "RPO"
    );
    for (id, d) in &drills {
        let outcome = match d.outcome {
            DrillOutcome::Passed => printer.paint("passed ", Style::Green),
            DrillOutcome::Failed => printer.paint("failed ", Style::Red),
            DrillOutcome::Running => printer.paint("running", Style::Yellow),
            DrillOutcome::Missed => printer.paint("missed ", Style::Yellow),
        };
        let left = d.scratch.iter().filter(|s| s.status.is_open()).count();
        let sim = if d.simulated { " (sim)" } else { "" };
        let _ = writeln!(
            out,
            "{id:>4}  {:<16} {:<21} {outcome}  {:<24} {:<24} {left}{sim}",
            d.drill,
            when(started_column(d)),
            against(d.rto_ms, d.rto_budget_ms, d.rto_unverified.is_some()),
            against(d.rpo_ms, d.rpo_budget_ms, false),
        );
    }
    for t in trends(&drills) {
        let _ = writeln!(out, "Trend {t}");
    }
    printer.out(&out);
    Ok(ExitCode::SUCCESS)
}

/// When a run started; a missed slot never started, so it shows the slot it was due at
/// (not the time a later `--due` noticed it).
fn started_column(d: &DrillRecord) -> i64 {
    match (d.outcome, d.slot) {
        (DrillOutcome::Missed, Some(slot)) => slot,
        _ => d.started_at,
    }
}

#[cfg(test)]
mod tests {
    use super::{against, started_column};

    #[test]
    fn a_missed_slot_shows_the_slot_it_was_due_at() {
        let mut d: rewind_engine::drill::DrillRecord = serde_json::from_value(serde_json::json!({
            "drill": "nightly", "simulated": false, "outcome": "missed",
            "started_at": 2_000_000, "slot": 1_000_000,
            "operations": [], "critical_path": [], "scratch": []
        }))
        .expect("record");
        assert_eq!(started_column(&d), 1_000_000);
        d.outcome = rewind_engine::drill::DrillOutcome::Passed;
        assert_eq!(started_column(&d), 2_000_000);
    }

    #[test]
    fn an_unmeasured_time_is_never_shown_as_more_than_its_budget() {
        assert_eq!(
            against(None, Some(7_200_000), false),
            "- MISSED (budget 2h 00m)"
        );
        assert_eq!(
            against(Some(60_000), Some(7_200_000), false),
            "1m 00s ≤ 2h 00m"
        );
        assert!(against(Some(7_300_000), Some(7_200_000), false).ends_with("> 2h 00m MISSED"));
        // An RTO whose probes did not run is not "within budget".
        assert_eq!(
            against(Some(60_000), Some(7_200_000), true),
            "1m 00s unverified"
        );
    }
}
