//! `DdmProvider`: `ddm.restore` (to a new instance) and `ddm.metadata_restore`, polled as DDM jobs.

use crate::check::{self, check};
use crate::client::Client;
use crate::job::{self, Job};
use crate::query::Query;
use crate::wire_time::{self, CLOCK_SKEW_MS};
use rewind_engine::kinds::{DdmMetadataRestore, DdmRestore, OpSpec, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// DDM's largest page (otc-api.md §1.3).
const PAGE: usize = 128;
/// Pages read at most from one list; a longer list is cut, not followed forever.
const MAX_PAGES: usize = 20;
/// How far past the client's clock the job search reaches (a service clock that runs ahead).
const FUTURE_SLACK_MS: i64 = 86_400_000;

#[derive(Debug, Clone)]
pub struct DdmProvider {
    client: Arc<Client>,
}

enum Spec<'a> {
    Restore(&'a DdmRestore),
    Metadata(&'a DdmMetadataRestore),
}

impl Spec<'_> {
    fn target_id(&self) -> &str {
        match self {
            Spec::Restore(s) => &s.target.instance_id,
            Spec::Metadata(s) => &s.target.instance_id,
        }
    }
}

fn spec(op: &Operation) -> Result<Spec<'_>, ProviderError> {
    match &op.spec {
        OpSpec::Ddm(s) => Ok(Spec::Restore(s)),
        OpSpec::DdmMetadata(s) => Ok(Spec::Metadata(s)),
        other => Err(ProviderError {
            message: format!(
                "{}: {} was handed to the ddm provider",
                op.name,
                other.kind()
            ),
            transient: false,
        }),
    }
}

impl DdmProvider {
    pub fn new(client: Arc<Client>) -> DdmProvider {
        DdmProvider { client }
    }

    /// `GET /v1/{project_id}/instances/{id}`: the instance's `status`, or why it is missing.
    async fn status(&self, id: &str) -> Result<Result<Option<String>, String>, ProviderError> {
        let path = format!("/v1/{{project_id}}/instances/{id}");
        let found = check::fetch(&self.client, Service::Ddm, &path, &Query::new()).await?;
        Ok(found.map(|body| body["status"].as_str().map(str::to_owned)))
    }

    /// Every item under `key` of a paged DDM list (`offset`/`limit`/`total`).
    async fn all_pages(
        &self,
        path: &str,
        query: &Query,
        key: &str,
    ) -> Result<Result<(Vec<Value>, Value), String>, ProviderError> {
        let mut items = Vec::new();
        let mut last = Value::Null;
        for page in 0..MAX_PAGES {
            let paged = query
                .clone()
                .with("offset", page * PAGE)
                .with("limit", PAGE);
            let body = match check::fetch(&self.client, Service::Ddm, path, &paged).await? {
                Ok(body) => body,
                Err(why) => return Ok(Err(why)),
            };
            let batch = body[key].as_array().cloned().unwrap_or_default();
            let total = body["total"].as_u64().map_or(usize::MAX, |t| t as usize);
            let done = batch.len() < PAGE || items.len() + batch.len() >= total;
            items.extend(batch);
            last = body;
            if done {
                break;
            }
        }
        Ok(Ok((items, last)))
    }

    async fn instance_checks(
        &self,
        source_id: &str,
        target_id: &str,
        checks: &mut Vec<Check>,
    ) -> Result<(), ProviderError> {
        let name = format!("source DDM instance {source_id} exists");
        checks.push(match self.status(source_id).await? {
            Ok(status) => check(name, true, status.unwrap_or_else(|| "found".into())),
            Err(why) => check(name, false, why),
        });
        let status = self.status(target_id).await?;
        checks.push(check::status(
            format!("target DDM instance {target_id} is RUNNING"),
            status
                .as_ref()
                .map(Option::as_deref)
                .map_err(String::as_str),
            &["RUNNING"],
        ));
        let path = format!("/v3/{{project_id}}/instances/{source_id}/backups/restorable-instances");
        let name = format!("target DDM instance {target_id} is available and empty");
        checks.push(
            match self.all_pages(&path, &Query::new(), "instances").await? {
                Ok((list, _)) => match list
                    .iter()
                    .find(|i| i["instance_id"].as_str() == Some(target_id))
                {
                    Some(i) if i["available"].as_bool() == Some(true) => {
                        check(name, true, "available")
                    }
                    Some(i) => check(
                        name,
                        false,
                        i["unavailable_reason"]
                            .as_str()
                            .filter(|r| !r.is_empty())
                            .unwrap_or("unavailable"),
                    ),
                    None => check(
                        name,
                        false,
                        format!("not among the instances {source_id} can restore to"),
                    ),
                },
                Err(why) => check(name, false, why),
            },
        );
        Ok(())
    }

