//! API flow control: a token bucket per credential and API (method + route template), in simulated time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::errors::SimError;
use crate::service::Service;

/// Huawei documents 60 calls per minute per user for each RDS and DDM API
/// (research-next-wave.md §5); the other services get the same until they document theirs.
pub const DEFAULT_PER_MINUTE: u32 = 60;

/// The world file's `flow_control:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowControl {
    /// On unless the world says otherwise, so a rehearsal meets the cloud's limits.
    pub enabled: bool,
    /// Calls per minute per credential for each API, unless a service or API says otherwise.
    pub per_minute: u32,
    pub services: BTreeMap<Service, ServiceFlow>,
    /// Counts the calls of the last 60 seconds (a sliding minute) instead of a token bucket,
    /// as a gateway whose window is not documented may: `Retry-After` is then the time until
    /// the oldest call of the minute leaves it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sliding: bool,
}

/// One service's limits: its own default, and per-API overrides keyed `"GET /v3/{pid}/jobs"`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceFlow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<u32>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub apis: BTreeMap<String, u32>,
}

impl Default for FlowControl {
    fn default() -> Self {
        FlowControl {
            enabled: true,
            per_minute: DEFAULT_PER_MINUTE,
            services: BTreeMap::new(),
            sliding: false,
        }
    }
}

impl FlowControl {
    /// No limits at all, for tests that measure speed rather than politeness.
    pub fn off() -> FlowControl {
        FlowControl {
            enabled: false,
            ..FlowControl::default()
        }
    }

    /// The calls per minute allowed for `api` of `service`.
    pub fn limit(&self, service: Service, api: &str) -> u32 {
        let own = self.services.get(&service);
        own.and_then(|s| s.apis.get(api).copied())
            .or_else(|| own.and_then(|s| s.per_minute))
            .unwrap_or(self.per_minute)
    }

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let zero = |what: String| {
            Err(SimError::World(format!(
                "flow_control: {what} must be at least 1 call per minute (set enabled: false to turn flow control off)"
            )))
        };
        if self.per_minute == 0 {
            return zero("per_minute".to_owned());
        }
        for (service, own) in &self.services {
            if own.per_minute == Some(0) {
                return zero(format!("services.{service}.per_minute"));
            }
            if let Some((api, _)) = own.apis.iter().find(|(_, n)| **n == 0) {
                return zero(format!("services.{service}.apis.\"{api}\""));
            }
        }
        Ok(())
    }
}

/// The API a request addresses: its method and route template (`GET /v3/{pid}/jobs`).
/// `is_word` tells the segments that are part of a route (the service table's route words);
/// every other segment after the version is a variable, so `/v3/p1/instances/i1/restore-time`
/// is one API for every instance.
pub(crate) fn api_of(
    method: &str,
    segments: &[String],
    pid: Option<&str>,
    is_word: fn(&str) -> bool,
) -> String {
    let mut api = format!("{method} ");
    for (i, seg) in segments.iter().enumerate() {
        api.push('/');
        if i == 0 || is_word(seg) {
            api.push_str(seg);
        } else if pid == Some(seg.as_str()) && i == 1 {
            api.push_str("{pid}");
        } else {
            api.push_str("{id}");
        }
    }
    if segments.is_empty() {
        api.push('/');
    }
    api
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

/// Live buckets, keyed by (credential, service, API).
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    live: BTreeMap<(String, Service, String), Bucket>,
    /// Sliding minutes: the arrival times of each API's calls within the last minute.
    logs: BTreeMap<(String, Service, String), std::collections::VecDeque<i64>>,
}

/// Tolerates the rounding of the simulated clock (whole milliseconds), so that a client that
/// paces itself exactly at the limit is never refused.
const SLACK: f64 = 0.01;

