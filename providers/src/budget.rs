//! The run's request budget: one token bucket per (service, API), shared by every request, submits first.
//
// Waiters of one API go in order: submits, then polls by their job's earliest possible end
// (the rank a provider sets with [`ranked`]), then every other read; first come first served
// among equals.

use rewind_engine::kinds::Service;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
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

/// The budget refills this much slower than the limit: the gateway counts on its own clock,
/// and a budget that ran exactly at the limit was refused now and then for a few
/// hundredths of a call.
const HEADROOM: f64 = 0.97;

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
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            per_minute: DEFAULT_PER_MINUTE,
            per_service: BTreeMap::new(),
            time_scale: 1.0,
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

    /// Calls per minute for each API of `service` (IAM has the default).
    pub fn limit(&self, service: Option<Service>) -> u32 {
        service
            .and_then(|s| self.per_service.get(&s).copied())
            .unwrap_or(self.per_minute)
            .max(1)
    }

    fn scale(&self) -> f64 {
        if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        }
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
    /// The rank of the poll this task is sending: the earliest possible end of its job.
    static RANK: i64;
}

/// Runs `f` with its reads ranked `rank` (lower goes first): a provider's poll of a job whose
/// earliest possible end is `rank` (milliseconds on any clock the provider keeps alike).
pub async fn ranked<F: std::future::Future>(rank: i64, f: F) -> F::Output {
    RANK.scope(rank, f).await
}

/// A waiter's place: class (0 submits, 1 reads), rank, arrival.
type Place = (u8, i64, u64);

fn place(priority: Priority, seq: u64) -> Place {
    match priority {
        Priority::Submit => (0, 0, seq),
        Priority::Read => (1, RANK.try_with(|r| *r).unwrap_or(i64::MAX), seq),
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

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    /// Refilled up to here. `None` until the first answer came back: the server's bucket
    /// starts when the first request arrives, which is later than when it was sent, and a
    /// budget that refilled from the send would run ahead of the server's for good.
    at: Option<Instant>,
    paused_until: Option<Instant>,
    /// Requests waiting for this API, in the order they are to go.
    waiting: BTreeSet<Place>,
    /// Calls per second the server was seen to allow, below the configured rate: learned
    /// from 429s (halved from what `Retry-After` implies), and raised again by each answer
    /// that was not one. `None` once back at the configured rate.
    learned: Option<f64>,
}

/// Every bucket of a run. Cloning shares them.
#[derive(Debug, Clone)]
pub struct Budget {
    limits: RateLimits,
    buckets: Arc<Mutex<BTreeMap<(String, String), Bucket>>>,
    arrivals: Arc<AtomicU64>,
}

/// Takes a waiter's place out of its bucket however its wait ends (a dropped poll too), so
/// that no one waits behind a request that is gone.
struct Waiting<'a> {
    budget: &'a Budget,
    key: &'a (String, String),
    place: Place,
    registered: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.registered {
            let mut buckets = self
                .budget
                .buckets
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(bucket) = buckets.get_mut(self.key) {
                bucket.waiting.remove(&self.place);
            }
        }
    }
}

/// What one look at a bucket decided.
enum Turn {
    Go,
    Wait(Duration),
}