    async fn window_check(
        &self,
        source_id: &str,
        restore_time: i64,
    ) -> Result<Check, ProviderError> {
        let name = "restore_time is inside the restorable window";
        let path =
            format!("/v3/{{project_id}}/instances/{source_id}/backups/restorable-time-interval");
        Ok(
            match self
                .all_pages(&path, &Query::new(), "restorable_time_intervals")
                .await?
            {
                Ok((list, _)) => {
                    check::window(name, restore_time, &check::windows(&Value::Array(list)))
                }
                Err(why) => check(name, false, why),
            },
        )
    }

    async fn restore_checks(&self, spec: &DdmRestore) -> Result<Vec<Check>, ProviderError> {
        let source_id = &spec.source.instance_id;
        let target_id = &spec.target.instance_id;
        let time = spec.source.restore_time;
        let mut checks = Vec::new();
        if spec.instance_id != *source_id {
            let name = format!("DDM instance {} (path) exists", spec.instance_id);
            checks.push(match self.status(&spec.instance_id).await? {
                Ok(status) => check(name, true, status.unwrap_or_else(|| "found".into())),
                Err(why) => check(name, false, why),
            });
        }
        self.instance_checks(source_id, target_id, &mut checks)
            .await?;
        checks.push(self.window_check(source_id, time).await?);

        let path = format!("/v3/{{project_id}}/instances/{source_id}/backups/related-dn");
        let related = self
            .all_pages(
                &path,
                &Query::new().with("restore_time", time),
                "related_data_nodes",
            )
            .await?;
        let name = "data_node_relations map every source data node once";
        match related {
            Ok((nodes, body)) => {
                let wanted: BTreeSet<&str> = nodes
                    .iter()
                    .filter_map(|n| n["instance_id"].as_str())
                    .collect();
                let given: Vec<&str> = spec
                    .data_node_relations
                    .iter()
                    .map(|r| r.source_instance_id.as_str())
                    .collect();
                let given_set: BTreeSet<&str> = given.iter().copied().collect();
                let missing: Vec<&str> = wanted.difference(&given_set).copied().collect();
                let extra: Vec<&str> = given_set.difference(&wanted).copied().collect();
                let passed =
                    missing.is_empty() && extra.is_empty() && given.len() == given_set.len();
                let observed = if passed {
                    format!("{} data node(s)", wanted.len())
                } else {
                    format!(
                        "source data nodes: [{}]; unmapped: [{}]; not a source data node: [{}]",
                        wanted.iter().copied().collect::<Vec<_>>().join(", "),
                        missing.join(", "),
                        extra.join(", ")
                    )
                };
                checks.push(check(name, passed, observed));
                if let Some(latest) = body["latest_restorable_time"]
                    .as_str()
                    .and_then(wire_time::parse_ms)
                {
                    checks.push(check(
                        "restore_time is not after the latest restorable time",
                        time <= latest,
                        format!(
                            "{} requested; latest {}",
                            wire_time::show(time),
                            wire_time::show(latest)
                        ),
                    ));
                }
            }
            Err(why) => checks.push(check(name, false, why)),
        }

        for relation in &spec.data_node_relations {
            let dn = &relation.target_instance_id;
            let name = format!("target data node {dn} is available");
            let path =
                format!("/v3/{{project_id}}/instances/{source_id}/backups/restorable-data-node");
            let query = Query::new()
                .with("source_dn_instance_id", &relation.source_instance_id)
                .with("target_instance_id", target_id)
                .with("restore_time", time);
            checks.push(
                match self.all_pages(&path, &query, "target_data_nodes").await? {
                    Ok((list, _)) => {
                        match list.iter().find(|n| n["instance_id"].as_str() == Some(dn)) {
                            Some(n) if n["available"].as_bool() == Some(true) => {
                                check(name, true, "available")
                            }
                            Some(n) => check(
                                name,
                                false,
                                n["unavailable_reason"]
                                    .as_str()
                                    .filter(|r| !r.is_empty())
                                    .unwrap_or("unavailable"),
                            ),
                            None => check(
                                name,
                                false,
                                format!(
                                    "not among the data nodes {} can restore to",
                                    relation.source_instance_id
                                ),
                            ),
                        }
                    }
                    Err(why) => check(name, false, why),
                },
            );
        }
        Ok(checks)
    }