impl Buckets {
    /// Takes one call from the bucket; `Err(seconds)` is the `Retry-After` when it is empty.
    pub(crate) fn take(
        &mut self,
        credential: &str,
        service: Service,
        api: &str,
        per_minute: u32,
        now_ms: i64,
    ) -> Result<(), u64> {
        let capacity = f64::from(per_minute.max(1));
        let per_ms = capacity / 60_000.0;
        let bucket = self
            .live
            .entry((credential.to_owned(), service, api.to_owned()))
            .or_insert(Bucket {
                tokens: capacity,
                at_ms: now_ms,
            });
        #[allow(clippy::cast_precision_loss)] // elapsed milliseconds stay far below 2^52
        let elapsed = (now_ms - bucket.at_ms).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed * per_ms).min(capacity);
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if bucket.tokens + SLACK >= 1.0 {
            bucket.tokens = (bucket.tokens - 1.0).max(0.0);
            return Ok(());
        }
        let wait_ms = (1.0 - bucket.tokens) / per_ms;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ≤ 60 s, positive
        let secs = (wait_ms / 1000.0).ceil().max(1.0) as u64;
        Err(secs)
    }
}

impl Buckets {
    /// Counts one call in the sliding minute; `Err(seconds)` is the `Retry-After` when the
    /// minute already holds `per_minute` calls (refused calls are not counted).
    pub(crate) fn take_sliding(
        &mut self,
        credential: &str,
        service: Service,
        api: &str,
        per_minute: u32,
        now_ms: i64,
    ) -> Result<(), u64> {
        let log = self
            .logs
            .entry((credential.to_owned(), service, api.to_owned()))
            .or_default();
        while log.front().is_some_and(|at| *at + 60_000 <= now_ms) {
            log.pop_front();
        }
        if log.len() < per_minute.max(1) as usize {
            log.push_back(now_ms);
            return Ok(());
        }
        let free_ms = log.front().map_or(0, |at| at + 60_000 - now_ms);
        Err(u64::try_from((free_ms + 999) / 1000).unwrap_or(1).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_resolve_api_then_service_then_default() {
        let mut flow = FlowControl::default();
        flow.services.insert(
            Service::Rds,
            ServiceFlow {
                per_minute: Some(100),
                apis: BTreeMap::from([("GET /v3/{pid}/jobs".to_owned(), 7)]),
            },
        );
        assert_eq!(flow.limit(Service::Rds, "GET /v3/{pid}/jobs"), 7);
        assert_eq!(flow.limit(Service::Rds, "GET /v3/{pid}/backups"), 100);
        assert_eq!(flow.limit(Service::Dcs, "GET /v2/{pid}/instances/{id}"), 60);
        assert!(flow.validate().is_ok());
        flow.per_minute = 0;
        assert!(flow.validate().is_err());
    }

    #[test]
    fn the_bucket_refills_at_the_rate_and_names_the_wait() {
        let mut b = Buckets::default();
        for _ in 0..3 {
            assert_eq!(b.take("u", Service::Rds, "GET /x", 3, 0), Ok(()));
        }
        // Empty: one call comes back every 20 s at 3 per minute.
        assert_eq!(b.take("u", Service::Rds, "GET /x", 3, 0), Err(20));
        // Another credential, or another API, has its own bucket.
        assert_eq!(b.take("v", Service::Rds, "GET /x", 3, 0), Ok(()));
        assert_eq!(b.take("u", Service::Rds, "GET /y", 3, 0), Ok(()));
        assert_eq!(b.take("u", Service::Rds, "GET /x", 3, 10_000), Err(10));
        assert_eq!(b.take("u", Service::Rds, "GET /x", 3, 20_000), Ok(()));
        assert_eq!(b.take("u", Service::Rds, "GET /x", 3, 20_000), Err(20));
    }

    #[test]
    fn the_sliding_minute_counts_the_last_sixty_seconds() {
        let mut b = Buckets::default();
        for at in [0, 10_000, 20_000] {
            assert_eq!(b.take_sliding("u", Service::Rds, "GET /x", 3, at), Ok(()));
        }
        // Full until the first call is a minute old.
        assert_eq!(
            b.take_sliding("u", Service::Rds, "GET /x", 3, 30_500),
            Err(30)
        );
        assert_eq!(
            b.take_sliding("u", Service::Rds, "GET /x", 3, 59_999),
            Err(1)
        );
        assert_eq!(
            b.take_sliding("u", Service::Rds, "GET /x", 3, 60_000),
            Ok(())
        );
        assert_eq!(
            b.take_sliding("u", Service::Rds, "GET /x", 3, 60_000),
            Err(10)
        );
    }
}
