//! The run entry every apply and drill writes to the audit trail: started before the first
//! submit (commit, digests, approver), finished with the jobs it submitted or followed.

use crate::error::CliError;
use crate::load::Loaded;
use rewind_engine::plan::{Plan, sha256_hex};
use rewind_engine::state::{RunEntry, StateStore};
use std::path::Path;
use std::process::{Command, Stdio};

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
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
