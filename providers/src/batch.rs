//! Batch polling: one list read observes every job of a provider in flight, shared by its polls.
//
// The engine polls each job on its own timer, but jobs of one kind started together poll at
// the same moments. A poll that finds another job of its provider in flight takes its answer
// from a list read (RDS task list, DDM job list, CBR operation logs) that every poll arriving
// meanwhile shares: one round per moment instead of one GET per job. A job the answer lacks is
// asked for on its own, so "not found" keeps exactly the meaning of the per-job query.

use crate::budget::RateLimits;
use crate::client::Client;
use crate::job::{self, Job};
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{PollOutcome, ProviderError};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// How old an answer may be and still serve a poll: the polling policy's floor, so a shared
/// answer is never staler than the soonest a job would have been polled again anyway.
pub const FRESH: Duration = Duration::from_millis(500);

/// Jobs in flight from which a list round is read. With two, a list read saves at most one
/// GET a round, yet reaches back to the older job and can take several pages in a busy
/// project; from three on it pays off whatever the page count.
pub const BATCH_FROM: usize = 3;

/// A job not polled for this long (its apply timed out or ended) no longer counts as in flight.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// Where the list window starts for a job whose creation time is not known yet (its first
/// polls): the time of its first poll less this. A job created earlier (an apply that resumes
/// it) is missed by the list, asked for on its own, and its creation time learned from that.
pub const UNKNOWN_CREATED_MARGIN_MS: i64 = 15 * 60 * 1000;

/// One list answer: its items by id.
#[derive(Debug, Default)]
pub struct Snapshot {
    items: Vec<Value>,
    by_id: HashMap<String, usize>,
}

impl Snapshot {
    pub fn new(items: Vec<Value>) -> Snapshot {
        let by_id = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| Some((item["id"].as_str()?.to_owned(), i)))
            .collect();
        Snapshot { items, by_id }
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.by_id.get(id).and_then(|&i| self.items.get(i))
    }

    pub fn items(&self) -> &[Value] {
        &self.items
    }
}

/// What a round's list read produced: `None` when it failed (its polls ask on their own).
type RoundAnswer = Option<Arc<Snapshot>>;

struct Round {
    started: Instant,
    answer: Arc<OnceCell<RoundAnswer>>,
}

struct InFlight {
    /// Epoch ms (the service's clock where known) from which the list must reach back.
    since_ms: i64,
    last_poll: Instant,
}

#[derive(Default)]
struct Inner {
    jobs: HashMap<String, InFlight>,
    round: Option<Round>,
    /// The list answered a definite refusal (a service without it): never asked again.
    unsupported: bool,
}

/// One provider's jobs in flight and its current list round. Cloning shares them.
#[derive(Clone)]
pub struct Batch {
    /// Off with the request budget (`RateLimits::off`): every job is polled on its own.
    enabled: bool,
    inner: Arc<Mutex<Inner>>,
    fresh: Duration,
    counters: Arc<Counters>,
}

/// How many polls were answered by a list round, and how many rounds were read.
#[derive(Debug, Default)]
pub struct Counters {
    pub rounds: std::sync::atomic::AtomicU64,
    pub served: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Batch")
            .field("in_flight", &inner.jobs.len())
            .field("unsupported", &inner.unsupported)
            .finish_non_exhaustive()
    }
}

/// What the list read of a round returned: its items, a definite refusal (`Err(why)`: the
/// service does not serve the list, never asked again), or a failed read.
pub type ListRead = Result<Result<Vec<Value>, String>, ProviderError>;

