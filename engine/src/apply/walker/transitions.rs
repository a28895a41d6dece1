//! What each answer does to an operation: the state transitions, each recorded before it acts.

use super::{Msg, Phase, Walker, now_ms};
use crate::apply::{ApplyError, Event, PollPolicy};
use crate::provider::{Handle, PollOutcome, Provider, ProviderError, SubmitError};
use crate::state::{OpRecord, Status};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A duration for people: `6h`, `45m 10s`, `90ms`.
fn friendly(d: Duration) -> String {
    let d = if d >= Duration::from_secs(1) {
        Duration::from_secs(d.as_secs())
    } else {
        d
    };
    jiff::SignedDuration::try_from(d).map_or_else(|_| format!("{d:?}"), |s| format!("{s:#}"))
}

impl Walker<'_> {
    fn provider(&self, i: usize) -> Option<Arc<dyn Provider>> {
        self.providers.get(&self.runs[i].service).cloned()
    }

    /// What to do about an `unknown` outcome. A service that keeps no record of finished
    /// restores (TaurusDB) gives its own console advice, so `--resubmit` is not offered as the
    /// obvious next step there.
    pub(super) fn unknown_hint(&self, i: usize, reason: &str, generic: &str) -> String {
        match self
            .provider(i)
            .and_then(|p| p.unknown_advice(&self.runs[i].op))
        {
            Some(advice) => format!("{reason}; {advice}"),
            None => format!("{reason}; {generic}"),
        }
    }

    /// Changes the record of `i` and queues the transition (committed at the end of the tick).
    fn update(&mut self, i: usize, note: &str, f: impl FnOnce(&mut OpRecord)) {
        if let Some(mut r) = self.runs[i].record.clone() {
            f(&mut r);
            r.updated_at = now_ms();
            self.write(&r, note);
            self.runs[i].record = Some(r);
        }
    }

    fn since(&self, i: usize) -> i64 {
        self.runs[i]
            .record
            .as_ref()
            .and_then(|r| r.submitted_at)
            .unwrap_or_else(now_ms)
    }

    pub(super) fn handle(&mut self, msg: Msg) -> Result<(), ApplyError> {
        match msg {
            Msg::Prepared(i, Ok(())) => {
                if self.outcome.interrupted {
                    // Nothing was recorded or sent yet: stopping here leaves no trace.
                    self.finish_run(i);
                    self.runs[i].phase = Phase::Waiting;
                } else if let Some(p) = self.provider(i) {
                    let prior = self.runs[i].record.clone();
                    self.submit(i, p, prior.as_ref());
                }
            }
            Msg::Prepared(i, Err(e)) => {
                let reason = format!("not submitted: {}", e.message);
                let name = self.runs[i].op.name.clone();
                self.emit(&Event::Failed {
                    name: name.clone(),
                    reason,
                });
                self.finish_run(i);
                self.outcome.failed.push(name.clone());
                if self.opts.fail_fast {
                    self.stop_launching = true;
                }
                self.skip_dependents(i, &name);
            }
            Msg::Submitted(i, Ok(handle)) => {
                let id = handle.id().to_owned();
                let policy = self.opts.poll;
                let first = self
                    .provider(i)
                    .and_then(|p| p.first_poll_after(&handle))
                    .map_or(policy.first, |d| {
                        d.clamp(policy.min.min(policy.max), policy.max)
                    });
                self.update(i, &format!("submitted: {id}"), |r| {
                    r.status = Status::Running;
                    r.handle = Some(handle);
                });
                self.runs[i].phase = Phase::Polling;
                let name = self.runs[i].op.name.clone();
                self.emit(&Event::Submitted { name, handle: id });
                if !self.outcome.interrupted
                    && let Some(p) = self.provider(i)
                {
                    self.spawn_poll(i, p, first);
                }
            }
            Msg::Submitted(
                i,
                Err(SubmitError::Rejected {
                    status,
                    code,
                    message,
                }),
            ) => {
                let reason = if status == 0 {
                    // Not an HTTP API (a plugin): no status or code to show.
                    crate::provider::rejection_text(status, &code, &message)
                } else {
                    format!("HTTP {status} {code}: {message}")
                };
                self.fail(i, &reason);
                let name = self.runs[i].op.name.clone();
                self.skip_dependents(i, &name);
            }
            Msg::Submitted(i, Err(SubmitError::NotSent { message })) => {
                self.fail(i, &format!("not submitted: {message}"));
                let name = self.runs[i].op.name.clone();
                self.skip_dependents(i, &name);
            }
            Msg::Submitted(i, Err(SubmitError::Ambiguous { message })) => {
                self.update(i, "ambiguous submit: reconciling", |r| {
                    r.last_error = Some(message.clone());
                });
                let name = self.runs[i].op.name.clone();
                self.emit(&Event::Warning {
                    name,
                    message: format!(
                        "the submit's outcome is unclear ({message}); looking for its job"
                    ),
                    gave_up: false,
                });
                self.runs[i].phase = Phase::Reconciling;
                let since = self.since(i);
                if self.outcome.interrupted {
                    self.leave_in_flight(i);
                } else if let Some(p) = self.provider(i) {
                    self.spawn_reconcile(i, p, since, self.opts.reconcile_delay);
                }
            }
            Msg::Reconciled(i, result) => self.reconciled(i, result),
            Msg::Polled(i, result) => self.polled(i, result)?,
        }
        Ok(())
    }

    fn reconciled(&mut self, i: usize, result: Result<Option<Handle>, ProviderError>) {
        let name = self.runs[i].op.name.clone();
        self.runs[i].reconciles += 1;
        match result {
            Ok(Some(handle)) => {
                let id = handle.id().to_owned();
                self.update(i, &format!("reconciled: adopted {id}"), |r| {
                    r.status = Status::Running;
                    r.handle = Some(handle);
                    r.last_error = None;
                });
                self.emit(&Event::Reconciled {
                    name,
                    handle: Some(id),
                });
                self.runs[i].phase = Phase::Polling;
                if let Some(p) = self.provider(i) {
                    self.spawn_poll(i, p, Duration::ZERO);
                }
            }
            // `--resubmit` of a create whose name nobody has: send it (once: a record that
            // is no longer `unknown` was submitted by this very apply).
            Ok(None)
                if self.plan.steps[i].adopt_or_create
                    && !self.outcome.interrupted
                    && self.runs[i]
                        .record
                        .as_ref()
                        .is_some_and(|r| r.status == Status::Unknown) =>
            {
                if let Some(p) = self.provider(i) {
                    self.runs[i].phase = Phase::Preparing;
                    self.spawn(i, async move { Msg::Prepared(i, p.prepare().await) });
                }
            }
            Ok(None) if self.runs[i].reconciles < self.opts.reconcile_attempts => {
                let delay = self
                    .opts
                    .reconcile_delay
                    .saturating_mul(2u32.pow(self.runs[i].reconciles.min(8)));
                let since = self.since(i);
                if let Some(p) = self.provider(i) {
                    self.spawn_reconcile(i, p, since, delay);
                }
            }
            Ok(None) => {
                let found_nothing =
                    "no job was found for the last submit; it may or may not have run";
                let generic = format!("check the cloud, then `rewind apply --resubmit {name}`");
                let reason = self.unknown_hint(i, found_nothing, &generic);
                self.update(i, "unknown: reconcile found nothing", |r| {
                    r.status = Status::Unknown;
                    r.last_error = Some(found_nothing.to_owned());
                });
                self.emit(&Event::Reconciled {
                    name: name.clone(),
                    handle: None,
                });
                self.emit(&Event::Unknown {
                    name: name.clone(),
                    reason,
                });
                self.finish_run(i);
                self.outcome.unknown.push(name.clone());
                self.skip_dependents(i, &name);
            }
            Err(e) => {
                if self.failed_call(i, "reconcile", &e) {
                    self.leave_in_flight(i);
                } else {
                    let since = self.since(i);
                    let delay =
                        self.opts
                            .poll
                            .next(self.runs[i].errors, Duration::ZERO, None, false);
                    if let Some(p) = self.provider(i) {
                        self.spawn_reconcile(i, p, since, delay);
                    }
                }
            }
        }
    }

    fn polled(
        &mut self,
        i: usize,
        result: Result<PollOutcome, ProviderError>,
    ) -> Result<(), ApplyError> {
        let name = self.runs[i].op.name.clone();
        self.runs[i].polls += 1;
        let past_deadline = self.runs[i].deadline.is_some_and(|d| Instant::now() >= d);
        match result {
            Ok(PollOutcome::Succeeded { outputs }) => {
                let handle = self.runs[i].record.as_ref().and_then(|r| r.handle.clone());
                let mut all =
                    crate::apply::outputs::defaults(&self.runs[i].op.spec, handle.as_ref());
                all.extend(outputs);
                self.update(i, "succeeded", |r| {
                    r.status = Status::Succeeded;
                    r.outputs = all;
                    r.last_error = None;
                });
                let elapsed_ms = self.runs[i].started.map_or(0, |s| {
                    u64::try_from(s.elapsed().as_millis()).unwrap_or(u64::MAX)
                });
                let outputs = self.runs[i]
                    .record
                    .as_ref()
                    .map(|r| r.outputs.clone())
                    .unwrap_or_default();
                self.emit(&Event::Succeeded {
                    name: name.clone(),
                    elapsed_ms,
                    outputs,
                });
                self.finish_run(i);
                self.outcome.succeeded.push(name);
                self.succeed_deps(i);
            }
            Ok(PollOutcome::Failed { reason }) => {
                self.fail(i, &reason);
                self.skip_dependents(i, &name);
            }
            Ok(PollOutcome::Running { percent, handle }) => {
                let first_progress = self.runs[i].last_percent.is_none_or(|p| !p.is_started())
                    && percent.is_some_and(crate::provider::Percent::is_started);
                self.runs[i].errors = 0;
                self.runs[i].not_found = 0;
                if let Some(h) = handle
                    && self.runs[i].record.as_ref().and_then(|r| r.handle.as_ref()) != Some(&h)
                {
                    let id = h.id().to_owned();
                    self.update(i, &format!("following {id}"), |r| r.handle = Some(h));
                }
                let elapsed = self.since_submit(i);
                if first_progress && let Some(p) = percent {
                    self.runs[i].first_sample = Some((elapsed, p));
                }
                if percent != self.runs[i].last_percent {
                    self.runs[i].last_percent = percent;
                    let eta_ms = PollPolicy::earliest_end(elapsed, percent)
                        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
                    self.emit(&Event::Progress {
                        name,
                        percent,
                        eta_ms,
                    });
                }
                if past_deadline {
                    self.timed_out(i);
                    return Ok(());
                }
                let delay = self.opts.poll.next_paced(
                    self.runs[i].polls,
                    elapsed,
                    percent,
                    first_progress,
                    self.runs[i].first_sample,
                );
                self.poll_again(i, delay)?;
            }
            Ok(PollOutcome::NotFound { detail }) => {
                self.runs[i].not_found += 1;
                let lost = self.runs[i].not_found >= self.opts.lost_polls.max(1)
                    && self.since_submit(i) >= self.opts.lost_grace;
                if lost {
                    self.lost(i, &detail);
                    return Ok(());
                }
                if past_deadline {
                    self.timed_out(i);
                    return Ok(());
                }
                let delay =
                    self.opts
                        .poll
                        .next(self.runs[i].not_found, Duration::ZERO, None, false);
                self.poll_again(i, delay)?;
            }
            Err(e) => {
                if self.failed_call(i, "poll", &e) {
                    self.update(i, "stopped following after repeated poll errors", |r| {
                        r.last_error = Some(e.message.clone());
                    });
                    self.leave_in_flight(i);
                } else if past_deadline {
                    self.timed_out(i);
                    return Ok(());
                } else {
                    let delay =
                        self.opts
                            .poll
                            .next(self.runs[i].errors, Duration::ZERO, None, false);
                    self.poll_again(i, delay)?;
                }
            }
        }
        Ok(())
    }

    fn poll_again(&mut self, i: usize, delay: Duration) -> Result<(), ApplyError> {
        match self.provider(i) {
            Some(p) => {
                self.spawn_poll(i, p, delay);
                Ok(())
            }
            None => Err(ApplyError::Internal(format!(
                "{}: its provider disappeared while it ran",
                self.runs[i].op.name
            ))),
        }
    }

    /// Stops waiting for a job past its timeout: it stays `running` with its handle, so the
    /// next apply re-attaches to it.
    fn timed_out(&mut self, i: usize) {
        let name = self.runs[i].op.name.clone();
        let after = friendly(self.since_submit(i));
        let message =
            format!("still running in the cloud after {after}; `rewind apply` re-attaches");
        self.update(
            i,
            &format!("timed out after {after}: still running"),
            |_| {},
        );
        self.emit(&Event::TimedOut {
            name: name.clone(),
            message,
        });
        self.outcome.timed_out.push(name);
        self.leave_in_flight(i);
    }

    /// The service has answered "not found" long enough: the job is lost. It becomes
    /// `unknown`, which the next plan blocks until the user decides.
    fn lost(&mut self, i: usize, detail: &str) {
        let name = self.runs[i].op.name.clone();
        let id = self.runs[i]
            .record
            .as_ref()
            .and_then(|r| r.handle.as_ref())
            .map_or_else(|| "?".to_owned(), |h| h.id().to_owned());
        let reason = format!("the service no longer knows job {id} ({detail})");
        self.update(i, "unknown: the service no longer knows the job", |r| {
            r.status = Status::Unknown;
            r.last_error = Some(reason.clone());
        });
        let generic = format!(
            "check the cloud, then `rewind apply --resubmit {name}` or `rewind state rm {name}`"
        );
        let reason = self.unknown_hint(i, &reason, &generic);
        self.emit(&Event::Unknown {
            name: name.clone(),
            reason,
        });
        self.finish_run(i);
        self.outcome.unknown.push(name.clone());
        self.skip_dependents(i, &name);
    }

    /// Counts a failed read and warns about it; true when apply should stop following.
    fn failed_call(&mut self, i: usize, what: &str, e: &ProviderError) -> bool {
        self.runs[i].errors += 1;
        let gave_up = self.runs[i].errors > self.opts.poll.max_errors;
        let name = self.runs[i].op.name.clone();
        self.emit(&Event::Warning {
            name,
            message: format!("{what} failed: {}", e.message),
            gave_up,
        });
        gave_up
    }

    /// Time since the restore was submitted (across runs: from the recorded submit time).
    fn since_submit(&self, i: usize) -> Duration {
        let submitted = self.runs[i].record.as_ref().and_then(|r| r.submitted_at);
        submitted.map_or(Duration::ZERO, |t| {
            Duration::from_millis(u64::try_from(now_ms() - t).unwrap_or(0))
        })
    }

    fn finish_run(&mut self, i: usize) {
        if matches!(
            self.runs[i].phase,
            Phase::Preparing | Phase::Submitting | Phase::Reconciling | Phase::Polling
        ) {
            self.active = self.active.saturating_sub(1);
            if let Some(n) = self.active_per_service.get_mut(&self.runs[i].service) {
                *n = n.saturating_sub(1);
            }
        }
        self.runs[i].phase = Phase::Done;
    }

    /// Stops following an operation that is still running in the cloud.
    fn leave_in_flight(&mut self, i: usize) {
        self.finish_run(i);
        let name = self.runs[i].op.name.clone();
        self.outcome.in_flight.push(name.clone());
        self.skip_dependents(i, &name);
    }

    pub(super) fn fail(&mut self, i: usize, reason: &str) {
        let name = self.runs[i].op.name.clone();
        self.update(i, "failed", |r| {
            r.status = Status::Failed;
            r.last_error = Some(reason.to_owned());
        });
        self.emit(&Event::Failed {
            name: name.clone(),
            reason: reason.to_owned(),
        });
        self.finish_run(i);
        self.outcome.failed.push(name);
        if self.opts.fail_fast {
            self.stop_launching = true;
        }
    }

    pub(super) fn succeed_deps(&mut self, i: usize) {
        for d in self.dependents[i].clone() {
            let r = &mut self.runs[d];
            r.waiting_on = r.waiting_on.saturating_sub(1);
            if r.waiting_on == 0 && r.phase == Phase::Waiting {
                self.make_ready(d);
            }
        }
    }

    /// Marks everything downstream of `i` as skipped, once each.
    pub(super) fn skip_dependents(&mut self, i: usize, because: &str) {
        let mut stack = self.dependents[i].clone();
        while let Some(d) = stack.pop() {
            if self.runs[d].phase != Phase::Waiting {
                continue;
            }
            self.runs[d].phase = Phase::Done;
            self.unready(d);
            let name = self.runs[d].op.name.clone();
            self.outcome.skipped.push(name.clone());
            self.emit(&Event::Skipped {
                name,
                because: format!("{because} did not succeed"),
            });
            stack.extend(self.dependents[d].iter().copied());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::friendly;
    use std::time::Duration;

    #[test]
    fn durations_read_like_the_settings() {
        assert_eq!(friendly(Duration::from_secs(6 * 3600)), "6h");
        assert_eq!(friendly(Duration::from_millis(90_400)), "1m 30s");
    }
}
