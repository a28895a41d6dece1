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
            min: Duration::from_millis(500),
            max: Duration::from_secs(180),
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
    /// Services report progress as a whole percent, rounded down, and roughly linear in time.
    /// From `p`% after `elapsed`, the job cannot end before `elapsed * (100 - (p+1)) / (p+1)`
    /// from now, so the next poll aims there: never after the end, and with few requests
    /// for long jobs. A floor of 1% of the elapsed time keeps the last polls from bunching
    /// up near the end. Without progress the delay grows geometrically from `first`.
    pub fn next(&self, polls: u32, elapsed: Duration, percent: Option<u8>) -> Duration {
        let backoff = self.first.as_secs_f64() * self.factor.powi(polls.min(30) as i32);
        let delay = match percent {
            Some(p) if (1..100).contains(&p) => {
                let done = f64::from(p) + 1.0;
                let earliest_end = elapsed.as_secs_f64() * (100.0 - done) / done;
                earliest_end.max(elapsed.as_secs_f64() * 0.01)
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
        assert_eq!(d, vec![5, 10, 20, 40, 80, 160, 180, 180]);
    }

    /// Simulates polling a job of `total` seconds whose progress is reported rounded down,
    /// returning (number of polls, how late completion was seen in seconds).
    fn follow(p: &PollPolicy, total: f64) -> (u32, f64) {
        let mut t = p.first.as_secs_f64();
        let mut polls = 0;
        loop {
            polls += 1;
            if t >= total {
                return (polls, t - total);
            }
            let pct = ((t / total) * 100.0).floor().min(99.0) as u8;
            t += p
                .next(polls, Duration::from_secs_f64(t), Some(pct))
                .as_secs_f64();
            assert!(polls < 100, "runaway polling");
        }
    }

    #[test]
    fn long_jobs_need_few_polls_and_are_seen_soon_after_they_end() {
        let p = PollPolicy::default();
        for total in [10.0, 60.0, 600.0, 3600.0] {
            let (polls, late) = follow(&p, total);
            assert!(late <= total * 0.1, "{total}s job seen {late:.1}s late");
            // The cap bounds the gap between polls, so long jobs cost about total/max polls.
            let bound = if total <= 600.0 {
                8
            } else {
                (total / p.max.as_secs_f64()) as u32 + 6
            };
            assert!(polls <= bound, "{total}s job needed {polls} polls");
        }
    }

    #[test]
    fn never_aims_past_the_earliest_possible_end() {
        let p = PollPolicy {
            max: Duration::from_secs(10_000),
            ..PollPolicy::default()
        };
        // 10% after 60 s: the job is at most 11% done, so at least 485 s remain; the next
        // poll must not come later than that.
        let d = p.next(1, Duration::from_secs(60), Some(10)).as_secs_f64();
        assert!((480.0..=486.0).contains(&d), "{d}");
        assert_eq!(p.next(1, Duration::from_secs(10), Some(99)), p.min);
    }
    #[test]
    fn scaling_divides_every_delay() {
        let p = PollPolicy::default().scaled(10.0);
        assert_eq!(p.first, Duration::from_millis(500));
        assert_eq!(p.max, Duration::from_secs(18));
    }
}
