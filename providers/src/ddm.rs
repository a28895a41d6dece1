//! `DdmProvider`: `ddm.restore` (to a new instance) and `ddm.metadata_restore`, polled as DDM jobs.

use crate::batch::{self, Batch, ListRead};
use crate::check::{self, Paged, check};
use crate::client::Client;
use crate::discover::{self, Discover, Found};
use crate::job::{self, Job};
use crate::query::Query;
use crate::rank::Ranks;
use crate::wire_time;
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
    /// Each job's earliest possible end, which ranks its polls in the budget.
    ranks: Ranks,
    /// Jobs in flight, observed together through the job list.
    batch: Batch,
    /// Every DDM instance, read once by the first preflight that needs one (as RDS does); an
    /// instance it lacks is asked for by id.
    inventory: Arc<tokio::sync::OnceCell<Result<Vec<Value>, String>>>,
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

    /// Every DDM instance the request names, the target first: the docs do not say which one
    /// a restore job carries, and the target is the least likely to run other jobs.
    fn named_instances(&self) -> Vec<&str> {
        let mut ids = vec![self.target_id()];
        match self {
            Spec::Restore(s) => ids.extend([s.instance_id.as_str(), s.source.instance_id.as_str()]),
            Spec::Metadata(s) => ids.push(s.instance_id.as_str()),
        }
        let mut seen = BTreeSet::new();
        ids.retain(|id| seen.insert(*id));
        ids
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
        DdmProvider {
            ranks: Ranks::default(),
            batch: Batch::new(client.rate_limits()),
            client,
            inventory: Arc::default(),
        }
    }

    /// An instance as preflight sees it: from the instance list
    /// (`querying_ddm_instances_a_v1_api.rst`: `GET /v1/{project_id}/instances`, offset and
    /// limit up to 128, `total_record`), read once for every operation, or by its own query
    /// when the list lacks it or cannot be read.
    async fn instance(&self, id: &str) -> Result<Result<Value, String>, ProviderError> {
        let all = self
            .inventory
            .get_or_try_init(|| async {
                let list = Paged {
                    service: Service::Ddm,
                    path: "/v1/{project_id}/instances",
                    items: "instances",
                    total: "total_record",
                    page: PAGE,
                    max_pages: MAX_PAGES,
                };
                check::fetch_all(&self.client, list, &Query::new())
                    .await
                    .map(|r| r.map(|(items, _)| items))
            })
            .await?;
        if let Ok(list) = all
            && let Some(inst) = check::find(list, "id", id)
        {
            return Ok(Ok(inst.clone()));
        }
        self.instance_detail(id).await
    }

    /// `GET /v1/{project_id}/instances/{id}`: the instance detail, or why it is missing.
    async fn instance_detail(&self, id: &str) -> Result<Result<Value, String>, ProviderError> {
        let path = format!("/v1/{{project_id}}/instances/{id}");
        check::fetch(&self.client, Service::Ddm, &path, &Query::new()).await
    }

    /// Every item under `items` of a paged DDM list.
    async fn all_pages(
        &self,
        path: &str,
        query: &Query,
        items: &str,
    ) -> Result<Result<(Vec<Value>, Value), String>, ProviderError> {
        let list = Paged {
            service: Service::Ddm,
            path,
            items,
            total: "total",
            page: PAGE,
            max_pages: MAX_PAGES,
        };
        check::fetch_all(&self.client, list, query).await
    }

    async fn instance_checks(
        &self,
        source_id: &str,
        target_id: &str,
    ) -> Result<Vec<Check>, ProviderError> {
        let path = format!("/v3/{{project_id}}/instances/{source_id}/backups/restorable-instances");
        let candidates = self.all_pages(&path, &Query::new(), "instances").await?;
        Ok(vec![
            check::exists(
                format!("source DDM instance {source_id} exists"),
                &self.instance(source_id).await?,
            ),
            check::status(
                format!("target DDM instance {target_id} is RUNNING"),
                &self.instance(target_id).await?,
                &["RUNNING"],
            ),
            check::available(
                format!("target DDM instance {target_id} is available and empty"),
                candidates
                    .as_ref()
                    .map(|(list, _)| check::find(list, "instance_id", target_id))
                    .map_err(Clone::clone),
                format!("not among the instances {source_id} can restore to"),
            ),
        ])
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
            checks.push(check::exists(
                name,
                &self.instance(&spec.instance_id).await?,
            ));
        }
        checks.extend(self.instance_checks(source_id, target_id).await?);
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
            let candidates = self.all_pages(&path, &query, "target_data_nodes").await?;
            checks.push(check::available(
                name,
                candidates
                    .as_ref()
                    .map(|(list, _)| check::find(list, "instance_id", dn))
                    .map_err(Clone::clone),
                format!(
                    "not among the data nodes {} can restore to",
                    relation.source_instance_id
                ),
            ));
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
        let mut checks = self
            .instance_checks(source_id, &spec.target.instance_id)
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
                check::find(&list, "id", backup_id)
                    .cloned()
                    .ok_or_else(|| format!("not among the backups of {source_id}"))
            });
            checks.push(check::status(name, &backup, &["normal"]));
        }
        Ok(checks)
    }

    /// Every job created from `from` (epoch ms) until a day past now: one round of batch
    /// polling.
    async fn job_list(&self, from: i64) -> ListRead {
        let query = Query::new()
            .with("start_time", from)
            .with("end_time", wire_time::now_ms().max(from) + FUTURE_SLACK_MS);
        self.all_pages("/v3/{project_id}/jobs", &query, "jobs")
            .await
            .map(|r| r.map(|(items, _)| items))
    }

    /// The job a submit at `since` created, from the job list
    /// (`querying_information_about_tasks_a_v3_api.rst`), which keeps jobs after they end: the
    /// earliest job created at or after `since` (less clock skew) on an instance the request
    /// names, preferring the first of `instances`. The docs give no restore job name, so the
    /// name is not matched.
    async fn job_since(
        &self,
        instances: &[&str],
        since: i64,
    ) -> Result<Option<Handle>, ProviderError> {
        let wide = self.client.clock().since(since);
        let query = Query::new()
            .with("start_time", wide)
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
        // Matched in the cloud's clock, as its answers dated it.
        let from = self.client.clock().since(since).max(wide);
        let jobs: Vec<Job> = jobs
            .iter()
            .filter_map(Job::from_value)
            .filter(|j| j.created_ms.is_some_and(|c| c >= from))
            .collect();
        Ok(instances
            .iter()
            .find_map(|id| {
                jobs.iter()
                    .filter(|j| j.instance_id.as_deref() == Some(*id))
                    .min_by_key(|j| j.created_ms)
            })
            .map(|j| Handle::Job {
                job_id: j.id.clone(),
            }))
    }
}