    /// The data nodes' own point-in-time recovery usually runs earlier in the same apply, so
    /// it cannot be checked at plan time; the service refuses the restore if it did not finish.
    async fn metadata_checks(
        &self,
        spec: &DdmMetadataRestore,
    ) -> Result<Vec<Check>, ProviderError> {
        let source_id = &spec.instance_id;
        let mut checks = Vec::new();
        self.instance_checks(source_id, &spec.target.instance_id, &mut checks)
            .await?;
        if let Some(time) = spec.source.restore_time {
            checks.push(self.window_check(source_id, time).await?);
        }
        if let Some(backup_id) = &spec.source.backup_id {
            let name = format!("metadata backup {backup_id} exists and is normal");
            let query = Query::new().with("instance_id", source_id);
            let found = self
                .all_pages("/v3/{project_id}/backups", &query, "backups")
                .await?;
            let backup = found.and_then(|(list, _)| {
                list.into_iter()
                    .find(|b| b["id"].as_str() == Some(backup_id))
                    .ok_or_else(|| format!("not among the backups of {source_id}"))
            });
            checks.push(check::status(
                name,
                backup
                    .as_ref()
                    .map(|b| b["status"].as_str())
                    .map_err(String::as_str),
                &["normal"],
            ));
        }
        Ok(checks)
    }

    /// The newest job on `target_id` created at or after `since` (DDM lists jobs by time).
    async fn job_since(
        &self,
        target_id: &str,
        since: i64,
    ) -> Result<Option<Handle>, ProviderError> {
        let from = since - CLOCK_SKEW_MS;
        let query = Query::new()
            .with("start_time", from)
            .with("end_time", wire_time::now_ms().max(since) + FUTURE_SLACK_MS);
        let jobs = match self
            .all_pages("/v3/{project_id}/jobs", &query, "jobs")
            .await?
        {
            Ok((jobs, _)) => jobs,
            Err(why) => {
                return Err(ProviderError {
                    message: format!("ddm: job list: {why}"),
                    transient: false,
                });
            }
        };
        let newest = jobs
            .iter()
            .filter_map(Job::from_value)
            .filter(|j| j.instance_id.as_deref() == Some(target_id))
            .filter(|j| j.created_ms.is_some_and(|c| c >= from))
            .max_by_key(|j| j.created_ms);
        Ok(newest.map(|j| Handle::Job { job_id: j.id }))
    }
}

impl Provider for DdmProvider {
    fn service(&self) -> Service {
        Service::Ddm
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move {
            match spec(op)? {
                Spec::Restore(s) => self.restore_checks(s).await,
                Spec::Metadata(s) => self.metadata_checks(s).await,
            }
        })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(job::submit(&self.client, Service::Ddm, op))
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async move {
            let spec = spec(op)?;
            let Handle::Job { job_id } = handle else {
                return Err(ProviderError {
                    message: format!("ddm: cannot follow a {handle:?} handle"),
                    transient: false,
                });
            };
            let path = format!("/v3/{{project_id}}/jobs/{}", crate::query::encode(job_id));
            job::poll(
                &self.client,
                Service::Ddm,
                &path,
                &Query::new(),
                spec.target_id(),
            )
            .await
        })
    }

    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move { self.job_since(spec(op)?.target_id(), submitted_at).await })
    }
}
