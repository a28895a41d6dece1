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
    /// Jobs expected to take less than this get one early second look at their progress
    /// (see [`PollPolicy::next`]).
    pub refine_below: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first: Duration::from_secs(5),
            min: Duration::from_millis(500),
            max: Duration::from_secs(180),
            factor: 2.0,
            max_errors: 10,
            refine_below: Duration::from_secs(60),
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
    /// From `p`% after `elapsed`, a job that started when it was submitted cannot end before
    /// `elapsed * (100 - (p+1)) / (p+1)` from now, so the next poll aims there: few requests
    /// for long jobs, and the end seen soon after it happens. A floor of 1% of the elapsed
    /// time keeps the last polls from bunching up near the end.
    ///
    /// Some jobs queue before they start (DCS restores, CBR operation logs), so their progress
    /// trails the time since submission and a single sample overestimates what remains. On
    /// the first sample (`first_progress`) of a job that looks short, the next poll therefore
    /// comes no later than `elapsed` again, and the second sample measures the real pace.
    /// Long jobs skip this: for them the estimate's error is small next to their length.
    /// Without progress the delay grows geometrically from `first`.
    pub fn next(
        &self,
        polls: u32,
        elapsed: Duration,
        percent: Option<u8>,
        first_progress: bool,
    ) -> Duration {
        let backoff = self.first.as_secs_f64() * self.factor.powi(polls.min(30) as i32);
        let e = elapsed.as_secs_f64();
        let delay = match percent {
            Some(p) if (1..100).contains(&p) => {
                let done = f64::from(p) + 1.0;
                let earliest_end = (e * (100.0 - done) / done).max(e * 0.01);
                if first_progress && e + earliest_end < self.refine_below.as_secs_f64() {
                    earliest_end.min(e)
                } else {
                    earliest_end
                }
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
            .map(|i| p.next(i, Duration::ZERO, None, false).as_secs())
            .collect();
        assert_eq!(d, vec![5, 10, 20, 40, 80, 160, 180, 180]);
    }

    /// Simulates polling a job of `total` seconds whose progress is reported rounded down,
    /// returning (number of polls, how late completion was seen in seconds).
    fn follow(p: &PollPolicy, total: f64) -> (u32, f64) {
        let mut t = p.first.as_secs_f64();
        let mut polls = 0;
        let mut seen = false;
        loop {
            polls += 1;
            if t >= total {
                return (polls, t - total);
            }
            let pct = ((t / total) * 100.0).floor().min(99.0) as u8;
            let first = !seen && pct > 0;
            seen |= pct > 0;
            t += p
                .next(polls, Duration::from_secs_f64(t), Some(pct), first)
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
        let d = p
            .next(1, Duration::from_secs(60), Some(10), false)
            .as_secs_f64();
        assert!((480.0..=486.0).contains(&d), "{d}");
        assert_eq!(p.next(1, Duration::from_secs(10), Some(99), false), p.min);
    }
    #[test]
    fn a_short_job_gets_an_early_second_look_at_its_first_progress() {
        let p = PollPolicy::default();
        // 44% after 10 s (a job that queued first): the linear estimate says 12.7 s remain,
        // but the second look comes after at most another 10 s.
        let d = p
            .next(1, Duration::from_secs(10), Some(44), true)
            .as_secs_f64();
        assert!((9.9..=10.1).contains(&d), "{d}");
        assert!(
            p.next(1, Duration::from_secs(10), Some(44), false)
                .as_secs_f64()
                > 12.0
        );
        // A long job does not pay for the extra look.
        let d = p
            .next(1, Duration::from_secs(15), Some(2), true)
            .as_secs_f64();
        assert!(d > 100.0, "{d}");
    }

    #[test]
    fn scaling_divides_every_delay() {
        let p = PollPolicy::default().scaled(10.0);
        assert_eq!(p.first, Duration::from_millis(500));
        assert_eq!(p.max, Duration::from_secs(18));
    }
}
