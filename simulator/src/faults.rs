//! Fault injection: rules matched per route, and the seeded dice that decide each request.

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::service::Service;

/// Every fault setting; part of the world file (`faults:`) and replaceable at runtime.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub rules: Vec<FaultRule>,
    /// Lifetime of tokens issued from now on, in simulated seconds (default 24 h).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_ttl_seconds: Option<u64>,
}

/// One fault rule. It applies to requests matching `service`, `method` and `path` (each
/// optional); several matching rules all apply, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    /// `GET`, `POST`, ...; `None` matches every method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path glob: `*` matches one segment, `**` any number; `None` matches every path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Share of matching requests answered 429 `APIG.0308` with no effect.
    pub throttle_rate: f64,
    /// `Retry-After` seconds sent with a throttled reply.
    pub retry_after_seconds: u64,
    /// Share of matching requests answered `error_status` with no effect.
    pub error_rate: f64,
    /// 500 or 503 (any 5xx is accepted), or 404: a service that has forgotten what the
    /// request asks about (set at runtime on a job query, it "loses" a job it reported).
    pub error_status: u16,
    /// Real milliseconds added before the reply.
    pub latency_ms: u64,
    /// Share of matching requests whose connection is closed after they took effect.
    pub drop_response_rate: f64,
    /// Share of jobs created by matching requests that end `Failed`.
    pub fail_job_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    /// Simulated seconds during which a new job answers "does not exist" (DBS.200543).
    pub job_invisible_seconds: f64,
    /// Simulated seconds during which an instance created by a matching request is missing
    /// from instance lists (a listing that lags the create, as eventually consistent ones do).
    #[serde(skip_serializing_if = "is_zero")]
    pub list_invisible_seconds: f64,
    /// The rule applies to this many more matching requests, then retires; `None` = always.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl Default for FaultRule {
    fn default() -> Self {
        FaultRule {
            service: None,
            method: None,
            path: None,
            throttle_rate: 0.0,
            retry_after_seconds: 2,
            error_rate: 0.0,
            error_status: 500,
            latency_ms: 0,
            drop_response_rate: 0.0,
            fail_job_rate: 0.0,
            fail_reason: None,
            job_invisible_seconds: 0.0,
            list_invisible_seconds: 0.0,
            times: None,
        }
    }
}

impl Faults {
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (i, rule) in self.rules.iter().enumerate() {
            for (name, rate) in [
                ("throttle_rate", rule.throttle_rate),
                ("error_rate", rule.error_rate),
                ("drop_response_rate", rule.drop_response_rate),
                ("fail_job_rate", rule.fail_job_rate),
            ] {
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("faults.rules[{i}].{name} must be between 0 and 1"));
                }
            }
            if !(rule.error_status == 404 || (500..=599).contains(&rule.error_status)) {
                return Err(format!(
                    "faults.rules[{i}].error_status must be 404 or a 5xx status"
                ));
            }
            if !rule.list_invisible_seconds.is_finite() || rule.list_invisible_seconds < 0.0 {
                return Err(format!(
                    "faults.rules[{i}].list_invisible_seconds must be >= 0"
                ));
            }
            if !rule.job_invisible_seconds.is_finite() || rule.job_invisible_seconds < 0.0 {
                return Err(format!(
                    "faults.rules[{i}].job_invisible_seconds must be >= 0"
                ));
            }
        }
        Ok(())
    }

    /// Rolls every matching rule for one request. Rules with `times` count down.
    pub(crate) fn decide(
        &mut self,
        rng: &mut StdRng,
        service: Service,
        method: &str,
        segments: &[String],
    ) -> Decision {
        let mut d = Decision::default();
        for rule in &mut self.rules {
            if !rule.matches(service, method, segments) || rule.times == Some(0) {
                continue;
            }
            if let Some(left) = rule.times.as_mut() {
                *left -= 1;
            }
            if d.reject.is_none() {
                if roll(rng, rule.throttle_rate) {
                    d.reject = Some(Reject::Throttle {
                        retry_after: rule.retry_after_seconds,
                    });
                } else if roll(rng, rule.error_rate) {
                    d.reject = Some(Reject::ServerError {
                        status: rule.error_status,
                    });
                }
            }
            d.latency_ms = d.latency_ms.saturating_add(rule.latency_ms);
            d.drop_response |= roll(rng, rule.drop_response_rate);
            if d.fail_job.is_none() && roll(rng, rule.fail_job_rate) {
                d.fail_job = Some(rule.fail_reason.clone().unwrap_or_default());
            }
            d.invisible_ms = d
                .invisible_ms
                .max(crate::timefmt::secs_to_ms(rule.job_invisible_seconds));
            d.unlisted_ms = d
                .unlisted_ms
                .max(crate::timefmt::secs_to_ms(rule.list_invisible_seconds));
        }
        self.rules.retain(|r| r.times != Some(0));
        d
    }
}

