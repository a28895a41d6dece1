//! Deleting a drill's scratch instances: journaled before the DELETE, waited on until gone,
//! and `rewind drill cleanup` for whatever a crashed, failed or kept drill left behind.

use super::journal::Journal;
use crate::error::CliError;
use crate::printer::{Printer, Style};
use crate::session::Session;
use rewind_drills::{CleanupAction, CleanupResult};
use rewind_engine::drill::{Cleanup, DrillOutcome, ScratchInstance, ScratchStatus};
use rewind_engine::kinds::Service;
use rewind_engine::provider::{DeleteOutcome, Provider, Providers};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long a delete may wait for an instance to become deletable and then to go, and how
/// often it looks.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    pub deadline: Duration,
    pub interval: Duration,
}

impl Waits {
    pub fn from_settings(settings: &crate::settings::Settings, time_scale: f64) -> Waits {
        let scale = |d| crate::commands::apply::scaled(d, time_scale);
        Waits {
            deadline: scale(settings.timeouts.timeouts.default),
            interval: scale(settings.poll.max).max(Duration::from_millis(10)),
        }
    }
}

fn result(s: &ScratchInstance, action: CleanupAction, detail: Option<String>) -> CleanupResult {
    CleanupResult {
        operation: s.operation.clone(),
        service: s.service.clone(),
        instance_id: s.instance_id.clone().unwrap_or_else(|| s.name.clone()),
        action,
        at: Some(jiff::Timestamp::now()),
        detail,
    }
}

/// Deletes scratch instance `i` of the journal's drill, exactly once: `deleting` is flushed
/// before the DELETE, `deleted` once the cloud no longer has it.
pub async fn delete(
    journal: &mut Journal<'_>,
    i: usize,
    providers: &Providers,
    waits: Waits,
    printer: &Printer,
) -> Result<CleanupResult, CliError> {
    let Some(entry) = journal.record().and_then(|r| r.scratch.get(i)).cloned() else {
        return Err(CliError::msg(
            "no such scratch instance in the drill record",
        ));
    };
    let service = Service::parse(&entry.service);
    let Some(provider) = service.and_then(|s| providers.get(&s)) else {
        return fail(
            journal,
            i,
            &entry,
            format!("no provider serves `{}`", entry.service),
        );
    };
    let id = match &entry.instance_id {
        Some(id) => id.clone(),
        None => match provider.instance_by_name(&entry.name).await {
            Ok(Some(info)) => info.id,
            Ok(None) => {
                // Nothing by that name: the create never took effect.
                journal.scratch(i, |s| {
                    s.status = ScratchStatus::Deleted;
                    s.detail = Some("never created".to_owned());
                })?;
                let done = journal
                    .record()
                    .and_then(|r| r.scratch.get(i))
                    .cloned()
                    .unwrap_or(entry);
                return Ok(result(
                    &done,
                    CleanupAction::Deleted,
                    Some("never created".to_owned()),
                ));
            }
            Err(e) => {
                return fail(
                    journal,
                    i,
                    &entry,
                    format!("cannot look up `{}`: {}", entry.name, e.message),
                );
            }
        },
    };
    journal.scratch(i, |s| {
        s.instance_id = Some(id.clone());
        s.status = ScratchStatus::Deleting;
        s.detail = None;
    })?;
    let entry = journal
        .record()
        .and_then(|r| r.scratch.get(i))
        .cloned()
        .unwrap_or(entry);
    printer.info(&format!(
        "  deleting {} instance {id} ({})...",
        entry.service, entry.operation
    ));
    let start = Instant::now();
    match send_delete(provider.as_ref(), &id, start, waits).await {
        Ok(()) => {}
        Err(why) => return fail(journal, i, &entry, why),
    }
    if !gone(provider.as_ref(), &id, start, waits).await {
        let why = format!(
            "the delete was accepted, but the instance still exists after {}s; `rewind drill cleanup` looks again",
            waits.deadline.as_secs()
        );
        journal.scratch(i, |s| s.detail = Some(why.clone()))?;
        return Ok(result(&entry, CleanupAction::Failed, Some(why)));
    }
    journal.scratch(i, |s| {
        s.status = ScratchStatus::Deleted;
        s.detail = None;
    })?;
    printer.info(&format!(
        "  {} deleted {id}",
        printer.paint("✓", Style::Green)
    ));
    Ok(result(&entry, CleanupAction::Deleted, None))
}

