//! The RTO forecast `rewind plan` prints: p50 and p95 per kind from past drills, along the
//! plan's graph, and a warning for each drill whose budget the forecast exceeds.

use rewind_drills::report::human_duration;
use rewind_engine::drill::forecast::{self, ForecastOp, MIN_SAMPLES};
use rewind_engine::drill::{DrillOutcome, DrillRecord};
use rewind_engine::plan::Plan;
use rewind_engine::spec::Spec;
use rewind_engine::state::RunEntry;
use std::time::Duration;

/// A line of the forecast; warnings go to stderr whatever `--quiet` says.
pub enum Line {
    Info(String),
    Warning(String),
}

fn dur(ms: u64) -> String {
    human_duration(Duration::from_millis(ms))
}

/// The forecast for `plan` from the drills in `runs` (rehearsals against the simulator do not
/// count: their times are the simulator's).
pub fn lines(spec: &Spec, plan: &Plan, runs: &[RunEntry]) -> Vec<Line> {
    let records: Vec<DrillRecord> = runs
        .iter()
        .filter_map(|r| r.drill.clone())
        .filter(|d| !d.simulated && d.outcome != DrillOutcome::Running)
        .collect();
    if records.is_empty() {
        return Vec::new();
    }
    let per_kind = forecast::per_kind(&records);
    let op = |name: &str| {
        plan.steps
            .iter()
            .find(|s| s.name == name)
            .map(|s| ForecastOp {
                name: s.name.clone(),
                kind: s.kind.as_str().to_owned(),
                after: s.after.clone(),
            })
    };
    let all: Vec<ForecastOp> = plan.steps.iter().filter_map(|s| op(&s.name)).collect();
    let mut out = Vec::new();
    if let Some(f) = forecast::forecast(&all, &per_kind) {
        out.push(Line::Info(format!(
            "RTO forecast from {} drill(s): p50 {}, p95 {}, along {}.",
            records.len(),
            dur(f.p50_ms),
            dur(f.p95_ms),
            f.critical_path.join(" → ")
        )));
    } else {
        {
            let missing = forecast::missing_kinds(&all, &per_kind);
            out.push(Line::Info(format!(
                "RTO forecast: not yet; it needs {MIN_SAMPLES} drills of each kind, and these have fewer: {}.",
                missing
                    .iter()
                    .map(|k| format!(
                        "{k} ({})",
                        per_kind.get(k).map_or(0, |f| f.samples)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    for drill in spec.drills.values() {
        let Some(budget) = drill.rto else { continue };
        let ops: Vec<ForecastOp> = drill.operations.iter().filter_map(|n| op(n)).collect();
        let Some(f) = forecast::forecast(&ops, &per_kind) else {
            continue;
        };
        let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
        if f.p95_ms > budget_ms {
            out.push(Line::Warning(format!(
                "drill `{}`: the forecast RTO (p95 {}, p50 {}) exceeds its budget of {}, along {}",
                drill.name,
                dur(f.p95_ms),
                dur(f.p50_ms),
                dur(budget_ms),
                f.critical_path.join(" → ")
            )));
        }
    }
    out
}
