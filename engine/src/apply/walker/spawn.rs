//! Starting work: the ready queue, slots, and the tasks that make one provider call each.

use super::{Msg, Phase, Walker, now_ms};
use crate::apply::outputs;
use crate::apply::{ApplyError, Event};
use crate::kinds::Service;
use crate::plan::Action;
use crate::provider::{Operation, Provider, ProviderError};
use crate::state::{OpRecord, RECORD_VERSION, Status};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

impl Walker<'_> {
    fn has_room(&self, service: Service) -> bool {
        self.has_total_room()
            && self
                .opts
                .limits
                .get(&service)
                .is_none_or(|l| self.active_per_service.get(&service).copied().unwrap_or(0) < *l)
    }

    fn has_total_room(&self) -> bool {
        self.opts.parallelism == 0 || self.active < self.opts.parallelism
    }

    /// Launches ready operations into free slots, longest remaining path first.
    pub(super) fn launch(&mut self) {
        let candidates: Vec<usize> = self.ready.iter().copied().collect();
        for r in candidates {
            if !self.has_total_room() {
                break;
            }
            let i = self.by_rank[r];
            // Only work that has not started, and that the plan says to do, is launched.
            if self.runs[i].phase != Phase::Waiting
                || matches!(
                    self.runs[i].action,
                    Action::Unchanged | Action::Blocked | Action::Moved
                )
            {
                self.ready.remove(&r);
                continue;
            }
            let service = self.runs[i].service;
            if !self.has_room(service) {
                continue;
            }
            let Some(provider) = self.providers.get(&service).cloned() else {
                self.ready.remove(&r);
                let name = self.runs[i].op.name.clone();
                self.fail(i, &format!("no provider for service {service}"));
                self.skip_dependents(i, &name);
                continue;
            };
            self.ready.remove(&r);
            // Values known only after apply are known now: every predecessor succeeded.
            if !self.plan.steps[i].unknown.is_empty() {
                match self.rendered(i) {
                    Ok(op) => self.runs[i].op = Arc::new(op),
                    Err(why) => {
                        let name = self.runs[i].op.name.clone();
                        self.fail(i, &why);
                        self.skip_dependents(i, &name);
                        continue;
                    }
                }
            }
            self.active += 1;
            *self.active_per_service.entry(service).or_default() += 1;
            let now = Instant::now();
            self.runs[i].started = Some(now);
            self.runs[i].deadline = now.checked_add(self.timeout(i));
            let name = self.runs[i].op.name.clone();
            self.emit(&Event::Started {
                name,
                action: self.runs[i].action,
            });
            self.start(i, provider);
        }
    }

    /// How long apply waits for operation `i`: its own `timeout:`, else the configured one.
    pub(super) fn timeout(&self, i: usize) -> Duration {
        let step = &self.plan.steps[i];
        step.timeout_ms.map_or_else(
            || self.opts.timeouts.for_kind(step.kind),
            Duration::from_millis,
        )
    }

    fn start(&mut self, i: usize, provider: Arc<dyn Provider>) {
        let action = self.runs[i].action;
        let prior = self.runs[i].record.clone();
        match prior {
            Some(r)
                if action == Action::Resume
                    && r.status == Status::Running
                    && r.handle.is_some() =>
            {
                self.runs[i].phase = Phase::Polling;
                self.spawn_poll(i, provider, Duration::ZERO);
            }
            _ if action.submits() => {
                self.runs[i].phase = Phase::Preparing;
                self.spawn(i, async move { Msg::Prepared(i, provider.prepare().await) });
            }
            // Every other resume (a `submitting` record, a `running` one without a handle, or
            // a record that vanished since the plan) looks for the job; it never submits.
            prior => {
                let since = prior
                    .as_ref()
                    .map(|r| r.submitted_at.unwrap_or(r.updated_at))
                    .or_else(|| {
                        self.plan.steps[i]
                            .prior
                            .as_ref()
                            .and_then(|p| p.submitted_at)
                    })
                    .unwrap_or(0);
                self.runs[i].phase = Phase::Reconciling;
                self.spawn_reconcile(i, provider, since, Duration::ZERO);
            }
        }
    }

    /// Operation `i` with the outputs of the operations it waits for filled in.
    fn rendered(&self, i: usize) -> Result<Operation, String> {
        let lookup = |op: &str, output: &str| {
            self.runs
                .iter()
                .find(|r| r.op.name == op)
                .and_then(|r| r.record.as_ref())
                .and_then(|r| r.outputs.get(output).cloned())
        };
        outputs::render(&self.runs[i].op, &lookup)
    }

    /// The operation's secrets, looked up now and held in memory for this one submit.
    fn with_secrets(&self, i: usize) -> Result<Operation, String> {
        let mut op = (*self.runs[i].op).clone();
        let refs = op.spec.secret_refs();
        if refs.is_empty() {
            return Ok(op);
        }
        let Some(source) = &self.opts.secrets.0 else {
            return Err("this run has no way to read secrets".to_owned());
        };
        let mut secrets = BTreeMap::new();
        for (pointer, reference) in refs {
            let value = source
                .resolve(&reference)
                .map_err(|why| format!("secret {reference}: {why}"))?;
            secrets.insert(pointer, value);
        }
        op.secrets = secrets;
        Ok(op)
    }

    /// Records `submitting` (durably, before the POST), then sends it.
    pub(super) fn submit(
        &mut self,
        i: usize,
        provider: Arc<dyn Provider>,
        prior: Option<&OpRecord>,
    ) {
        // A secret that cannot be read fails the operation before anything is recorded or sent.
        let op = match self.with_secrets(i) {
            Ok(op) => op,
            Err(why) => {
                self.fail(i, &why);
                return;
            }
        };
        let step = &self.plan.steps[i];
        let now = now_ms();
        let record = OpRecord {
            version: RECORD_VERSION,
            name: step.name.clone(),
            kind: step.kind,
            inputs_digest: step.inputs_digest.clone(),
            // What is sent, outputs filled in; secrets only as `(sensitive)`.
            request: self.runs[i].op.request.clone(),
            status: Status::Submitting,
            handle: None,
            attempts: prior.map_or(0, |p| p.attempts) + 1,
            submitted_at: Some(now),
            created_at: prior.map_or(now, |p| p.created_at),
            updated_at: now,
            outputs: BTreeMap::new(),
            last_error: None,
        };
        // Durable before the POST (the tick's writes are committed before its calls start): a
        // crash from here on leaves `submitting`, which the next run reconciles instead of
        // resubmitting.
        self.write(&record, "submitting");
        self.runs[i].record = Some(record);
        self.runs[i].phase = Phase::Submitting;
        self.spawn(
            i,
            async move { Msg::Submitted(i, provider.submit(&op).await) },
        );
    }

    /// Polls after `delay`, but no later than the operation's deadline; a call that is still
    /// unanswered well past the deadline counts as a failed poll.
    pub(super) fn spawn_poll(&mut self, i: usize, provider: Arc<dyn Provider>, delay: Duration) {
        let Some(handle) = self.runs[i].record.as_ref().and_then(|r| r.handle.clone()) else {
            return;
        };
        let deadline = self.runs[i].deadline;
        let delay = deadline.map_or(delay, |d| {
            delay.min(d.saturating_duration_since(Instant::now()))
        });
        // Past its deadline a call gets this long to answer before it counts as failed.
        let patience = self.opts.poll.max.max(Duration::from_secs(60));
        let op = self.runs[i].op.clone();
        self.spawn(i, async move {
            tokio::time::sleep(delay).await;
            let polled = provider.poll(&op, &handle);
            let r = match deadline.and_then(|d| d.checked_add(patience)) {
                Some(give_up) => tokio::time::timeout_at(give_up, polled)
                    .await
                    .unwrap_or_else(|_| {
                        Err(ProviderError {
                            message: "the poll did not answer in time".to_owned(),
                            transient: true,
                        })
                    }),
                None => polled.await,
            };
            Msg::Polled(i, r)
        });
    }

    pub(super) fn spawn_reconcile(
        &mut self,
        i: usize,
        provider: Arc<dyn Provider>,
        since: i64,
        delay: Duration,
    ) {
        let op = self.runs[i].op.clone();
        self.spawn(i, async move {
            tokio::time::sleep(delay).await;
            Msg::Reconciled(i, provider.reconcile(&op, since).await)
        });
    }

    /// Queues one call; it starts at the end of the tick, once the tick's state writes are
    /// durable, and its answer comes back to the loop as a message.
    pub(super) fn spawn(&mut self, _i: usize, call: impl Future<Output = Msg> + Send + 'static) {
        self.deferred.push(Box::pin(call));
    }

    /// Commits the tick's transitions, starting nothing: also what an apply that stops on an
    /// error does, so that what it learned is kept.
    pub(super) fn commit(&mut self) -> Result<(), ApplyError> {
        if !self.pending.is_empty() {
            let batch: Vec<(&OpRecord, &str)> =
                self.pending.iter().map(|(r, n)| (r, n.as_str())).collect();
            self.state.put_batch(&batch)?;
            self.pending.clear();
        }
        for e in std::mem::take(&mut self.told) {
            self.hooks.on_event(&e);
        }
        Ok(())
    }

    /// A transition to record; committed with the rest of the tick's, before any call starts.
    pub(super) fn write(&mut self, record: &OpRecord, note: &str) {
        self.pending.push((record.clone(), note.to_owned()));
    }

    /// Ends a tick: commits its transitions in one batch, then starts its calls. A failed
    /// commit starts none of them.
    pub(super) fn flush(&mut self) -> Result<(), ApplyError> {
        self.commit()?;
        for call in std::mem::take(&mut self.deferred) {
            let tx = self.tx.clone();
            self.tasks.spawn(async move {
                let _ = tx.send(call.await);
            });
            self.stats.spawned += 1;
        }
        self.stats.peak_tasks = self.stats.peak_tasks.max(self.tasks.len());
        Ok(())
    }
}
