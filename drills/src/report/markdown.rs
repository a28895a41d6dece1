//! `report.md`: a summary to paste into a pull request or an issue, kept under 65,536 characters.

use std::fmt::Write as _;

use super::escape::{fence_for, md_cell};
use super::model::DrillReport;
use crate::measure::Budget;
use crate::timefmt::{human_duration, human_margin};
use crate::timing::OpOutcome;

/// Most characters `report.md` holds: under GitHub's 65,536-character limit for an issue or a
/// comment body, with room for a line the user adds.
pub const MAX_CHARS: usize = 65_000;

/// How probe outputs are shown, from the fullest to none: each step is tried until the page fits.
const STEPS: [(bool, usize); 5] = [
    (true, 4000),
    (false, 4000),
    (false, 1000),
    (false, 200),
    (false, 0),
];

/// Renders the report, cutting probe outputs first (passed probes' outputs, then the length of
/// the others) until it fits [`MAX_CHARS`]; the page says what was cut.
pub fn render(r: &DrillReport) -> String {
    let full_chars: usize = r
        .probes
        .iter()
        .map(|p| p.result.output.chars().count())
        .sum();
    for (passed_too, cap) in &STEPS {
        let (page, _) = page(r, *passed_too, *cap, full_chars);
        if page.chars().count() <= MAX_CHARS {
            return page;
        }
    }
    // Even without outputs the tables are too long (thousands of probes): cut the page itself.
    let (page, _) = page(r, false, 0, full_chars);
    let note = "\n\n> **Cut:** this report was longer than 65,536 characters; the rest is in `report.json`.\n";
    let keep = MAX_CHARS - note.chars().count();
    let mut out: String = page.chars().take(keep).collect();
    out.push_str(note);
    out
}

