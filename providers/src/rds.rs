//! `RdsProvider`: `rds.restore` (PITR or backup onto an existing instance), polled as an RDS job; `rds.restore_new` goes to `rds_new`.

use crate::batch::{self, Batch, ListRead};
use crate::check::{self, check};
use crate::client::Client;
use crate::dbs;
use crate::job;
use crate::query::Query;
use crate::rank::Ranks;
use crate::rds_new;
use crate::rds_tables;
use rewind_engine::kinds::{OpSpec, RdsRestore, RestoreType, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct RdsProvider {
    client: Arc<Client>,
    /// Each job's earliest possible end, which ranks its polls in the budget.
    ranks: Ranks,
    /// Every instance, read once by the first preflight that needs one: one paged list read
    /// answers the preflight checks of every operation of a run. Polls and reconcile never
    /// use it (they need the status now).
    inventory: Arc<tokio::sync::OnceCell<Result<Vec<Value>, String>>>,
    /// Jobs in flight, observed together through the instant-task list.
    batch: Batch,
}

/// The instance list: `offset` from 0, `limit` at most 100 (`querying_db_instances.rst`).
const INSTANCES: check::Paged<'static> = check::Paged {
    service: Service::Rds,
    path: "/v3/{project_id}/instances",
    items: "instances",
    total: "total_count",
    page: 100,
    max_pages: 20,
};

impl RdsProvider {
    pub fn new(client: Arc<Client>) -> RdsProvider {
        RdsProvider {
            ranks: Ranks::default(),
            batch: Batch::new(client.rate_limits()),
            client,
            inventory: Arc::default(),
        }
    }

    /// An instance as preflight sees it: from the shared inventory, or by its own query when
    /// the inventory does not hold it (a list cut at `max_pages`, or created since).
    async fn preflight_instance(&self, id: &str) -> Result<Result<Value, String>, ProviderError> {
        let all = self
            .inventory
            .get_or_try_init(|| async {
                check::fetch_all(&self.client, INSTANCES, &Query::new())
                    .await
                    .map(|r| r.map(|(items, _)| items))
            })
            .await?;
        if let Ok(list) = all
            && let Some(inst) = check::find(list, "id", id)
        {
            return Ok(Ok(inst.clone()));
        }
        self.instance(id).await
    }

    /// Every instant task created at or after `from` (epoch ms): one round of batch polling.
    async fn task_list(&self, from: i64) -> ListRead {
        let query = Query::new().with("start_time", from);
        check::fetch_all(&self.client, TASKLIST, &query)
            .await
            .map(|r| r.map(|(items, _)| items))
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

    /// The restore task a submit at `since` created, from the instant-task list
    /// (`GET /v3/{project_id}/tasklist`, RDS `querying_instant_tasks.rst`), which keeps tasks
    /// after they end. A task matches when it runs on an instance the request names, is a
    /// restore by name (the docs' example: `RestoreSqlserverInInstance`), and was created at or
    /// after `since` (less clock skew); the earliest such task is ours. A service without the
    /// list answers "none".
    async fn restore_task(
        &self,
        spec: &RdsRestore,
        since: i64,
    ) -> Result<Option<String>, ProviderError> {
        // The query reaches back as far as the cloud's clock may lag; the match uses the lag
        // the answers showed (`skew`).
        let wide = self.client.clock().since(since);
        let mut instances = vec![spec.target.instance_id.as_str()];
        if spec.source.instance_id != spec.target.instance_id {
            instances.push(spec.source.instance_id.as_str());
        }
        let mut found: Option<job::Job> = None;
        for instance_id in &instances {
            let query = Query::new()
                .with("instance_id", instance_id)
                .with("start_time", wide);
            let Ok((tasks, _)) = check::fetch_all(&self.client, TASKLIST, &query).await? else {
                return Ok(None);
            };
            let from = self.client.clock().since(since).max(wide);
            let earliest = tasks
                .iter()
                .filter_map(job::Job::from_value)
                .filter(|t| {
                    t.instance_id
                        .as_deref()
                        .is_some_and(|i| instances.contains(&i))
                })
                .filter(|t| is_restore_task(&t.name))
                .filter(|t| t.created_ms.is_some_and(|c| c >= from))
                .min_by_key(|t| t.created_ms);
            found = match (found, earliest) {
                (Some(a), Some(b)) => Some(if b.created_ms < a.created_ms { b } else { a }),
                (a, b) => a.or(b),
            };
        }
        Ok(found.map(|t| t.id))
    }

    async fn checks(&self, spec: &RdsRestore) -> Result<Vec<Check>, ProviderError> {
        let source_id = &spec.source.instance_id;
        let target_id = &spec.target.instance_id;
        let source = self.preflight_instance(source_id).await?;
        let target = self.preflight_instance(target_id).await?;
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
                // What the restore brings back: the plan shows it beside the backup ID.
                if let Some(end) = backup
                    .as_ref()
                    .ok()
                    .and_then(|b| crate::wire_time::value_ms(&b["end_time"]))
                {
                    checks.push(check(
                        rewind_engine::plan::BACKUP_END_CHECK,
                        true,
                        rewind_engine::plan::rfc3339(end),
                    ));
                }
            }
            // The loader guarantees type and fields agree; nothing to read otherwise.
            _ => {}
        }
        Ok(checks)
    }
}

