//! The evidence a drill's reports carry: the run's audit data (spec commit and dirty flag,
//! spec and plan SHA-256, approver, job IDs), the RTO/RPO trend of this drill's past runs, and
//! in `report.json` the SHA-256 of every other artefact, computed after they are final.

use rewind_drills::report::human_duration;
use rewind_engine::drill::{DrillOutcome, DrillRecord};
use rewind_engine::plan::sha256_hex;
use rewind_engine::state::RunEntry;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The artefacts whose digests `report.json` lists (it cannot list its own).
pub const ARTEFACTS: [&str; 3] = ["report.md", "junit.xml", "report.html"];

/// One past (or this) run of the drill, for the trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub run: u64,
    pub started_at: i64,
    pub passed: bool,
    pub rto_ms: Option<u64>,
    pub rpo_ms: Option<u64>,
}

/// The finished runs of `drill` in `runs` (oldest first, at most the last 30), then `this`.
pub fn trend(runs: &[RunEntry], drill: &str, this: Point) -> Vec<Point> {
    let mut out: Vec<Point> = runs
        .iter()
        .filter(|r| r.id != this.run)
        .filter_map(|r| Some((r.id, r.drill.as_ref()?)))
        .filter(|(_, d)| {
            d.drill == drill && matches!(d.outcome, DrillOutcome::Passed | DrillOutcome::Failed)
        })
        .map(|(id, d): (u64, &DrillRecord)| Point {
            run: id,
            started_at: d.started_at,
            passed: d.outcome == DrillOutcome::Passed,
            rto_ms: d.rto_ms,
            rpo_ms: d.rpo_ms,
        })
        .collect();
    out.push(this);
    let skip = out.len().saturating_sub(30);
    out.split_off(skip)
}

fn dur(ms: Option<u64>) -> String {
    ms.map_or_else(
        || "-".to_owned(),
        |ms| human_duration(Duration::from_millis(ms)),
    )
}

fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn audit(run: &RunEntry) -> Value {
    json!({
        "run": run.id,
        "spec_file": run.spec_file,
        "git_commit": run.git_commit,
        "git_dirty": run.git_dirty,
        "spec_digest": run.spec_digest,
        "plan_digest": run.plan_digest,
        "approver": run.approver,
        "jobs": run.jobs,
    })
}

fn markdown(run: &RunEntry, points: &[Point]) -> String {
    let mut s = String::from("\n## Evidence\n\n| | |\n|---|---|\n");
    let commit = match (&run.git_commit, run.git_dirty) {
        (Some(c), Some(true)) => format!(" at `{c}` (uncommitted changes)"),
        (Some(c), _) => format!(" at `{c}`"),
        (None, _) => " (not in a git repository)".to_owned(),
    };
    let _ = writeln!(s, "| Run | {} |", run.id);
    let _ = writeln!(
        s,
        "| Spec | `{}`{commit} |",
        run.spec_file.replace('|', "\\|")
    );
    let _ = writeln!(s, "| Spec SHA-256 | `{}` |", run.spec_digest);
    let _ = writeln!(s, "| Plan SHA-256 | `{}` |", run.plan_digest);
    let _ = writeln!(s, "| Approver | {} |", run.approver.replace('|', "\\|"));
    for (op, job) in &run.jobs {
        let _ = writeln!(s, "| Job of `{op}` | `{job}` |");
    }
    s.push_str("\n## Trend\n\n| Run | Started | Outcome | RTO | RPO |\n|---|---|---|---|---|\n");
    for p in points {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            p.run,
            when(p.started_at),
            if p.passed { "passed" } else { "failed" },
            dur(p.rto_ms),
            dur(p.rpo_ms)
        );
    }
    s
}

/// A line chart of `values` (ms) as inline SVG, no script.
fn sparkline(values: &[Option<u64>], color: &str) -> String {
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
    let n = values.len().max(2) - 1;
    let mut points = String::new();
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            #[allow(clippy::cast_precision_loss)]
            let (x, y) = (
                10.0 + 380.0 * i as f64 / n as f64,
                70.0 - 60.0 * (*v as f64) / (max as f64),
            );
            let _ = write!(points, "{x:.1},{y:.1} ");
        }
    }
    format!(
        "<svg viewBox=\"0 0 400 80\" width=\"400\" height=\"80\" role=\"img\"><polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/></svg>",
        points.trim_end()
    )
}

