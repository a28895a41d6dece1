//! `CbrProvider`: `cbr.restore`, which answers 202 with no id, followed through operation logs.

use crate::batch::{Batch, ListRead};
use crate::check::{self, Paged, check};
use crate::client::Client;
use crate::discover::{self, Discover, Found};
use crate::job::{self, percent};
use crate::query::{Query, encode};
use crate::rank::Ranks;
use crate::wire_time;
use rewind_engine::kinds::{CbrRestore, OpSpec, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

const PAGE: usize = 100;
/// Pages of operation logs read at most in one search.
const MAX_PAGES: usize = 10;

#[derive(Debug, Clone)]
pub struct CbrProvider {
    client: Arc<Client>,
    /// Each job's earliest possible end, which ranks its polls in the budget.
    ranks: Ranks,
    /// Restores in flight, observed together through the restore operation logs.
    batch: Batch,
    /// Every available backup, read once by the first preflight: one paged list read
    /// answers the checks of every restore of a run. A backup it lacks (not available, or
    /// past the last page read) is asked for by id, which says why.
    inventory: Arc<tokio::sync::OnceCell<Result<Vec<Value>, String>>>,
}

/// The backup list (`GET /v3/{project_id}/backups`, offset/limit, total in `count`).
const BACKUPS: Paged<'static> = Paged {
    service: Service::Cbr,
    path: "/v3/{project_id}/backups",
    items: "backups",
    total: "count",
    page: PAGE,
    max_pages: 20,
};

fn spec(op: &Operation) -> Result<&CbrRestore, ProviderError> {
    match &op.spec {
        OpSpec::Cbr(spec) => Ok(spec),
        other => Err(ProviderError {
            message: format!(
                "{}: {} was handed to the cbr provider",
                op.name,
                other.kind()
            ),
            transient: false,
        }),
    }
}

/// What a restore overwrites, as operation logs name it (`extra_info.restore.target_resource_id`).
fn target_resource(spec: &CbrRestore) -> Option<&str> {
    spec.server_id
        .as_deref()
        .or(spec.volume_id.as_deref())
        .or(spec.resource_id.as_deref())
}

/// The outcome an operation log reports; `handle` is returned with a running one so that
/// the engine stores the log id once it is known.
pub fn outcome(log: &Value, handle: Option<Handle>) -> PollOutcome {
    let id = log["id"].as_str().unwrap_or_default();
    match log["status"].as_str() {
        Some("success") => {
            let mut outputs = BTreeMap::from([("operation_log_id".to_owned(), id.to_owned())]);
            let restore = &log["extra_info"]["restore"];
            for key in ["backup_id", "target_resource_id"] {
                if let Some(v) = restore[key].as_str().filter(|v| !v.is_empty()) {
                    outputs.insert(key.to_owned(), v.to_owned());
                }
            }
            PollOutcome::Succeeded { outputs }
        }
        Some(status @ ("failed" | "timeout" | "skipped")) => {
            let info = &log["error_info"];
            let reason = match (info["code"].as_str(), info["message"].as_str()) {
                (Some(code), Some(message)) if !code.is_empty() => format!("{code}: {message}"),
                (_, Some(message)) if !message.is_empty() => message.to_owned(),
                _ => format!("operation log {id} ended {status}"),
            };
            PollOutcome::Failed { reason }
        }
        _ => PollOutcome::Running {
            percent: percent(&log["extra_info"]["common"]["progress"]),
            handle,
        },
    }
}

/// The newest restore log of `spec`'s backup (and target, when the log names one) among
/// `logs`, created at or after `from` (the cloud's clock: [`crate::skew::ClockOffset::since`]).
fn pick_log<'a>(logs: &'a [Value], spec: &CbrRestore, from: i64) -> Option<&'a Value> {
    let target = target_resource(spec);
    logs.iter()
        .filter(|log| {
            let restore = &log["extra_info"]["restore"];
            let same_target = match (target, restore["target_resource_id"].as_str()) {
                (Some(want), Some(seen)) if !seen.is_empty() => want == seen,
                _ => true,
            };
            restore["backup_id"].as_str() == Some(spec.backup_id.as_str())
                && same_target
                && log["operation_type"]
                    .as_str()
                    .is_none_or(|t| t == "restore")
        })
        .filter_map(|log| Some((wire_time::value_ms(&log["created_at"])?, log)))
        .filter(|(created, _)| *created >= from)
        .max_by_key(|(created, _)| *created)
        .map(|(_, log)| log)
}

/// The handle that names `log`, for the engine to store once the log is found.
fn refined(log: &Value, backup_id: &str, submitted_at: i64) -> Option<Handle> {
    log["id"].as_str().map(|id| Handle::CbrRestore {
        backup_id: backup_id.to_owned(),
        submitted_at,
        operation_log_id: Some(id.to_owned()),
    })
}