fn fail(
    journal: &mut Journal<'_>,
    i: usize,
    entry: &ScratchInstance,
    why: String,
) -> Result<CleanupResult, CliError> {
    journal.scratch(i, |s| {
        s.status = ScratchStatus::Failed;
        s.detail = Some(why.clone());
    })?;
    Ok(result(entry, CleanupAction::Failed, Some(why)))
}

/// One accepted DELETE; while the service says the instance is busy (still being created or
/// restored), it waits and asks again, up to the deadline.
async fn send_delete(
    provider: &dyn Provider,
    id: &str,
    start: Instant,
    waits: Waits,
) -> Result<(), String> {
    let mut last = String::new();
    // Bounded by the deadline and by a count, whichever comes first.
    for _ in 0..10_000 {
        match provider.delete_instance(id).await {
            Ok(DeleteOutcome::Accepted { .. } | DeleteOutcome::Gone) => return Ok(()),
            Ok(DeleteOutcome::Busy { detail }) => last = detail,
            Err(e) if e.transient => last = e.message,
            Err(e) => return Err(format!("the delete failed: {}", e.message)),
        }
        if start.elapsed() >= waits.deadline {
            break;
        }
        tokio::time::sleep(waits.interval).await;
    }
    Err(format!(
        "not deletable within {}s: {last}",
        waits.deadline.as_secs()
    ))
}

/// Whether the instance is gone, looking until the deadline.
async fn gone(provider: &dyn Provider, id: &str, start: Instant, waits: Waits) -> bool {
    for _ in 0..10_000 {
        if let Ok(None) = provider.instance(id).await {
            return true;
        }
        if start.elapsed() >= waits.deadline {
            return false;
        }
        tokio::time::sleep(waits.interval).await;
    }
    false
}

/// What a clean-up with nothing of its own kind to delete says; `other` counts the drill runs
/// of the other kind (rehearsal or real) that left instances, which it must not call deleted.
fn nothing_to_clean(simulate: bool, other: usize) -> String {
    match (simulate, other) {
        (true, 0) => {
            "Nothing to clean up: every rehearsal drill's scratch instances are deleted.".to_owned()
        }
        (false, 0) => {
            "Nothing to clean up: every drill's scratch instances are deleted.".to_owned()
        }
        (true, n) => format!(
            "Nothing to clean up in the rehearsal world. {n} real drill run(s) left instances \
             in the cloud: `rewind drill cleanup` without --simulate deletes them."
        ),
        (false, n) => format!(
            "Nothing to clean up in the cloud. {n} rehearsal drill run(s) left instances in \
             their simulated world: `rewind drill cleanup --simulate` (with the same --state) \
             deletes them."
        ),
    }
}

