//! `rewind history [show RUN]`, and the run entry every apply writes to the audit trail.

use crate::args::{HistoryArgs, HistoryCommand};
use crate::error::CliError;
use crate::load::Loaded;
use crate::printer::Printer;
use crate::session::Session;
use rewind_engine::plan::{Plan, sha256_hex};
use rewind_engine::state::{RunEntry, StateStore};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

pub fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| format!("{t:.0}"))
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The commit of the repository holding `dir`, and whether its tree has changes.
fn git_state(dir: &Path) -> (Option<String>, Option<bool>) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match git(dir, &["rev-parse", "HEAD"]) {
        Some(commit) => {
            let dirty = git(dir, &["status", "--porcelain"]).map(|s| !s.is_empty());
            (Some(commit), dirty)
        }
        None => (None, None),
    }
}

fn default_approver() -> String {
    format!(
        "{}@{}",
        rewind_state::lock::user_name(),
        rewind_state::lock::host_name()
    )
}

/// Journals the start of an apply: commit, digests, approver. Written before the first
/// submit, so a run that is killed still appears (as `running`).
pub fn start(
    state: &mut dyn StateStore,
    command: &str,
    loaded: &Loaded,
    plan: &Plan,
    approver: Option<&str>,
) -> Result<RunEntry, CliError> {
    let id = state.runs()?.last().map_or(1, |r| r.id + 1);
    let (git_commit, git_dirty) = git_state(&loaded.dir);
    let spec_bytes = std::fs::read(&loaded.compiled.file).unwrap_or_default();
    let plan_json = serde_json::to_vec(plan).map_err(|e| CliError::msg(e.to_string()))?;
    let run = RunEntry {
        simulated: plan.simulated,
        id,
        command: command.to_owned(),
        spec_file: loaded.compiled.file.clone(),
        git_commit,
        git_dirty,
        spec_digest: sha256_hex(&spec_bytes),
        plan_digest: sha256_hex(&plan_json),
        approver: approver.map_or_else(default_approver, str::to_owned),
        started_at: now_ms(),
        finished_at: None,
        jobs: std::collections::BTreeMap::new(),
        outcome: "running".to_owned(),
        drill: None,
        planned: plan
            .steps
            .iter()
            .filter(|s| s.action.submits_or_follows())
            .map(|s| s.name.clone())
            .collect(),
    };
    state.put_run(&run)?;
    Ok(run)
}

/// Journals how the run ended, with the job of every operation it submitted or followed.
pub fn finish(
    state: &mut dyn StateStore,
    run: &mut RunEntry,
    plan: &Plan,
    result: Result<bool, String>,
) {
    let names: std::collections::BTreeSet<&str> =
        plan.steps.iter().map(|s| s.name.as_str()).collect();
    if let Ok(records) = state.list() {
        run.jobs = records
            .into_iter()
            .filter(|r| names.contains(r.name.as_str()) && r.updated_at >= run.started_at)
            .filter_map(|r| Some((r.name, r.handle?.id().to_owned())))
            .collect();
    }
    run.finished_at = Some(now_ms());
    run.outcome = match result {
        Ok(true) => "complete".to_owned(),
        Ok(false) => "incomplete".to_owned(),
        Err(e) => format!("error: {e}"),
    };
    if let Err(e) = state.put_run(run) {
        tracing::warn!(error = %e, run = run.id, "could not record how the run ended");
    }
}

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