impl Batch {
    /// Follows the request budget: on with it, and on its clock (a rehearsal's answers age
    /// `time_scale` times faster).
    pub fn new(limits: &RateLimits) -> Batch {
        let scale = limits.time_scale;
        let scale = if scale.is_finite() && scale >= 1.0 {
            scale
        } else {
            1.0
        };
        Batch {
            enabled: limits.enabled,
            inner: Arc::default(),
            fresh: Duration::try_from_secs_f64(FRESH.as_secs_f64() / scale).unwrap_or(FRESH),
            counters: Arc::default(),
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Records a poll of job `key` (created at or after `since_ms`) and, when at least
    /// [`BATCH_FROM`] jobs are in flight, returns the list answer of the current round, reading it if no fresh
    /// one exists: `list(from)` reads every item created at or after `from`.
    pub async fn observe<F, Fut>(&self, key: &str, since_ms: i64, list: F) -> Option<Arc<Snapshot>>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = ListRead>,
    {
        let (answer, from) = {
            let now = Instant::now();
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            inner
                .jobs
                .retain(|_, j| now.saturating_duration_since(j.last_poll) < FORGET_AFTER);
            let job = inner.jobs.entry(key.to_owned()).or_insert(InFlight {
                since_ms,
                last_poll: now,
            });
            job.since_ms = job.since_ms.min(since_ms);
            job.last_poll = now;
            if !self.enabled || inner.unsupported || inner.jobs.len() < BATCH_FROM {
                return None;
            }
            let from = inner.jobs.values().map(|j| j.since_ms).min()?;
            let reusable = inner.round.as_ref().is_some_and(|r| {
                !r.answer.initialized() || now.saturating_duration_since(r.started) <= self.fresh
            });
            if !reusable {
                inner.round = Some(Round {
                    started: now,
                    answer: Arc::default(),
                });
            }
            let answer = Arc::clone(&inner.round.as_ref()?.answer);
            (answer, from)
        };
        let snapshot = answer
            .get_or_init(|| async {
                self.counters
                    .rounds
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                match list(from).await {
                    Ok(Ok(items)) => Some(Arc::new(Snapshot::new(items))),
                    Ok(Err(why)) => {
                        tracing::debug!(why, "list polling refused; polling each job");
                        self.inner
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .unsupported = true;
                        None
                    }
                    Err(e) => {
                        tracing::debug!(error = %e.message, "list round failed");
                        None
                    }
                }
            })
            .await
            .clone();
        if snapshot.is_some() {
            self.counters
                .served
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        snapshot
    }

    /// What a poll of `key` learned: the job's creation time (so the list window covers it),
    /// and whether it ended (then it is no longer in flight).
    pub fn learn(&self, key: &str, created_ms: Option<i64>, outcome: &PollOutcome) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let ended = matches!(
            outcome,
            PollOutcome::Succeeded { .. } | PollOutcome::Failed { .. }
        );
        if ended {
            inner.jobs.remove(key);
        } else if let (Some(created), Some(job)) = (created_ms, inner.jobs.get_mut(key)) {
            job.since_ms = created - crate::wire_time::CLOCK_SKEW_MS;
        }
    }

    /// A poll of `key` failed in a way that ends its following (a bad handle).
    pub fn forget(&self, key: &str) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .jobs
            .remove(key);
    }

    /// Jobs counted as in flight (for tests).
    pub fn in_flight(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .jobs
            .len()
    }
}

/// Polls job `job_id` (of a restore onto `target`) from the round's list answer when one
/// serves, else through `single`, its own query.
pub async fn poll_job<L, Fut>(
    batch: &Batch,
    job_id: &str,
    target: &str,
    list: L,
    single: impl Future<Output = Result<(PollOutcome, Option<i64>), ProviderError>>,
) -> Result<PollOutcome, ProviderError>
where
    L: FnOnce(i64) -> Fut,
    Fut: Future<Output = ListRead>,
{
    let since = wire_time::now_ms() - UNKNOWN_CREATED_MARGIN_MS;
    if let Some(snapshot) = batch.observe(job_id, since, list).await
        && let Some(job) = snapshot.get(job_id).and_then(Job::from_value)
    {
        let outcome = job.outcome(target);
        batch.learn(job_id, job.created_ms, &outcome);
        return Ok(outcome);
    }
    let (outcome, created) = single.await?;
    batch.learn(job_id, created, &outcome);
    Ok(outcome)
}

/// One job's own query (`{"job": {...}}` at `path`), with its creation time.
pub async fn job_query(
    client: &Client,
    service: Service,
    path: &str,
    query: &Query,
    target: &str,
) -> Result<(PollOutcome, Option<i64>), ProviderError> {
    match client.get(service, path, query).await {
        Ok(reply) => Job::from_value(&reply.body["job"])
            .map(|job| (job.outcome(target), job.created_ms))
            .ok_or_else(|| ProviderError {
                message: format!("{service}: the job answer has no job id or status"),
                transient: true,
            }),
        Err(e) if job::is_not_found(&e) => Ok((
            PollOutcome::NotFound {
                detail: e.to_string(),
            },
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn running() -> PollOutcome {
        PollOutcome::Running {
            percent: None,
            handle: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_job_alone_is_polled_on_its_own() {
        let batch = Batch::new(&RateLimits::default());
        let calls = AtomicU32::new(0);
        let got = batch
            .observe("a", 0, |_| async {
                calls.fetch_add(1, Ordering::Relaxed);
                Ok(Ok(vec![]))
            })
            .await;
        assert!(got.is_none());
        assert_eq!(calls.load(Ordering::Relaxed), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn polls_at_one_moment_share_one_list_read() {
        let batch = Batch::new(&RateLimits::default());
        let calls = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (batch, calls) = (batch.clone(), Arc::clone(&calls));
            tasks.push(tokio::spawn(async move {
                let key = format!("j{i}");
                batch
                    .observe(&key, 1000 - i, |from| async move {
                        calls.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(Ok(vec![json!({"id": "j5", "from": from})]))
                    })
                    .await
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.ok().flatten());
        }
        // The first two polls were too few; every later one took the one round.
        assert!(answers[0].is_none() && answers[1].is_none());
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        let snap = answers[9].clone().expect("a list answer");
        assert!(snap.get("j5").is_some() && snap.get("j1").is_none());
        // The window reached back to the earliest job known when the round began.
        assert!(
            snap.get("j5")
                .is_some_and(|v| v["from"].as_i64() <= Some(999))
        );
        // A minute later the answer is stale: a new round.
        tokio::time::advance(Duration::from_secs(60)).await;
        batch
            .observe("j3", 0, |_| async {
                calls.fetch_add(1, Ordering::Relaxed);
                Ok(Ok(vec![]))
            })
            .await;
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn ended_jobs_leave_and_a_refused_list_is_not_asked_again() {
        let batch = Batch::new(&RateLimits::default());
        let list = |_| async { Ok(Ok(vec![])) };
        batch.observe("a", 0, list).await;
        batch.observe("b", 0, list).await;
        batch.observe("e", 0, list).await;
        assert_eq!(batch.in_flight(), 3);
        batch.learn("a", None, &PollOutcome::Failed { reason: "x".into() });
        batch.learn("b", Some(5_000_000), &running());
        assert_eq!(batch.in_flight(), 2);
        let calls = AtomicU32::new(0);
        let refuse = |_| async {
            calls.fetch_add(1, Ordering::Relaxed);
            Ok(Err("404".to_owned()))
        };
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(batch.observe("c", 0, refuse).await.is_none());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(batch.observe("d", 0, refuse).await.is_none());
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_not_polled_for_long_are_forgotten() {
        let batch = Batch::new(&RateLimits::default());
        let list = |_| async { Ok(Ok(vec![])) };
        batch.observe("a", 0, list).await;
        batch.observe("b", 0, list).await;
        tokio::time::advance(FORGET_AFTER + Duration::from_secs(1)).await;
        assert!(batch.observe("c", 0, list).await.is_none());
        assert_eq!(batch.in_flight(), 1);
    }
}
