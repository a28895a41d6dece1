//! The `Provider` trait: how the engine talks to one cloud service, without knowing HTTP.

use crate::kinds::{ApiRequest, OpSpec, Secret, SecretRef, Service};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a provider is asked to act on: the resolved operation and its rendered request.
/// `request.body` shows every secret as `(sensitive)`; the values travel apart, in
/// `secrets`, and reach the wire only through [`Operation::wire_body`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub name: String,
    pub spec: OpSpec,
    pub request: ApiRequest,
    /// JSON pointer into `request.body` -> the secret's value, resolved at submit time.
    #[serde(skip)]
    pub secrets: BTreeMap<String, Secret>,
}

impl Operation {
    pub fn new(name: String, spec: OpSpec, request: ApiRequest) -> Operation {
        Operation {
            name,
            spec,
            request,
            secrets: BTreeMap::new(),
        }
    }

    /// The body to send: `request.body` with each secret's value in its place. Never log it,
    /// and never put it in an error message.
    pub fn wire_body(&self) -> serde_json::Value {
        let mut body = self.request.body.clone();
        for (pointer, secret) in &self.secrets {
            if let Some(slot) = body.pointer_mut(pointer) {
                *slot = serde_json::Value::String(secret.expose().to_owned());
            }
        }
        body
    }
}

/// Looks up secret values at submit time (the CLI reads the environment or a file). The engine
/// holds them in memory only, for the one POST that needs them.
pub trait Secrets: Send + Sync {
    /// The value of `reference`, or why it cannot be had (never including the value).
    fn resolve(&self, reference: &SecretRef) -> Result<Secret, String>;
}

/// How to follow a submitted restore; persisted in state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Handle {
    /// RDS, DDM and TaurusDB: a `job_id`.
    Job { job_id: String },
    /// DCS: a `restore_id` among the instance's restore records.
    Restore { restore_id: String },
    /// CBR answers 202 with no body: the backup plus the submit time identify the operation
    /// log; `operation_log_id` is filled in once a log is found.
    CbrRestore {
        backup_id: String,
        submitted_at: i64,
        operation_log_id: Option<String>,
    },
    /// An external provider's opaque handle, kept as the JSON text the plugin gave.
    External { handle: String },
    /// A restore into a new instance: the instance it creates, and the creation job when
    /// known (a create adopted by its name has no job: its instance status is followed).
    Create {
        instance_id: String,
        job_id: Option<String>,
    },
}

impl Handle {
    // Each arm returns the field that identifies its kind of handle; merging them would only
    // rename the bindings.
    #[allow(clippy::match_same_arms)]
    pub fn id(&self) -> &str {
        match self {
            Handle::Job { job_id } => job_id,
            Handle::Restore { restore_id } => restore_id,
            Handle::CbrRestore {
                operation_log_id: Some(id),
                ..
            }
            | Handle::Create {
                job_id: Some(id), ..
            } => id,
            Handle::CbrRestore { backup_id, .. } => backup_id,
            Handle::External { handle: id }
            | Handle::Create {
                instance_id: id, ..
            } => id,
        }
    }
}

/// A job's progress as the service reports it, kept to hundredths (DCS reports `"99.81"`).
/// A running job is never 100%: the value is capped just below it, so "almost done" is not
/// mistaken for "no progress" (see `PollPolicy::next`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "f64", try_from = "f64")]
pub struct Percent(u16);

impl Percent {
    /// The largest value a running job may report: 99.99%.
    pub const RUNNING_MAX: Percent = Percent(9_999);

