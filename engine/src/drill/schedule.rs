//! A drill's `schedule:` (cron, time zone, window) and the pure decision of `rewind drill --due`:
//! which slot runs now, which slots were missed, and when the next one comes.

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::time::Duration;

/// At most this many slots between the last recorded one and now are looked at: a drill
/// that every minute was not run for a year is not recorded 500 000 times.
pub const MAX_MISSED: usize = 100;

/// When a drill runs: `schedule: { cron: "0 2 * * *", time_zone: Europe/Berlin, window: 2h }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// Five fields (minute hour day month weekday), or six with seconds first.
    pub cron: String,
    /// An IANA time zone name; the cron fields are wall-clock times there.
    pub time_zone: String,
    /// How long after its slot a run still starts on time; later is a catch-up run.
    #[serde(with = "super::duration_ms")]
    pub window: Duration,
}

/// The window when `schedule:` names none.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);

/// Parses a cron expression as `schedule.cron` takes it.
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr.trim())
        .map_err(|e| format!("{expr:?} is not a cron expression: {e}"))
}

/// Looks an IANA time zone name up in the system's (or jiff's bundled) database.
pub fn parse_zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim()).map_err(|_| format!("{name:?} is not a known IANA time zone"))
}

impl Schedule {
    /// A schedule whose cron expression and time zone both parse.
    pub fn new(cron: &str, time_zone: &str, window: Duration) -> Result<Schedule, String> {
        parse_cron(cron)?;
        parse_zone(time_zone)?;
        if window.is_zero() {
            return Err("the window must be longer than zero".to_owned());
        }
        Ok(Schedule {
            cron: cron.trim().to_owned(),
            time_zone: time_zone.trim().to_owned(),
            window,
        })
    }

    fn compiled(&self) -> Option<(Cron, TimeZone)> {
        Some((
            parse_cron(&self.cron).ok()?,
            parse_zone(&self.time_zone).ok()?,
        ))
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let (cron, tz) = self.compiled()?;
        cron.find_next_occurrence(&t.to_zoned(tz), false)
            .ok()
            .map(|z| z.timestamp())
    }

    /// Slots in `(after, until]`, newest first, at most `limit` of them.
    fn slots_back(
        &self,
        after: Option<Timestamp>,
        until: Timestamp,
        limit: usize,
    ) -> Vec<Timestamp> {
        let Some((cron, tz)) = self.compiled() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut at = until.to_zoned(tz);
        let mut inclusive = true;
        while out.len() < limit {
            let Ok(prev) = cron.find_previous_occurrence(&at, inclusive) else {
                break;
            };
            let t = prev.timestamp();
            if after.is_some_and(|a| t <= a) {
                break;
            }
            out.push(t);
            at = prev;
            inclusive = false;
        }
        out
    }
}

/// The slot a `--due` call runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DueSlot {
    pub slot: Timestamp,
    /// Started after its window: a missed slot caught up.
    pub catch_up: bool,
}

/// What `rewind drill --due` does with one drill at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// The slot to run now, if one has come and is not recorded.
    pub run: Option<DueSlot>,
    /// Older slots since the last recorded one, oldest first: recorded as missed, not run.
    pub missed: Vec<Timestamp>,
    /// The first slot after `now`.
    pub next: Option<Timestamp>,
}

