//! `DdsProvider`: `dds.restore_new`, `dds.restore` and `dds.restore_collections`, followed as DDS jobs.
//
// DDS documents no job list (`task_management/` has only the query by ID), so after an
// ambiguous restore the target's `actions` are the sign that the POST took effect, as the
// target's `RESTORING` status is for RDS. A restore that already ended leaves no such sign.

use crate::check::{self, check};
use crate::client::Client;
use crate::create::{self, Shape, number_of, text_of};
use crate::job;
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::{DdsCollections, OpSpec, RdsRestore, RestoreNew, RestoreType, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// DDS instances: `creating`, then `normal`, or `createfail`
/// (`querying_instances_and_details.rst`).
pub const SHAPE: Shape = Shape {
    service: Service::Dds,
    name_ignores_case: false,
    ready: &["normal"],
    failed: &["createfail"],
    address,
};

/// Where clients connect: a mongos of a cluster, else the primary of a replica set or the
/// single node (`private_ip` is set only on those nodes by default).
fn address(instance: &Value) -> (Option<String>, Option<String>) {
    let with_ip = |types: &[&str]| -> Vec<&Value> {
        check::array(&instance["groups"])
            .iter()
            .filter(|g| g["type"].as_str().is_some_and(|t| types.contains(&t)))
            .flat_map(|g| check::array(&g["nodes"]).iter())
            .filter(|n| n["private_ip"].as_str().is_some_and(|ip| !ip.is_empty()))
            .collect()
    };
    let members = with_ip(&["replica", "single"]);
    let pick = with_ip(&["mongos"])
        .first()
        .copied()
        .or_else(|| {
            members
                .iter()
                .find(|n| n["role"].as_str() == Some("Primary"))
                .copied()
        })
        .or_else(|| members.first().copied());
    (
        pick.and_then(|n| n["private_ip"].as_str().map(str::to_owned)),
        text_of(&instance["port"]),
    )
}

/// Actions that show a restore running on an instance, and the one that shows it failed.
const RESTORING: [&str; 5] = [
    "RESTORE",
    "RESTORING",
    "RESTORE_CHECK",
    "RESTORE_TABLE",
    "RESTORE_TO_NEW_INSTANCE",
];
const RESTORE_FAILED: &str = "RESTORE_FAILED_HANGUP";

#[derive(Debug, Clone)]
pub struct DdsProvider {
    client: Arc<Client>,
}

impl DdsProvider {
    pub fn new(client: Arc<Client>) -> DdsProvider {
        DdsProvider { client }
    }

    async fn instance(&self, id: &str) -> Result<Result<Value, String>, ProviderError> {
        SHAPE.by_id(&self.client, id).await
    }

    /// Only replica sets and 4.0 clusters restore to a point in time (the restore pages).
    fn pitr_check(instance: &Value) -> Check {
        let mode = instance["mode"].as_str().unwrap_or("?");
        let version = instance["datastore"]["version"].as_str().unwrap_or("?");
        let ok = mode == "ReplicaSet" || (mode == "Sharding" && version == "4.0");
        check(
            "instance supports point-in-time restore (replica set, or 4.0 cluster)",
            ok,
            format!("{mode} {version}"),
        )
    }

    /// `GET .../instances/{id}/restore-time?date=yyyy-mm-dd` (UTC day of `time`).
    async fn window_check(&self, instance_id: &str, time: i64) -> Result<Check, ProviderError> {
        let name = format!("{} is inside a restorable window", wire_time::show(time));
        let path = format!("/v3/{{project_id}}/instances/{instance_id}/restore-time");
        let (query, key) = restore_times(time);
        Ok(
            match check::fetch(&self.client, Service::Dds, &path, &query).await? {
                Ok(body) => check::window(name, time, &check::windows(&body[key])),
                Err(why) => check(name, false, why),
            },
        )
    }

    /// `GET /v3/{project_id}/backups?backup_id=[&instance_id=]`: the backup, `COMPLETED`.
    async fn backup(
        &self,
        instance_id: Option<&str>,
        backup_id: &str,
    ) -> Result<Result<Value, String>, ProviderError> {
        let mut query = Query::new().with("backup_id", backup_id);
        if let Some(id) = instance_id {
            query = query.with("instance_id", id);
        }
        let found = check::fetch(
            &self.client,
            Service::Dds,
            "/v3/{project_id}/backups",
            &query,
        )
        .await?;
        Ok(found.and_then(|body| {
            check::find(check::array(&body["backups"]), "id", backup_id)
                .cloned()
                .ok_or_else(|| "not among the backups".to_owned())
        }))
    }

    async fn point_checks(
        &self,
        checks: &mut Vec<Check>,
        source: &Result<Value, String>,
        source_id: Option<&str>,
        restore_time: Option<i64>,
        backup_id: Option<&str>,
    ) -> Result<(), ProviderError> {
        if let (Some(time), Some(id)) = (restore_time, source_id) {
            let pitr = source.as_ref().ok().map(Self::pitr_check);
            // The window query serves only the modes that restore to a point in time.
            let supported = pitr.as_ref().is_none_or(|c| c.passed);
            checks.extend(pitr);
            if supported {
                checks.push(self.window_check(id, time).await?);
            }
        }
        if let Some(backup_id) = backup_id {
            let backup = self.backup(source_id, backup_id).await?;
            checks.push(check::status(
                format!("backup {backup_id} exists and is COMPLETED"),
                &backup,
                &["COMPLETED"],
            ));
        }
        Ok(())
    }

    async fn new_checks(&self, spec: &RestoreNew) -> Result<Vec<Check>, ProviderError> {
        let point = &spec.restore_point;
        let mut checks = Vec::new();
        // A backup names its instance; the page lets `instance_id` be left out then.
        let mut source_id = point.instance_id.clone();
        if source_id.is_none()
            && let Some(backup_id) = &point.backup_id
            && let Ok(b) = self.backup(None, backup_id).await?
        {
            source_id = b["instance_id"].as_str().map(str::to_owned);
        }
        let source = match &source_id {
            Some(id) => self.instance(id).await?,
            None => Err("no source instance named or found".to_owned()),
        };
        checks.push(check::exists(
            format!(
                "source instance {} exists",
                source_id.as_deref().unwrap_or("?")
            ),
            &source,
        ));
        if let Ok(inst) = &source {
            checks.extend(disk_check(spec, inst));
        }
        let restore_time = match point.restore_type {
            Some(RestoreType::Backup) => None,
            _ => point.restore_time,
        };
        self.point_checks(
            &mut checks,
            &source,
            source_id.as_deref(),
            restore_time,
            point.backup_id.as_deref(),
        )
        .await?;
        checks.push(SHAPE.name_check(&self.client, &spec.name).await?);
        Ok(checks)
    }

    async fn recovery_checks(&self, spec: &RdsRestore) -> Result<Vec<Check>, ProviderError> {
        let source_id = spec.source.instance_id.as_str();
        let target_id = spec.target.instance_id.as_str();
        let source = self.instance(source_id).await?;
        let target = if target_id == source_id {
            source.clone()
        } else {
            self.instance(target_id).await?
        };
        let mut checks = vec![
            check::exists(format!("source instance {source_id} exists"), &source),
            check::status(
                format!("target instance {target_id} is normal"),
                &target,
                &["normal"],
            ),
        ];
        checks.extend(idle_check(target_id, &target));
        let (time, backup) = match spec.source.restore_type {
            RestoreType::Timestamp => (spec.source.restore_time, None),
            RestoreType::Backup => (None, spec.source.backup_id.as_deref()),
        };
        self.point_checks(&mut checks, &source, Some(source_id), time, backup)
            .await?;
        Ok(checks)
    }

    async fn collection_checks(&self, spec: &DdsCollections) -> Result<Vec<Check>, ProviderError> {
        let id = spec.instance_id.as_str();
        let inst = self.instance(id).await?;
        let mut checks = vec![check::status(
            format!("instance {id} is normal"),
            &inst,
            &["normal"],
        )];
        checks.extend(idle_check(id, &inst));
        if let Ok(inst) = &inst {
            let mode = inst["mode"].as_str().unwrap_or("?");
            checks.push(check(
                "instance is a replica set (database and collection restores need one)",
                mode == "ReplicaSet",
                mode,
            ));
            if mode != "ReplicaSet" {
                return Ok(checks);
            }
        }
        let mut times: Vec<i64> = spec
            .restore_collections
            .iter()
            .flat_map(|d| {
                d.restore_database_time
                    .into_iter()
                    .chain(d.collections.iter().map(|c| c.restore_collection_time))
            })
            .collect();
        times.sort_unstable();
        times.dedup();
        for time in times {
            checks.push(self.window_check(id, time).await?);
        }
        Ok(checks)
    }
}

/// DDS refuses a restore while another operation runs on the instance (its `actions`).
fn idle_check(id: &str, inst: &Result<Value, String>) -> Option<Check> {
    let inst = inst.as_ref().ok()?;
    let acts = actions(inst);
    Some(check(
        format!("instance {id} runs no other operation"),
        acts.is_empty(),
        if acts.is_empty() {
            "no actions".to_owned()
        } else {
            acts.join(", ")
        },
    ))
}

/// Each node type's new disk (`flavor[].size`) is at least the source's largest of that
/// type (`groups[].volume.size`), as the create page requires.
fn disk_check(spec: &RestoreNew, source: &Value) -> Option<Check> {
    let mut largest: BTreeMap<&str, u64> = BTreeMap::new();
    for g in check::array(&source["groups"]) {
        if let (Some(t), Some(size)) = (g["type"].as_str(), number_of(&g["volume"]["size"])) {
            let e = largest.entry(t).or_default();
            *e = (*e).max(size);
        }
    }
    let flavors = spec
        .create
        .get("flavor")
        .map(check::array)
        .unwrap_or_default();
    let mut seen = Vec::new();
    let mut ok = true;
    for f in flavors {
        let (Some(t), Some(new)) = (f["type"].as_str(), number_of(&f["size"])) else {
            continue;
        };
        if t == "config" {
            continue;
        }
        if let Some(&old) = largest.get(t) {
            ok &= new >= old;
            seen.push(format!("{t} {old} GB -> {new} GB"));
        }
    }
    (!seen.is_empty()).then(|| check("new disks are at least the source's", ok, seen.join(", ")))
}

/// Follows a restore of `target_id` by its job, or (adopted by its actions) by the
/// instance's actions and status.
async fn follow(
    client: &Client,
    handle: &Handle,
    target_id: &str,
) -> Result<PollOutcome, ProviderError> {
    match handle {
        Handle::Job { job_id } if job::is_instance_handle(job_id) => {
            match SHAPE.by_id(client, target_id).await? {
                Ok(inst) => Ok(by_actions(&inst, target_id)),
                Err(why) => Ok(PollOutcome::NotFound {
                    detail: format!("instance {target_id}: {why}"),
                }),
            }
        }
        Handle::Job { job_id } => Ok(
            match create::read_job(client, Service::Dds, job_id).await? {
                Ok(job) => job.outcome(target_id),
                Err(detail) => PollOutcome::NotFound { detail },
            },
        ),
        other => Err(ProviderError {
            message: format!("dds: cannot follow a {other:?} handle"),
            transient: false,
        }),
    }
}

fn actions(inst: &Value) -> Vec<&str> {
    check::array(&inst["actions"])
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn by_actions(inst: &Value, target_id: &str) -> PollOutcome {
    let acts = actions(inst);
    if acts.contains(&RESTORE_FAILED) {
        return PollOutcome::Failed {
            reason: format!("instance {target_id} reports {RESTORE_FAILED}"),
        };
    }
    if acts.iter().any(|a| RESTORING.contains(a)) {
        return PollOutcome::Running {
            percent: None,
            handle: None,
        };
    }
    job::instance_outcome(
        match inst["status"].as_str() {
            Some("normal") => Some("ACTIVE"),
            Some("abnormal") => Some("FAILED"),
            other => other,
        },
        target_id,
    )
}

fn target_of(op: &Operation) -> Result<&str, ProviderError> {
    match &op.spec {
        OpSpec::DdsRecovery(r) => Ok(&r.target.instance_id),
        OpSpec::DdsCollections(c) => Ok(&c.instance_id),
        other => Err(ProviderError {
            message: format!(
                "{}: {} was handed to the dds provider",
                op.name,
                other.kind()
            ),
            transient: false,
        }),
    }
}

impl Provider for DdsProvider {
    fn service(&self) -> Service {
        Service::Dds
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(self.client.prepare(Service::Dds))
    }

    /// The newest `COMPLETED` backup of `instance` (`querying_the_backup_list.rst`).
    fn latest_backup<'a>(
        &'a self,
        instance: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, ProviderError>> {
        Box::pin(crate::latest::dbs(&self.client, Service::Dds, instance))
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move {
            match &op.spec {
                OpSpec::DdsNew(spec) => self.new_checks(spec).await,
                OpSpec::DdsRecovery(spec) => self.recovery_checks(spec).await,
                OpSpec::DdsCollections(spec) => self.collection_checks(spec).await,
                _ => target_of(op).map(|_| Vec::new()),
            }
        })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            if let OpSpec::DdsNew(spec) = &op.spec {
                return SHAPE.submit(&self.client, op, &spec.name).await;
            }
            job::submit(&self.client, Service::Dds, op).await
        })
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async move {
            if let OpSpec::DdsNew(_) = &op.spec {
                return SHAPE.poll(&self.client, handle).await;
            }
            follow(&self.client, handle, target_of(op)?).await
        })
    }

    /// A create is found by its name. A restore onto an instance is adopted while the
    /// instance's `actions` show it (DDS lists no jobs); from then on the actions are followed.
    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        _submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            if let OpSpec::DdsNew(spec) = &op.spec {
                return SHAPE.reconcile(&self.client, &spec.name).await;
            }
            let target_id = target_of(op)?;
            Ok(match self.instance(target_id).await? {
                Ok(inst)
                    if actions(&inst)
                        .iter()
                        .any(|a| RESTORING.contains(a) || *a == RESTORE_FAILED) =>
                {
                    Some(job::instance_handle(target_id))
                }
                _ => None,
            })
        })
    }

    fn unknown_advice(&self, op: &Operation) -> Option<String> {
        let target = target_of(op).ok()?;
        Some(format!(
            "DDS keeps no list of restore jobs, and instance {target} shows no restore in its \
             actions: check its data (or the console's task center) before you resubmit"
        ))
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
}

