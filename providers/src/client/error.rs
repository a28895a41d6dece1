//! `ClientError`: what a failed read turns into, and how a failed submit is classified.

use super::target::Target;
use crate::api_error::ApiError;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{ProviderError, SubmitError};

/// Why a read failed, after the client's own retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error status.
    #[error("{service}: {error}")]
    Api {
        service: &'static str,
        error: ApiError,
    },
    /// No usable answer: connection refused or reset, timeout, unreadable body.
    #[error("{service}: {message}")]
    Transport {
        service: &'static str,
        message: String,
    },
    /// IAM would not give a token or a project id; `error` is IAM's answer when there was one.
    #[error("authentication ({method}) failed: {message}")]
    Auth {
        method: &'static str,
        message: String,
        error: Option<ApiError>,
        transient: bool,
    },
    #[error(
        "no endpoint for {service}: set {} or the region (OS_REGION_NAME)",
        crate::env::endpoint_var(*service)
    )]
    NoEndpoint { service: Service },
}

impl ClientError {
    /// True when trying again later may help (throttling, 5xx, network).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Api { error, .. } => is_transient_status(error.status),
            ClientError::Transport { .. } => true,
            ClientError::Auth { transient, .. } => *transient,
            ClientError::NoEndpoint { .. } => false,
        }
    }

    /// The service's error, when it answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<ClientError> for ProviderError {
    fn from(e: ClientError) -> ProviderError {
        ProviderError {
            transient: e.is_transient(),
            message: e.to_string(),
        }
    }
}

pub(super) fn is_transient_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The request provably never reached the service: a definite "did not run".
pub(super) fn not_sent(target: Target, message: &str) -> SubmitError {
    SubmitError::NotSent {
        message: format!("{}: {message}", target.label()),
    }
}

/// A failure before the POST went out (auth, endpoint): the restore did not run.
pub(super) fn before_sending(target: Target, e: &ClientError) -> SubmitError {
    match e {
        ClientError::Auth {
            error: Some(api), ..
        } => SubmitError::Rejected {
            status: api.status,
            code: api.code.clone(),
            message: format!("{}: the request was not sent: {e}", target.label()),
        },
        _ => not_sent(target, &e.to_string()),
    }
}
