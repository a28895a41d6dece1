//! `TaurusdbProvider`: `taurusdb.restore` onto an original or existing instance, polled as a job.

use crate::check::{self, check};
use crate::client::Client;
use crate::dbs;
use crate::discover::{Discover, Found};
use crate::job;
use crate::query::Query;
use crate::rank::Ranks;
use rewind_engine::kinds::{OpSpec, RestoreType, Service, TaurusdbRestore};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct TaurusdbProvider {
    client: Arc<Client>,
    /// Each job's earliest possible end, which ranks its polls in the budget.
    ranks: Ranks,
}

impl TaurusdbProvider {
    pub fn new(client: Arc<Client>) -> TaurusdbProvider {
        TaurusdbProvider {
            client,
            ranks: Ranks::default(),
        }
    }

    async fn instance(&self, id: &str) -> Result<Result<Value, String>, ProviderError> {
        let path = format!("/v3/{{project_id}}/instances/{id}");
        let found = check::fetch(&self.client, Service::Taurusdb, &path, &Query::new()).await?;
        Ok(found.and_then(|body| {
            Some(body["instance"].clone())
                .filter(Value::is_object)
                .ok_or_else(|| "not found".to_owned())
        }))
    }

    async fn checks(&self, spec: &TaurusdbRestore) -> Result<Vec<Check>, ProviderError> {
        let source_id = &spec.source_instance_id;
        let target_id = &spec.target_instance_id;
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
            let version = |i: &Value| i["datastore"]["version"].as_str().map(str::to_owned);
            if let (Some(s), Some(t)) = (version(source), version(target)) {
                checks.push(check(
                    "target version matches the source",
                    s == t,
                    format!("{s} -> {t}"),
                ));
            }
        }
        match (spec.restore_type, spec.restore_time, &spec.backup_id) {
            (RestoreType::Timestamp, Some(time), _) => {
                let name = "restore_time is inside the source's restorable window";
                let path = format!("/v3/{{project_id}}/instances/{source_id}/restore-time");
                checks.push(
                    match check::fetch(&self.client, Service::Taurusdb, &path, &Query::new())
                        .await?
                    {
                        Ok(body) => {
                            check::window(name, time, &check::windows(&body["restore_times"]))
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
                    Service::Taurusdb,
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
                    // TaurusDB lists a finished backup as COMPLETED or AVAILABLE (otc-api.md §3.3).
                    &["COMPLETED", "AVAILABLE"],
                ));
            }
            _ => {}
        }
        Ok(checks)
    }
}

/// The advice for an unresolved TaurusDB submit: TaurusDB keeps no task list, so a restore
/// that finished before rewind looked cannot be told from one that never ran. Resubmitting
/// blind could restore the database twice, so the console comes first.
pub fn unknown_advice(name: &str, target: &str) -> String {
    format!(
        "TaurusDB keeps no record of finished restores, so rewind cannot tell whether {name} \
         ran. Do not resubmit yet: check the console first (TaurusDB > Instances > {target} > \
         Backups & Restorations, and the Task Center) for a restore that started after the \
         submit. If one ran, the data is restored: leave the record as it is (or take {name} out \
         of the spec and `rewind state rm {name}`). Only if none ran, `rewind apply --resubmit \
         {name}`"
    )
}

fn spec(op: &Operation) -> Result<&TaurusdbRestore, ProviderError> {
    match &op.spec {
        OpSpec::Taurusdb(spec) => Ok(spec),
        other => Err(ProviderError {
            message: format!(
                "{}: {} was handed to the taurusdb provider",
                op.name,
                other.kind()
            ),
            transient: false,
        }),
    }
}

impl Provider for TaurusdbProvider {
    fn service(&self) -> Service {
        Service::Taurusdb
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(self.client.prepare(Service::Taurusdb))
    }

    /// The newest `COMPLETED` backup of `instance` (`querying_backups.rst`).
    fn latest_backup<'a>(
        &'a self,
        instance: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, ProviderError>> {
        Box::pin(crate::latest::dbs(
            &self.client,
            Service::Taurusdb,
            instance,
        ))
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move { self.checks(spec(op)?).await })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(job::submit(&self.client, Service::Taurusdb, op))
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(self.ranks.poll(&op.name, async move {
            let target_id = &spec(op)?.target_instance_id;
            let instance = self.instance(target_id);
            dbs::poll(&self.client, Service::Taurusdb, handle, target_id, instance).await
        }))
    }

    fn unknown_advice(&self, op: &Operation) -> Option<String> {
        let target = spec(op).map_or("the target instance", |s| s.target_instance_id.as_str());
        Some(unknown_advice(&op.name, target))
    }

    /// TaurusDB lists no tasks (its docs have only the job query), so a restore that already
    /// ended leaves nothing to find: only a target still `RESTORING` is adopted.
    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        _submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            let target_id = &spec(op)?.target_instance_id;
            dbs::adopt_restoring(target_id, self.instance(target_id)).await
        })
    }

    // Drill calls (`instances`).

    fn instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<rewind_engine::provider::InstanceInfo>, ProviderError>> {
        Box::pin(crate::instances::taurusdb::instance(&self.client, id))
    }
}

// ---- `rewind init taurusdb`'s queries ----

impl Discover {
    /// `GET /v3/{project_id}/instances/{id}` (TaurusDB's detail path).
    pub async fn taurusdb_instance(&self, id: &str) -> Found<Value> {
        let path = format!("/v3/{{project_id}}/instances/{id}");
        let body = self.get(Service::Taurusdb, &path, &Query::new()).await?;
        Ok(if body["instance"].is_object() {
            body["instance"].clone()
        } else {
            body
        })
    }
}

/// TaurusDB's `restore-time` lists its windows under `restore_times`.
pub(crate) fn restore_times(_time: i64) -> (Query, &'static str) {
    (Query::new(), "restore_times")
}