/// The instant-task list: `offset` counts items from 0, `limit` is at most 50, the total is
/// `total_count` (`querying_instant_tasks.rst`).
const TASKLIST: check::Paged<'static> = check::Paged {
    service: Service::Rds,
    path: "/v3/{project_id}/tasklist",
    items: "tasks",
    total: "total_count",
    page: 50,
    max_pages: 10,
};

/// A restore task by name: `Restore{Engine}InInstance` in the docs' example; any engine.
pub fn is_restore_task(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with("restore")
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

    /// The newest `COMPLETED` backup of `instance` (`obtaining_details_about_backups.rst`).
    fn latest_backup<'a>(
        &'a self,
        instance: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, ProviderError>> {
        Box::pin(crate::latest::dbs(&self.client, Service::Rds, instance))
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move {
            match &op.spec {
                OpSpec::RdsNew(new) => return rds_new::preflight(&self.client, new).await,
                OpSpec::RdsTables(_) => return rds_tables::preflight(&self.client, op).await,
                _ => {}
            }
            self.checks(spec(op)?).await
        })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            match &op.spec {
                OpSpec::RdsNew(new) => {
                    return rds_new::SHAPE.submit(&self.client, op, &new.name).await;
                }
                OpSpec::RdsTables(_) => return rds_tables::submit(&self.client, op).await,
                _ => {}
            }
            job::submit(&self.client, Service::Rds, op).await
        })
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(self.ranks.poll(&op.name, async move {
            match &op.spec {
                OpSpec::RdsNew(_) => return rds_new::SHAPE.poll(&self.client, handle).await,
                OpSpec::RdsTables(_) => return rds_tables::poll(&self.client, op, handle).await,
                _ => {}
            }
            let target_id = &spec(op)?.target.instance_id;
            // A job is one task of the instant-task list, which every job in flight shares.
            if let Handle::Job { job_id } = handle
                && !job::is_instance_handle(job_id)
            {
                let query = Query::new().with("id", job_id);
                let path = "/v3/{project_id}/jobs";
                let single = batch::job_query(&self.client, Service::Rds, path, &query, target_id);
                let list = |from| self.task_list(from);
                return batch::poll_job(&self.batch, job_id, target_id, list, single).await;
            }
            let instance = self.instance(target_id);
            dbs::poll(&self.client, Service::Rds, handle, target_id, instance).await
        }))
    }

    /// The instant-task list first; failing that (a service that does not serve it), a target
    /// in `RESTORING` is the sign that the POST took effect, and from then on the instance
    /// status is followed.
    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            match &op.spec {
                OpSpec::RdsNew(new) => {
                    return rds_new::SHAPE.reconcile(&self.client, &new.name).await;
                }
                OpSpec::RdsTables(_) => {
                    return rds_tables::reconcile(&self.client, op, submitted_at).await;
                }
                _ => {}
            }
            let spec = spec(op)?;
            let target_id = &spec.target.instance_id;
            // The instant-task list knows restores that already finished, which the instance
            // status cannot tell apart from none.
            if let Some(job_id) = self.restore_task(spec, submitted_at).await? {
                return Ok(Some(Handle::Job { job_id }));
            }
            dbs::adopt_restoring(target_id, self.instance(target_id)).await
        })
    }

    // Drill calls (`instances`).

    fn instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<rewind_engine::provider::InstanceInfo>, ProviderError>> {
        Box::pin(DBS.instance(&self.client, id))
    }

    fn instance_by_name<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<rewind_engine::provider::InstanceInfo>, ProviderError>> {
        Box::pin(DBS.by_name(&self.client, name))
    }

    fn delete_instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<rewind_engine::provider::DeleteOutcome, ProviderError>> {
        Box::pin(DBS.delete(&self.client, id))
    }

    fn recovery_point<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Option<i64>, ProviderError>> {
        Box::pin(DBS.recovery_point(&self.client, op))
    }

    /// `GET /v3/{project_id}/instances/{id}/restore-time` (`querying_the_restoration_time_range`):
    /// the same call preflight checks a `restore_time` against.
    fn restorable_windows<'a>(
        &'a self,
        source: &'a str,
    ) -> BoxFuture<'a, Result<Option<rewind_engine::provider::Windows>, ProviderError>> {
        Box::pin(async move {
            let path = format!("/v3/{{project_id}}/instances/{source}/restore-time");
            match check::fetch(&self.client, Service::Rds, &path, &Query::new()).await? {
                Ok(body) => Ok(Some(check::windows(&body["restore_time"]))),
                Err(why) => Err(ProviderError {
                    message: format!("the restorable windows of {source}: {why}"),
                    transient: false,
                }),
            }
        })
    }
}

/// RDS (`appendix/error_codes.rst`): 409 `DBS.200019`, `DBS.200011`, `DBS.200047`,
/// `DBS.201202`, `DBS.212006` "another operation is being performed", 400 `DBS.200086` and
/// `DBS.201014` "not allowed by the DB instance status"; every "does not exist" is a 404.
const DBS: crate::instances::dbs::Dbs = crate::instances::dbs::Dbs {
    shape: &crate::rds_new::SHAPE,
    codes: crate::instances::DeleteCodes {
        service: rewind_engine::kinds::Service::Rds,
        busy: &[
            "DBS.200019",
            "DBS.200011",
            "DBS.200047",
            "DBS.201202",
            "DBS.212006",
            "DBS.200086",
            "DBS.201014",
        ],
        gone: &[],
    },
    backups_need_instance: true,
};
