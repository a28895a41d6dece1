//! When to poll next: back off while nothing is known, aim at the estimated end once progress is.

use crate::provider::Percent;
use std::time::Duration;

/// Seconds as a `Duration`, saturating instead of panicking on NaN, negatives or overflow.
fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v).unwrap_or(if v > 0.0 {
        Duration::MAX
    } else {
        Duration::ZERO
    })
}

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
        let scale = if scale.is_finite() {
            scale.max(1e-9)
        } else {
            1.0
        };
        let s = |d: Duration| secs(d.as_secs_f64() / scale);
        PollPolicy {
            first: s(self.first),
            min: s(self.min),
            max: s(self.max),
            ..self
        }
    }

    /// The earliest moment (from now) at which a job `percent` done after `elapsed` can end.
    ///
    /// Services report progress rounded down (to a whole percent, or to hundredths for
    /// DCS), and roughly linear in time. From `p`% after `elapsed`, a job that started when
    /// it was submitted is at most `floor(p) + 1`% done, so it cannot end before
    /// `elapsed * (100 - (floor(p)+1)) / (floor(p)+1)` from now. `None` without progress.
    pub fn earliest_end(elapsed: Duration, percent: Option<Percent>) -> Option<Duration> {
        let p = percent.filter(|p| p.is_started())?;
        let done = p.as_f64().floor() + 1.0;
        Some(secs(elapsed.as_secs_f64() * (100.0 - done).max(0.0) / done))
    }

    /// The delay before the next poll.
    ///
    /// The next poll aims at [`PollPolicy::earliest_end`]: few requests for long jobs, and
    /// the end seen soon after it happens. A floor of 1% of the elapsed time keeps the last
    /// polls from bunching up near the end. A running job never reports 100% (see
    /// [`Percent`]), so "99.81" counts as progress, not as its absence.
    ///
    /// Some jobs queue before they start (DCS restores, CBR operation logs), so their progress
    /// trails the time since submission and a single sample overestimates what remains. On
    /// the first sample (`first_progress`) of a job that looks short, the next poll therefore
    /// comes no later than `elapsed` again, and the second sample measures the real pace.
    /// Long jobs skip this: for them the estimate's error is small next to their length.
    /// Without progress the delay grows geometrically from `first`.
    ///
    /// Never panics, whatever the policy holds: a `min` above `max` yields `max`.
    pub fn next(
        &self,
        polls: u32,
        elapsed: Duration,
        percent: Option<Percent>,
        first_progress: bool,
    ) -> Duration {
        self.next_paced(polls, elapsed, percent, first_progress, None)
    }

    /// The earliest moment (from now) at which a job can end, judged by its pace since
    /// `first` (the elapsed time and progress of its first sample that showed progress):
    /// the fastest pace the two rounded-down samples allow, over what is at least left.
    /// A job that queued before it started (DCS restores, CBR operation logs) runs faster
    /// than its progress since submission says, so [`PollPolicy::earliest_end`] aims past
    /// its end; its pace does not. `None` until the progress has moved since `first`.
    pub fn earliest_end_paced(
        first: (Duration, Percent),
        elapsed: Duration,
        percent: Option<Percent>,
    ) -> Option<Duration> {
        let p = percent.filter(|p| p.is_started())?.as_f64();
        let (e1, p1) = (first.0.as_secs_f64(), first.1.as_f64());
        let span = elapsed.as_secs_f64() - e1;
        if p <= p1 || span <= 0.0 {
            return None;
        }
        let done = p.floor() + 1.0;
        Some(secs(
            (100.0 - done).max(0.0) * span / (done - p1).max(f64::MIN_POSITIVE),
        ))
    }

    /// [`PollPolicy::next`], aiming at the sooner of the two earliest ends: since submission,
    /// and by the pace since `first` (see [`PollPolicy::earliest_end_paced`]).
    pub fn next_paced(
        &self,
        polls: u32,
        elapsed: Duration,
        percent: Option<Percent>,
        first_progress: bool,
        first: Option<(Duration, Percent)>,
    ) -> Duration {
        let factor = if self.factor.is_finite() {
            self.factor.max(1.0)
        } else {
            1.0
        };
        let backoff = self.first.as_secs_f64() * factor.powi(polls.min(30).cast_signed());
        let e = elapsed.as_secs_f64();
        let paced = first.and_then(|f| Self::earliest_end_paced(f, elapsed, percent));
        let delay = match Self::earliest_end(elapsed, percent) {
            Some(end) => {
                let end = paced.map_or(end, |p| p.min(end));
                let earliest_end = end.as_secs_f64().max(e * 0.01);
                if first_progress && e + earliest_end < self.refine_below.as_secs_f64() {
                    earliest_end.min(e)
                } else {
                    earliest_end
                }
            }
            None => backoff,
        };
        let max = self.max.as_secs_f64();
        let min = self.min.as_secs_f64().min(max);
        secs(if delay.is_nan() {
            max
        } else {
            delay.clamp(min, max)
        })
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
            let pct = Percent::running(((t / total) * 100.0).floor().min(99.0));
            let first = !seen && pct.is_some_and(Percent::is_started);
            seen |= pct.is_some_and(Percent::is_started);
            t += p
                .next(polls, Duration::from_secs_f64(t), pct, first)
                .as_secs_f64();
            assert!(polls < 100, "runaway polling");
        }
    }

    /// A 600 s job whose first 60 s are queued (progress 0, as DCS reports it), then
    /// linear in hundredths of a percent: the pace since the first sample aims at its end,
    /// where the progress since submission aims past it.
    #[test]
    fn a_job_that_queued_is_aimed_at_by_its_pace() {
        let p = PollPolicy::default();
        let (total, queue) = (600.0_f64, 60.0_f64);
        let pct = |t: f64| {
            Percent::running(((t - queue).max(0.0) / (total - queue) * 10_000.0).floor() / 100.0)
        };
        let follow = |paced: bool| {
            let (mut t, mut polls, mut first) = (p.first.as_secs_f64(), 0, None);
            loop {
                polls += 1;
                if t >= total {
                    return t - total;
                }
                let now = pct(t);
                let fresh = first.is_none() && now.is_some_and(Percent::is_started);
                if fresh {
                    first = now.map(|n| (Duration::from_secs_f64(t), n));
                }
                let f = if paced { first } else { None };
                t += p
                    .next_paced(polls, Duration::from_secs_f64(t), now, fresh, f)
                    .as_secs_f64();
                assert!(polls < 100, "runaway polling");
            }
        };
        let (since_submit, paced) = (follow(false), follow(true));
        assert!(since_submit > total * 0.02, "{since_submit:.1}s late");
        assert!(paced <= total * 0.01, "{paced:.1}s late with the pace");
    }

    #[test]
    fn the_pace_needs_progress_since_the_first_sample() {
        let first = (Duration::from_secs(100), Percent::running(10.0).unwrap());
        let same =
            PollPolicy::earliest_end_paced(first, Duration::from_secs(200), Percent::running(10.0));
        assert_eq!(same, None);
        // 10% to 30% in 100 s: at most 21% in 100 s, so at least 69% left takes 328 s.
        let end =
            PollPolicy::earliest_end_paced(first, Duration::from_secs(200), Percent::running(30.0))
                .unwrap();
        assert_eq!(end.as_secs(), 328);
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
            .next(1, Duration::from_secs(60), Percent::running(10.0), false)
            .as_secs_f64();
        assert!((480.0..=486.0).contains(&d), "{d}");
        assert_eq!(
            p.next(1, Duration::from_secs(10), Percent::running(99.0), false),
            p.min
        );
    }
    #[test]
    fn a_short_job_gets_an_early_second_look_at_its_first_progress() {
        let p = PollPolicy::default();
        // 44% after 10 s (a job that queued first): the linear estimate says 12.7 s remain,
        // but the second look comes after at most another 10 s.
        let d = p
            .next(1, Duration::from_secs(10), Percent::running(44.0), true)
            .as_secs_f64();
        assert!((9.9..=10.1).contains(&d), "{d}");
        assert!(
            p.next(1, Duration::from_secs(10), Percent::running(44.0), false)
                .as_secs_f64()
                > 12.0
        );
        // A long job does not pay for the extra look.
        let d = p
            .next(1, Duration::from_secs(15), Percent::running(2.0), true)
            .as_secs_f64();
        assert!(d > 100.0, "{d}");
    }

    #[test]
    fn almost_done_is_progress_not_its_absence() {
        let p = PollPolicy::default();
        // 99.81% after 600 s, still running: the end is near, so the next poll comes soon,
        // not after the backoff ceiling.
        let d = p.next(12, Duration::from_secs(600), Percent::running(99.81), false);
        assert!(d <= Duration::from_secs(7), "{d:?}");
        let d = p.next(12, Duration::from_secs(600), Percent::running(100.0), false);
        assert!(d <= Duration::from_secs(7), "{d:?}");
        // Below 1% is progress too.
        let d = p.next(1, Duration::from_secs(10), Percent::running(0.5), false);
        assert!(d > Duration::from_secs(100), "{d:?}");
    }

    #[test]
    fn a_policy_with_min_above_max_does_not_panic() {
        let p = PollPolicy {
            min: Duration::from_secs(300),
            max: Duration::from_secs(1),
            ..PollPolicy::default()
        };
        assert_eq!(
            p.next(3, Duration::ZERO, None, false),
            Duration::from_secs(1)
        );
        let huge = PollPolicy::default().scaled(1e-300);
        let _ = huge.next(3, Duration::from_secs(5), None, false);
    }

    #[test]
    fn scaling_divides_every_delay() {
        let p = PollPolicy::default().scaled(10.0);
        assert_eq!(p.first, Duration::from_millis(500));
        assert_eq!(p.max, Duration::from_secs(18));
    }
}
