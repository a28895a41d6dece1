//! `rds.restore_new`: preflight of a restore into a new RDS instance; submit, poll and reconcile are `create`'s.

use crate::check::{self, check};
use crate::client::Client;
use crate::create::{Shape, number_of, text_of};
use crate::query::Query;
use rewind_engine::kinds::{RestoreNew, RestoreType, Service};
use rewind_engine::provider::{Check, ProviderError};
use serde_json::Value;

/// RDS instances: `BUILD` while created, `ACTIVE` when done, `CREATE FAIL` or `FAILED`
/// (`querying_db_instances.rst`); the address is `private_ips[0]` and `port`.
pub const SHAPE: Shape = Shape {
    service: Service::Rds,
    name_ignores_case: true,
    ready: &["ACTIVE"],
    failed: &["CREATE FAIL", "FAILED"],
    address,
};

fn address(instance: &Value) -> (Option<String>, Option<String>) {
    (
        instance["private_ips"][0].as_str().map(str::to_owned),
        text_of(&instance["port"]),
    )
}

/// Read-only checks of a restore into a new instance: the source, its engine and version
/// (which the new instance takes), the flavor, the volume, the restore point and the name.
pub async fn preflight(client: &Client, spec: &RestoreNew) -> Result<Vec<Check>, ProviderError> {
    let mut checks = Vec::new();
    let point = &spec.restore_point;
    let Some(source_id) = point.instance_id.as_deref() else {
        checks.push(check(
            "restore_point.instance_id names the source",
            false,
            "RDS needs the source instance",
        ));
        checks.push(SHAPE.name_check(client, &spec.name).await?);
        return Ok(checks);
    };
    let source = SHAPE.by_id(client, source_id).await?;
    if source.is_err() {
        // A deleted instance is rebuilt from its recycle backup (`rds_recycle`).
        let now = crate::rds_recycle::cloud_now(client);
        let expected = crate::rds_recycle::EXPECTED_REBUILD_MS;
        let backup = point.backup_id.as_deref();
        let recycled =
            crate::rds_recycle::preflight(client, source_id, backup, now, expected).await?;
        if recycled.first().is_some_and(|c| c.passed) {
            checks.extend(recycled);
            checks.push(SHAPE.name_check(client, &spec.name).await?);
            return Ok(checks);
        }
    }
    checks.push(check::exists(
        format!("source instance {source_id} exists"),
        &source,
    ));
    if let Ok(source) = &source {
        let engine = source["datastore"]["type"].as_str().unwrap_or_default();
        let version = source["datastore"]["version"].as_str().unwrap_or_default();
        checks.push(check(
            "the new instance takes the source's engine and version",
            !engine.is_empty() && !version.is_empty(),
            format!("{engine} {version}"),
        ));
        if !engine.is_empty() {
            checks.push(flavor_check(client, spec, engine, version).await?);
            checks.push(engine_fields(spec, engine));
        }
        checks.push(volume_check(spec, source));
    }
    match (point.restore_type, point.restore_time, &point.backup_id) {
        (Some(RestoreType::Timestamp) | None, Some(time), _) => {
            let name = "restore_time is inside the source's restorable window";
            let path = format!("/v3/{{project_id}}/instances/{source_id}/restore-time");
            checks.push(
                match check::fetch(client, Service::Rds, &path, &Query::new()).await? {
                    Ok(body) => check::window(name, time, &check::windows(&body["restore_time"])),
                    Err(why) => check(name, false, why),
                },
            );
        }
        (_, _, Some(backup_id)) => {
            checks.push(check::completed_backup(client, Service::Rds, source_id, backup_id).await?);
        }
        // The loader makes type and fields agree; nothing to read otherwise.
        _ => {}
    }
    checks.push(SHAPE.name_check(client, &spec.name).await?);
    Ok(checks)
}

/// `GET /v3/{project_id}/flavors/{database_name}?version_name=` lists the classes of the
/// engine and version (`querying_database_specifications.rst`); `flavor_ref` must be one.
async fn flavor_check(
    client: &Client,
    spec: &RestoreNew,
    engine: &str,
    version: &str,
) -> Result<Check, ProviderError> {
    let Some(flavor) = spec.create.get("flavor_ref").and_then(Value::as_str) else {
        return Ok(check(
            "flavor_ref is given",
            false,
            "no flavor_ref in the spec",
        ));
    };
    let name = format!("flavor {flavor} exists for {engine} {version}");
    let path = format!("/v3/{{project_id}}/flavors/{engine}");
    let query = Query::new().with("version_name", version);
    let list = match check::fetch(client, Service::Rds, &path, &query).await? {
        Ok(body) => body,
        Err(why) => return Ok(check(name, false, why)),
    };
    let Some(found) = check::find(check::array(&list["flavors"]), "spec_code", flavor) else {
        return Ok(check(
            name,
            false,
            format!(
                "not among the {} flavors offered",
                check::array(&list["flavors"]).len()
            ),
        ));
    };
    // A class sold out or unsupported in a requested AZ fails the create as surely.
    let zones = spec
        .create
        .get("availability_zone")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let unavailable: Vec<String> = zones
        .split(',')
        .map(str::trim)
        .filter(|az| !az.is_empty())
        .filter_map(|az| {
            let status = found["az_status"][az].as_str()?;
            (status != "normal").then(|| format!("{az}: {status}"))
        })
        .collect();
    let mode = found["instance_mode"].as_str().unwrap_or("?");
    Ok(if unavailable.is_empty() {
        check(name, true, format!("{flavor} ({mode})"))
    } else {
        check(name, false, unavailable.join(", "))
    })
}

