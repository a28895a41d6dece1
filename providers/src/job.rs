//! The asynchronous job that RDS, TaurusDB and DDM report (`{"job": {...}}`), and its outcome.

use crate::client::{Client, ClientError};
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{
    Handle, Operation, Percent, PollOutcome, ProviderError, SubmitError,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// A job as read from a job query or a job list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub name: String,
    /// `Running`, `Completed`, `Failed` (DDM lists add shard states, treated as running).
    pub status: String,
    pub percent: Option<Percent>,
    pub fail_reason: Option<String>,
    /// `instance.id` of a job query, or `instance_id` of a list item.
    pub instance_id: Option<String>,
    /// `created` (RDS, TaurusDB jobs), `create_time` (RDS instant tasks) or `created_time`
    /// (DDM), in epoch ms.
    pub created_ms: Option<i64>,
}

impl Job {
    pub fn from_value(job: &Value) -> Option<Job> {
        let text = |key: &str| job[key].as_str().map(str::to_owned);
        Some(Job {
            id: text("id")?,
            name: text("name").unwrap_or_default(),
            // One documented example spells the key `" status"`; a stray space is no reason to
            // lose a job.
            status: text("status").or_else(|| {
                job.as_object()?
                    .iter()
                    .find(|(k, _)| k.trim() == "status")
                    .and_then(|(_, v)| v.as_str().map(str::to_owned))
            })?,
            percent: percent(&job["process"]),
            fail_reason: text("fail_reason").filter(|r| !r.is_empty()),
            instance_id: job["instance"]["id"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| text("instance_id")),
            created_ms: ["created", "create_time", "created_time"]
                .iter()
                .find_map(|k| wire_time::value_ms(&job[*k])),
        })
    }

    /// The poll outcome; a success reports the job id and the instance it ran on.
    pub fn outcome(&self, target_instance_id: &str) -> PollOutcome {
        match self.status.as_str() {
            "Completed" => PollOutcome::Succeeded {
                outputs: BTreeMap::from([
                    ("job_id".to_owned(), self.id.clone()),
                    ("instance_id".to_owned(), target_instance_id.to_owned()),
                ]),
            },
            "Failed" => PollOutcome::Failed {
                reason: self
                    .fail_reason
                    .clone()
                    .unwrap_or_else(|| format!("job {} failed", self.id)),
            },
            _ => PollOutcome::Running {
                percent: self.percent,
                handle: None,
            },
        }
    }
}

/// Progress as the services write it: `"60%"`, `"60% "`, `"60"`, `60`, `"99.81"` or `""`.
/// Decimals are kept, and a running job is never read as 100% (see [`Percent`]).
pub fn percent(process: &Value) -> Option<Percent> {
    let n = match process {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok()?,
        _ => return None,
    };
    Percent::running(n)
}

/// "The job does not exist" (`DBS.200543`): a fresh job id is queryable only seconds after
/// submission (otc-api.md §2.4), so this means "not yet", not "failed".
pub fn is_not_yet_visible(e: &ClientError) -> bool {
    e.api().is_some_and(|a| a.code == "DBS.200543")
}

/// "Not yet visible" or a plain 404 on a job query: the service does not know the job.
pub fn is_not_found(e: &ClientError) -> bool {
    is_not_yet_visible(e) || e.api().is_some_and(|a| a.status == 404)
}

/// RDS and TaurusDB list no restore jobs, so when reconcile finds the target `RESTORING` but
/// no job id, it adopts the restore under this handle and follows the instance status.
const INSTANCE_HANDLE_PREFIX: &str = "instance-status:";

pub fn instance_handle(target_instance_id: &str) -> Handle {
    Handle::Job {
        job_id: format!("{INSTANCE_HANDLE_PREFIX}{target_instance_id}"),
    }
}

pub fn is_instance_handle(job_id: &str) -> bool {
    job_id.starts_with(INSTANCE_HANDLE_PREFIX)
}

/// The outcome an instance status implies for an adopted restore: back to `ACTIVE` is done,
/// `FAILED` is failed (the services mark a failed restore's target so), anything else runs.
pub fn instance_outcome(status: Option<&str>, target_instance_id: &str) -> PollOutcome {
    match status {
        Some("ACTIVE") => PollOutcome::Succeeded {
            outputs: BTreeMap::from([("instance_id".to_owned(), target_instance_id.to_owned())]),
        },
        Some(status @ "FAILED") => PollOutcome::Failed {
            reason: format!("target instance {target_instance_id} is {status}"),
        },
        _ => PollOutcome::Running {
            percent: None,
            handle: None,
        },
    }
}

