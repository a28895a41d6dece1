//! Apply: walk the plan as a ready queue and drive each restore submit -> poll -> done, durably.

mod events;
mod outputs;
mod poll_policy;
mod walker;

pub use events::{ApplyHooks, Event, RecordingHooks};
pub use poll_policy::PollPolicy;
pub use walker::apply;

use crate::kinds::{Kind, Service};
use crate::state::StateError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// How apply schedules work.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Most restores in flight at once; 0 means no limit.
    pub parallelism: usize,
    /// Most restores in flight per service.
    pub limits: BTreeMap<Service, usize>,
    /// Stop launching after the first failure.
    pub fail_fast: bool,
    pub poll: PollPolicy,
    /// How often to look for the job of an ambiguous submit before calling it unknown.
    pub reconcile_attempts: u32,
    /// Wait before the first reconcile look: jobs can take a while to become visible.
    pub reconcile_delay: Duration,
    /// How long apply waits for an operation without its own `timeout:`.
    pub timeouts: Timeouts,
    /// A job answered "not found" is called lost only this long after its submit...
    pub lost_grace: Duration,
    /// ...and after this many "not found" answers in a row.
    pub lost_polls: u32,
    /// Where the values of secret references come from, at submit time.
    pub secrets: SecretsHandle,
}

/// The run's secret source; `None` when the spec uses no secrets.
#[derive(Clone, Default)]
pub struct SecretsHandle(pub Option<std::sync::Arc<dyn crate::provider::Secrets>>);

impl std::fmt::Debug for SecretsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "SecretsHandle(..)"
        } else {
            "SecretsHandle(none)"
        })
    }
}

/// Built-in wait for one operation, when neither the spec nor `rewind.toml` sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// Built-in grace period after a submit before "not found" can mean "lost".
pub const DEFAULT_LOST_GRACE: Duration = Duration::from_secs(10 * 60);
/// Built-in number of consecutive "not found" answers before a job is called lost.
pub const DEFAULT_LOST_POLLS: u32 = 5;

/// How long apply waits for operations, by kind, before it stops waiting (the job keeps
/// running in the cloud, and the next apply re-attaches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    pub default: Duration,
    pub per_kind: BTreeMap<Kind, Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            default: DEFAULT_TIMEOUT,
            per_kind: BTreeMap::new(),
        }
    }
}

impl Timeouts {
    pub fn for_kind(&self, kind: Kind) -> Duration {
        self.per_kind.get(&kind).copied().unwrap_or(self.default)
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            limits: BTreeMap::new(),
            fail_fast: false,
            poll: PollPolicy::default(),
            reconcile_attempts: 4,
            reconcile_delay: Duration::from_secs(5),
            timeouts: Timeouts::default(),
            lost_grace: DEFAULT_LOST_GRACE,
            lost_polls: DEFAULT_LOST_POLLS,
            secrets: SecretsHandle::default(),
        }
    }
}

/// What happened to each operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyOutcome {
    pub succeeded: Vec<String>,
    pub unchanged: Vec<String>,
    pub failed: Vec<String>,
    /// Not started because something they depend on did not succeed.
    pub skipped: Vec<String>,
    /// Ambiguous submits that reconcile could not resolve (need `--resubmit`).
    pub unknown: Vec<String>,
    /// Still running in the cloud when apply stopped; the next apply re-attaches.
    pub in_flight: Vec<String>,
    pub forgotten: Vec<String>,
    /// Records renamed to their operation's new name (by the new name).
    #[serde(default)]
    pub moved: Vec<String>,
    /// Of `in_flight`: those apply stopped waiting for at their timeout.
    pub timed_out: Vec<String>,
    /// The run was stopped by a cancel request (Ctrl-C).
    pub interrupted: bool,
}

impl ApplyOutcome {
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.unknown.is_empty()
            && self.in_flight.is_empty()
            && !self.interrupted
    }
}

/// Apply stops only when it cannot record what it does.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("state could not be written, so apply stopped: {0}")]
    State(#[from] StateError),
    /// A bug in the walker (e.g. work in progress with no call in flight); apply stops rather
    /// than wait forever. Every transition before it is recorded.
    #[error("internal error, apply stopped: {0}")]
    Internal(String),
}