    /// A running job's progress; `None` for a value that is no percent: not a number,
    /// infinite, below 0 or above 100 (a `1e309` once read as 99.99%, so the job was polled as
    /// if about to end). 100 from a running job is read as 99.99.
    pub fn running(value: f64) -> Option<Percent> {
        if !value.is_finite() || !(0.0..=100.0).contains(&value) {
            return None;
        }
        let hundredths = (value * 100.0).round();
        // In range after the clamp, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let h = hundredths as u16;
        Some(Percent(h.min(Self::RUNNING_MAX.0)))
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// Whether any progress at all is reported.
    pub fn is_started(self) -> bool {
        self.0 > 0
    }

    /// The whole percent, rounded down (for a progress bar).
    pub fn whole(self) -> u8 {
        u8::try_from(self.0 / 100).unwrap_or(99)
    }
}

impl From<Percent> for f64 {
    fn from(p: Percent) -> f64 {
        p.as_f64()
    }
}

impl TryFrom<f64> for Percent {
    type Error = String;
    fn try_from(v: f64) -> Result<Percent, String> {
        Percent::running(v).ok_or_else(|| format!("{v} is not a percent"))
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_multiple_of(100) {
            write!(f, "{}%", self.0 / 100)
        } else {
            write!(f, "{:.2}%", self.as_f64())
        }
    }
}

/// A job's state as last observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PollOutcome {
    Running {
        /// Where the service reports it; never 100 while running.
        percent: Option<Percent>,
        /// A refined handle (e.g. CBR's operation log once found), to be persisted.
        handle: Option<Handle>,
    },
    Succeeded {
        outputs: BTreeMap<String, String>,
    },
    Failed {
        reason: String,
    },
    /// The service answered, but does not know the job: "not found" or "not yet visible"
    /// (`DBS.200543`, a missing CBR operation log or DCS restore record). Normal for a few
    /// seconds after a submit; apply calls the job lost only after a grace period and several
    /// such answers in a row.
    NotFound {
        /// What the service said, for the message.
        detail: String,
    },
}

/// The result of one preflight check, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked, e.g. "target instance status".
    pub name: String,
    pub passed: bool,
    /// The value seen in the cloud, e.g. "ACTIVE".
    pub observed: String,
    /// Answered by something a rehearsal invented (see [`crate::plan::mark_assumed`]), so it
    /// checked nothing real.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub assumed: bool,
}

/// Why a submit did not yield a handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The API said plainly that it did not run the restore (4xx, or 429 after retries).
    /// `status` 0 (and an empty `code`): not an HTTP API (a plugin); the message says who.
    #[error("{}", rejection_text(*status, code, message))]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// The request may have taken effect (connection cut after sending, timeout, 5xx).
    #[error("outcome unknown: {message}")]
    Ambiguous { message: String },
    /// The request provably never reached the service (no connection, no credentials).
    #[error("not sent: {message}")]
    NotSent { message: String },
}

/// A read (poll, preflight, reconcile) that failed after the client's own retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub message: String,
    /// True when trying again later may help (throttling, 5xx, network).
    pub transient: bool,
}

/// Restorable windows: `(start, end)` in epoch ms, both inclusive.
pub type Windows = Vec<(i64, i64)>;

/// One cloud service. Offline concerns (validation, footprints, request rendering) live in
/// [`crate::kinds`] so that `validate` and `plan --offline` need no provider.
pub trait Provider: Send + Sync {
    fn service(&self) -> Service;
    /// Gets ready to submit (e.g. fetches a token). Apply awaits it *before* recording
    /// `submitting`, so that the window in which a crash leaves an ambiguous submit holds
    /// only the POST itself.
    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
    /// Read-only checks against the cloud before anything runs.
    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>>;
    /// Sends the POST once (retrying only where the API said it did not run it).
    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>>;
    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>>;
    /// After an ambiguous submit at `submitted_at` (epoch ms): finds the job it created, if any.
    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>>;
    /// What to tell the user when reconcile found nothing: a service that keeps no record of
    /// finished restores (TaurusDB) says how to check by hand before anyone resubmits. `None`
    /// keeps the generic advice.
    fn unknown_advice(&self, _op: &Operation) -> Option<String> {
        None
    }

