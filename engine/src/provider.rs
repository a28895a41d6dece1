//! The `Provider` trait: how the engine talks to one cloud service, without knowing HTTP.

use crate::kinds::{ApiRequest, OpSpec, Service};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a provider is asked to act on: the resolved operation and its rendered request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub name: String,
    pub spec: OpSpec,
    pub request: ApiRequest,
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
}

impl Handle {
    pub fn id(&self) -> &str {
        match self {
            Handle::Job { job_id } => job_id,
            Handle::Restore { restore_id } => restore_id,
            Handle::CbrRestore {
                operation_log_id: Some(id),
                ..
            } => id,
            Handle::CbrRestore { backup_id, .. } => backup_id,
            Handle::External { handle } => handle,
        }
    }
}

/// A job's state as last observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PollOutcome {
    Running {
        /// 0..=100 where the service reports it.
        percent: Option<u8>,
        /// A refined handle (e.g. CBR's operation log once found), to be persisted.
        handle: Option<Handle>,
    },
    Succeeded {
        outputs: BTreeMap<String, String>,
    },
    Failed {
        reason: String,
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
}

/// Why a submit did not yield a handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The API said plainly that it did not run the restore (4xx, or 429 after retries).
    #[error("rejected by the API: HTTP {status} {code}: {message}")]
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
}

/// The providers available to a run, one per service.
pub type Providers = std::collections::BTreeMap<Service, std::sync::Arc<dyn Provider>>;