impl Budget {
    pub fn new(limits: RateLimits) -> Budget {
        Budget {
            limits,
            buckets: Arc::new(Mutex::new(BTreeMap::new())),
            arrivals: Arc::default(),
        }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Waits until `api` of `target` may send one request, and takes it from the budget.
    pub async fn acquire(
        &self,
        target: &str,
        service: Option<Service>,
        api: &str,
        priority: Priority,
    ) {
        if !self.limits.enabled {
            return;
        }
        let key = (target.to_owned(), api.to_owned());
        let mut waiting = Waiting {
            budget: self,
            key: &key,
            place: place(priority, self.arrivals.fetch_add(1, Ordering::Relaxed)),
            registered: false,
        };
        // Bounded: every wait ends at a refill or at the end of a pause, and both come; a
        // waiter behind another looks again each millisecond until that one went.
        loop {
            let turn = self.look(&key, service, waiting.place, &mut waiting.registered);
            match turn {
                Turn::Go => return,
                Turn::Wait(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    fn look(
        &self,
        key: &(String, String),
        service: Option<Service>,
        place: Place,
        registered: &mut bool,
    ) -> Turn {
        let limit = f64::from(self.limits.limit(service));
        let configured = limit * self.limits.scale() / 60.0 * HEADROOM;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: limit,
            at: None,
            paused_until: None,
            waiting: BTreeSet::new(),
            learned: None,
        });
        // A throttled API gets no burst: one call at a time at the learned rate.
        if bucket.learned.is_some_and(|r| r >= configured) {
            bucket.learned = None;
        }
        let (per_sec, capacity) = match bucket.learned {
            Some(rate) => (rate.min(configured), 1.0),
            None => (configured, limit),
        };
        if let Some(at) = bucket.at {
            let elapsed = now.saturating_duration_since(at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * per_sec).min(capacity);
            bucket.at = Some(now);
        }
        let paused = bucket.paused_until.filter(|until| *until > now);
        let behind = bucket.waiting.first().is_some_and(|first| *first < place);
        if paused.is_none() && !behind && bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            if *registered {
                bucket.waiting.remove(&place);
                *registered = false;
            }
            return Turn::Go;
        }
        if !*registered {
            bucket.waiting.insert(place);
            *registered = true;
        }
        if paused.is_none() && behind && bucket.tokens >= 1.0 {
            return Turn::Wait(Duration::from_millis(1));
        }
        // Before the first answer nothing refills; look again soon.
        let per_sec = if bucket.at.is_some() {
            per_sec
        } else {
            per_sec.max(1000.0)
        };
        let refill =
            Duration::try_from_secs_f64(((1.0 - bucket.tokens).max(0.0) / per_sec).max(0.001))
                .unwrap_or(Duration::from_secs(1));
        let wait = match paused {
            Some(until) => until - now,
            None => refill,
        };
        Turn::Wait(wait.max(Duration::from_millis(1)))
    }

    /// An exchange of `api` ended: from now on its budget refills. One that was not a 429
    /// raises a learned rate back towards the configured one.
    pub fn answered(&self, target: &str, api: &str, throttled: bool) {
        if !self.limits.enabled {
            return;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(&(target.to_owned(), api.to_owned())) {
            if bucket.at.is_none() {
                bucket.at = Some(Instant::now());
            }
            if !throttled {
                bucket.learned = bucket.learned.map(|r| r * 1.05);
            }
        }
    }

    /// A 429 with `Retry-After` (in the server's seconds): no request of `api` leaves before
    /// it has passed, whichever worker sends it. The budget also learns that the server's
    /// bucket is empty.
    pub fn pause(&self, target: &str, api: &str, asked: Duration) {
        if !self.limits.enabled {
            return;
        }
        let wait = self.limits.real_wait(asked);
        let until = Instant::now() + wait;
        // One call per `Retry-After` is what the server can spare, shared with whoever else
        // was waiting: aim at half of it.
        let implied = 0.5 / wait.as_secs_f64().max(0.001);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(&(target.to_owned(), api.to_owned())) {
            bucket.learned = Some(bucket.learned.map_or(implied, |r| r.min(implied) * 0.5));
            // The first call goes when the pause ends; refill starts there.
            bucket.tokens = 1.0;
            bucket.at = Some(until);
            bucket.paused_until = Some(bucket.paused_until.map_or(until, |p| p.max(until)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32) -> RateLimits {
        RateLimits {
            per_minute,
            ..RateLimits::default()
        }
    }

    #[test]
    fn an_api_is_a_method_and_a_route_template() {
        assert_eq!(
            api_of("GET", "/v3/{project_id}/instances/abc-1/restore-time"),
            "GET /v3/{project_id}/instances/{id}/restore-time"
        );
        assert_eq!(
            api_of(
                "POST",
                "/v3/{project_id}/instances/i9/backups/metadata-recovery"
            ),
            "POST /v3/{project_id}/instances/{id}/backups/metadata-recovery"
        );
        assert_eq!(
            api_of("GET", "/v3/{project_id}/jobs"),
            "GET /v3/{project_id}/jobs"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_paces_each_api_at_its_rate() {
        let budget = Budget::new(limits(60));
        let start = Instant::now();
        for _ in 0..65 {
            budget
                .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
                .await;
            budget.answered("rds", "GET /a", false);
        }
        // 60 at once, then one a second.
        assert_eq!(start.elapsed().as_secs(), 5);
        let other = Instant::now();
        budget
            .acquire("rds", Some(Service::Rds), "GET /b", Priority::Read)
            .await;
        assert_eq!(other.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_refills_before_the_first_answer() {
        let budget = Budget::new(limits(60));
        for _ in 0..60 {
            budget
                .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
                .await;
        }
        tokio::time::advance(Duration::from_secs(30)).await;
        budget.answered("rds", "GET /a", false);
        let start = Instant::now();
        budget
            .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
            .await;
        // The 30 s before the answer do not count: the server's minute began at its arrival.
        assert_eq!(start.elapsed().as_secs(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_pauses_the_api_for_everyone() {
        let budget = Budget::new(limits(600));
        budget
            .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
            .await;
        budget.pause("rds", "GET /a", Duration::from_secs(7));
        let start = Instant::now();
        budget
            .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
            .await;
        assert_eq!(start.elapsed().as_secs(), 7);
        // Then one call per two `Retry-After`s, and each answer that is no 429 speeds it up.
        budget
            .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
            .await;
        assert_eq!(start.elapsed().as_secs(), 21);
        for _ in 0..100 {
            budget.answered("rds", "GET /a", false);
        }
        let fast = Instant::now();
        budget
            .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
            .await;
        assert!(
            fast.elapsed() < Duration::from_secs(1),
            "{:?}",
            fast.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rehearsal_scales_the_minute_and_the_retry_after() {
        let budget = Budget::new(RateLimits {
            time_scale: 60.0,
            ..limits(60)
        });
        let start = Instant::now();
        for _ in 0..120 {
            budget
                .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
                .await;
            budget.answered("rds", "GET /a", false);
        }
        // 60 per simulated minute is 60 per real second.
        assert!(
            start.elapsed() <= Duration::from_millis(1100),
            "{:?}",
            start.elapsed()
        );
        budget.pause("rds", "GET /a", Duration::from_secs(60));
        let paused = Instant::now();
        budget
            .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
            .await;
        assert_eq!(paused.elapsed().as_secs(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn submits_go_before_waiting_reads() {
        let budget = Budget::new(limits(60));
        for _ in 0..60 {
            budget
                .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
                .await;
        }
        budget.answered("rds", "GET /a", false);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (i, priority) in [Priority::Read, Priority::Read, Priority::Submit]
            .into_iter()
            .enumerate()
        {
            let (budget, order) = (budget.clone(), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                budget
                    .acquire("rds", Some(Service::Rds), "GET /a", priority)
                    .await;
                order.lock().unwrap_or_else(PoisonError::into_inner).push(i);
            }));
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.ok();
        }
        let order = order.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(order.first(), Some(&2), "{order:?}");
        assert_eq!(order.len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn polls_go_by_their_jobs_earliest_end_and_other_reads_last() {
        let budget = Budget::new(limits(60));
        for _ in 0..60 {
            budget
                .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
                .await;
        }
        budget.answered("rds", "GET /a", false);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for rank in [None, Some(30), Some(10), Some(20)] {
            let (budget, order) = (budget.clone(), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                let read = budget.acquire("rds", Some(Service::Rds), "GET /a", Priority::Read);
                match rank {
                    Some(rank) => ranked(rank, read).await,
                    None => read.await,
                }
                order
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(rank);
            }));
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.ok();
        }
        let order = order.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(order, [Some(10), Some(20), Some(30), None]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_that_gives_up_blocks_no_one() {
        let budget = Budget::new(limits(60));
        for _ in 0..60 {
            budget
                .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
                .await;
        }
        budget.answered("rds", "GET /a", false);
        let first = {
            let budget = budget.clone();
            tokio::spawn(async move {
                ranked(
                    0,
                    budget.acquire("rds", Some(Service::Rds), "GET /a", Priority::Read),
                )
                .await;
            })
        };
        tokio::task::yield_now().await;
        first.abort();
        let start = Instant::now();
        ranked(
            5,
            budget.acquire("rds", Some(Service::Rds), "GET /a", Priority::Read),
        )
        .await;
        assert_eq!(start.elapsed().as_secs(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn off_never_waits() {
        let budget = Budget::new(RateLimits::off());
        let start = Instant::now();
        for _ in 0..1000 {
            budget.acquire("rds", None, "GET /a", Priority::Read).await;
        }
        budget.pause("rds", "GET /a", Duration::from_secs(60));
        budget.acquire("rds", None, "GET /a", Priority::Read).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
