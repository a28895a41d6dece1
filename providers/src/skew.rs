//! The cloud's clock as the client sees it: an offset bound from each answer's `Date` header.
//
// Reconcile looks for the record a lost submit created: created "at or after the submit".
// The submit time is the machine's; the record's is the cloud's. Each answer's `Date` (whole
// seconds, written between the request's send and its answer) bounds the offset
// `cloud − machine` from below by `Date − answered`. The lowest bound seen is the earliest the
// cloud's clock can read against the machine's, so a record of our submit carries a time of
// at least `submitted + min(0, lowest) − CLOCK_SKEW_MS`. A cloud ahead keeps the machine's
// submit time as the bound (never later than the record); a cloud behind moves it back by
// exactly what the cloud said. With no `Date` seen at all, the bound moves back by
// `UNSEEN_SKEW_MS`.

use crate::wire_time::CLOCK_SKEW_MS;
use std::sync::atomic::{AtomicI64, Ordering};

/// How far a cloud's clock may be behind when no answer carried a `Date` header: the skew
/// the docs promise to tolerate (±10 minutes) with a minute to spare.
pub const UNSEEN_SKEW_MS: i64 = 11 * 60_000;

/// The lowest bound seen on `cloud − machine`, in ms (`i64::MAX` before any). Shared by
/// every request of a client.
#[derive(Debug)]
pub struct ClockOffset {
    lowest_ms: AtomicI64,
}

impl Default for ClockOffset {
    fn default() -> Self {
        ClockOffset {
            lowest_ms: AtomicI64::new(i64::MAX),
        }
    }
}

impl ClockOffset {
    /// An answer dated `date_ms` by the cloud arrived at `answered_ms` on this machine.
    pub fn observe(&self, date_ms: i64, answered_ms: i64) {
        let bound = date_ms.saturating_sub(answered_ms).min(i64::MAX - 1);
        self.lowest_ms.fetch_min(bound, Ordering::AcqRel);
    }

    /// The lowest bound on the cloud's offset from this machine's clock, once an answer said.
    pub fn lowest(&self) -> Option<i64> {
        Some(self.lowest_ms.load(Ordering::Acquire)).filter(|o| *o != i64::MAX)
    }

    /// The earliest time, on the cloud's clock, that a record created by a request sent at
    /// `local_ms` (this machine's clock) can carry.
    pub fn since(&self, local_ms: i64) -> i64 {
        let behind = self.lowest().map_or(-UNSEEN_SKEW_MS, |o| o.min(0));
        local_ms
            .saturating_add(behind)
            .saturating_sub(CLOCK_SKEW_MS)
    }

    /// A `Date` header's value in epoch ms.
    pub fn parse_date(value: &str) -> Option<i64> {
        jiff::fmt::rfc2822::parse(value.trim())
            .ok()
            .map(|z| z.timestamp().as_millisecond())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cloud_behind_moves_the_bound_back_by_its_lag() {
        let clock = ClockOffset::default();
        // Nothing seen: back by the tolerance.
        assert_eq!(
            clock.since(1_000_000),
            1_000_000 - UNSEEN_SKEW_MS - CLOCK_SKEW_MS
        );
        // Five minutes behind, an answer taking 200 ms.
        clock.observe(1_000_000 - 300_000, 1_000_200);
        assert_eq!(clock.lowest(), Some(-300_200));
        assert_eq!(clock.since(2_000_000), 2_000_000 - 300_200 - CLOCK_SKEW_MS);
        // A later, tighter answer does not raise the bound.
        clock.observe(1_000_000 - 299_000, 1_000_000);
        assert_eq!(clock.lowest(), Some(-300_200));
    }

    #[test]
    fn a_cloud_ahead_keeps_the_machines_submit_time() {
        let clock = ClockOffset::default();
        clock.observe(1_300_000, 1_000_000);
        assert_eq!(clock.since(2_000_000), 2_000_000 - CLOCK_SKEW_MS);
    }

    #[test]
    fn dates_parse() {
        assert_eq!(
            ClockOffset::parse_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(ClockOffset::parse_date("yesterday"), None);
    }
}
