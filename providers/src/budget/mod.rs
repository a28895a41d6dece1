//! The run's request budget: at most the limit per sliding window for each (service, API), submits first.
//
// Waiters of one API go in order: submits, then polls by their job's earliest possible end
// (the rank a provider sets with [`ranked`]), then every other read; first come first served
// among equals.
//
// With a shared store (`RateLimits::shared`, PostgreSQL), the waiter at the head of an API's
// queue also asks the store, which paces every process of the cloud user together (GCRA on
// the database's clock), lets any process's submit go before every other process's reads
// and any process's due poll (see `ranked`) before every other process's reads not due,
// and spreads 429s and `Retry-After` pauses to all. The local window stays as it was: the
// store only ever adds waits.

mod shared;
mod window;

pub use shared::{Shared, api_key, user_key};
pub use window::{Key, LocalSlots, SlotBackend, SlotId, Take};

use rewind_engine::budget::{BudgetAnswer, BudgetAsk, WaitCause};

use rewind_engine::kinds::Service;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// Huawei documents 60 calls per minute per user for each RDS and DDM API.
pub const DEFAULT_PER_MINUTE: u32 = 60;

/// Path segments that belong to a route, never an ID: the rest (after the version and the
/// project) is a variable, so every instance's `restore-time` is one API with one budget.
const ROUTE_WORDS: [&str; 18] = [
    "auth",
    "tokens",
    "catalog",
    "projects",
    "instances",
    "recovery",
    "metadata-recovery",
    "restore",
    "restores",
    "backups",
    "jobs",
    "tasklist",
    "restore-time",
    "operation-logs",
    "restorable-time-interval",
    "restorable-instances",
    "related-dn",
    "restorable-data-node",
];

/// The window the limits count in: "calls per minute", read as any 60 seconds, since the
/// gateway does not document whether its minute slides.
pub const WINDOW: Duration = Duration::from_secs(60);

/// `[rate_limits]`: calls per minute for each API of a service, for the whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Off sends every request at once (tests and benchmarks that measure the scheduler).
    pub enabled: bool,
    pub per_minute: u32,
    pub per_service: BTreeMap<Service, u32>,
    /// Simulated seconds per real second: a rehearsal's clock runs faster, so its minute is
    /// shorter and a `Retry-After` (in simulated seconds) is too.
    pub time_scale: f64,
    /// `[rate_limits] share = N`: this process keeps to 1/N of each limit, so N processes of
    /// one cloud user without a shared store stay under it together. Ignored with `shared`.
    pub share: u32,
    /// The store every process of the cloud user shares (PostgreSQL state), if any.
    pub shared: Option<Shared>,
    /// The window the limits count in, on the cloud's clock: [`WINDOW`] unless
    /// `[rate_limits] window` says the gateway counts another.
    pub window: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            per_minute: DEFAULT_PER_MINUTE,
            per_service: BTreeMap::new(),
            time_scale: 1.0,
            share: 1,
            shared: None,
            window: WINDOW,
        }
    }
}

impl RateLimits {
    pub fn off() -> RateLimits {
        RateLimits {
            enabled: false,
            ..RateLimits::default()
        }
    }

    /// Calls per minute for each API of `service` (IAM has the default), for every process of
    /// the cloud user together.
    pub fn limit(&self, service: Option<Service>) -> u32 {
        // `[rate_limits]` first, then the service table's default, then the global default.
        service
            .and_then(|s| {
                self.per_service.get(&s).copied().or_else(|| {
                    rewind_engine::kinds::services::spec(s).and_then(|row| row.default_per_minute)
                })
            })
            .unwrap_or(self.per_minute)
            .max(1)
    }

    /// This process's part of [`RateLimits::limit`]: all of it with a shared store (which
    /// divides it among the processes as they come), else 1/`share` of it, at least one call.
    pub fn own_limit(&self, service: Option<Service>) -> u32 {
        let limit = self.limit(service);
        if self.shared.is_some() {
            limit
        } else {
            (limit / self.share.max(1)).max(1)
        }
    }

    fn scale(&self) -> f64 {
        if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        }
    }

    /// The window the limits count in, on this machine's clock.
    pub fn window(&self) -> Duration {
        Duration::try_from_secs_f64(self.window.as_secs_f64() / self.scale()).unwrap_or(WINDOW)
    }

    /// A server's `Retry-After` as a wait on this machine's clock.
    pub fn real_wait(&self, asked: Duration) -> Duration {
        Duration::try_from_secs_f64(asked.as_secs_f64() / self.scale()).unwrap_or(asked)
    }
}

/// Which requests go first when an API's budget is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// A restore POST: every second it waits delays a whole job.
    Submit,
    /// A poll or a preflight read.
    Read,
}

