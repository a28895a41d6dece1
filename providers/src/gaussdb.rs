//! `GaussdbProvider`: `gaussdb.restore_new`, a GaussDB (openGauss) restore into a new instance; preflight here, submit, poll and reconcile are `create`'s.
//
// `POST /v3/{project_id}/instances` with `restore_point` → 202 `{instance, job_id}`; the job
// is `CloneGaussDBV5NewInstance` at `GET /v3/{project_id}/jobs?id=` (`gaussdb-opengauss:
// api-ref/source/apis_recommended/backup_management/restoring_data_to_a_new_db_instance.rst`,
// `task_management/obtaining_task_information.rst`). OTC documents no restore to the original
// or an existing GaussDB instance.

use crate::check::{self, check};
use crate::client::Client;
use crate::create::{Shape, number_of, text_of};
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::{OpSpec, RestoreNew, RestoreType, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::sync::Arc;

/// Instances: `BUILD` while created, `ACTIVE` when done, `FAILED` when not
/// (`querying_db_instances.rst`); the address is `private_ips[0]` and `port`. Names need not
/// be unique on GaussDB, so rewind's rule that the name is free before the POST is stricter
/// than the service's.
pub const SHAPE: Shape = Shape {
    service: Service::Gaussdb,
    name_ignores_case: false,
    ready: &["ACTIVE"],
    failed: &["FAILED", "CREATE FAIL"],
    address,
};

fn address(instance: &Value) -> (Option<String>, Option<String>) {
    (
        instance["private_ips"][0]
            .as_str()
            .map(|ips| ips.split(" / ").next().unwrap_or(ips).to_owned()),
        text_of(&instance["port"]),
    )
}

/// The ports the page reserves for the system; 1024 to 39998 otherwise.
const RESERVED_PORTS: [u64; 19] = [
    2378, 2379, 2380, 4999, 5000, 5999, 6000, 6001, 8097, 8098, 12016, 12017, 20049, 20050, 21731,
    21732, 32122, 32123, 32124,
];

/// Read-only checks: the source, the volume (`ULTRAHIGH`, a multiple of 40 GB, at least the
/// source's), the port, the flavor family, the restore point and the name.
pub async fn preflight(client: &Client, spec: &RestoreNew) -> Result<Vec<Check>, ProviderError> {
    let mut checks = Vec::new();
    let point = &spec.restore_point;
    let Some(source_id) = point.instance_id.as_deref() else {
        checks.push(check(
            "restore_point.instance_id names the source",
            false,
            "GaussDB needs the source instance",
        ));
        return Ok(checks);
    };
    let source = SHAPE.by_id(client, source_id).await?;
    checks.push(check::exists(
        format!("source instance {source_id} exists"),
        &source,
    ));
    checks.push(volume_check(spec, source.as_ref().ok()));
    checks.push(fields_check(spec));
    match (point.restore_type, point.restore_time, &point.backup_id) {
        (Some(RestoreType::Timestamp) | None, Some(time), _) => {
            checks.push(window_check(client, source_id, time).await?);
        }
        (_, _, Some(backup_id)) => checks
            .push(check::completed_backup(client, Service::Gaussdb, source_id, backup_id).await?),
        _ => {}
    }
    checks.push(SHAPE.name_check(client, &spec.name).await?);
    Ok(checks)
}

fn volume_check(spec: &RestoreNew, source: Option<&Value>) -> Check {
    let name = "volume is ULTRAHIGH, a multiple of 40 GB and at least the source's";
    let volume = spec.create.get("volume");
    let kind = volume.and_then(|v| v["type"].as_str()).unwrap_or_default();
    let size = volume.and_then(|v| number_of(&v["size"]));
    let have = source.and_then(|s| number_of(&s["volume"]["size"]));
    match size {
        None => check(name, false, "no volume.size in the spec"),
        Some(n) => {
            let mut problems = Vec::new();
            if kind != "ULTRAHIGH" {
                problems.push(format!("type {kind:?}, not ULTRAHIGH"));
            }
            if n == 0 || n % 40 != 0 {
                problems.push(format!("{n} GB is not a multiple of 40"));
            }
            if let Some(h) = have.filter(|h| n < *h) {
                problems.push(format!("{n} GB is less than the source's {h} GB"));
            }
            let shown = have.map_or_else(
                || format!("source size unknown -> {n} GB"),
                |h| format!("{h} GB -> {n} GB"),
            );
            if problems.is_empty() {
                check(name, true, shown)
            } else {
                check(name, false, problems.join("; "))
            }
        }
    }
}

/// `flavor_ref` of the openGauss family, and a `port` the page allows.
fn fields_check(spec: &RestoreNew) -> Check {
    let name = "flavor_ref and port fit GaussDB";
    let mut problems = Vec::new();
    let flavor = spec
        .create
        .get("flavor_ref")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !flavor.starts_with("gaussdb.opengauss.") {
        problems.push(format!(
            "flavor_ref {flavor:?} is not a gaussdb.opengauss.* code"
        ));
    }
    if let Some(port) = spec.create.get("port") {
        match number_of(port) {
            Some(p) if (1024..=39_998).contains(&p) && !RESERVED_PORTS.contains(&p) => {}
            _ => problems.push(format!(
                "port {} is outside 1024-39998 or reserved",
                text_of(port).unwrap_or_default()
            )),
        }
    }
    if problems.is_empty() {
        check(name, true, flavor)
    } else {
        check(name, false, problems.join("; "))
    }
}

/// `GET /v3/{project_id}/instances/{id}/restore-time?date=` (the date is mandatory here):
/// the windows of the restore time's UTC day.
async fn window_check(client: &Client, source_id: &str, time: i64) -> Result<Check, ProviderError> {
    let name = "restore_time is inside the source's restorable window";
    let path = format!("/v3/{{project_id}}/instances/{source_id}/restore-time");
    let query = Query::new().with("date", wire_time::format(time, "%Y-%m-%d"));
    Ok(
        match check::fetch(client, Service::Gaussdb, &path, &query).await? {
            Ok(body) => check::window(name, time, &check::windows(&body["restore_time"])),
            Err(why) => check(name, false, why),
        },
    )
}

#[derive(Debug, Clone)]
pub struct GaussdbProvider {
    client: Arc<Client>,
}

impl GaussdbProvider {
    pub fn new(client: Arc<Client>) -> GaussdbProvider {
        GaussdbProvider { client }
    }
}

fn spec(op: &Operation) -> Result<&RestoreNew, ProviderError> {
    match &op.spec {
        OpSpec::GaussdbNew(spec) => Ok(spec),
        other => Err(ProviderError {
            message: format!(
                "{}: {} was handed to the gaussdb provider",
                op.name,
                other.kind()
            ),
            transient: false,
        }),
    }
}

impl Provider for GaussdbProvider {
    fn service(&self) -> Service {
        Service::Gaussdb
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(self.client.prepare(Service::Gaussdb))
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move { preflight(&self.client, spec(op)?).await })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            let name = spec(op)
                .map_err(|e| SubmitError::NotSent { message: e.message })?
                .name
                .clone();
            SHAPE.submit(&self.client, op, &name).await
        })
    }

    fn poll<'a>(
        &'a self,
        _op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(SHAPE.poll(&self.client, handle))
    }

    /// The instance carrying the name is the one the POST created: the name was free before.
    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        _submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move { SHAPE.reconcile(&self.client, &spec(op)?.name).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_engine::kinds::RestorePoint;
    use serde_json::json;

    fn spec(create: &Value) -> RestoreNew {
        RestoreNew {
            name: "targetInst".into(),
            restore_point: RestorePoint {
                instance_id: Some("d8e6ca5a624745bcb546a227aa3ae1cfin14".into()),
                restore_type: None,
                backup_id: Some("2f4ddb93b9014b0893d81d2e472f30febr14".into()),
                restore_time: None,
            },
            password: None,
            create: create.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn volumes_follow_the_page() {
        let source = json!({"volume": {"size": 160}});
        let ok = spec(&json!({"volume": {"type": "ULTRAHIGH", "size": 160}}));
        assert!(volume_check(&ok, Some(&source)).passed);
        let small = spec(&json!({"volume": {"type": "ULTRAHIGH", "size": 120}}));
        assert!(!volume_check(&small, Some(&source)).passed);
        let odd = spec(&json!({"volume": {"type": "ULTRAHIGH", "size": 170}}));
        assert!(volume_check(&odd, None).observed.contains("multiple of 40"));
        let disk = spec(&json!({"volume": {"type": "SSD", "size": 160}}));
        assert!(!volume_check(&disk, None).passed);
    }

    #[test]
    fn the_documented_example_fields_pass_and_reserved_ports_fail() {
        let ok =
            spec(&json!({"flavor_ref": "gaussdb.opengauss.ee.dn.m4.2xlarge.8.in", "port": 8000}));
        assert!(fields_check(&ok).passed);
        let reserved =
            spec(&json!({"flavor_ref": "gaussdb.opengauss.ee.dn.m4.2xlarge.8.in", "port": "5000"}));
        assert!(!fields_check(&reserved).passed);
        let rds = spec(&json!({"flavor_ref": "rds.pg.n1.large"}));
        assert!(!fields_check(&rds).passed);
    }

    #[test]
    fn a_distributed_instances_ip_list_gives_its_first_address() {
        let inst = json!({"private_ips": ["192.168.16.253 / 192.168.28.81"], "port": 8000});
        assert_eq!(
            address(&inst),
            (Some("192.168.16.253".to_owned()), Some("8000".to_owned()))
        );
    }
}
