//! Deleting a drill's scratch instances: journaled before the DELETE, waited on until gone,
//! by the drill's clean-up policy or by `rewind drill cleanup`.

use super::journal::Journal;
use crate::error::CliError;
use crate::printer::{Printer, Style};
use rewind_drills::{CleanupAction, CleanupResult};
use rewind_engine::drill::{Cleanup, ScratchInstance, ScratchStatus};
use rewind_engine::kinds::Service;
use rewind_engine::provider::{DeleteOutcome, Provider, Providers};
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
        let scale = |d| crate::ops::apply::scaled(d, time_scale);
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