tokio::task_local! {
    /// The rank of the poll this task is sending: the earliest possible end of its job, and
    /// whether that end is (about) passed: the poll is due.
    static RANK: (i64, bool);
}

/// Runs `f` with its reads ranked `rank` (lower goes first): a provider's poll of a job whose
/// earliest possible end is `rank` (milliseconds on any clock the provider keeps alike).
/// `due`: that end is (about) passed, so every moment the poll waits its completion is seen
/// later; the shared store lets it go before other processes' reads that are not due.
pub async fn ranked<F: std::future::Future>(rank: i64, due: bool, f: F) -> F::Output {
    RANK.scope((rank, due), f).await
}

/// Whether the read this task sends is a due poll (see [`ranked`]).
fn due(priority: Priority) -> bool {
    priority == Priority::Read && RANK.try_with(|r| r.1).unwrap_or(false)
}

/// A waiter's place: class (0 submits, 1 reads), rank, arrival.
type Place = (u8, i64, u64);

fn place(priority: Priority, seq: u64) -> Place {
    match priority {
        Priority::Submit => (0, 0, seq),
        Priority::Read => (1, RANK.try_with(|r| r.0).unwrap_or(i64::MAX), seq),
    }
}

/// The API a path addresses: its method and route template (`GET /v3/{project_id}/jobs`).
pub fn api_of(method: &str, path: &str) -> String {
    let mut api = format!("{method} ");
    for (i, seg) in path.split('/').filter(|s| !s.is_empty()).enumerate() {
        api.push('/');
        if i == 0 || seg == "{project_id}" || ROUTE_WORDS.contains(&seg) {
            api.push_str(seg);
        } else {
            api.push_str("{id}");
        }
    }
    api
}

/// Per API of a target: who waits, a pause a 429 asked for, and what the server was seen to
/// allow.
#[derive(Debug, Default)]
struct Lane {
    /// Requests waiting for this API, in the order they are to go.
    waiting: BTreeSet<Place>,
    paused_until: Option<Instant>,
    /// The pause ended at the moment the server named: one call goes then, whatever the
    /// window holds (the server said it has room then).
    invited: bool,
    /// Calls per window the server was seen to allow, below the configured limit: the calls
    /// it had answered within the window when it sent a 429, or one per `Retry-After` if that
    /// is more (at least 1). Half a window's worth of answers that were no 429 doubles it.
    /// `None` at the configured limit.
    learned: Option<u32>,
    /// Answers that were no 429 since `learned` last moved.
    fine: u32,
}

/// Every lane of a run. Cloning shares them.
#[derive(Debug, Clone)]
pub struct Budget {
    limits: RateLimits,
    slots: Arc<dyn SlotBackend>,
    lanes: Arc<Mutex<BTreeMap<Key, Lane>>>,
    /// Woken whenever a slot ends, a waiter leaves or goes: whoever waits on another's turn
    /// or on an in-flight slot looks again then.
    changed: Arc<tokio::sync::Notify>,
    arrivals: Arc<AtomicU64>,
    /// The cloud user's hashed identity ([`user_key`]): shared rows are keyed by it.
    user: Arc<str>,
    /// Set while a shared store fails, so the fallback is logged once per outage, not per
    /// request (the store reconnects by itself; its first answer clears it).
    shared_failed: Arc<AtomicBool>,
}

/// A slot taken from the budget for one request. Its answer ends it
/// ([`Permit::answered`]); dropped unanswered (a cancelled request), it ends as a counted call.
#[derive(Debug)]
pub struct Permit {
    budget: Option<Budget>,
    key: Key,
    slot: SlotId,
    limit: u32,
}

impl Permit {
    /// The exchange ended: `throttled` when the answer was a 429 (the gateway did not count
    /// the call). One that was not raises a learned limit back towards the configured one.
    pub fn answered(mut self, throttled: bool) {
        if let Some(budget) = self.budget.take() {
            budget.end(&self.key, self.slot, self.limit, throttled);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(budget) = self.budget.take() {
            budget.end(&self.key, self.slot, self.limit, false);
        }
    }
}

/// Takes a waiter's place out of its lane however its wait ends (a dropped poll too), so
/// that no one waits behind a request that is gone.
struct Waiting<'a> {
    budget: &'a Budget,
    key: &'a Key,
    place: Place,
    registered: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.registered {
            let mut lanes = self.budget.lock();
            if let Some(lane) = lanes.get_mut(self.key) {
                lane.waiting.remove(&self.place);
            }
            drop(lanes);
            self.budget.changed.notify_waiters();
        }
    }
}

/// A shared store's question, owned (it outlives the request when a 429 is recorded).
#[derive(Debug, Clone)]
struct SharedAsk {
    key: String,
    service: String,
    api: String,
    limit: u32,
    window: Duration,
    submit: bool,
    due: bool,
}

