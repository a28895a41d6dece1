//! Telling people: the drill's `notify:` webhook (on failure, recovery, or every run) and the
//! `--ping URL` dead-man switch (start, then success or fail). Neither changes the verdict: a
//! webhook that fails is a warning.

use crate::printer::Printer;
use crate::secrets::SpecSecrets;
use rewind_engine::drill::notify::{self, NotifyDecl, NotifyEvent, NotifyUrl};
use rewind_engine::drill::{DrillOutcome, DrillRecord};
use rewind_engine::provider::Secrets as _;
use rewind_engine::state::RunEntry;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

fn client() -> Option<reqwest::Client> {
    reqwest::Client::builder().timeout(TIMEOUT).build().ok()
}

/// Whether `drill`'s last finished run before `id` passed (`None`: it never finished one).
pub fn previous_passed(runs: &[RunEntry], drill: &str, id: u64) -> Option<bool> {
    runs.iter()
        .filter(|r| r.id < id)
        .filter_map(|r| r.drill.as_ref())
        .filter(|d| d.drill == drill)
        .rfind(|d| matches!(d.outcome, DrillOutcome::Passed | DrillOutcome::Failed))
        .map(|d| d.outcome == DrillOutcome::Passed)
}

/// What the webhook says about `run`.
pub fn event(run: &RunEntry, d: &DrillRecord, verdict: notify::Verdict) -> NotifyEvent {
    NotifyEvent {
        drill: d.drill.clone(),
        verdict,
        run: run.id,
        rto_ms: d.rto_ms,
        rto_budget_ms: d.rto_budget_ms,
        rpo_ms: d.rpo_ms,
        rpo_budget_ms: d.rpo_budget_ms,
        report_dir: d.report_dir.clone(),
        failures: d.failures.clone(),
        approver: run.approver.clone(),
        spec_file: run.spec_file.clone(),
        git_commit: run.git_commit.clone(),
        git_dirty: run.git_dirty,
        spec_digest: run.spec_digest.clone(),
        plan_digest: run.plan_digest.clone(),
        started_at: run.started_at,
        finished_at: run.finished_at,
    }
}

/// Posts the webhook for `run` when its verdict calls for one.
pub async fn notify(
    decl: &NotifyDecl,
    secrets: &SpecSecrets,
    run: &RunEntry,
    previous_passed: Option<bool>,
    printer: &Printer,
) {
    let Some(d) = run.drill.as_ref() else {
        return;
    };
    let Some(verdict) = notify::verdict(decl, d.outcome == DrillOutcome::Passed, previous_passed)
    else {
        return;
    };
    let (url, shown) = match &decl.url {
        NotifyUrl::Literal(u) => (u.clone(), u.clone()),
        NotifyUrl::Secret(reference) => match secrets.resolve(reference) {
            Ok(s) => (s.expose().to_owned(), format!("the URL in {reference}")),
            Err(why) => {
                printer.error(&format!(
                    "warning: the drill's webhook was not sent: {reference}: {why}"
                ));
                return;
            }
        },
    };
    let body = notify::payload(decl.format, &event(run, d, verdict));
    let Some(client) = client() else {
        return;
    };
    match client.post(&url).json(&body).send().await {
        Ok(reply) if reply.status().is_success() => {
            printer.info(&format!("  notified {shown} ({verdict:?})").to_lowercase());
        }
        Ok(reply) => printer.error(&format!(
            "warning: the drill's webhook ({shown}) answered {}",
            reply.status()
        )),
        // Without the URL: it may be a secret.
        Err(e) => printer.error(&format!(
            "warning: the drill's webhook ({shown}) was not sent: {}",
            e.without_url()
        )),
    }
}

/// One ping of the dead-man switch at `url`: `start`, `fail`, or success (the URL itself), as
/// healthchecks.io and its clones take them.
pub async fn ping(url: &str, what: Ping, body: String, printer: &Printer) {
    let target = match what {
        Ping::Start => format!("{}/start", url.trim_end_matches('/')),
        Ping::Fail => format!("{}/fail", url.trim_end_matches('/')),
        Ping::Success => url.to_owned(),
    };
    let Some(client) = client() else {
        return;
    };
    match client.post(&target).body(body).send().await {
        Ok(reply) if reply.status().is_success() => {}
        Ok(reply) => printer.error(&format!(
            "warning: the --ping URL answered {} to {what:?}",
            reply.status()
        )),
        Err(e) => printer.error(&format!(
            "warning: the --ping URL was not reached ({what:?}): {}",
            e.without_url()
        )),
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Ping {
    Start,
    Success,
    Fail,
}
