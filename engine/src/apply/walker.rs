//! The apply loop: the only code that writes state during apply; workers just make one call each.

use super::{ApplyError, ApplyHooks, ApplyOptions, ApplyOutcome, Event};
use crate::kinds::Service;
use crate::plan::{Action, Plan};
use crate::provider::{
    Handle, Operation, PollOutcome, Provider, ProviderError, Providers, SubmitError,
};
use crate::state::{OpRecord, RECORD_VERSION, StateStore, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The result of one provider call, sent back to the loop.
enum Msg {
    Prepared(usize, Result<(), ProviderError>),
    Submitted(usize, Result<Handle, SubmitError>),
    Reconciled(usize, Result<Option<Handle>, ProviderError>),
    Polled(usize, Result<PollOutcome, ProviderError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Preparing,
    Submitting,
    Reconciling,
    Polling,
    Done,
}

struct Run {
    op: Arc<Operation>,
    service: Service,
    action: Action,
    phase: Phase,
    record: Option<OpRecord>,
    /// Predecessors (by plan index) that have not succeeded yet.
    waiting_on: usize,
    started: Option<Instant>,
    polls: u32,
    errors: u32,
    reconciles: u32,
    last_percent: Option<u8>,
}

struct Walker<'a> {
    plan: &'a Plan,
    state: &'a mut dyn StateStore,
    providers: &'a Providers,
    hooks: &'a mut dyn ApplyHooks,
    opts: &'a ApplyOptions,
    runs: Vec<Run>,
    /// Plan index -> plan indices that wait for it.
    dependents: Vec<Vec<usize>>,
    ready: BTreeSet<usize>,
    active: usize,
    active_per_service: BTreeMap<Service, usize>,
    tasks: JoinSet<()>,
    tx: mpsc::UnboundedSender<Msg>,
    outcome: ApplyOutcome,
    stop_launching: bool,
}

/// Executes `plan` against `providers`, recording every transition in `state` before the next
/// call that depends on it. Returns when nothing is left to do, or after a cancel request once
/// every submit already sent has its handle recorded.
pub async fn apply(
    plan: &Plan,
    state: &mut dyn StateStore,
    providers: &Providers,
    hooks: &mut dyn ApplyHooks,
    opts: &ApplyOptions,
    mut cancel: watch::Receiver<bool>,
) -> Result<ApplyOutcome, ApplyError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let index: BTreeMap<&str, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut dependents = vec![Vec::new(); plan.steps.len()];
    let mut runs = Vec::with_capacity(plan.steps.len());
    for (i, step) in plan.steps.iter().enumerate() {
        for a in &step.after {
            if let Some(&p) = index.get(a.as_str()) {
                dependents[p].push(i);
            }
        }
        runs.push(Run {
            op: Arc::new(Operation {
                name: step.name.clone(),
                spec: step.spec.clone(),
                request: step.request.clone(),
            }),
            service: step.kind.service(),
            action: step.action,
            phase: Phase::Waiting,
            record: None,
            waiting_on: step
                .after
                .iter()
                .filter(|a| index.contains_key(a.as_str()))
                .count(),
            started: None,
            polls: 0,
            errors: 0,
            reconciles: 0,
            last_percent: None,
        });
    }
    let mut w = Walker {
        plan,
        state,
        providers,
        hooks,
        opts,
        runs,
        dependents,
        ready: BTreeSet::new(),
        active: 0,
        active_per_service: BTreeMap::new(),
        tasks: JoinSet::new(),
        tx,
        outcome: ApplyOutcome::default(),
        stop_launching: false,
    };
    w.forget()?;
    w.seed()?;
    loop {
        if !w.stop_launching {
            w.launch()?;
        }
        let submits_in_flight = w.runs.iter().any(|r| r.phase == Phase::Submitting);
        if w.active == 0 || (w.outcome.interrupted && !submits_in_flight) {
            break;
        }
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(m) => w.handle(m)?,
                None => break,
            },
            changed = cancel.changed(), if !w.outcome.interrupted => {
                if changed.is_err() || *cancel.borrow() {
                    w.outcome.interrupted = true;
                    w.stop_launching = true;
                }
            }
        }
    }
    w.tasks.abort_all();
    Ok(w.finish())
}

