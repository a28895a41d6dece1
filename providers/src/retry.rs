//! `RetryPolicy`: how many attempts, and capped exponential backoff with jitter and `Retry-After`.

use rand::Rng;
use std::time::Duration;

/// Retry and timeout settings of the client. Tests shrink the durations to milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts for a read (GET), the first one included.
    pub read_attempts: u32,
    /// Attempts for a submit (POST) that the API said it did not run (429, 409 busy).
    pub submit_attempts: u32,
    /// 429s one request rides out while the request budget is on, beyond its attempts: the
    /// budget paused the API until `Retry-After`, so the request is sent again then without
    /// spending an attempt. 30 refusals in a row is half an hour at the longest `Retry-After`
    /// of a per-minute gateway, which no other client of the same user should cause.
    pub throttled_attempts: u32,
    /// First backoff; doubles with each attempt.
    pub base: Duration,
    /// Longest backoff.
    pub cap: Duration,
    /// Longest `Retry-After` honoured; a longer one is cut to this.
    pub retry_after_cap: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            read_attempts: 6,
            submit_attempts: 5,
            throttled_attempts: 30,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first retry): a random point in the
    /// upper half of the capped exponential step, so that parallel clients spread out, but
    /// never shorter than what the server asked for in `Retry-After`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let step = self
            .base
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.cap);
        let low = step / 2;
        let jittered = if step > low {
            rand::rng().random_range(low..=step)
        } else {
            step
        };
        match retry_after {
            Some(asked) => jittered.max(asked.min(self.retry_after_cap)),
            None => jittered,
        }
    }
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let secs = at.as_second().saturating_sub(now.as_second());
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let d0 = p.delay(0, None);
            assert!(
                d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100),
                "{d0:?}"
            );
            let d1 = p.delay(1, None);
            assert!(
                d1 >= Duration::from_millis(100) && d1 <= Duration::from_millis(200),
                "{d1:?}"
            );
            let d9 = p.delay(40, None);
            assert!(
                d9 >= Duration::from_millis(175) && d9 <= Duration::from_millis(350),
                "{d9:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_cap() {
        let p = RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
            retry_after_cap: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(300))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn retry_after_forms() {
        let now: jiff::Timestamp = "2015-10-21T07:28:00Z".parse().unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
