//! `rewind history [show RUN]`: the audit trail of applies and drills.

use crate::args::{HistoryArgs, HistoryCommand};
use crate::error::CliError;
use crate::printer::Printer;
use crate::render::when;
use crate::session::Session;
use rewind_engine::state::{RunEntry, StateStore};
use std::fmt::Write as _;
use std::process::ExitCode;

pub fn exec(
    session: &Session,
    args: &HistoryArgs,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    // A snapshot: a read never waits for (or blocks) an apply.
    let state = session.read_existing()?;
    let runs = state.runs()?;
    match &args.command {
        None => {
            if printer.json {
                printer.out(&serde_json::json!({"format_version": 1, "runs": runs}).to_string());
            } else if runs.is_empty() {
                printer.info("No runs recorded yet.");
            } else {
                let mut out = format!(
                    "{:>4}  {:<20}  {:<18} {:<24} {:<10}  {}\n",
                    "RUN", "STARTED", "COMMIT", "APPROVER", "JOBS", "OUTCOME"
                );
                for r in &runs {
                    let commit = r.git_commit.as_deref().map_or("-".to_owned(), |c| {
                        let short = c.get(..12).unwrap_or(c);
                        if r.git_dirty == Some(true) {
                            format!("{short}+dirty")
                        } else {
                            short.to_owned()
                        }
                    });
                    // A running apply records its jobs when it ends: "0 job(s)" would be
                    // untrue, and `rewind status` shows them now.
                    let jobs = if r.outcome == "running" && r.jobs.is_empty() {
                        "see status".to_owned()
                    } else {
                        format!("{:>3} job(s)", r.jobs.len())
                    };
                    let _ = writeln!(
                        out,
                        "{:>4}  {}  {:<18} {:<24} {jobs:>10}  {}{}",
                        r.id,
                        when(r.started_at),
                        commit,
                        r.approver,
                        r.outcome,
                        if r.simulated { "  (rehearsal)" } else { "" }
                    );
                }
                printer.out(&out);
            }
        }
        Some(HistoryCommand::Show { run }) => {
            let r = runs.iter().find(|r| r.id == *run).ok_or_else(|| {
                CliError::hint(format!("no run {run}"), "`rewind history` lists the runs")
            })?;
            if printer.json {
                printer.out(&serde_json::to_string_pretty(r).unwrap_or_default());
            } else {
                printer.out(&show(r));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(r: &RunEntry) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Run {}: {} of {}", r.id, r.command, r.spec_file);
    if r.simulated {
        let _ = writeln!(
            out,
            "  REHEARSAL:   simulated (--simulate); nothing real was touched"
        );
    }
    let commit = match (&r.git_commit, r.git_dirty) {
        (Some(c), Some(true)) => format!("{c} (with uncommitted changes)"),
        (Some(c), _) => c.clone(),
        (None, _) => "(not in a git repository)".to_owned(),
    };
    let _ = writeln!(out, "  commit:      {commit}");
    let _ = writeln!(out, "  spec digest: {}", r.spec_digest);
    let _ = writeln!(out, "  plan digest: {}", r.plan_digest);
    let _ = writeln!(out, "  approved by: {}", r.approver);
    let _ = writeln!(out, "  started:     {}", when(r.started_at));
    let finished = r
        .finished_at
        .map_or_else(|| "(not finished)".to_owned(), when);
    let _ = writeln!(out, "  finished:    {finished}");
    let _ = writeln!(out, "  outcome:     {}", r.outcome);
    let _ = writeln!(out, "  jobs:        {}", r.jobs.len());
    for (name, job) in &r.jobs {
        let _ = writeln!(out, "    {name:<32} {job}");
    }
    out
}
