//! What RDS and TaurusDB (the DBS family) share: following a restore by job or by the target's status.

use crate::client::Client;
use crate::job;
use crate::query::Query;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{Handle, PollOutcome, ProviderError};
use serde_json::Value;
use std::future::Future;

/// An instance read: the instance, a definite "not there" (`Err(why)`), or a failed read.
pub type InstanceRead = Result<Result<Value, String>, ProviderError>;

/// Follows a restore of `target_id`: a job through `GET /v3/{project_id}/jobs?id=`, or a
/// restore adopted by status (`job::instance_handle`) through `instance`, which is read only
/// then.
pub async fn poll(
    client: &Client,
    service: Service,
    handle: &Handle,
    target_id: &str,
    instance: impl Future<Output = InstanceRead>,
) -> Result<PollOutcome, ProviderError> {
    match handle {
        Handle::Job { job_id } if job::is_instance_handle(job_id) => match instance.await? {
            Ok(inst) => Ok(job::instance_outcome(inst["status"].as_str(), target_id)),
            Err(why) => Err(ProviderError {
                message: format!("{service}: target instance {target_id}: {why}"),
                transient: false,
            }),
        },
        Handle::Job { job_id } => {
            let query = Query::new().with("id", job_id);
            job::poll(client, service, "/v3/{project_id}/jobs", &query, target_id).await
        }
        other => Err(ProviderError {
            message: format!("{service}: cannot follow a {other:?} handle"),
            transient: false,
        }),
    }
}

/// After an ambiguous submit: a target in `RESTORING` shows that the POST took effect, and is
/// adopted under a status handle. The status carries no time, so it is the last resort.
pub async fn adopt_restoring(
    target_id: &str,
    instance: impl Future<Output = InstanceRead>,
) -> Result<Option<Handle>, ProviderError> {
    Ok(match instance.await? {
        Ok(inst) if inst["status"].as_str() == Some("RESTORING") => {
            Some(job::instance_handle(target_id))
        }
        _ => None,
    })
}
