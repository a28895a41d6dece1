//! `rewind status`: the newest run's operations, percent and ETA, read from a snapshot while
//! the apply holds the lock (from any terminal; on PostgreSQL from any machine).

use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use rewind_engine::state::StateStore;
use rewind_engine::status::{Progress, Section, project};
use rewind_state::Snapshot;
use std::fmt::Write as _;
use std::process::ExitCode;

use crate::render::when;

/// Sources of extra sections, each given the snapshot and the projected run (the request
/// budget, which reads the database rather than the snapshot, is added in `exec`).
const SECTIONS: &[fn(&Snapshot, &Progress) -> Option<Section>] = &[holder_section];

fn holder_section(snapshot: &Snapshot, progress: &Progress) -> Option<Section> {
    let holder = snapshot.holder.as_ref()?;
    Some(Section {
        title: "Lock".to_owned(),
        lines: vec![format!("held by {holder}")],
    })
    .filter(|_| progress.live)
}

/// How far back `rewind status` looks for processes using a shared budget.
const BUDGET_RECENT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// The request budget: on PostgreSQL every API's shared budget used in the last ten
/// minutes, with its rate now and the processes that drew on it; else the local budget.
fn budget_section(session: &Session) -> Result<(Option<Section>, serde_json::Value), CliError> {
    let settings = session.settings(None)?;
    let limits = settings.rate_limits.limits(1.0);
    if !limits.enabled {
        return Ok((None, serde_json::Value::Null));
    }
    let shared_url = match &settings.state {
        rewind_state::Location::Postgres { url, .. }
            if settings.rate_limits.shared != Some(false) =>
        {
            Some(url)
        }
        _ => None,
    };
    let Some(url) = shared_url else {
        let share = limits.share.max(1);
        if share == 1 {
            // Each process has the whole budget: nothing to say beyond the settings.
            return Ok((None, serde_json::Value::Null));
        }
        let line = format!(
            "local to each process: {} calls per minute per API, 1/{share} of the limit ([rate_limits] share = {share})",
            limits.own_limit(None)
        );
        let section = Section {
            title: "Request budget".to_owned(),
            lines: vec![line],
        };
        return Ok((Some(section), serde_json::Value::Null));
    };
    let lines = rewind_state::postgres::budget::report(url, BUDGET_RECENT)?;
    let json = serde_json::to_value(&lines).map_err(|e| CliError::msg(e.to_string()))?;
    if lines.is_empty() {
        return Ok((None, json));
    }
    let mut text = Vec::new();
    for l in &lines {
        // A rehearsal's minute is shorter in real seconds; a settings' window may differ.
        let per = if (l.window_s - 60.0).abs() < 1e-6 {
            "/min".to_owned()
        } else {
            format!(" per {} s", l.window_s)
        };
        let mut head = format!(
            "{} {}: {}{per}, {} calls",
            l.service, l.api, l.limit, l.calls
        );
        if l.rate + 0.5 < f64::from(l.limit) {
            let _ = write!(head, ", now {:.0}{per} after 429s (recovering)", l.rate);
        }
        if l.throttles > 0 {
            let _ = write!(head, ", {} 429s", l.throttles);
        }
        if l.paused_s > 0.0 {
            let _ = write!(head, ", paused {:.1} s more (Retry-After)", l.paused_s);
        }
        text.push(head);
        for u in &l.users {
            // Rounded first: a skew of -0.002 s reads "+0.0", not "-0.0".
            let skew = (u.clock_skew_s * 10.0).round() / 10.0 + 0.0;
            text.push(format!(
                "  {}: {} calls, {} waits, last {:.0} s ago, clock {:+.1} s from the database's",
                u.who, u.calls, u.waits, u.seen_s, skew
            ));
        }
    }
    let section = Section {
        title: "Request budget (shared by every process of the cloud user, last 10 minutes)"
            .to_owned(),
        lines: text,
    };
    Ok((Some(section), json))
}

