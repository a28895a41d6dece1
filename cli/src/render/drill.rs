//! What a drill run says when it ends: its verdict, RTO and RPO against budget, clean-up, reports.

use crate::ops::drill::report;
use crate::printer::{Printer, Style};
use rewind_drills::report::human_duration;

/// Says how a drill run ended, as a JSON event or as lines for a person. `rehearsal_state`:
/// the run's state (and world) end with this command.
pub fn summary(
    printer: &Printer,
    report: &rewind_drills::DrillReport,
    failures: &[String],
    dir: &std::path::Path,
    written: bool,
    rehearsal_state: bool,
    offered_ms: Option<u64>,
) {
    let files = ["report.md", "report.json", "junit.xml", "report.html"];
    if printer.json {
        printer.json_line(&serde_json::json!({
            "format_version": 1,
            "event": "drill_finished",
            "time": jiff::Timestamp::now().to_string(),
            "drill": report.drill,
            "passed": failures.is_empty(),
            "simulated": report.simulated,
            "probes_not_run": report.probes_not_run(),
            "rto": report.rto,
            "rpo": report.rpo,
            "cleanup": report.cleanup,
            "failures": failures,
            "report_dir": dir.display().to_string(),
        }));
        return;
    }
    let verdict = if failures.is_empty() {
        printer.paint("PASSED", Style::Green)
    } else if failures.len() == 1 && report.probes_not_run() > 0 {
        printer.paint("INCOMPLETE", Style::Yellow)
    } else {
        printer.paint("FAILED", Style::Red)
    };
    let mut lines = vec![format!(
        "{}Drill `{}` {verdict} in {}{}.",
        if report.simulated { "REHEARSAL: " } else { "" },
        report.drill,
        human_duration(report.span()),
        if report.simulated {
            " of simulated time"
        } else {
            ""
        },
    )];
    lines.push(report::budget_line(
        "RTO",
        &report.rto.result,
        &report.rto.critical_path,
    ));
    lines.push(report::rpo_line(report.rpo.as_ref(), offered_ms));
    for c in &report.cleanup {
        lines.push(format!(
            "  clean-up: {} {} ({}): {}",
            c.service,
            c.instance_id,
            c.operation,
            c.action.describe()
        ));
    }
    if rehearsal_state
        && report.cleanup.iter().any(|c| {
            matches!(
                c.action,
                rewind_drills::CleanupAction::Kept | rewind_drills::CleanupAction::KeptUntil { .. }
            )
        })
    {
        // Without --state the world ends with this command: "kept" would promise
        // instances that `drill cleanup` can never find.
        lines.push(
            "  (kept only in this throw-away rehearsal's world, which ends now: nothing is \
             left to clean up; rehearse with --state DIR to keep a drill's instances)"
                .to_owned(),
        );
    }
    for f in failures {
        lines.push(format!("  {} {f}", printer.paint("✗", Style::Red)));
    }
    if written {
        lines.push(format!(
            "Reports: {}",
            files
                .iter()
                .map(|f| dir.join(f).display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    printer.info(&lines.join("\n"));
}