/// One rendering; returns the page and how many output characters it shows.
fn page(r: &DrillReport, passed_too: bool, cap: usize, full_chars: usize) -> (String, usize) {
    let mut s = String::new();
    let verdict = match r.verdict_word() {
        "PASSED" => "PASSED ✅",
        "INCOMPLETE" => "INCOMPLETE ⚠️",
        _ => "FAILED ❌",
    };
    let _ = writeln!(s, "# Drill `{}`: {verdict}\n", md_cell(&r.drill));
    if r.simulated {
        let _ = writeln!(
            s,
            "> **REHEARSAL (simulated).** Nothing real was restored or probed; every time below \
             is simulated time.\n"
        );
    }
    let sim = if r.simulated { " · simulated" } else { "" };
    let _ = writeln!(
        s,
        "Started {} · finished {} · took {}{sim}\n",
        r.started_at,
        r.finished_at,
        human_duration(r.span())
    );

    let failures = r.failures();
    if !failures.is_empty() {
        s.push_str("## Why it failed\n\n");
        for f in &failures {
            let _ = writeln!(s, "- {}", md_cell(f));
        }
        s.push('\n');
    }

    s.push_str("## Budgets\n\n| | measured | budget | result |\n|---|---|---|---|\n");
    budget_row(&mut s, "RTO", &r.rto.result);
    match &r.rpo {
        Some(rpo) => budget_row(&mut s, "RPO", &rpo.result),
        None => s.push_str("| RPO | – | – | no recovery point known |\n"),
    }
    if !r.rto.critical_path.is_empty() {
        let path: Vec<String> = r
            .rto
            .critical_path
            .iter()
            .map(|n| format!("`{}`", md_cell(n)))
            .collect();
        let _ = write!(s, "\nCritical path: {}", path.join(" → "));
        if let Some(p) = r.rto_probe() {
            let _ = write!(s, " (RTO set by probe `{}`)", md_cell(&p.result.name));
        }
        s.push('\n');
    }
    if let Some(rpo) = &r.rpo
        && let Some(point) = rpo.recovery_point
    {
        let _ = writeln!(s, "\nOldest recovery point restored: {point}");
    }

    s.push_str("\n## Restores\n\n| operation | kind | instance | submitted | took | outcome | ready after | critical path |\n|---|---|---|---|---|---|---|---|\n");
    for op in &r.operations {
        let took = op
            .finished_at
            .and_then(|f| f.duration_since(op.submitted_at).try_into().ok())
            .map_or_else(|| "–".to_owned(), human_duration);
        let ready = r
            .rto
            .per_operation
            .iter()
            .find(|o| o.name == op.name)
            .and_then(|o| o.measured)
            .map_or_else(|| "–".to_owned(), human_duration);
        let outcome = match (&op.outcome, &op.detail) {
            (OpOutcome::Succeeded, _) | (_, None) => op.outcome.as_str().to_owned(),
            (o, Some(d)) => format!("{}: {}", o.as_str(), d),
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {took} | {} | {ready} | {} |",
            md_cell(&op.name),
            md_cell(&op.kind),
            op.instance_id
                .as_deref()
                .map_or_else(|| "–".to_owned(), |i| format!("`{}`", md_cell(i))),
            op.submitted_at,
            md_cell(&outcome),
            if op.on_critical_path { "★" } else { "" }
        );
    }

    s.push_str("\n## Probes\n\n");
    if r.probes.is_empty() {
        s.push_str("No probes ran.\n");
    } else {
        s.push_str(
            "| probe | operation | kind | result | detail | took |\n|---|---|---|---|---|---|\n",
        );
        for p in &r.probes {
            let res = &p.result;
            let status = if res.passed {
                "✅ passed"
            } else if res.warned {
                "⚠️ warned"
            } else if res.not_run {
                "⚠️ not run"
            } else {
                "❌ failed"
            };
            let _ = writeln!(
                s,
                "| `{}` | `{}` | {} | {status} | {} | {} |",
                md_cell(&res.name),
                md_cell(&p.operation),
                res.kind,
                md_cell(&res.detail),
                human_duration(res.duration)
            );
        }
    }

    let mut shown = 0;
    let mut outputs = String::new();
    // Failed and warned probes first: their output is why the report is read.
    let mut ordered: Vec<_> = r
        .probes
        .iter()
        .filter(|p| !p.result.output.is_empty())
        .collect();
    ordered.sort_by_key(|p| p.result.passed);
    for p in ordered {
        if p.result.passed && !passed_too {
            continue;
        }
        if cap == 0 {
            break;
        }
        let text = &p.result.output;
        let total = text.chars().count();
        let cut: String = text.chars().take(cap).collect();
        shown += cut.chars().count();
        let fence = fence_for(&cut);
        let _ = writeln!(
            outputs,
            "\n### `{}` on `{}`\n",
            md_cell(&p.result.name),
            md_cell(&p.operation)
        );
        let _ = writeln!(
            outputs,
            "{fence}text\n{}\n{fence}",
            cut.trim_end_matches('\n')
        );
        if total > cap {
            let _ = writeln!(
                outputs,
                "\n_Output cut: {cap} of {total} characters shown._"
            );
        }
    }
    if !outputs.is_empty() || shown < full_chars {
        s.push_str("\n## Probe output\n");
        if shown < full_chars {
            let _ = writeln!(
                s,
                "\n> **Cut:** probe outputs were shortened to keep this page under 65,536 characters \
                 ({shown} of {full_chars} characters shown{}). The full outputs are in `report.json`.",
                if passed_too {
                    ""
                } else {
                    "; passed probes' outputs left out"
                }
            );
        }
        s.push_str(&outputs);
    }

    s.push_str("\n## Clean-up\n\n");
    if r.cleanup.is_empty() {
        s.push_str("Nothing to clean up.\n");
    } else {
        s.push_str("| operation | service | instance | action | detail |\n|---|---|---|---|---|\n");
        for c in &r.cleanup {
            let _ = writeln!(
                s,
                "| `{}` | {} | `{}` | {} | {} |",
                md_cell(&c.operation),
                md_cell(&c.service),
                md_cell(&c.instance_id),
                c.action.describe(),
                md_cell(c.detail.as_deref().unwrap_or(""))
            );
        }
    }
    let _ = writeln!(
        s,
        "\n<sub>rewind drill report, format {}</sub>",
        super::model::FORMAT_VERSION
    );
    (s, shown)
}

fn budget_row(s: &mut String, name: &str, b: &Budget) {
    let measured = b
        .measured
        .map_or_else(|| "not measured".to_owned(), human_duration);
    let budget = b.budget.map_or_else(|| "–".to_owned(), human_duration);
    let result = match (b.met, b.margin_ms) {
        _ if b.unverified.is_some() => {
            format!(
                "⚠️ not verified: {}",
                b.unverified.as_deref().unwrap_or_default()
            )
        }
        (None, _) => "no budget".to_owned(),
        (Some(true), Some(m)) => format!("✅ met, {}", human_margin(m)),
        (Some(false), Some(m)) => format!("❌ missed, {}", human_margin(m)),
        (Some(met), None) => {
            if met {
                "✅ met".into()
            } else {
                "❌ missed".into()
            }
        }
    };
    let _ = writeln!(s, "| {name} | {measured} | {budget} | {result} |");
}
