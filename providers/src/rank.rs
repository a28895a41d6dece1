//! Poll ranks: each job's earliest possible end, as its provider has seen its progress go.
//
// The budget serves the waiters of one API in order: submits, then polls by the moment their
// job can end at the earliest, then every other read. The engine aims each poll at that moment
// but does not pass it on, so the provider estimates it from the percentages it was answered:
// the pace between the first and the latest sample of a job, extrapolated to 100%.

use crate::budget;
use rewind_engine::provider::{PollOutcome, ProviderError};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Instant,
    percent: f64,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    first: Sample,
    latest: Sample,
}

/// One provider's jobs and their progress. Cloning shares them.
#[derive(Debug, Clone)]
pub struct Ranks {
    origin: Instant,
    jobs: Arc<Mutex<HashMap<String, Seen>>>,
}

impl Default for Ranks {
    fn default() -> Self {
        Ranks {
            origin: Instant::now(),
            jobs: Arc::default(),
        }
    }
}

impl Ranks {
    /// The rank of a poll of `key` now: milliseconds from this tracker's start to the job's
    /// earliest possible end. A job with no measured pace yet may end any moment: now.
    pub fn rank(&self, key: &str) -> i64 {
        self.place(key).0
    }

    /// The rank, and whether the poll is due: the job's pace is measured and its
    /// extrapolated end has passed, or is less than one percent of the job's observed length
    /// away (progress comes in whole percent, so the estimate is off by about that much). A
    /// job without a pace yet is not due: its first polls look at progress, not for an end.
    fn place(&self, key: &str) -> (i64, bool) {
        let now = Instant::now();
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let mut due = false;
        let end = jobs.get(key).and_then(|seen| {
            let span = seen.latest.at.saturating_duration_since(seen.first.at);
            let gained = seen.latest.percent - seen.first.percent;
            if gained <= 0.0 || span.is_zero() {
                return None;
            }
            let left = (100.0 - seen.latest.percent).max(0.0) / gained * span.as_secs_f64();
            let left = std::time::Duration::try_from_secs_f64(left).ok()?;
            let end = seen.latest.at + left;
            due = end.saturating_duration_since(now) * 100 <= end - seen.first.at;
            Some(end)
        });
        let end = end.unwrap_or(now).max(now);
        let rank = i64::try_from(end.saturating_duration_since(self.origin).as_millis())
            .unwrap_or(i64::MAX);
        (rank, due)
    }

    /// Records what a poll of `key` answered; an ended job is forgotten.
    pub fn record(&self, key: &str, outcome: &PollOutcome) {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            PollOutcome::Running {
                percent: Some(p), ..
            } => {
                let sample = Sample {
                    at: Instant::now(),
                    percent: p.as_f64(),
                };
                jobs.entry(key.to_owned())
                    .and_modify(|seen| seen.latest = sample)
                    .or_insert(Seen {
                        first: sample,
                        latest: sample,
                    });
            }
            PollOutcome::Running { .. } | PollOutcome::NotFound { .. } => {}
            _ => {
                jobs.remove(key);
            }
        }
    }

    /// Runs the poll `f` of `key` with its rank, and records its answer.
    pub async fn poll(
        &self,
        key: &str,
        f: impl Future<Output = Result<PollOutcome, ProviderError>>,
    ) -> Result<PollOutcome, ProviderError> {
        let (rank, due) = self.place(key);
        let outcome = budget::ranked(rank, due, f).await;
        if let Ok(outcome) = &outcome {
            self.record(key, outcome);
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_engine::provider::Percent;
    use std::time::Duration;

    fn running(p: f64) -> PollOutcome {
        PollOutcome::Running {
            percent: Percent::running(p),
            handle: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_rank_is_the_extrapolated_end() {
        let ranks = Ranks::default();
        assert_eq!(ranks.rank("a"), 0);
        ranks.record("a", &running(10.0));
        tokio::time::advance(Duration::from_secs(10)).await;
        ranks.record("a", &running(20.0));
        // 10% per 10 s, 80% left: 80 s from now, 90 s from the start.
        assert_eq!(ranks.rank("a"), 90_000);
        ranks.record("b", &running(50.0));
        tokio::time::advance(Duration::from_secs(1)).await;
        ranks.record("b", &running(90.0));
        assert!(ranks.rank("b") < ranks.rank("a"));
        ranks.record("a", &PollOutcome::Failed { reason: "x".into() });
        assert_eq!(ranks.rank("a"), 11_000);
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_is_due_once_its_measured_end_has_passed() {
        let ranks = Ranks::default();
        assert!(!ranks.place("a").1, "no pace yet: a first poll is not due");
        ranks.record("a", &running(10.0));
        tokio::time::advance(Duration::from_secs(10)).await;
        ranks.record("a", &running(20.0));
        // Ends 80 s from now, 80 s after the first sample: due from 0.8 s before it.
        tokio::time::advance(Duration::from_secs(79)).await;
        assert!(!ranks.place("a").1);
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(ranks.place("a"), (90_000, true));
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(ranks.place("a").1, "still due after its end");
    }
}