/// DDS (`appendix/error_code.rst`) answers "busy" with 403 or 400: `DBS.200011`,
/// `DBS.200018`, `DBS.200019`, `DBS.200047`, `DBS.200076`, `DBS.201000`, `DBS.201014`,
/// `DBS.201015`, `DBS.201202`; "does not exist" is 404 `DBS.200002`, 403 `DBS.201028` or
/// 400 `DBS.201501`/`DBS.201502`.
const DBS: crate::instances::dbs::Dbs = crate::instances::dbs::Dbs {
    shape: &SHAPE,
    codes: crate::instances::DeleteCodes {
        service: rewind_engine::kinds::Service::Dds,
        busy: &[
            "DBS.200011",
            "DBS.200018",
            "DBS.200019",
            "DBS.200047",
            "DBS.200076",
            "DBS.201000",
            "DBS.201014",
            "DBS.201015",
            "DBS.201202",
        ],
        gone: &["DBS.200002", "DBS.201028", "DBS.201501", "DBS.201502"],
    },
    backups_need_instance: false,
};

/// DDS's `restore-time` answers one UTC day (`?date=yyyy-mm-dd`), under `restore_time`.
pub(crate) fn restore_times(time: i64) -> (Query, &'static str) {
    let date = wire_time::format(time, "%Y-%m-%d");
    (Query::new().with("date", date), "restore_time")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn address_picks_the_primary_or_a_mongos() {
        let rs = json!({"port": "8635", "groups": [{"type": "replica", "nodes": [
            {"role": "Hidden", "private_ip": "192.168.0.39"},
            {"role": "Primary", "private_ip": "192.168.0.174"}]}]});
        assert_eq!(
            address(&rs),
            (Some("192.168.0.174".into()), Some("8635".into()))
        );
        let cluster = json!({"port": 8635, "groups": [
            {"type": "shard", "nodes": [{"role": "Primary", "private_ip": "10.2.2.2"}]},
            {"type": "mongos", "nodes": [{"role": "master", "private_ip": "10.1.1.1"}]}]});
        assert_eq!(address(&cluster).0.as_deref(), Some("10.1.1.1"));
    }

    #[test]
    fn actions_decide_an_adopted_restore() {
        let running = json!({"status": "normal", "actions": ["RESTORE"]});
        assert!(matches!(
            by_actions(&running, "i"),
            PollOutcome::Running { .. }
        ));
        let failed = json!({"status": "normal", "actions": ["RESTORE_FAILED_HANGUP"]});
        assert!(matches!(
            by_actions(&failed, "i"),
            PollOutcome::Failed { .. }
        ));
        let done = json!({"status": "normal", "actions": []});
        assert!(matches!(
            by_actions(&done, "i"),
            PollOutcome::Succeeded { .. }
        ));
    }

    #[test]
    fn disks_compare_by_node_type() {
        let source =
            json!({"groups": [{"type": "replica", "volume": {"size": "20", "used": "1"}}]});
        let spec = |size: &str| RestoreNew {
            name: "n".into(),
            restore_point: rewind_engine::kinds::RestorePoint {
                instance_id: None,
                restore_type: None,
                backup_id: Some("b".into()),
                restore_time: None,
            },
            password: None,
            create:
                json!({"flavor": [{"type": "replica", "num": 1, "size": size, "spec_code": "x"}]})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
        };
        assert!(!disk_check(&spec("10"), &source).unwrap().passed);
        assert!(disk_check(&spec("20"), &source).unwrap().passed);
    }
}
