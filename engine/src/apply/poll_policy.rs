//! When to poll next: back off while nothing is known, aim at the estimated end once progress is.

use std::time::Duration;

/// Polling cadence. Times are real (wall) durations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    /// Delay before the first poll after a submit.
    pub first: Duration,
    /// Shortest delay between polls.
    pub min: Duration,
    /// Longest delay between polls.
    pub max: Duration,
    /// Growth of the delay while no progress is reported.
    pub factor: f64,
    /// Consecutive failed polls before apply stops following an operation.
    pub max_errors: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first: Duration::from_secs(5),
            min: Duration::from_secs(2),
            max: Duration::from_secs(120),
            factor: 2.0,
            max_errors: 10,
        }
    }
}

impl PollPolicy {
    /// Every duration divided by `scale` (for simulated time running `scale` times faster).
    pub fn scaled(self, scale: f64) -> PollPolicy {
        let s = |d: Duration| Duration::from_secs_f64(d.as_secs_f64() / scale.max(1e-9));
        PollPolicy {
            first: s(self.first),
            min: s(self.min),
            max: s(self.max),
            ..self
        }
    }

    /// The delay before the next poll.
    ///
    /// With a progress figure the job's end can be estimated from the elapsed time (jobs
    /// report a roughly linear `process`), so the next poll is aimed just past that end:
    /// few requests, and completion is seen soon after it happens. Without one, the delay
    /// grows geometrically from `first`.
    pub fn next(&self, polls: u32, elapsed: Duration, percent: Option<u8>) -> Duration {
        let backoff = self.first.as_secs_f64() * self.factor.powi(polls.min(30) as i32);
        let delay = match percent {
            Some(p) if (1..100).contains(&p) => {
                let p = f64::from(p);
                let remaining = elapsed.as_secs_f64() * (100.0 - p) / p;
                // A little past the estimate, so that one poll usually sees the end.
                remaining * 1.02 + self.min.as_secs_f64() * 0.25
            }
            _ => backoff,
        };
        Duration::from_secs_f64(delay.clamp(self.min.as_secs_f64(), self.max.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_without_progress_and_respects_bounds() {
        let p = PollPolicy::default();
        let d: Vec<u64> = (0..8)
            .map(|i| p.next(i, Duration::ZERO, None).as_secs())
            .collect();
        assert_eq!(d, vec![5, 10, 20, 40, 80, 120, 120, 120]);
    }

    #[test]
    fn aims_at_the_estimated_end_when_progress_is_known() {
        let p = PollPolicy {
            max: Duration::from_secs(1000),
            ..PollPolicy::default()
        };
        // 10% after 60 s: about 540 s remain.
        let d = p.next(1, Duration::from_secs(60), Some(10)).as_secs_f64();
        assert!((540.0..570.0).contains(&d), "{d}");
        // Almost done: never below the minimum.
        assert_eq!(
            p.next(1, Duration::from_secs(60), Some(99)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn scaling_divides_every_delay() {
        let p = PollPolicy::default().scaled(10.0);
        assert_eq!(p.first, Duration::from_millis(500));
        assert_eq!(p.max, Duration::from_secs(12));
    }
}