/// The documented differences between the engines, in the fields the spec may set: the
/// port range, the HA replication mode, and `collation` (SQL Server only).
fn engine_fields(spec: &RestoreNew, engine: &str) -> Check {
    let kind = engine.to_ascii_lowercase();
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    if let Some(port) = spec.create.get("port") {
        match number_of(port).and_then(|p| u16::try_from(p).ok()) {
            Some(p) if port_ok(&kind, p) => seen.push(format!("port {p}")),
            _ => problems.push(format!(
                "port {} is outside {engine}'s range ({})",
                text_of(port).unwrap_or_default(),
                port_range(&kind)
            )),
        }
    }
    if let Some(mode) = spec
        .create
        .get("ha")
        .and_then(|ha| ha["replication_mode"].as_str())
    {
        let allowed: &[&str] = match kind.as_str() {
            "postgresql" => &["async", "sync"],
            "sqlserver" => &["sync"],
            _ => &["async", "semisync"],
        };
        if allowed.contains(&mode) {
            seen.push(format!("replication {mode}"));
        } else {
            problems.push(format!(
                "replication_mode {mode}: {engine} takes {}",
                allowed.join(" or ")
            ));
        }
    }
    if spec.create.contains_key("collation") && kind != "sqlserver" {
        problems.push("collation applies to SQL Server only".to_owned());
    }
    let name = format!("create fields fit {engine}");
    if problems.is_empty() {
        let shown = if seen.is_empty() {
            "defaults".to_owned()
        } else {
            seen.join(", ")
        };
        check(name, true, shown)
    } else {
        check(name, false, problems.join("; "))
    }
}

/// The documented port ranges: MySQL 1024-65535 but 12017 and 33071; PostgreSQL 2100-9500;
/// SQL Server 1433 or 2100-9500 but 5355 and 5985.
fn port_ok(engine: &str, p: u16) -> bool {
    match engine {
        "postgresql" => (2100..=9500).contains(&p),
        "sqlserver" => p == 1433 || ((2100..=9500).contains(&p) && p != 5355 && p != 5985),
        _ => p >= 1024 && p != 12017 && p != 33071,
    }
}

fn port_range(engine: &str) -> &'static str {
    match engine {
        "postgresql" => "2100-9500",
        "sqlserver" => "1433 or 2100-9500, not 5355 or 5985",
        _ => "1024-65535, not 12017 or 33071",
    }
}

/// The new volume must be at least the source's (the page's constraints).
fn volume_check(spec: &RestoreNew, source: &Value) -> Check {
    let name = "new volume is at least the source's";
    let want = spec
        .create
        .get("volume")
        .and_then(|v| number_of(&v["size"]));
    let have = number_of(&source["volume"]["size"]);
    match (have, want) {
        (Some(s), Some(n)) => check(name, n >= s, format!("{s} GB -> {n} GB")),
        (_, None) => check(name, false, "no volume.size in the spec"),
        (None, Some(n)) => check(name, true, format!("source size unknown -> {n} GB")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_engine::kinds::RestorePoint;
    use serde_json::json;

    fn spec(create: &Value) -> RestoreNew {
        RestoreNew {
            name: "drill-a".into(),
            restore_point: RestorePoint {
                instance_id: Some("s".into()),
                restore_type: None,
                backup_id: None,
                restore_time: Some(1),
            },
            password: None,
            create: create.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn engine_differences() {
        assert!(engine_fields(&spec(&json!({"port": "3306"})), "MySQL").passed);
        assert!(!engine_fields(&spec(&json!({"port": "1500"})), "PostgreSQL").passed);
        assert!(engine_fields(&spec(&json!({"port": 1433})), "SQLServer").passed);
        assert!(!engine_fields(&spec(&json!({"port": 5355})), "SQLServer").passed);
        let ha = json!({"ha": {"mode": "ha", "replication_mode": "semisync"}});
        assert!(engine_fields(&spec(&ha), "MySQL").passed);
        assert!(!engine_fields(&spec(&ha), "SQLServer").passed);
        assert!(!engine_fields(&spec(&json!({"collation": "x"})), "MySQL").passed);
        assert!(engine_fields(&spec(&json!({"collation": "x"})), "SQLServer").passed);
    }

    #[test]
    fn volume_sizes() {
        let source = json!({"volume": {"size": 100}});
        assert!(!volume_check(&spec(&json!({"volume": {"size": 40}})), &source).passed);
        assert!(volume_check(&spec(&json!({"volume": {"size": "100"}})), &source).passed);
        assert!(!volume_check(&spec(&json!({})), &source).passed);
    }
}