pub fn exec(session: &Session, printer: &Printer) -> Result<ExitCode, CliError> {
    // A snapshot: a read never waits for (or blocks) an apply.
    let snapshot = session.read_existing()?;
    let runs = snapshot.runs()?;
    let Some(run) = runs
        .iter()
        .rev()
        .find(|r| r.command == "apply" || r.command == "drill")
    else {
        // The shared budget is the cloud user's, not this workspace's: other processes may be
        // using it while this workspace has never run.
        let (budget, budgets) = budget_section(session)?;
        if printer.json {
            let mut doc = serde_json::json!({"format_version": 1, "run": null});
            if !budgets.is_null() {
                doc["budgets"] = budgets;
            }
            printer.out(&doc.to_string());
        } else {
            printer.info("No apply has run on this state yet.");
            if let Some(section) = budget {
                let mut out = String::new();
                render_section(&mut out, &section);
                printer.out(out.trim_start_matches('\n').trim_end());
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let live = run.outcome == "running" && snapshot.holder.is_some();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut progress = project(run, &snapshot.list()?, snapshot.journal_tail(), live, now);
    progress.sections = SECTIONS
        .iter()
        .filter_map(|s| s(&snapshot, &progress))
        .collect();
    let (budget, budgets) = budget_section(session)?;
    progress.sections.extend(budget);
    if printer.json {
        let mut doc = serde_json::to_value(&progress).map_err(|e| CliError::msg(e.to_string()))?;
        doc["format_version"] = 1.into();
        doc["serial"] = snapshot.meta()?.serial.into();
        if !budgets.is_null() {
            doc["budgets"] = budgets;
        }
        printer.out(&doc.to_string());
    } else {
        printer.out(&human(&progress, now));
    }
    Ok(ExitCode::SUCCESS)
}

fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn since(from: i64, now: i64) -> String {
    duration(u64::try_from((now - from).max(0) / 1000).unwrap_or(0))
}

/// The text view: a header, one line per operation, the recent journal, then the sections.
pub fn human(p: &Progress, now: i64) -> String {
    let mut out = String::new();
    let state = if p.live {
        format!("running for {}", since(p.started_at, now))
    } else if p.outcome == "running" {
        "did not finish: its process is gone (`rewind plan` shows what a new apply resumes)"
            .to_owned()
    } else {
        p.outcome.clone()
    };
    let _ = writeln!(
        out,
        "{}Run {} ({} of {}, approved by {}), started {}: {state}",
        if p.simulated {
            "REHEARSAL (--simulate; times are real time): "
        } else {
            ""
        },
        p.run,
        p.command,
        p.spec_file,
        p.approver,
        when(p.started_at)
    );
    let eta = match p.eta_seconds {
        Some(s) => format!(", ETA {}", duration(s)),
        None if p.live && p.done < p.operations.len() => {
            ", ETA once the first operation ends".to_owned()
        }
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{}% done: {} of {} operation(s) ended{eta}",
        p.percent,
        p.done,
        p.operations.len()
    );
    if !p.operations.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<32} {:<11} {:<10} JOB",
            "OPERATION", "STATUS", "FOR"
        );
        for o in &p.operations {
            let for_how_long = match (o.submitted_at, o.status.as_str()) {
                (Some(at), "running" | "submitting") => since(at, now),
                _ => String::new(),
            };
            let row = format!(
                "{:<32} {:<11} {:<10} {}",
                o.name,
                o.status,
                for_how_long,
                o.job.as_deref().unwrap_or("")
            );
            let _ = writeln!(out, "{}", row.trim_end());
        }
    }
    if !p.recent.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Recent:");
        for j in &p.recent {
            let arrow = match (j.from, j.to) {
                (Some(f), Some(t)) => format!("{f} -> {t}"),
                (None, Some(t)) => format!("-> {t}"),
                (Some(f), None) => format!("{f} -> (removed)"),
                (None, None) => "(removed)".to_owned(),
            };
            // The journal's note often only repeats the new status ("succeeded").
            let note = match j.to {
                Some(t) if t.as_str() == j.note => String::new(),
                _ => format!(": {}", j.note),
            };
            let _ = writeln!(out, "  {} {} {arrow}{note}", when(j.at), j.name);
        }
    }
    for s in &p.sections {
        render_section(&mut out, s);
    }
    out
}

fn render_section(out: &mut String, s: &Section) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}:", s.title);
    for line in &s.lines {
        let _ = writeln!(out, "  {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_engine::state::{JournalEntry, Status};

    fn entry(from: Option<Status>, to: Status, note: &str) -> JournalEntry {
        JournalEntry {
            serial: 1,
            at: 0,
            name: "dn-1".to_owned(),
            from,
            to: Some(to),
            note: note.to_owned(),
        }
    }

    #[test]
    fn recent_lines_do_not_repeat_the_status_and_a_rehearsal_says_so() {
        let p = Progress {
            run: 3,
            command: "apply".to_owned(),
            spec_file: "s.yaml".to_owned(),
            approver: "a@b".to_owned(),
            started_at: 0,
            outcome: "complete".to_owned(),
            live: false,
            operations: Vec::new(),
            done: 0,
            percent: 100,
            eta_seconds: None,
            recent: vec![
                entry(None, Status::Submitting, "submitting"),
                entry(
                    Some(Status::Submitting),
                    Status::Running,
                    "submitted: job-7",
                ),
                entry(Some(Status::Running), Status::Succeeded, "succeeded"),
            ],
            sections: Vec::new(),
            simulated: true,
        };
        let text = human(&p, 0);
        assert!(
            text.starts_with(
                "REHEARSAL (--simulate; times are real time): Run 3 (apply of s.yaml,"
            ),
            "{text}"
        );
        assert!(text.contains("dn-1 -> submitting\n"), "{text}");
        assert!(
            text.contains("dn-1 submitting -> running: submitted: job-7\n"),
            "{text}"
        );
        assert!(text.contains("dn-1 running -> succeeded\n"), "{text}");
    }
}