/// POSTs the rendered request of `op` and reads the `job_id` it answers with.
pub async fn submit(
    client: &Client,
    service: Service,
    op: &Operation,
) -> Result<Handle, SubmitError> {
    checked_request(service, op)?;
    let reply = client.post_op(service, op).await?;
    // Legacy DDM APIs spell it `jobId` (otc-api.md §1.4).
    let job_id = reply.body["job_id"]
        .as_str()
        .or_else(|| reply.body["jobId"].as_str());
    match job_id {
        Some(id) if !id.is_empty() => Ok(Handle::Job {
            job_id: id.to_owned(),
        }),
        _ => Err(SubmitError::Ambiguous {
            message: format!(
                "{service}: accepted (HTTP {}) but the answer named no job_id",
                reply.status
            ),
        }),
    }
}

/// The request of `op`, if it is one for `service` (a mismatch is an engine bug: never sent).
pub fn checked_request(
    service: Service,
    op: &Operation,
) -> Result<&rewind_engine::kinds::ApiRequest, SubmitError> {
    if op.request.service == service && op.request.method.eq_ignore_ascii_case("POST") {
        Ok(&op.request)
    } else {
        Err(SubmitError::NotSent {
            message: format!(
                "{} {} {} was handed to the {service} provider; nothing was sent",
                op.name, op.request.method, op.request.service
            ),
        })
    }
}

/// Reads one job at `path` (`query` selects it) and turns it into a poll outcome.
pub async fn poll(
    client: &Client,
    service: Service,
    path: &str,
    query: &Query,
    target_instance_id: &str,
) -> Result<PollOutcome, ProviderError> {
    match client.get(service, path, query).await {
        Ok(reply) => Job::from_value(&reply.body["job"])
            .map(|job| job.outcome(target_instance_id))
            .ok_or_else(|| ProviderError {
                message: format!("{service}: the job answer has no job id or status"),
                transient: true,
            }),
        Err(e) if is_not_found(&e) => Ok(PollOutcome::NotFound {
            detail: e.to_string(),
        }),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rds_job_query() {
        let body = json!({"job": {"id": "31b8", "name": "CreateMysqlSingleHAInstance", "status": "Failed",
            "created": "2018-08-06T10:41:14+0000", "ended": "2018-08-06T16:41:14+0000", "process": "",
            "instance": {"id": "a48ein01", "name": "x"}, "entities": {}, "fail_reason": "createVM failed."}});
        let job = Job::from_value(&body["job"]).unwrap();
        assert_eq!(job.instance_id.as_deref(), Some("a48ein01"));
        assert_eq!(job.percent, None);
        assert!(job.created_ms.is_some());
        assert_eq!(
            job.outcome("t"),
            PollOutcome::Failed {
                reason: "createVM failed.".into()
            }
        );
    }

    #[test]
    fn ddm_list_item_and_progress_forms() {
        let item = json!({"instance_id": "i9in09", "id": "j1", "name": "RestoreInstance", "status": "Running",
            "created_time": "2018-08-06T10:41:14+0100", "process": "60%"});
        let job = Job::from_value(&item).unwrap();
        assert_eq!(
            (job.instance_id.as_deref(), job.percent),
            (Some("i9in09"), Percent::running(60.0))
        );
        assert_eq!(
            job.outcome("t"),
            PollOutcome::Running {
                percent: Percent::running(60.0),
                handle: None
            }
        );
        let pct = |v: f64| Percent::running(v);
        assert_eq!(percent(&json!("60% ")), pct(60.0));
        assert_eq!(percent(&json!("60")), pct(60.0));
        assert_eq!(percent(&json!("99.81")).map(Percent::as_f64), Some(99.81));
        // A running job is never 100%.
        assert_eq!(percent(&json!(100)), Some(Percent::RUNNING_MAX));
        // Not a percent: unknown progress, never "almost done".
        assert_eq!(percent(&json!("1e309")), None);
        assert_eq!(percent(&json!(1e300)), None);
        assert_eq!(percent(&json!("150%")), None);
        assert_eq!(percent(&json!(-3)), None);
        assert_eq!(percent(&json!("NaN")), None);
        assert_eq!(percent(&json!("")), None);
        let done = Job {
            status: "Completed".into(),
            ..job
        };
        let PollOutcome::Succeeded { outputs } = done.outcome("tgt") else {
            panic!()
        };
        assert_eq!(outputs["job_id"], "j1");
        assert_eq!(outputs["instance_id"], "tgt");
    }

    #[test]
    fn garbage_is_not_a_job() {
        assert_eq!(Job::from_value(&json!({"status": "Running"})), None);
        assert_eq!(Job::from_value(&json!(null)), None);
    }
}