/// The decision for a drill with `schedule` at `now`, given the slots its state already
/// records (run, claimed or missed).
///
/// After the newest recorded slot, the newest slot that has come runs (a catch-up when its
/// window has passed) and every older one is missed. With nothing recorded (a schedule just
/// added), only a slot still inside its window runs, and nothing counts as missed: the
/// schedule did not exist for the slots before.
pub fn due(schedule: &Schedule, now: Timestamp, recorded: &[Timestamp]) -> Due {
    let last = recorded.iter().max().copied();
    let next = schedule.next_after(now);
    let mut slots = schedule.slots_back(last, now, MAX_MISSED + 1);
    let Some(newest) = (!slots.is_empty()).then(|| slots.remove(0)) else {
        return Due {
            run: None,
            missed: Vec::new(),
            next,
        };
    };
    let late = now.duration_since(newest)
        >= jiff::SignedDuration::try_from(schedule.window).unwrap_or(jiff::SignedDuration::MAX);
    if last.is_none() {
        return Due {
            run: (!late).then_some(DueSlot {
                slot: newest,
                catch_up: false,
            }),
            missed: Vec::new(),
            next,
        };
    }
    slots.reverse();
    Due {
        run: Some(DueSlot {
            slot: newest,
            catch_up: late,
        }),
        missed: slots,
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn nightly() -> Schedule {
        Schedule::new("0 2 * * *", "Europe/Berlin", Duration::from_secs(2 * 3600))
            .expect("schedule")
    }

    #[test]
    fn bad_cron_zone_and_window_are_refused_with_the_value() {
        let e = Schedule::new("0 25 * * *", "UTC", DEFAULT_WINDOW).unwrap_err();
        assert!(e.contains("\"0 25 * * *\" is not a cron expression"), "{e}");
        let e = Schedule::new("0 2 * * *", "Europe/Berlyn", DEFAULT_WINDOW).unwrap_err();
        assert!(e.contains("Europe/Berlyn"), "{e}");
        assert!(Schedule::new("0 2 * * *", "UTC", Duration::ZERO).is_err());
    }

    #[test]
    fn nightly_in_berlin_is_at_01_utc_in_winter_and_00_utc_in_summer() {
        let s = nightly();
        assert_eq!(
            s.next_after(at("2026-12-06T12:00:00Z")),
            Some(at("2026-12-07T01:00:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-07-06T12:00:00Z")),
            Some(at("2026-07-07T00:00:00Z"))
        );
    }

    #[test]
    fn a_slot_inside_its_window_runs_once() {
        let s = nightly();
        let now = at("2026-12-07T01:30:00Z");
        let d = due(&s, now, &[at("2026-12-06T01:00:00Z")]);
        assert_eq!(
            d.run,
            Some(DueSlot {
                slot: at("2026-12-07T01:00:00Z"),
                catch_up: false
            })
        );
        assert!(d.missed.is_empty());
        assert_eq!(d.next, Some(at("2026-12-08T01:00:00Z")));
        // Once recorded, the same slot is not due again.
        let again = due(&s, now, &[at("2026-12-07T01:00:00Z")]);
        assert_eq!(again.run, None);
        assert!(again.missed.is_empty());
    }

    #[test]
    fn three_missed_slots_run_once_and_two_are_missed() {
        let s = nightly();
        // Last run 2026-12-03; slots of the 4th, 5th and 6th missed; now is the 6th at noon.
        let d = due(
            &s,
            at("2026-12-06T12:00:00Z"),
            &[at("2026-12-03T01:00:00Z")],
        );
        assert_eq!(
            d.run,
            Some(DueSlot {
                slot: at("2026-12-06T01:00:00Z"),
                catch_up: true
            })
        );
        assert_eq!(
            d.missed,
            vec![at("2026-12-04T01:00:00Z"), at("2026-12-05T01:00:00Z")]
        );
    }

    #[test]
    fn a_new_schedule_runs_only_inside_a_window_and_misses_nothing() {
        let s = nightly();
        let inside = due(&s, at("2026-12-06T02:59:00Z"), &[]);
        assert_eq!(inside.run.map(|r| r.slot), Some(at("2026-12-06T01:00:00Z")));
        let outside = due(&s, at("2026-12-06T03:00:00Z"), &[]);
        assert_eq!(outside.run, None);
        assert!(outside.missed.is_empty());
        assert_eq!(outside.next, Some(at("2026-12-07T01:00:00Z")));
    }

    #[test]
    fn missed_slots_are_bounded() {
        let s = Schedule::new("* * * * *", "UTC", Duration::from_secs(60)).expect("schedule");
        let d = due(
            &s,
            at("2026-12-06T12:00:00Z"),
            &[at("2026-01-01T00:00:00Z")],
        );
        assert_eq!(d.missed.len(), MAX_MISSED);
        assert_eq!(d.run.map(|r| r.slot), Some(at("2026-12-06T12:00:00Z")));
        assert_eq!(d.missed.last(), Some(&at("2026-12-06T11:59:00Z")));
    }
}