impl CbrProvider {
    pub fn new(client: Arc<Client>) -> CbrProvider {
        CbrProvider {
            ranks: Ranks::default(),
            batch: Batch::new(client.rate_limits()),
            client,
            inventory: Arc::default(),
        }
    }

    /// The newest restore log of this backup (and target, when the log names one) created at
    /// or after `since`. Two restores of one backup onto different servers are told apart by
    /// the target.
    async fn find_log(
        &self,
        spec: &CbrRestore,
        since: i64,
    ) -> Result<Option<Value>, ProviderError> {
        // Narrow the search to the restored resource: with many restores in flight, paging
        // through every restore log on each poll costs a request per page per restore.
        let wide = self.client.clock().since(since);
        let logs = self
            .restore_logs(wide, target_resource(spec))
            .await?
            .map_err(|why| ProviderError {
                message: format!("cbr: operation logs: {why}"),
                transient: false,
            })?;
        let from = self.client.clock().since(since).max(wide);
        Ok(pick_log(&logs, spec, from).cloned())
    }

    /// Restore operation logs created at or after `from` (epoch ms), of `resource` if given.
    async fn restore_logs(&self, from: i64, resource: Option<&str>) -> ListRead {
        let mut query = Query::new()
            .with("operation_type", "restore")
            .with("start_time", wire_time::format(from, "%Y-%m-%dT%H:%M:%SZ"));
        if let Some(resource) = resource {
            query = query.with("resource_id", resource);
        }
        let list = Paged {
            service: Service::Cbr,
            path: "/v3/{project_id}/operation-logs",
            items: "operation_logs",
            total: "count",
            page: PAGE,
            max_pages: MAX_PAGES,
        };
        check::fetch_all(&self.client, list, &query)
            .await
            .map(|r| r.map(|(items, _)| items))
    }

    /// A poll that no list round answered: the log by its id, or searched for.
    async fn poll_alone(
        &self,
        spec: &CbrRestore,
        backup_id: &str,
        submitted_at: i64,
        operation_log_id: Option<&str>,
    ) -> Result<PollOutcome, ProviderError> {
        if let Some(id) = operation_log_id {
            let path = format!("/v3/{{project_id}}/operation-logs/{}", encode(id));
            let body = match self.client.get(Service::Cbr, &path, &Query::new()).await {
                Ok(reply) => reply.body,
                Err(e) if job::is_not_found(&e) => {
                    return Ok(PollOutcome::NotFound {
                        detail: e.to_string(),
                    });
                }
                Err(e) => return Err(e.into()),
            };
            return Ok(outcome(&body["operation_log"], None));
        }
        Ok(match self.find_log(spec, submitted_at).await? {
            Some(log) => {
                let refined = refined(&log, backup_id, submitted_at);
                outcome(&log, refined)
            }
            // The log may appear a little after the 202; the walker decides when "not
            // there" means lost.
            None => PollOutcome::NotFound {
                detail: format!("cbr: no restore operation log for backup {backup_id}"),
            },
        })
    }

    /// A backup as preflight sees it: from the shared inventory, or by its own query.
    async fn preflight_backup(&self, id: &str) -> Result<Result<Value, String>, ProviderError> {
        let all = self
            .inventory
            .get_or_try_init(|| async {
                let query = Query::new().with("status", "available");
                check::fetch_all(&self.client, BACKUPS, &query)
                    .await
                    .map(|r| r.map(|(items, _)| items))
            })
            .await?;
        if let Ok(list) = all
            && let Some(backup) = check::find(list, "id", id)
        {
            return Ok(Ok(backup.clone()));
        }
        let path = format!("/v3/{{project_id}}/backups/{}", encode(id));
        let found = check::fetch(&self.client, Service::Cbr, &path, &Query::new()).await?;
        Ok(found.and_then(|body| {
            Some(body["backup"].clone())
                .filter(Value::is_object)
                .ok_or_else(|| "not found".to_owned())
        }))
    }

    async fn checks(&self, spec: &CbrRestore) -> Result<Vec<Check>, ProviderError> {
        let backup_id = &spec.backup_id;
        let backup = self.preflight_backup(backup_id).await?;
        let mut checks = vec![check::status(
            format!("backup {backup_id} exists and is available"),
            &backup,
            &["available"],
        )];
        if let (Ok(backup), false) = (&backup, spec.mappings.is_empty()) {
            let children: Vec<&str> = check::array(&backup["children"])
                .iter()
                .filter_map(|c| c["id"].as_str())
                .collect();
            let strangers: Vec<&str> = spec
                .mappings
                .iter()
                .map(|m| m.backup_id.as_str())
                .filter(|id| !children.contains(id))
                .collect();
            checks.push(check(
                "mapped disk backups belong to the backup",
                strangers.is_empty(),
                if strangers.is_empty() {
                    format!("{} mapping(s)", spec.mappings.len())
                } else {
                    format!("not disk backups of {backup_id}: {}", strangers.join(", "))
                },
            ));
        }
        Ok(checks)
    }
}

