//! `junit.xml`: each probe a test case (plus the restores and the budgets), for CI systems.

use std::fmt::Write as _;
use std::time::Duration;

use super::escape::xml;
use super::model::{CleanupAction, DrillReport};
use crate::measure::Budget;
use crate::timefmt::human_duration;
use crate::timing::OpOutcome;

struct Case {
    class: String,
    name: String,
    time: Duration,
    /// (message, body) of a failure.
    failure: Option<(String, String)>,
    out: String,
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Renders three suites: `probes` (one case per probe; a warned probe passes with its warning
/// in `system-out`), `restores` (one per operation) and `drill` (the budgets and the clean-up).
pub fn render(r: &DrillReport) -> String {
    let probes: Vec<Case> = r
        .probes
        .iter()
        .map(|p| {
            let res = &p.result;
            // A probe that did not run is a failure here too: a CI reading junit.xml must not
            // count it as a pass.
            let failure = (res.fails_drill() || res.not_run)
                .then(|| (res.detail.clone(), res.output.clone()));
            let mut out = String::new();
            if res.warned {
                let _ = writeln!(out, "WARNING (on_error: warn): {}", res.detail);
            }
            if failure.is_none() {
                out.push_str(&res.output);
            }
            Case {
                class: format!("drill.{}.{}", r.drill, p.operation),
                name: res.name.clone(),
                time: res.duration,
                failure,
                out,
            }
        })
        .collect();
    let restores: Vec<Case> = r
        .operations
        .iter()
        .map(|op| {
            let time = op
                .finished_at
                .and_then(|f| f.duration_since(op.submitted_at).try_into().ok())
                .unwrap_or_default();
            let failure = (op.outcome != OpOutcome::Succeeded).then(|| {
                (
                    format!("restore {}", op.outcome.as_str()),
                    op.detail.clone().unwrap_or_default(),
                )
            });
            Case {
                class: format!("drill.{}.restores", r.drill),
                name: format!("{} ({})", op.name, op.kind),
                time,
                failure,
                out: op
                    .instance_id
                    .as_ref()
                    .map(|i| format!("instance {i}\n"))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut drill = vec![budget_case(r, "RTO budget", &r.rto.result)];
    if let Some(rpo) = &r.rpo {
        drill.push(budget_case(r, "RPO budget", &rpo.result));
    }
    let failed: Vec<String> = r
        .cleanup
        .iter()
        .filter(|c| c.action == CleanupAction::Failed)
        .map(|c| {
            format!(
                "{} ({}): {}",
                c.instance_id,
                c.operation,
                c.detail.as_deref().unwrap_or("delete failed")
            )
        })
        .collect();
    let mut done = String::new();
    for c in &r.cleanup {
        let _ = writeln!(
            done,
            "{} ({}): {}",
            c.instance_id,
            c.operation,
            c.action.describe()
        );
    }
    drill.push(Case {
        class: format!("drill.{}", r.drill),
        name: "clean-up".into(),
        time: Duration::ZERO,
        failure: (!failed.is_empty()).then(|| {
            (
                format!("{} clean-up(s) failed", failed.len()),
                failed.join("\n"),
            )
        }),
        out: done,
    });

    let suites = [("probes", probes), ("restores", restores), ("drill", drill)];
    let total: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = suites
        .iter()
        .map(|(_, c)| c.iter().filter(|x| x.failure.is_some()).count())
        .sum();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"{}\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\" time=\"{}\" timestamp=\"{}\">",
        xml(&format!(
            "rewind drill {}{}",
            r.drill,
            if r.simulated { " (rehearsal)" } else { "" }
        )),
        secs(r.span()),
        r.started_at
    );
    for (suite, cases) in &suites {
        let f = cases.iter().filter(|c| c.failure.is_some()).count();
        let time: Duration = cases.iter().map(|c| c.time).sum();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"0\" time=\"{}\" timestamp=\"{}\">",
            xml(&format!("{}.{suite}", r.drill)),
            cases.len(),
            secs(time),
            r.started_at
        );
        for c in cases {
            let _ = write!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
                xml(&c.class),
                xml(&c.name),
                secs(c.time)
            );
            if c.failure.is_none() && c.out.is_empty() {
                s.push_str("/>\n");
                continue;
            }
            s.push_str(">\n");
            if let Some((message, body)) = &c.failure {
                let _ = writeln!(
                    s,
                    "      <failure message=\"{}\" type=\"drill\">{}</failure>",
                    xml(message),
                    xml(body)
                );
            }
            if !c.out.is_empty() {
                let _ = writeln!(s, "      <system-out>{}</system-out>", xml(&c.out));
            }
            s.push_str("    </testcase>\n");
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn budget_case(r: &DrillReport, name: &str, b: &Budget) -> Case {
    let measured = b
        .measured
        .map_or_else(|| "not measured".to_owned(), human_duration);
    let budget = b.budget.map_or_else(|| "none".to_owned(), human_duration);
    let line = match &b.unverified {
        Some(why) => format!("measured {measured}, budget {budget}, not verified: {why}"),
        None => format!("measured {measured}, budget {budget}"),
    };
    Case {
        class: format!("drill.{}", r.drill),
        name: name.into(),
        time: b.measured.unwrap_or_default(),
        failure: b
            .missed()
            .then(|| (format!("{name} missed: {line}"), line.clone())),
        out: if b.missed() {
            String::new()
        } else {
            format!("{line}\n")
        },
    }
}