impl SharedAsk {
    fn borrowed(&self) -> BudgetAsk<'_> {
        BudgetAsk {
            key: &self.key,
            service: &self.service,
            api: &self.api,
            limit: self.limit,
            window: self.window,
            submit: self.submit,
            due: self.due,
        }
    }
}

/// What one look at a lane decided.
enum Turn {
    Go(SlotId),
    /// Look again after this long, or sooner when something changed.
    Wait(Duration),
}

impl Budget {
    pub fn new(limits: RateLimits) -> Budget {
        Budget::with_slots(limits, Arc::new(LocalSlots::default()))
    }

    /// The budget of the cloud user `user` ([`user_key`]): its shared rows are that user's.
    pub fn for_user(limits: RateLimits, user: &str) -> Budget {
        Budget {
            user: Arc::from(user),
            ..Budget::new(limits)
        }
    }

    /// A budget whose slots are kept by `slots` (shared between processes, say).
    pub fn with_slots(limits: RateLimits, slots: Arc<dyn SlotBackend>) -> Budget {
        Budget {
            limits,
            slots,
            lanes: Arc::default(),
            changed: Arc::default(),
            arrivals: Arc::default(),
            user: Arc::from(""),
            shared_failed: Arc::default(),
        }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Lane>> {
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `api` of `target` may send one request, and takes a slot for it. `None`
    /// when the budget is off.
    pub async fn acquire(
        &self,
        target: &str,
        service: Option<Service>,
        api: &str,
        priority: Priority,
    ) -> Option<Permit> {
        if !self.limits.enabled {
            return None;
        }
        let key = (target.to_owned(), api.to_owned());
        let limit = self.limits.own_limit(service);
        let shared = self.limits.shared.clone();
        let mut by_others = Duration::ZERO;
        let mut waiting = Waiting {
            budget: self,
            key: &key,
            place: place(priority, self.arrivals.fetch_add(1, Ordering::Relaxed)),
            registered: false,
        };
        // Every wait has a wake-up: a timer (the end of a pause, a slot leaving the window)
        // or a change (a slot ended, the waiter ahead went or left), and at worst a window.
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let keep_place = shared.is_some();
            match self.look(
                &key,
                limit,
                waiting.place,
                &mut waiting.registered,
                keep_place,
            ) {
                Turn::Go(slot) => {
                    // Made now, so that a request cancelled while the store decides or
                    // while it sleeps to its reserved moment still ends its local slot.
                    let permit = Permit {
                        budget: Some(self.clone()),
                        key: key.clone(),
                        slot,
                        limit,
                    };
                    if let Some(shared) = &shared {
                        let ask = self.ask(&key, service, priority);
                        match self.ask_shared(shared, &ask).await {
                            Some(BudgetAnswer::Wait {
                                wait,
                                cause,
                                others,
                            }) => {
                                // Not ours yet: the local slot goes back uncounted (as a
                                // refused call's does); our place in the queue stays.
                                permit.answered(true);
                                let wait = wait.min(self.limits.window());
                                if cause != WaitCause::Rate || others > 0 {
                                    by_others += wait;
                                }
                                tracing::debug!(target: "rewind::budget", api, ?wait, cause = cause.as_str(), others, "shared budget: waiting");
                                tokio::time::sleep(wait).await;
                                continue;
                            }
                            Some(BudgetAnswer::Go { delay }) => {
                                // The next waiter may ask now: the store paces it.
                                self.leave(&key, &mut waiting);
                                self.changed.notify_waiters();
                                if !delay.is_zero() {
                                    tokio::time::sleep(delay.min(self.limits.window())).await;
                                }
                            }
                            None => self.leave(&key, &mut waiting),
                        }
                        if !by_others.is_zero() {
                            tracing::info!(
                                target: "rewind::budget",
                                "{target} {api}: waited {:.1} s for other rewind processes of this cloud user (shared budget)",
                                by_others.as_secs_f64()
                            );
                        }
                    }
                    self.changed.notify_waiters();
                    return Some(permit);
                }
                Turn::Wait(wait) => {
                    tokio::select! {
                        () = changed => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// What the shared store is asked for `key`.
    fn ask(&self, key: &Key, service: Option<Service>, priority: Priority) -> SharedAsk {
        SharedAsk {
            key: api_key(&self.user, &key.0, &key.1),
            service: key.0.clone(),
            api: key.1.clone(),
            limit: self.limits.limit(service),
            window: self.limits.window(),
            submit: priority == Priority::Submit,
            due: due(priority),
        }
    }

    /// The shared store's answer, or `None` when it failed (logged once): the local budget
    /// alone then paces this process, as it would without a shared store.
    async fn ask_shared(&self, shared: &Shared, ask: &SharedAsk) -> Option<BudgetAnswer> {
        match shared.0.take(ask.borrowed()).await {
            Ok(answer) => {
                if self.shared_failed.swap(false, Ordering::Relaxed) {
                    tracing::info!(target: "rewind::budget", "the shared request budget answers again; this process shares it again");
                }
                Some(answer)
            }
            Err(e) => {
                if !self.shared_failed.swap(true, Ordering::Relaxed) {
                    tracing::warn!(target: "rewind::budget", error = %e, "the shared request budget did not answer; this process paces itself alone until it does");
                }
                None
            }
        }
    }

    /// Takes a waiter out of its lane's queue once its slot is granted.
    fn leave(&self, key: &Key, waiting: &mut Waiting<'_>) {
        if waiting.registered {
            if let Some(lane) = self.lock().get_mut(key) {
                lane.waiting.remove(&waiting.place);
            }
            waiting.registered = false;
        }
    }

    fn look(
        &self,
        key: &Key,
        limit: u32,
        place: Place,
        registered: &mut bool,
        keep_place: bool,
    ) -> Turn {
        let window = self.limits.window();
        let now = Instant::now();
        let mut lanes = self.lock();
        let lane = lanes.entry(key.clone()).or_default();
        if !*registered {
            lane.waiting.insert(place);
            *registered = true;
        }
        if let Some(until) = lane.paused_until.filter(|until| *until > now) {
            return Turn::Wait(until - now);
        }
        if lane.waiting.first().is_some_and(|first| *first < place) {
            return Turn::Wait(window);
        }
        let allowed = lane.learned.map_or(limit, |l| l.min(limit));
        match self.slots.take(key, allowed, window, lane.invited) {
            Take::Granted(slot) => {
                lane.invited = false;
                if !keep_place {
                    lane.waiting.remove(&place);
                    *registered = false;
                }
                Turn::Go(slot)
            }
            Take::Full(Some(at)) => Turn::Wait(at.saturating_duration_since(now)),
            Take::Full(None) => Turn::Wait(window),
        }
    }

    fn end(&self, key: &Key, slot: SlotId, limit: u32, throttled: bool) {
        self.slots.end(key, slot, !throttled);
        if !throttled {
            let mut lanes = self.lock();
            if let Some(lane) = lanes.get_mut(key)
                && let Some(learned) = lane.learned
            {
                // Half a window's worth of answers without a 429 doubles the learned limit:
                // a 429 that was no limit (another client's burst, a fault) costs little, and
                // a real limit is met again within a few calls, by one more 429.
                lane.fine += 1;
                if lane.fine.saturating_mul(2) >= learned {
                    lane.fine = 0;
                    lane.learned = Some(learned.saturating_mul(2)).filter(|l| *l < limit);
                }
            }
        }
        self.changed.notify_waiters();
    }

    /// A 429 with `Retry-After` (in the server's seconds): no request of `api` leaves before
    /// it has passed, whichever worker sends it; then one goes at once, and the rest keep to
    /// what the server was seen to allow (see `Lane::learned`).
    pub fn pause(&self, target: &str, api: &str, asked: Duration) {
        if !self.limits.enabled {
            return;
        }
        let key = (target.to_owned(), api.to_owned());
        let wait = self.limits.real_wait(asked);
        let until = Instant::now() + wait;
        if let Some(shared) = self.limits.shared.clone()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // Every process of the user backs off, not only this one. The record is sent
            // beside the request's own retry: this process's lane is paused below already.
            let service = Service::ALL.into_iter().find(|s| s.as_str() == target);
            let ask = self.ask(&key, service, Priority::Read);
            runtime.spawn(async move {
                if let Err(e) = shared.0.throttled(ask.borrowed(), wait).await {
                    tracing::warn!(target: "rewind::budget", error = %e, "could not share a 429 with the other processes");
                }
            });
        }
        let window = self.limits.window();
        // What the server allows per window is at least what it answered within the last
        // one, and at least one call per `Retry-After` (it named when the next may come).
        let answered = self.slots.held(&key, window);
        let per_wait = if wait.is_zero() {
            u32::MAX
        } else {
            let n = (window.as_secs_f64() / wait.as_secs_f64()).floor();
            // In 0..=u32::MAX after the clamp.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n.clamp(0.0, f64::from(u32::MAX)) as u32;
            n
        };
        let learned = answered.max(per_wait).max(1);
        let mut lanes = self.lock();
        let lane = lanes.entry(key).or_default();
        lane.learned = Some(learned);
        lane.fine = 0;
        lane.invited = true;
        lane.paused_until = Some(lane.paused_until.map_or(until, |p| p.max(until)));
        drop(lanes);
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests;