impl Provider for DdmProvider {
    fn service(&self) -> Service {
        Service::Ddm
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(self.client.prepare(Service::Ddm))
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
        Box::pin(self.ranks.poll(&op.name, async move {
            let spec = spec(op)?;
            let Handle::Job { job_id } = handle else {
                return Err(ProviderError {
                    message: format!("ddm: cannot follow a {handle:?} handle"),
                    transient: false,
                });
            };
            let path = format!("/v3/{{project_id}}/jobs/{}", crate::query::encode(job_id));
            let target = spec.target_id();
            let query = Query::new();
            let single = batch::job_query(&self.client, Service::Ddm, &path, &query, target);
            let list = |from| self.job_list(from);
            batch::poll_job(&self.batch, job_id, target, list, single).await
        }))
    }

    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            let spec = spec(op)?;
            self.job_since(&spec.named_instances(), submitted_at).await
        })
    }

    // Drill calls (`instances`).

    fn instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<rewind_engine::provider::InstanceInfo>, ProviderError>> {
        Box::pin(crate::instances::ddm::instance(&self.client, id))
    }
}

// ---- `rewind init ddm`'s queries (otc-api.md §1.3) ----

impl Discover {
    /// `GET /v1/{project_id}/instances/{id}`.
    pub async fn ddm_instance(&self, id: &str) -> Found<Value> {
        let path = format!("/v1/{{project_id}}/instances/{id}");
        self.get(Service::Ddm, &path, &Query::new()).await
    }

    /// The restorable windows of a DDM instance (epoch ms, inclusive).
    pub async fn ddm_windows(&self, id: &str) -> Found<Vec<(i64, i64)>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/restorable-time-interval");
        let (items, _) = self
            .list(ddm_paged(&path, "restorable_time_intervals"), &Query::new())
            .await?;
        Ok(check::windows(&Value::Array(items)))
    }

    /// The data nodes related to `id` at `restore_time`.
    pub async fn ddm_related_nodes(&self, id: &str, restore_time: i64) -> Found<Vec<Value>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/related-dn");
        let query = Query::new().with("restore_time", restore_time);
        Ok(self
            .list(ddm_paged(&path, "related_data_nodes"), &query)
            .await?
            .0)
    }

    /// The DDM instances `id` can restore to.
    pub async fn ddm_restorable_instances(&self, id: &str) -> Found<Vec<Value>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/restorable-instances");
        Ok(self
            .list(ddm_paged(&path, "instances"), &Query::new())
            .await?
            .0)
    }

    /// The RDS instances that can take `source_dn`'s data for a restore of `id` onto `target`.
    pub async fn ddm_restorable_nodes(
        &self,
        id: &str,
        source_dn: &str,
        target: &str,
        restore_time: i64,
    ) -> Found<Vec<Value>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/restorable-data-node");
        let query = Query::new()
            .with("source_dn_instance_id", source_dn)
            .with("target_instance_id", target)
            .with("restore_time", restore_time);
        Ok(self
            .list(ddm_paged(&path, "target_data_nodes"), &query)
            .await?
            .0)
    }
}

fn ddm_paged<'a>(path: &'a str, items: &'a str) -> Paged<'a> {
    Paged {
        service: Service::Ddm,
        path,
        items,
        total: "total",
        page: 128,
        max_pages: discover::MAX_PAGES,
    }
}