    /// How long the service asked to wait before the first poll of a job it just accepted
    /// (a plugin's `poll_after_ms`). Apply keeps it within the poll policy's `min` and
    /// `max`; `None` leaves the policy's `first`.
    fn first_poll_after(&self, _handle: &Handle) -> Option<std::time::Duration> {
        None
    }

    // Drills: what a probe connects to, and how scratch instances are found and deleted.
    // A service that cannot do one says so (`unsupported`), and the drill reports it.

    /// The instance `id` as the cloud reports it (`None`: the cloud does not know it).
    fn instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<InstanceInfo>, ProviderError>> {
        let _ = id;
        Box::pin(async move { Err(unsupported(self.service(), "look up an instance")) })
    }
    /// The instance named exactly `name`, if there is one: how a crashed drill's create is
    /// found.
    fn instance_by_name<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<InstanceInfo>, ProviderError>> {
        let _ = name;
        Box::pin(async move { Err(unsupported(self.service(), "look up an instance by name")) })
    }
    /// Sends one DELETE for instance `id`. An instance already gone is [`DeleteOutcome::Gone`].
    fn delete_instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<DeleteOutcome, ProviderError>> {
        let _ = id;
        Box::pin(async move { Err(unsupported(self.service(), "delete an instance")) })
    }
    /// The windows (epoch ms, inclusive) in which instance `source` can be restored to a point
    /// in time, as the cloud offers them now: what `restore_time: latest` and `random_within`
    /// choose from. `None`: this service lists no such windows.
    fn restorable_windows<'a>(
        &'a self,
        source: &'a str,
    ) -> BoxFuture<'a, Result<Option<Windows>, ProviderError>> {
        let _ = source;
        Box::pin(async { Ok(None) })
    }
    /// The newest finished backup of `instance` and when it was completed (epoch ms): what
    /// `backup_id: latest` restores. `None`: there is none, or this service cannot say.
    fn latest_backup<'a>(
        &'a self,
        instance: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, ProviderError>> {
        let _ = instance;
        Box::pin(async { Ok(None) })
    }
    /// The recovery point `op` restored, in epoch ms: its `restore_time`, or the end time of
    /// the backup it restored. `None` when the service does not say.
    fn recovery_point<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Option<i64>, ProviderError>> {
        Box::pin(async move { Ok(op.spec.restore_time()) })
    }
}

/// The error of a drill call a provider does not implement.
pub fn unsupported(service: Service, what: &str) -> ProviderError {
    ProviderError {
        message: format!("the {service} provider cannot {what}"),
        transient: false,
    }
}

/// An instance as its service reports it, for drill probes and clean-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    pub id: String,
    pub name: String,
    /// The service's own status word (`ACTIVE`, `BUILD`, `RUNNING`, `normal`...).
    pub status: String,
    /// The private IP (RDS, DDS) or IP (DCS) and port the service reports.
    pub host: Option<String>,
    pub port: Option<u16>,
}

/// What one DELETE did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeleteOutcome {
    /// The service accepted the delete (the instance may take a while to go).
    Accepted { job_id: Option<String> },
    /// There is no such instance (any more).
    Gone,
    /// The service refused for now because of the instance's state (RDS `DBS.200019` while
    /// it is being created or restored): try again once it is stable.
    Busy { detail: String },
}

/// The providers available to a run, one per service.
pub type Providers = std::collections::BTreeMap<Service, std::sync::Arc<dyn Provider>>;

/// How a rejection reads: `rejected by the API: HTTP 400 CODE: message` for an HTTP API,
/// `rejected: message` for a refusal that was not HTTP (a plugin's).
pub fn rejection_text(status: u16, code: &str, message: &str) -> String {
    match (status, code.is_empty()) {
        (0, true) => format!("rejected: {message}"),
        (0, false) => format!("rejected ({code}): {message}"),
        (_, true) => format!("rejected by the API: HTTP {status}: {message}"),
        (_, false) => format!("rejected by the API: HTTP {status} {code}: {message}"),
    }
}