impl Walker<'_> {
    fn emit(&mut self, e: &Event) {
        self.hooks.on_event(e);
    }

    fn forget(&mut self) -> Result<(), ApplyError> {
        for name in &self.plan.forget {
            self.state
                .remove(name, "forgotten: no longer in the spec")?;
            self.outcome.forgotten.push(name.clone());
            self.hooks.on_event(&Event::Forgot { name: name.clone() });
        }
        Ok(())
    }

    /// Loads records, settles the operations that need no work, and fills the ready queue.
    fn seed(&mut self) -> Result<(), ApplyError> {
        for i in 0..self.runs.len() {
            self.runs[i].record = self.state.get(&self.runs[i].op.name)?;
        }
        for i in 0..self.runs.len() {
            match self.runs[i].action {
                Action::Unchanged => {
                    // Done before its dependents are released: a dependent that is itself
                    // unchanged must never reach the ready queue.
                    self.runs[i].phase = Phase::Done;
                    self.ready.remove(&i);
                    self.outcome.unchanged.push(self.runs[i].op.name.clone());
                    self.succeed_deps(i);
                }
                Action::Blocked => {
                    let name = self.runs[i].op.name.clone();
                    self.runs[i].phase = Phase::Done;
                    self.outcome.unknown.push(name.clone());
                    self.emit(&Event::Unknown {
                        name: name.clone(),
                        reason: format!("the last submit's outcome is unknown; run `rewind apply --resubmit {name}` after checking the cloud"),
                    });
                    self.skip_dependents(i, &name);
                }
                _ => {}
            }
        }
        for i in 0..self.runs.len() {
            if self.runs[i].phase == Phase::Waiting && self.runs[i].waiting_on == 0 {
                self.ready.insert(i);
            }
        }
        Ok(())
    }

    fn has_room(&self, service: Service) -> bool {
        let total_ok = self.opts.parallelism == 0 || self.active < self.opts.parallelism;
        let svc_ok = self
            .opts
            .limits
            .get(&service)
            .is_none_or(|l| self.active_per_service.get(&service).copied().unwrap_or(0) < *l);
        total_ok && svc_ok
    }

    fn launch(&mut self) -> Result<(), ApplyError> {
        let candidates: Vec<usize> = self.ready.iter().copied().collect();
        for i in candidates {
            // Only work that has not started, and that the plan says to do, is launched.
            if self.runs[i].phase != Phase::Waiting
                || matches!(self.runs[i].action, Action::Unchanged | Action::Blocked)
            {
                self.ready.remove(&i);
                continue;
            }
            let service = self.runs[i].service;
            if !self.has_room(service) {
                continue;
            }
            let Some(provider) = self.providers.get(&service).cloned() else {
                self.ready.remove(&i);
                let name = self.runs[i].op.name.clone();
                self.fail(i, &format!("no provider for service {service}"))?;
                self.skip_dependents(i, &name);
                continue;
            };
            self.ready.remove(&i);
            self.active += 1;
            *self.active_per_service.entry(service).or_default() += 1;
            self.runs[i].started = Some(Instant::now());
            let name = self.runs[i].op.name.clone();
            self.emit(&Event::Started {
                name,
                action: self.runs[i].action,
            });
            self.start(i, provider);
        }
        Ok(())
    }

    fn start(&mut self, i: usize, provider: Arc<dyn Provider>) {
        let action = self.runs[i].action;
        let prior = self.runs[i].record.clone();
        match (action, prior) {
            (Action::Resume, Some(r)) if r.status == Status::Running && r.handle.is_some() => {
                self.runs[i].phase = Phase::Polling;
                self.spawn_poll(i, provider, Duration::ZERO);
            }
            (Action::Resume, Some(r)) if r.status == Status::Submitting => {
                self.runs[i].phase = Phase::Reconciling;
                self.spawn_reconcile(
                    i,
                    provider,
                    r.submitted_at.unwrap_or(r.updated_at),
                    Duration::ZERO,
                );
            }
            (_, _) => {
                self.runs[i].phase = Phase::Preparing;
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    let r = provider.prepare().await;
                    let _ = tx.send(Msg::Prepared(i, r));
                });
            }
        }
    }

    fn submit(
        &mut self,
        i: usize,
        provider: Arc<dyn Provider>,
        prior: Option<&OpRecord>,
    ) -> Result<(), ApplyError> {
        let step = &self.plan.steps[i];
        let now = now_ms();
        let record = OpRecord {
            version: RECORD_VERSION,
            name: step.name.clone(),
            kind: step.kind,
            inputs_digest: step.inputs_digest.clone(),
            request: step.request.clone(),
            status: Status::Submitting,
            handle: None,
            attempts: prior.map_or(0, |p| p.attempts) + 1,
            submitted_at: Some(now),
            created_at: prior.map_or(now, |p| p.created_at),
            updated_at: now,
            outputs: BTreeMap::new(),
            last_error: None,
        };
        // Durable before the POST: a crash from here on leaves `submitting`, which the next
        // run reconciles instead of resubmitting.
        self.state.put(&record, "submitting")?;
        self.runs[i].record = Some(record);
        self.runs[i].phase = Phase::Submitting;
        let (op, tx) = (self.runs[i].op.clone(), self.tx.clone());
        self.tasks.spawn(async move {
            let r = provider.submit(&op).await;
            let _ = tx.send(Msg::Submitted(i, r));
        });
        Ok(())
    }

    fn spawn_poll(&mut self, i: usize, provider: Arc<dyn Provider>, delay: Duration) {
        let Some(handle) = self.runs[i].record.as_ref().and_then(|r| r.handle.clone()) else {
            return;
        };
        let (op, tx) = (self.runs[i].op.clone(), self.tx.clone());
        self.tasks.spawn(async move {
            tokio::time::sleep(delay).await;
            let r = provider.poll(&op, &handle).await;
            let _ = tx.send(Msg::Polled(i, r));
        });
    }

    fn spawn_reconcile(
        &mut self,
        i: usize,
        provider: Arc<dyn Provider>,
        since: i64,
        delay: Duration,
    ) {
        let (op, tx) = (self.runs[i].op.clone(), self.tx.clone());
        self.tasks.spawn(async move {
            tokio::time::sleep(delay).await;
            let r = provider.reconcile(&op, since).await;
            let _ = tx.send(Msg::Reconciled(i, r));
        });
    }

    fn provider(&self, i: usize) -> Option<Arc<dyn Provider>> {
        self.providers.get(&self.runs[i].service).cloned()
    }

    fn update(
        &mut self,
        i: usize,
        note: &str,
        f: impl FnOnce(&mut OpRecord),
    ) -> Result<(), ApplyError> {
        if let Some(mut r) = self.runs[i].record.clone() {
            f(&mut r);
            r.updated_at = now_ms();
            self.state.put(&r, note)?;
            self.runs[i].record = Some(r);
        }
        Ok(())
    }

    fn handle(&mut self, msg: Msg) -> Result<(), ApplyError> {
        match msg {
            Msg::Prepared(i, Ok(())) => {
                if self.outcome.interrupted {
                    // Nothing was recorded or sent yet: stopping here leaves no trace.
                    self.finish_run(i);
                    self.runs[i].phase = Phase::Waiting;
                } else if let Some(p) = self.provider(i) {
                    let prior = self.runs[i].record.clone();
                    self.submit(i, p, prior.as_ref())?;
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
                self.update(i, &format!("submitted: {id}"), |r| {
                    r.status = Status::Running;
                    r.handle = Some(handle);
                })?;
                self.runs[i].phase = Phase::Polling;
                let name = self.runs[i].op.name.clone();
                self.emit(&Event::Submitted { name, handle: id });
                if !self.outcome.interrupted
                    && let Some(p) = self.provider(i)
                {
                    self.spawn_poll(i, p, self.opts.poll.first);
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
                let reason = format!("HTTP {status} {code}: {message}");
                self.fail(i, &reason)?;
                let name = self.runs[i].op.name.clone();
                self.skip_dependents(i, &name);
            }
            Msg::Submitted(i, Err(SubmitError::NotSent { message })) => {
                self.fail(i, &format!("not submitted: {message}"))?;
                let name = self.runs[i].op.name.clone();
                self.skip_dependents(i, &name);
            }
            Msg::Submitted(i, Err(SubmitError::Ambiguous { message })) => {
                self.update(i, "ambiguous submit: reconciling", |r| {
                    r.last_error = Some(message.clone());
                })?;
                let name = self.runs[i].op.name.clone();
                self.emit(&Event::Warning {
                    name,
                    message: format!(
                        "the submit's outcome is unclear ({message}); looking for its job"
                    ),
                    gave_up: false,
                });
                self.runs[i].phase = Phase::Reconciling;
                let since = self.runs[i]
                    .record
                    .as_ref()
                    .and_then(|r| r.submitted_at)
                    .unwrap_or_else(now_ms);
                if self.outcome.interrupted {
                    self.leave_in_flight(i);
                } else if let Some(p) = self.provider(i) {
                    self.spawn_reconcile(i, p, since, self.opts.reconcile_delay);
                }
            }
            Msg::Reconciled(i, result) => self.reconciled(i, result)?,
            Msg::Polled(i, result) => self.polled(i, result)?,
        }
        Ok(())
    }

    fn reconciled(
        &mut self,
        i: usize,
        result: Result<Option<Handle>, ProviderError>,
    ) -> Result<(), ApplyError> {
        let name = self.runs[i].op.name.clone();
        self.runs[i].reconciles += 1;
        match result {
            Ok(Some(handle)) => {
                let id = handle.id().to_owned();
                self.update(i, &format!("reconciled: adopted {id}"), |r| {
                    r.status = Status::Running;
                    r.handle = Some(handle);
                    r.last_error = None;
                })?;
                self.emit(&Event::Reconciled {
                    name,
                    handle: Some(id),
                });
                self.runs[i].phase = Phase::Polling;
                if let Some(p) = self.provider(i) {
                    self.spawn_poll(i, p, Duration::ZERO);
                }
            }
            Ok(None) if self.runs[i].reconciles < self.opts.reconcile_attempts => {
                let delay = self.opts.reconcile_delay * 2u32.pow(self.runs[i].reconciles.min(8));
                let since = self.runs[i]
                    .record
                    .as_ref()
                    .and_then(|r| r.submitted_at)
                    .unwrap_or_else(now_ms);
                if let Some(p) = self.provider(i) {
                    self.spawn_reconcile(i, p, since, delay);
                }
            }
            Ok(None) => {
                let reason =
                    "no job was found for the last submit; it may or may not have run".to_owned();
                self.update(i, "unknown: reconcile found nothing", |r| {
                    r.status = Status::Unknown;
                    r.last_error = Some(reason.clone());
                })?;
                self.emit(&Event::Reconciled {
                    name: name.clone(),
                    handle: None,
                });
                self.emit(&Event::Unknown {
                    name: name.clone(),
                    reason: format!(
                        "{reason}; check the cloud, then `rewind apply --resubmit {name}`"
                    ),
                });
                self.finish_run(i);
                self.outcome.unknown.push(name.clone());
                self.skip_dependents(i, &name);
            }
            Err(e) => {
                if self.failed_call(i, "reconcile", &e) {
                    self.leave_in_flight(i);
                } else {
                    let since = self.runs[i]
                        .record
                        .as_ref()
                        .and_then(|r| r.submitted_at)
                        .unwrap_or_else(now_ms);
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
        Ok(())
    }

    fn polled(
        &mut self,
        i: usize,
        result: Result<PollOutcome, ProviderError>,
    ) -> Result<(), ApplyError> {
        let name = self.runs[i].op.name.clone();
        self.runs[i].polls += 1;
        match result {
            Ok(PollOutcome::Running { percent, handle }) => {
                let first_progress = self.runs[i].last_percent.is_none_or(|p| p == 0)
                    && percent.is_some_and(|p| p > 0);
                self.runs[i].errors = 0;
                if let Some(h) = handle
                    && self.runs[i].record.as_ref().and_then(|r| r.handle.as_ref()) != Some(&h)
                {
                    let id = h.id().to_owned();
                    self.update(i, &format!("following {id}"), |r| r.handle = Some(h))?;
                }
                if percent != self.runs[i].last_percent {
                    self.runs[i].last_percent = percent;
                    self.emit(&Event::Progress { name, percent });
                }
                let elapsed = self.since_submit(i);
                let delay =
                    self.opts
                        .poll
                        .next(self.runs[i].polls, elapsed, percent, first_progress);
                if let Some(p) = self.provider(i) {
                    self.spawn_poll(i, p, delay);
                }
            }
            Ok(PollOutcome::Succeeded { outputs }) => {
                self.update(i, "succeeded", |r| {
                    r.status = Status::Succeeded;
                    r.outputs = outputs;
                    r.last_error = None;
                })?;
                let elapsed_ms = self.runs[i]
                    .started
                    .map_or(0, |s| s.elapsed().as_millis() as u64);
                self.emit(&Event::Succeeded {
                    name: name.clone(),
                    elapsed_ms,
                });
                self.finish_run(i);
                self.outcome.succeeded.push(name);
                self.succeed_deps(i);
            }
            Ok(PollOutcome::Failed { reason }) => {
                self.fail(i, &reason)?;
                self.skip_dependents(i, &name);
            }
            Err(e) => {
                if self.failed_call(i, "poll", &e) {
                    self.update(i, "stopped following after repeated poll errors", |r| {
                        r.last_error = Some(e.message.clone());
                    })?;
                    self.leave_in_flight(i);
                } else {
                    let delay =
                        self.opts
                            .poll
                            .next(self.runs[i].errors, Duration::ZERO, None, false);
                    if let Some(p) = self.provider(i) {
                        self.spawn_poll(i, p, delay);
                    }
                }
            }
        }
        Ok(())
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

    fn fail(&mut self, i: usize, reason: &str) -> Result<(), ApplyError> {
        let name = self.runs[i].op.name.clone();
        self.update(i, "failed", |r| {
            r.status = Status::Failed;
            r.last_error = Some(reason.to_owned());
        })?;
        self.emit(&Event::Failed {
            name: name.clone(),
            reason: reason.to_owned(),
        });
        self.finish_run(i);
        self.outcome.failed.push(name);
        if self.opts.fail_fast {
            self.stop_launching = true;
        }
        Ok(())
    }

    fn succeed_deps(&mut self, i: usize) {
        for d in self.dependents[i].clone() {
            let r = &mut self.runs[d];
            r.waiting_on = r.waiting_on.saturating_sub(1);
            if r.waiting_on == 0 && r.phase == Phase::Waiting {
                self.ready.insert(d);
            }
        }
    }

    /// Marks everything downstream of `i` as skipped, once each.
    fn skip_dependents(&mut self, i: usize, because: &str) {
        let mut stack = self.dependents[i].clone();
        while let Some(d) = stack.pop() {
            if self.runs[d].phase != Phase::Waiting {
                continue;
            }
            self.runs[d].phase = Phase::Done;
            self.ready.remove(&d);
            let name = self.runs[d].op.name.clone();
            self.outcome.skipped.push(name.clone());
            self.emit(&Event::Skipped {
                name,
                because: format!("{because} did not succeed"),
            });
            stack.extend(self.dependents[d].iter().copied());
        }
    }

    fn finish(mut self) -> ApplyOutcome {
        let mut running = Vec::new();
        for i in 0..self.runs.len() {
            match self.runs[i].phase {
                Phase::Polling | Phase::Reconciling | Phase::Submitting => {
                    running.push(self.runs[i].op.name.clone());
                }
                Phase::Preparing => {
                    let name = self.runs[i].op.name.clone();
                    self.outcome.skipped.push(name.clone());
                    self.hooks.on_event(&Event::Skipped {
                        name,
                        because: "apply was interrupted".to_owned(),
                    });
                }
                Phase::Waiting if self.stop_launching => {
                    // Never started because apply stopped launching (Ctrl-C or --fail-fast).
                    let name = self.runs[i].op.name.clone();
                    self.outcome.skipped.push(name.clone());
                    let because = if self.outcome.interrupted {
                        "apply was interrupted"
                    } else {
                        "--fail-fast after a failure"
                    };
                    self.hooks.on_event(&Event::Skipped {
                        name,
                        because: because.to_owned(),
                    });
                }
                _ => {}
            }
        }
        if self.outcome.interrupted {
            self.hooks.on_event(&Event::Interrupted {
                running: running.clone(),
            });
        }
        self.outcome.in_flight.extend(running);
        let o = &mut self.outcome;
        for v in [
            &mut o.succeeded,
            &mut o.failed,
            &mut o.skipped,
            &mut o.unknown,
            &mut o.in_flight,
        ] {
            v.sort();
            v.dedup();
        }
        let outcome = self.outcome.clone();
        self.hooks.on_event(&Event::Finished {
            outcome: outcome.clone(),
        });
        outcome
    }
}