impl Provider for CbrProvider {
    fn service(&self) -> Service {
        Service::Cbr
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(self.client.prepare(Service::Cbr))
    }

    /// The newest `available` backup of the disk or server `instance` (`querying_all_backups.rst`).
    fn latest_backup<'a>(
        &'a self,
        instance: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, ProviderError>> {
        Box::pin(crate::latest::cbr(&self.client, instance))
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move { self.checks(spec(op)?).await })
    }

    /// CBR answers 202 with no body; the backup and the moment before sending identify the
    /// operation log that poll looks for.
    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            let request = job::checked_request(Service::Cbr, op)?;
            let backup_id = match &op.spec {
                OpSpec::Cbr(spec) => spec.backup_id.clone(),
                other => {
                    return Err(SubmitError::NotSent {
                        message: format!(
                            "{}: {} was handed to the cbr provider",
                            op.name,
                            other.kind()
                        ),
                    });
                }
            };
            let submitted_at = wire_time::now_ms();
            self.client
                .post(Service::Cbr, &request.path, &request.body)
                .await?;
            Ok(Handle::CbrRestore {
                backup_id,
                submitted_at,
                operation_log_id: None,
            })
        })
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(self.ranks.poll(&op.name, async move {
            let spec = spec(op)?;
            let Handle::CbrRestore {
                backup_id,
                submitted_at,
                operation_log_id,
            } = handle
            else {
                return Err(ProviderError {
                    message: format!("cbr: cannot follow a {handle:?} handle"),
                    transient: false,
                });
            };
            // One key for the restore, before and after its log id is known.
            let key = format!("{backup_id}@{submitted_at}");
            let list = |from| self.restore_logs(from, None);
            if let Some(snapshot) = self
                .batch
                .observe(&key, self.client.clock().since(*submitted_at), list)
                .await
            {
                let found = match operation_log_id {
                    Some(id) => snapshot.get(id).map(|log| (log, None)),
                    None => pick_log(
                        snapshot.items(),
                        spec,
                        self.client.clock().since(*submitted_at),
                    )
                    .map(|log| (log, refined(log, backup_id, *submitted_at))),
                };
                if let Some((log, refined)) = found {
                    let outcome = outcome(log, refined);
                    self.batch.learn(&key, None, &outcome);
                    return Ok(outcome);
                }
            }
            let outcome = self
                .poll_alone(spec, backup_id, *submitted_at, operation_log_id.as_deref())
                .await?;
            self.batch.learn(&key, None, &outcome);
            Ok(outcome)
        }))
    }

    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            let spec = spec(op)?;
            let log = self.find_log(spec, submitted_at).await?;
            Ok(log.and_then(|log| refined(&log, &spec.backup_id, submitted_at)))
        })
    }
}

// ---- `rewind init cbr`'s queries ----

impl Discover {
    /// `GET /v3/{project_id}/backups?resource_id=`: CBR backups of a server or a volume.
    pub async fn cbr_backups(&self, resource_id: &str) -> Found<Vec<Value>> {
        let path = "/v3/{project_id}/backups";
        let paged = Paged {
            service: Service::Cbr,
            path,
            items: "backups",
            total: "count",
            page: 100,
            max_pages: discover::MAX_PAGES,
        };
        Ok(self
            .list(paged, &Query::new().with("resource_id", resource_id))
            .await?
            .0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operation_log_outcomes() {
        let running =
            json!({"id": "l1", "status": "running", "extra_info": {"common": {"progress": 40}}});
        assert_eq!(
            outcome(&running, None),
            PollOutcome::Running {
                percent: rewind_engine::provider::Percent::running(40.0),
                handle: None
            }
        );
        let done = json!({"id": "l1", "status": "success",
            "extra_info": {"restore": {"backup_id": "b1", "target_resource_id": "s1"}}});
        let PollOutcome::Succeeded { outputs } = outcome(&done, None) else {
            panic!()
        };
        assert_eq!(outputs["target_resource_id"], "s1");
        assert_eq!(outputs["operation_log_id"], "l1");
        let failed = json!({"id": "l1", "status": "failed", "error_info": {"code": "BackupService.2008", "message": "ECS status"}});
        assert_eq!(
            outcome(&failed, None),
            PollOutcome::Failed {
                reason: "BackupService.2008: ECS status".into()
            }
        );
        let timeout = json!({"id": "l1", "status": "timeout"});
        assert!(matches!(
            outcome(&timeout, None),
            PollOutcome::Failed { .. }
        ));
    }
}