impl FaultRule {
    fn matches(&self, service: Service, method: &str, segments: &[String]) -> bool {
        if self.service.is_some_and(|s| s != service) {
            return false;
        }
        if self
            .method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case(method))
        {
            return false;
        }
        match &self.path {
            None => true,
            Some(glob) => {
                let pattern: Vec<&str> = glob.split('/').filter(|s| !s.is_empty()).collect();
                glob_match(&pattern, segments)
            }
        }
    }
}

fn glob_match(pattern: &[&str], segments: &[String]) -> bool {
    match pattern.split_first() {
        None => segments.is_empty(),
        Some((&"**", rest)) => (0..=segments.len()).any(|skip| glob_match(rest, &segments[skip..])),
        Some((first, rest)) => match segments.split_first() {
            Some((seg, more)) => (*first == "*" || first == seg) && glob_match(rest, more),
            None => false,
        },
    }
}

/// Rates of 0 and 1 never touch the dice, so adding a certain rule does not shift the IDs
/// and rolls that other requests see.
fn roll(rng: &mut StdRng, rate: f64) -> bool {
    if rate >= 1.0 {
        true
    } else if rate > 0.0 {
        rng.random::<f64>() < rate
    } else {
        false
    }
}

/// What the faults do to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub reject: Option<Reject>,
    pub latency_ms: u64,
    pub drop_response: bool,
    /// `Some(reason)` when a job created by this request must fail (empty = default reason).
    pub fail_job: Option<String>,
    pub invisible_ms: i64,
    /// How long an instance this request creates stays out of instance lists.
    pub unlisted_ms: i64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    Throttle { retry_after: u64 },
    ServerError { status: u16 },
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn segs(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn globs_match_segments() {
        fn p(g: &str) -> Vec<&str> {
            g.split('/').filter(|s| !s.is_empty()).collect()
        }
        assert!(glob_match(
            &p("/v3/*/instances/recovery"),
            &segs("/v3/abc/instances/recovery")
        ));
        assert!(!glob_match(
            &p("/v3/*/instances/recovery"),
            &segs("/v3/abc/instances")
        ));
        assert!(glob_match(&p("/v3/**"), &segs("/v3/abc/jobs")));
        assert!(glob_match(
            &p("**/restore"),
            &segs("/v3/p/backups/b/restore")
        ));
        assert!(!glob_match(&p("**/restore"), &segs("/v3/p/backups/b")));
    }

    #[test]
    fn times_retires_a_rule() {
        let mut faults = Faults {
            rules: vec![FaultRule {
                throttle_rate: 1.0,
                times: Some(2),
                ..FaultRule::default()
            }],
            token_ttl_seconds: None,
        };
        let mut rng = StdRng::seed_from_u64(1);
        let s = segs("/v3/p/jobs");
        for _ in 0..2 {
            assert!(
                faults
                    .decide(&mut rng, Service::Rds, "GET", &s)
                    .reject
                    .is_some()
            );
        }
        assert!(
            faults
                .decide(&mut rng, Service::Rds, "GET", &s)
                .reject
                .is_none()
        );
        assert!(faults.rules.is_empty());
    }

    #[test]
    fn rules_filter_by_service_and_method() {
        let mut faults = Faults {
            rules: vec![FaultRule {
                service: Some(Service::Dcs),
                method: Some("POST".into()),
                error_rate: 1.0,
                error_status: 503,
                ..FaultRule::default()
            }],
            token_ttl_seconds: None,
        };
        let mut rng = StdRng::seed_from_u64(1);
        let s = segs("/v2/p/instances/i/restores");
        assert_eq!(
            faults.decide(&mut rng, Service::Rds, "POST", &s).reject,
            None
        );
        assert_eq!(
            faults.decide(&mut rng, Service::Dcs, "GET", &s).reject,
            None
        );
        assert_eq!(
            faults.decide(&mut rng, Service::Dcs, "post", &s).reject,
            Some(Reject::ServerError { status: 503 })
        );
    }
}