/// `rewind drill cleanup`.
pub fn exec(
    session: &Session,
    all: bool,
    sim: &crate::args::SimulateArgs,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let loaded = session.loaded()?;
    let settings = session.settings(None)?;
    if sim.simulate && session.global().state.is_none() {
        printer
            .info("A rehearsal without --state DIR keeps nothing, so it left nothing to clean up.");
        return Ok(ExitCode::SUCCESS);
    }
    if !settings.state.may_exist() {
        printer.info("No state, so no drill has left anything behind.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut state = session.open(&settings.state, &session.command_line("drill cleanup"))?;
    let now = jiff::Timestamp::now().as_millisecond();
    let (open, other): (Vec<_>, Vec<_>) = state
        .runs()?
        .into_iter()
        .filter(|r| {
            r.drill.as_ref().is_some_and(|d| {
                d.outcome == DrillOutcome::Running || d.scratch.iter().any(|s| s.status.is_open())
            })
        })
        // A rehearsal's instances live in its simulated world, a real drill's in the cloud:
        // each clean-up deletes only its own.
        .partition(|r| {
            r.drill
                .as_ref()
                .is_some_and(|d| d.simulated == sim.simulate)
        });
    if open.is_empty() {
        printer.info(&nothing_to_clean(sim.simulate, other.len()));
        return Ok(ExitCode::SUCCESS);
    }
    let rt = crate::commands::plan::runtime()?;
    let rehearsal = rt.block_on(crate::commands::plan::maybe_simulate(
        loaded,
        sim,
        &settings,
        &settings.state,
    ))?;
    let time_scale = rehearsal.as_ref().map_or(1.0, |r| r.time_scale);
    let providers = {
        let _guard = rt.enter();
        crate::commands::plan::providers(
            session,
            crate::commands::plan::cloud_config(loaded, &settings, rehearsal.as_ref())?,
        )?
    };
    let waits = Waits::from_settings(&settings, time_scale);
    let (mut deleted, mut kept, mut failed) = (0, 0, 0);
    for run in open {
        let id = run.id;
        let mut journal = Journal::resume(&mut *state, run)?;
        if journal
            .record()
            .is_some_and(|d| d.outcome == DrillOutcome::Running)
        {
            // The state lock is ours, so no drill is running: this one crashed or was killed.
            journal.update(|run, d| {
                d.outcome = DrillOutcome::Failed;
                d.finished_at.get_or_insert(now);
                d.failures
                    .push("interrupted: the drill did not finish (crashed or killed)".to_owned());
                "failed".clone_into(&mut run.outcome);
                run.finished_at.get_or_insert(now);
            })?;
        }
        let name = journal
            .record()
            .map(|d| d.drill.clone())
            .unwrap_or_default();
        printer.info(&format!("Drill `{name}` (run {id}):"));
        let count = journal.record().map_or(0, |d| d.scratch.len());
        for i in 0..count {
            let Some(s) = journal.record().and_then(|d| d.scratch.get(i)).cloned() else {
                continue;
            };
            if !s.status.is_open() {
                continue;
            }
            if s.status == ScratchStatus::Kept && !all && s.keep_until.is_none_or(|t| t > now) {
                let until = s.keep_until.map_or_else(
                    || "kept (no end: `rewind drill cleanup --all` deletes it)".to_owned(),
                    |t| format!("kept until {}", super::report::when(t)),
                );
                printer.info(&format!(
                    "  {} {}: {until}",
                    s.operation,
                    s.instance_id.as_deref().unwrap_or(&s.name)
                ));
                kept += 1;
                continue;
            }
            let r = rt.block_on(delete(&mut journal, i, &providers, waits, printer))?;
            if r.action == CleanupAction::Deleted {
                deleted += 1;
            } else {
                failed += 1;
                printer.error(&format!(
                    "  {} {} ({}): {}",
                    printer.paint("✗", Style::Red),
                    r.instance_id,
                    r.operation,
                    r.detail.unwrap_or_default()
                ));
            }
        }
    }
    printer.info(&format!(
        "Clean-up: {deleted} deleted, {kept} kept, {failed} failed{}.",
        if rehearsal.is_some() {
            " (in the rehearsal world; nothing real was touched)"
        } else {
            ""
        }
    ));
    if let Some(r) = rehearsal {
        rt.block_on(r.finish(printer));
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Applies the clean-up policy to every scratch instance; one that was never submitted is
/// deleted by definition.
pub async fn apply_policy(
    journal: &mut Journal<'_>,
    records: &[rewind_engine::state::OpRecord],
    policy: Cleanup,
    providers: &Providers,
    waits: Waits,
    printer: &Printer,
) -> Result<Vec<CleanupResult>, CliError> {
    let count = journal.record().map_or(0, |d| d.scratch.len());
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let Some(s) = journal.record().and_then(|d| d.scratch.get(i)).cloned() else {
            continue;
        };
        if !records.iter().any(|r| r.name == s.operation) {
            journal.scratch(i, |s| {
                s.status = ScratchStatus::Deleted;
                s.detail = Some("never submitted".to_owned());
            })?;
            continue;
        }
        let instance_id = s.instance_id.clone().unwrap_or_else(|| s.name.clone());
        let kept = |action| CleanupResult {
            operation: s.operation.clone(),
            service: s.service.clone(),
            instance_id: instance_id.clone(),
            action,
            at: Some(jiff::Timestamp::now()),
            detail: None,
        };
        match policy {
            Cleanup::Delete => {
                out.push(delete(journal, i, providers, waits, printer).await?);
            }
            Cleanup::Keep => {
                journal.scratch(i, |s| {
                    s.status = ScratchStatus::Kept;
                    s.keep_until = None;
                })?;
                out.push(kept(CleanupAction::Kept));
            }
            Cleanup::KeepFor(d) => {
                let until = jiff::Timestamp::now()
                    .checked_add(
                        jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX),
                    )
                    .unwrap_or(jiff::Timestamp::MAX);
                journal.scratch(i, |s| {
                    s.status = ScratchStatus::Kept;
                    s.keep_until = Some(until.as_millisecond());
                })?;
                out.push(kept(CleanupAction::KeptUntil { until }));
            }
        }
    }
    Ok(out)
}