fn html(run: &RunEntry, points: &[Point]) -> String {
    let mut s = String::from("<section id=\"evidence\"><h2>Trend of this drill</h2>\n");
    let rto: Vec<Option<u64>> = points.iter().map(|p| p.rto_ms).collect();
    let rpo: Vec<Option<u64>> = points.iter().map(|p| p.rpo_ms).collect();
    let _ = writeln!(
        s,
        "<p>RTO over the last {} run(s)</p>{}",
        points.len(),
        sparkline(&rto, "#1f6feb")
    );
    let _ = writeln!(
        s,
        "<p>RPO over the last {} run(s)</p>{}",
        points.len(),
        sparkline(&rpo, "#8250df")
    );
    s.push_str(
        "<table><tr><th>Run</th><th>Started</th><th>Outcome</th><th>RTO</th><th>RPO</th></tr>\n",
    );
    for p in points {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.run,
            when(p.started_at),
            if p.passed { "passed" } else { "failed" },
            dur(p.rto_ms),
            dur(p.rpo_ms)
        );
    }
    s.push_str("</table>\n<h2>Evidence</h2><dl>\n");
    let commit = run
        .git_commit
        .clone()
        .unwrap_or_else(|| "not in git".to_owned());
    let dirty = if run.git_dirty == Some(true) {
        " (uncommitted changes)"
    } else {
        ""
    };
    for (k, v) in [
        ("Run", run.id.to_string()),
        ("Spec", format!("{} at {commit}{dirty}", run.spec_file)),
        ("Spec SHA-256", run.spec_digest.clone()),
        ("Plan SHA-256", run.plan_digest.clone()),
        ("Approver", run.approver.clone()),
    ] {
        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    for (op, job) in &run.jobs {
        let _ = writeln!(s, "<dt>Job of {}</dt><dd>{}</dd>", esc(op), esc(job));
    }
    s.push_str("</dl></section>\n");
    s
}

fn replace(path: &Path, body: &str) -> Result<(), String> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.evidence.tmp"));
    std::fs::write(&tmp, body).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Adds the evidence and the trend to the reports in `dir`, then the digests of the final
/// artefacts to `report.json`.
pub fn seal(dir: &Path, run: &RunEntry, points: &[Point]) -> Result<(), String> {
    let read =
        |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    // Before the footer, as in the HTML page: the footer closes the report.
    let md = read("report.md")?;
    let md = match md.rfind("\n<sub>rewind drill report") {
        Some(at) => format!("{}{}{}", &md[..at], markdown(run, points), &md[at..]),
        None => md + &markdown(run, points),
    };
    replace(&dir.join("report.md"), &md)?;
    let page = read("report.html")?;
    let section = html(run, points);
    let page = match page.rfind("<p class=\"meta\">") {
        Some(at) => format!("{}{section}{}", &page[..at], &page[at..]),
        None => match page.rfind("</body>") {
            Some(at) => format!("{}{section}{}", &page[..at], &page[at..]),
            None => page + &section,
        },
    };
    replace(&dir.join("report.html"), &page)?;
    let mut artefacts = Vec::new();
    for name in ARTEFACTS {
        let bytes = std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        artefacts.push(json!({"file": name, "sha256": sha256_hex(&bytes), "bytes": bytes.len()}));
    }
    let mut report: Value =
        serde_json::from_str(&read("report.json")?).map_err(|e| format!("report.json: {e}"))?;
    let mut evidence = audit(run);
    evidence["artefacts"] = Value::Array(artefacts);
    evidence["trend"] = points
        .iter()
        .map(|p| json!({"run": p.run, "started_at": when(p.started_at), "passed": p.passed, "rto_ms": p.rto_ms, "rpo_ms": p.rpo_ms}))
        .collect();
    report["evidence"] = evidence;
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n";
    replace(&dir.join("report.json"), &text)
}
