//! The file `rewind.toml` as written, its bounds, and the checked `[timeouts]` table.

use rewind_engine::apply::{DEFAULT_LOST_GRACE, DEFAULT_LOST_POLLS, Timeouts};
use rewind_engine::kinds::Service;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

pub const DEFAULT_PARALLELISM: usize = 10;
pub const SETTINGS_FILE: &str = "rewind.toml";

/// The file as written. Unknown keys are errors; every number is range-checked by
/// [`read_file`](super::read_file) (see `check_ranges`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// State directory, relative to the spec's directory.
    pub state: Option<String>,
    /// PostgreSQL states: seconds a lock lives unless its holder renews it
    /// (`REWIND_LOCK_LEASE` overrides it).
    pub lock_lease: Option<Spanned<f64>>,
    pub parallelism: Option<Spanned<usize>>,
    /// Per-service concurrency limits.
    #[serde(default)]
    pub limits: BTreeMap<String, Spanned<usize>>,
    /// Endpoint overrides per service.
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    #[serde(default)]
    pub simulator: SimulatorSettings,
    #[serde(default)]
    pub polling: PollingSettings,
    #[serde(default)]
    pub retry: RetrySettings,
    /// `default`, `lost_grace`, `lost_polls`, and a timeout per kind (`"rds.restore" = "2h"`).
    #[serde(default)]
    pub timeouts: BTreeMap<String, Spanned<toml::Value>>,
    /// External providers: `[providers.NAME] command = ["prog", "arg"]`.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderSettings>,
    /// The file's text, kept to locate a key found wrong later (`check_limit_services`);
    /// never a key of the file.
    #[serde(skip)]
    pub text: Arc<str>,
    #[serde(default)]
    pub rate_limits: RateLimitSettings,
}

/// One external provider (plugin) and how to start it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    pub command: Vec<String>,
}

/// `[rate_limits]`: calls per minute for each API, shared by every request of a run.
/// Zero is refused by the type; `enabled = false` sends without pacing.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: Option<bool>,
    /// For every service without its own value (and IAM); 60 when absent.
    pub default: Option<std::num::NonZeroU32>,
    pub rds: Option<std::num::NonZeroU32>,
    pub ddm: Option<std::num::NonZeroU32>,
    pub taurusdb: Option<std::num::NonZeroU32>,
    pub cbr: Option<std::num::NonZeroU32>,
    pub dcs: Option<std::num::NonZeroU32>,
    /// Without a PostgreSQL state: this process keeps to 1/`share` of every limit, so that
    /// `share` processes of one cloud user stay under it together.
    pub share: Option<Spanned<std::num::NonZeroU32>>,
    /// With a PostgreSQL state: share the budget with every process of the cloud user
    /// through the database (default), or not (`false`: this process alone).
    pub shared: Option<bool>,
    /// Seconds the limits count in (60: OTC documents calls per minute). Only for a
    /// gateway that documents another window, or a test that scales time down.
    pub window: Option<std::num::NonZeroU32>,
}

impl RateLimitSettings {
    /// The providers' budget; `time_scale` is the rehearsal's (1 against the cloud).
    pub fn limits(&self, time_scale: f64) -> rewind_providers::RateLimits {
        let mut limits = rewind_providers::RateLimits {
            enabled: self.enabled.unwrap_or(true),
            time_scale,
            ..rewind_providers::RateLimits::default()
        };
        if let Some(n) = self.default {
            limits.per_minute = n.get();
        }
        if let Some(n) = &self.share {
            limits.share = n.get_ref().get();
        }
        if let Some(secs) = self.window {
            limits.window = Duration::from_secs(u64::from(secs.get()));
        }
        let own = [
            (Service::Rds, self.rds),
            (Service::Ddm, self.ddm),
            (Service::Taurusdb, self.taurusdb),
            (Service::Cbr, self.cbr),
            (Service::Dcs, self.dcs),
        ];
        for (service, n) in own {
            if let Some(n) = n {
                limits.per_service.insert(service, n.get());
            }
        }
        limits
    }
}

/// Backoff of retried requests (429, 5xx, network), in seconds.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySettings {
    /// First backoff; doubles with each attempt.
    pub base: Option<Spanned<f64>>,
    /// Longest backoff.
    pub cap: Option<Spanned<f64>>,
}

/// How apply follows jobs, in (real) seconds; with `--simulate` they are divided by the
/// time scale.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollingSettings {
    /// Wait before the first poll of a new job.
    pub first: Option<Spanned<f64>>,
    /// Shortest and longest wait between polls.
    pub min: Option<Spanned<f64>>,
    pub max: Option<Spanned<f64>>,
    /// Wait before looking for the job of an ambiguous submit (doubles on each try).
    pub reconcile_delay: Option<Spanned<f64>>,
}

/// Defaults for `--simulate` and `rewind sim`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSettings {
    pub time_scale: Option<Spanned<f64>>,
    pub seed: Option<u64>,
}

/// Longest `[polling]` value, in seconds: a day between polls is already no polling at all.
pub const MAX_POLL_SECS: f64 = 86_400.0;
/// Longest `[retry]` value, in seconds.
pub const MAX_RETRY_SECS: f64 = 3_600.0;
/// Most restores in flight that `parallelism` and `[limits]` accept.
pub const MAX_PARALLELISM: usize = 10_000;
/// `[simulator] time_scale` bounds.
pub const TIME_SCALE_RANGE: (f64, f64) = (0.001, 1_000_000.0);
/// Longest `[timeouts] lost_grace`.
pub const MAX_LOST_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The `[timeouts]` table, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutSettings {
    pub timeouts: Timeouts,
    pub lost_grace: Duration,
    pub lost_polls: u32,
}

impl Default for TimeoutSettings {
    fn default() -> Self {
        TimeoutSettings {
            timeouts: Timeouts::default(),
            lost_grace: DEFAULT_LOST_GRACE,
            lost_polls: DEFAULT_LOST_POLLS,
        }
    }
}

/// Bounds of `lock_lease`: renewals every third of it must fit, and a dead holder's lock
/// must free within the hour.
pub const MIN_LOCK_LEASE: Duration = Duration::from_millis(100);
pub(crate) const MAX_LOCK_LEASE_SECS: f64 = 3600.0;
