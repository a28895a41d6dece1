//! The apply loop: the only code that writes state during apply; workers just make one call each.

mod bookends;
#[cfg(test)]
mod poll_after_tests;
mod spawn;
#[cfg(test)]
mod tests;
mod transitions;

use super::{ApplyError, ApplyHooks, ApplyOptions, ApplyOutcome, Event};
use crate::kinds::Service;
use crate::plan::{Action, Plan};
use crate::provider::{
    Handle, Operation, Percent, PollOutcome, ProviderError, Providers, SubmitError,
};
use crate::state::{OpRecord, StateStore};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

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
    /// When apply stops waiting for this operation (set when it starts).
    deadline: Option<Instant>,
    polls: u32,
    errors: u32,
    reconciles: u32,
    /// Consecutive "not found" answers.
    not_found: u32,
    last_percent: Option<Percent>,
    /// Time since submit and progress of the first poll that showed progress: the job's
    /// pace is measured from it.
    first_sample: Option<(std::time::Duration, Percent)>,
}

/// Counters about the loop itself, for tests of its resource use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LoopStats {
    /// Most tasks the loop held at once (running or finished but not yet reaped).
    pub peak_tasks: usize,
    /// Provider calls spawned.
    pub spawned: u64,
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
    /// Launch order: plan indices sorted by longest remaining path first, then by name.
    by_rank: Vec<usize>,
    /// Plan index -> its position in `by_rank`.
    rank: Vec<usize>,
    /// Ranks of the operations ready to launch.
    ready: BTreeSet<usize>,
    active: usize,
    active_per_service: BTreeMap<Service, usize>,
    tasks: JoinSet<()>,
    tx: mpsc::UnboundedSender<Msg>,
    outcome: ApplyOutcome,
    stop_launching: bool,
    stats: LoopStats,
    /// This tick's transitions, committed together before its calls start.
    pending: Vec<(OpRecord, String)>,
    /// This tick's calls, started once its transitions are durable.
    deferred: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Msg> + Send>>>,
    /// Events told once this tick's transitions are durable, in order: `✓ restored` must not
    /// be printed before the write that records it, which may still fail.
    told: Vec<Event>,
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
    cancel: watch::Receiver<bool>,
) -> Result<ApplyOutcome, ApplyError> {
    run(plan, state, providers, hooks, opts, cancel)
        .await
        .map(|(o, _)| o)
}

/// [`apply`], also returning the loop's own counters.
pub(crate) async fn run(
    plan: &Plan,
    state: &mut dyn StateStore,
    providers: &Providers,
    hooks: &mut dyn ApplyHooks,
    opts: &ApplyOptions,
    mut cancel: watch::Receiver<bool>,
) -> Result<(ApplyOutcome, LoopStats), ApplyError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut w = Walker::new(plan, state, providers, hooks, opts, tx);
    w.forget()?;
    w.seed()?;
    loop {
        if !w.stop_launching {
            w.launch();
        }
        w.flush()?;
        let submits_in_flight = w.runs.iter().any(|r| r.phase == Phase::Submitting);
        if w.active == 0 || (w.outcome.interrupted && !submits_in_flight) {
            break;
        }
        // Reap finished tasks, so that a long apply holds only what is in flight.
        while w.tasks.try_join_next().is_some() {}
        if w.tasks.is_empty() && rx.is_empty() {
            // Something is active but nothing can ever answer: waiting would hang forever.
            let stuck: Vec<&str> = w
                .runs
                .iter()
                .filter(|r| !matches!(r.phase, Phase::Waiting | Phase::Done))
                .map(|r| r.op.name.as_str())
                .collect();
            let message = format!(
                "apply has {} operation(s) in progress ({}) but no call in flight",
                w.active,
                stuck.join(", ")
            );
            w.tasks.abort_all();
            return Err(ApplyError::Internal(message));
        }
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(m) => {
                    // Group commit: every answer already here joins this tick, so their
                    // transitions share one commit.
                    let mut handled = w.handle(m);
                    while handled.is_ok() && let Ok(m) = rx.try_recv() {
                        handled = w.handle(m);
                    }
                    if let Err(e) = handled {
                        // Keep what this tick learned (a handle, an end state) before stopping.
                        let _ = w.commit();
                        w.tasks.abort_all();
                        return Err(e);
                    }
                }
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
    let counters = w.stats;
    Ok((w.finish(), counters))
}

impl<'a> Walker<'a> {
    fn new(
        plan: &'a Plan,
        state: &'a mut dyn StateStore,
        providers: &'a Providers,
        hooks: &'a mut dyn ApplyHooks,
        opts: &'a ApplyOptions,
        tx: mpsc::UnboundedSender<Msg>,
    ) -> Walker<'a> {
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
                op: Arc::new(Operation::new(
                    step.name.clone(),
                    step.spec.clone(),
                    step.request.clone(),
                )),
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
                deadline: None,
                polls: 0,
                errors: 0,
                reconciles: 0,
                not_found: 0,
                last_percent: None,
                first_sample: None,
            });
        }
        // Critical path first: the plan weighs each step's longest remaining path.
        let mut by_rank: Vec<usize> = (0..plan.steps.len()).collect();
        by_rank.sort_by(|&a, &b| {
            let (sa, sb) = (&plan.steps[a], &plan.steps[b]);
            sb.path_ms
                .cmp(&sa.path_ms)
                .then_with(|| sa.name.cmp(&sb.name))
        });
        let mut rank = vec![0; by_rank.len()];
        for (r, &i) in by_rank.iter().enumerate() {
            rank[i] = r;
        }
        Walker {
            plan,
            state,
            providers,
            hooks,
            opts,
            runs,
            dependents,
            by_rank,
            rank,
            ready: BTreeSet::new(),
            active: 0,
            active_per_service: BTreeMap::new(),
            tasks: JoinSet::new(),
            tx,
            outcome: ApplyOutcome::default(),
            stop_launching: false,
            stats: LoopStats::default(),
            pending: Vec::new(),
            deferred: Vec::new(),
            told: Vec::new(),
        }
    }

    /// Tells `e` now, or after the commit of this tick's transitions when some are pending
    /// (so every event after it waits too, and the order holds).
    fn emit(&mut self, e: &Event) {
        if self.pending.is_empty() && self.told.is_empty() {
            self.hooks.on_event(e);
        } else {
            self.told.push(e.clone());
        }
    }

    fn make_ready(&mut self, i: usize) {
        self.ready.insert(self.rank[i]);
    }

    fn unready(&mut self, i: usize) {
        self.ready.remove(&self.rank[i]);
    }
}
