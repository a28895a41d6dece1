//! `RdsProvider`: `rds.restore` (PITR or backup onto an existing instance), polled as an RDS job.

use crate::check::{self, check};
use crate::client::Client;
use crate::job;
use crate::query::Query;
use crate::wire_time::{self, CLOCK_SKEW_MS};
use rewind_engine::kinds::{OpSpec, RdsRestore, RestoreType, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct RdsProvider {
    client: Arc<Client>,
}

impl RdsProvider {
    pub fn new(client: Arc<Client>) -> RdsProvider {
        RdsProvider { client }
    }

    async fn instance(&self, id: &str) -> Result<Result<Value, String>, ProviderError> {
        let query = Query::new().with("id", id);
        let found = check::fetch(
            &self.client,
            Service::Rds,
            "/v3/{project_id}/instances",
            &query,
        )
        .await?;
        Ok(found.and_then(|body| {
            check::find(check::array(&body["instances"]), "id", id)
                .cloned()
                .ok_or_else(|| "not found".to_owned())
        }))
    }

    /// The newest task on `instance_id` created at or after `since` (less clock skew), from
    /// `GET /v3/{project_id}/tasklist`. A service without the list answers "none".
    async fn newest_task(
        &self,
        instance_id: &str,
        since: i64,
    ) -> Result<Option<String>, ProviderError> {
        let query = Query::new()
            .with("instance_id", instance_id)
            .with("start_time", since - CLOCK_SKEW_MS)
            .with("limit", 50);
        let Ok(found) = check::fetch(
            &self.client,
            Service::Rds,
            "/v3/{project_id}/tasklist",
            &query,
        )
        .await?
        else {
            return Ok(None);
        };
        let newest = check::array(&found["tasks"])
            .iter()
            .filter(|t| t["instance_id"].as_str() == Some(instance_id))
            .filter_map(|t| Some((wire_time::value_ms(&t["created"])?, t["id"].as_str()?)))
            .filter(|(created, _)| *created >= since - CLOCK_SKEW_MS)
            .max_by_key(|(created, _)| *created);
        Ok(newest.map(|(_, id)| id.to_owned()))
    }

    async fn checks(&self, spec: &RdsRestore) -> Result<Vec<Check>, ProviderError> {
        let source_id = &spec.source.instance_id;
        let target_id = &spec.target.instance_id;
        let source = self.instance(source_id).await?;
        let target = self.instance(target_id).await?;
        let mut checks = vec![
            check::exists(format!("source instance {source_id} exists"), &source),
            check::status(
                format!("target instance {target_id} is ACTIVE"),
                &target,
                &["ACTIVE"],
            ),
        ];
        if let (Ok(source), Ok(target)) = (&source, &target) {
            let engine = |i: &Value| i["datastore"]["type"].as_str().map(str::to_ascii_lowercase);
            if let (Some(s), Some(t)) = (engine(source), engine(target)) {
                checks.push(check(
                    "target engine matches the source",
                    s == t,
                    format!("{s} -> {t}"),
                ));
            }
            let size = |i: &Value| i["volume"]["size"].as_u64();
            if let (Some(s), Some(t)) = (size(source), size(target)) {
                checks.push(check(
                    "target storage is at least the source's",
                    t >= s,
                    format!("{s} GB -> {t} GB"),
                ));
            }
        }
        match (
            spec.source.restore_type,
            spec.source.restore_time,
            &spec.source.backup_id,
        ) {
            (RestoreType::Timestamp, Some(time), _) => {
                let name = "restore_time is inside the source's restorable window";
                let path = format!("/v3/{{project_id}}/instances/{source_id}/restore-time");
                checks.push(
                    match check::fetch(&self.client, Service::Rds, &path, &Query::new()).await? {
                        Ok(body) => {
                            check::window(name, time, &check::windows(&body["restore_time"]))
                        }
                        Err(why) => check(name, false, why),
                    },
                );
            }
            (RestoreType::Backup, _, Some(backup_id)) => {
                let query = Query::new()
                    .with("instance_id", source_id)
                    .with("backup_id", backup_id);
                let found = check::fetch(
                    &self.client,
                    Service::Rds,
                    "/v3/{project_id}/backups",
                    &query,
                )
                .await?;
                let backup = found.and_then(|body| {
                    check::find(check::array(&body["backups"]), "id", backup_id)
                        .cloned()
                        .ok_or_else(|| format!("not among the backups of {source_id}"))
                });
                checks.push(check::status(
                    format!("backup {backup_id} exists and is COMPLETED"),
                    &backup,
                    &["COMPLETED"],
                ));
            }
            // The loader guarantees type and fields agree; nothing to read otherwise.
            _ => {}
        }
        Ok(checks)
    }

    async fn poll_instance(&self, target_id: &str) -> Result<PollOutcome, ProviderError> {
        match self.instance(target_id).await? {
            Ok(inst) => Ok(job::instance_outcome(inst["status"].as_str(), target_id)),
            Err(why) => Err(ProviderError {
                message: format!("rds: target instance {target_id}: {why}"),
                transient: false,
            }),
        }
    }
}

fn spec(op: &Operation) -> Result<&RdsRestore, ProviderError> {
    match &op.spec {
        OpSpec::Rds(spec) => Ok(spec),
        other => Err(ProviderError {
            message: format!(
                "{}: {} was handed to the rds provider",
                op.name,
                other.kind()
            ),
            transient: false,
        }),
    }
}

impl Provider for RdsProvider {
    fn service(&self) -> Service {
        Service::Rds
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(self.client.prepare(Service::Rds))
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move { self.checks(spec(op)?).await })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(job::submit(&self.client, Service::Rds, op))
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async move {
            let target_id = &spec(op)?.target.instance_id;
            match handle {
                Handle::Job { job_id } if job::is_instance_handle(job_id) => {
                    self.poll_instance(target_id).await
                }
                Handle::Job { job_id } => {
                    let query = Query::new().with("id", job_id);
                    job::poll(
                        &self.client,
                        Service::Rds,
                        "/v3/{project_id}/jobs",
                        &query,
                        target_id,
                    )
                    .await
                }
                other => Err(ProviderError {
                    message: format!("rds: cannot follow a {other:?} handle"),
                    transient: false,
                }),
            }
        })
    }

    /// RDS has no job list to search; a target in `RESTORING` is the sign that the POST took
    /// effect, and from then on the instance status is followed. The status carries no time,
    /// so `submitted_at` cannot narrow it further.
    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            let target_id = &spec(op)?.target.instance_id;
            // The instant-task list knows restores that already finished, which the instance
            // status cannot tell apart from none.
            if let Some(job_id) = self.newest_task(target_id, submitted_at).await? {
                return Ok(Some(Handle::Job { job_id }));
            }
            Ok(match self.instance(target_id).await? {
                Ok(inst) if inst["status"].as_str() == Some("RESTORING") => {
                    Some(job::instance_handle(target_id))
                }
                _ => None,
            })
        })
    }
}
