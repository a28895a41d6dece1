//! `rewind init rds --deleted NAME|ID`: a deleted instance, found in the recycle bin, rebuilt as an `rds.restore_new` from its recycle backup.
//
// The bin keeps the engine, version, HA mode and volume, but not the network or the flavor
// (`querying_instances_in_the_recycle_bin.rst`). The network is copied from a live RDS
// instance of the same engine, the flavor is the smallest the flavor list offers for the
// engine, version and mode; the spec's comments say so, for the user to check.

use super::names::{instance_name, op_name};
use super::shared::{Scaffold, field, password_secret};
use super::yaml::{Entry, Y, entry, s};
use crate::error::CliError;
use rewind_engine::kinds::Service;
use rewind_providers::check::{self, Paged};
use rewind_providers::client::Client;
use rewind_providers::query::Query;
use rewind_providers::{rds_recycle, wire_time};
use serde_json::Value;
use std::collections::BTreeSet;

const BIN: &str = "GET /v3/{project_id}/recycle-instances";

const INSTANCES: Paged<'static> = Paged {
    service: Service::Rds,
    path: "/v3/{project_id}/instances",
    items: "instances",
    total: "total_count",
    page: 100,
    max_pages: 20,
};

fn read_error(what: &str, why: impl std::fmt::Display) -> CliError {
    CliError::msg(format!("{what}: {why}"))
}

/// The one entry of the bin that `wanted` names.
fn pick<'v>(bin: &'v [Value], wanted: &str) -> Result<&'v Value, CliError> {
    let found = rds_recycle::find(bin, wanted);
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut names: Vec<&str> = bin.iter().filter_map(|i| i["name"].as_str()).collect();
            names.sort_unstable();
            Err(CliError::hint(
                format!(
                    "no instance named or with ID {wanted} is in the RDS recycle bin ({BIN}); {}",
                    if names.is_empty() {
                        "the bin is empty".to_owned()
                    } else {
                        format!("it holds: {}", names.join(", "))
                    }
                ),
                "deleted instances stay for the recycling policy's 1 to 7 days; read replicas \
                 never enter the bin",
            ))
        }
        many => {
            let ids: Vec<String> = many
                .iter()
                .map(|i| {
                    format!(
                        "{} (deleted {})",
                        i["id"].as_str().unwrap_or("?"),
                        i["deleted_at"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            Err(CliError::hint(
                format!(
                    "{} instances named {wanted} are in the recycle bin: {}",
                    many.len(),
                    ids.join(", ")
                ),
                "pass the ID of the one to rebuild: --deleted ID",
            ))
        }
    }
}

/// The flavor list's version key: `8.0` of `8.0.28`, `14` of `14.4`, SQL Server's as it is.
fn version_name(engine: &str, version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    match engine {
        "mysql" if parts.len() > 2 => parts[..2].join("."),
        "postgresql" if parts.len() > 1 => parts[0].to_owned(),
        _ => version.to_owned(),
    }
}

/// The smallest flavor of the engine, version and mode (`single` or `ha`).
async fn flavor(
    client: &Client,
    engine: &str,
    version: &str,
    mode: &str,
) -> Result<(String, String), CliError> {
    let v = version_name(engine, version);
    let path = format!("/v3/{{project_id}}/flavors/{engine}");
    let shown = format!("GET {path}?version_name={v}");
    let body = check::fetch(
        client,
        Service::Rds,
        &path,
        &Query::new().with("version_name", &v),
    )
    .await
    .map_err(|e| read_error(&shown, e))?
    .map_err(|why| read_error(&shown, why))?;
    let mut offered: Vec<&Value> = check::array(&body["flavors"])
        .iter()
        .filter(|f| f["instance_mode"].as_str() == Some(mode))
        .collect();
    let size = |f: &Value| {
        let n = |k: &str| {
            f[k].as_u64()
                .or_else(|| f[k].as_str().and_then(|t| t.parse().ok()))
                .unwrap_or(u64::MAX)
        };
        (n("vcpus"), n("ram"))
    };
    offered.sort_by(|a, b| {
        size(a)
            .cmp(&size(b))
            .then_with(|| a["spec_code"].as_str().cmp(&b["spec_code"].as_str()))
    });
    let code = offered
        .first()
        .and_then(|f| f["spec_code"].as_str())
        .ok_or_else(|| {
            CliError::hint(
                format!("{shown} offers no {mode} flavor for {engine} {version}"),
                "rebuild it by hand with a flavor of your choice (kind: rds.restore_new)",
            )
        })?;
    Ok((code.to_owned(), shown))
}

/// A live instance of the engine to copy the network from: the first `ACTIVE` one by ID.
async fn neighbour(client: &Client, engine: &str) -> Result<Value, CliError> {
    let shown = "GET /v3/{project_id}/instances";
    let (mut list, _) = check::fetch_all(client, INSTANCES, &Query::new())
        .await
        .map_err(|e| read_error(shown, e))?
        .map_err(|why| read_error(shown, why))?;
    list.retain(|i| i["status"].as_str() == Some("ACTIVE"));
    list.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let same = |i: &&Value| {
        i["datastore"]["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(engine))
    };
    list.iter()
        .find(same)
        .or_else(|| list.first())
        .cloned()
        .ok_or_else(|| {
            CliError::hint(
                "the recycle bin keeps no network, and no live RDS instance exists to copy one from"
                    .to_owned(),
                "rebuild it by hand: kind: rds.restore_new with your vpc_id, subnet_id, \
                 security_group_id and availability_zone",
            )
        })
}

pub async fn scaffold(client: &Client, wanted: &str) -> Result<Scaffold, CliError> {
    let bin = rds_recycle::list(client)
        .await
        .map_err(|e| read_error(BIN, e))?
        .map_err(|why| read_error(BIN, why))?;
    let found = pick(&bin, wanted)?;
    let id = field(found, "/id", BIN)?;
    let status = found["recycle_status"].as_str().unwrap_or_default();
    if status != "COMPLETED" {
        return Err(CliError::hint(
            format!("deleted instance {id} cannot be rebuilt yet: recycle_status is {status}"),
            "its recycle backup is still being taken; try again once the bin shows COMPLETED",
        ));
    }
    let now = rds_recycle::cloud_now(client);
    let until = wire_time::value_ms(&found["retained_until"]);
    if let Some(u) = until
        && u <= now.saturating_add(rds_recycle::EXPECTED_REBUILD_MS)
    {
        return Err(CliError::hint(
            format!(
                "deleted instance {id} leaves the recycle bin at {}, before a rebuild (about {} minutes) could end",
                wire_time::show(u),
                rds_recycle::EXPECTED_REBUILD_MS / 60_000
            ),
            "rebuild it from the console now, or restore another backup of it",
        ));
    }
    let backup = field(found, "/recycle_backup_id", BIN)?;
    let engine = field(found, "/engine_name", BIN)?.to_ascii_lowercase();
    let version = field(found, "/engine_version", BIN)?;
    let source_name = found["name"].as_str().unwrap_or(&id).to_owned();
    let ha = found["ha_mode"]
        .as_str()
        .is_some_and(|m| m.eq_ignore_ascii_case("ha"));
    let size = found["volume_size"]
        .as_i64()
        .ok_or_else(|| CliError::msg(format!("{BIN} gave no `volume_size` for {id}")))?;
    let volume_type = field(found, "/volume_type", BIN)?;
    let (flavor_ref, flavor_from) =
        flavor(client, &engine, &version, if ha { "ha" } else { "single" }).await?;
    let net = neighbour(client, &engine).await?;
    let net_path = format!(
        "GET /v3/{{project_id}}/instances?id={}",
        net["id"].as_str().unwrap_or_default()
    );
    let net_name = net["name"].as_str().unwrap_or("?").to_owned();
    let f = |p: &str| field(&net, p, &net_path);

    let mut out = Scaffold::default();
    out.header.push(format!(
        "Rebuilds deleted instance {source_name} ({id}) from its recycle backup."
    ));
    let stamp = wire_time::value_ms(&found["deleted_at"]).map_or_else(
        || "deleted".to_owned(),
        |t| wire_time::format(t, "%Y%m%d%H%M"),
    );
    out.vars.push(
        entry("name", s(instance_name(&source_name, &stamp)))
            .note("Name of the new instance: rewind makes sure it is unique before creating it."),
    );
    out.secrets.push(password_secret());
    let mut taken = BTreeSet::new();
    let op = op_name(&source_name, &mut taken);
    let mut body: Vec<Entry> = vec![
        entry("kind", s("rds.restore_new")),
        entry("name", s("${var.name}")),
        entry(
            "restore_point",
            Y::Map(vec![
                entry("instance_id", s(&id)).note(format!(
                    "The deleted instance, in the recycle bin ({BIN}): {} {version}, deleted {}, kept until {}.",
                    engine,
                    found["deleted_at"].as_str().unwrap_or("?"),
                    found["retained_until"].as_str().unwrap_or("?")
                )),
                entry("type", s("backup")),
                entry("backup_id", s(&backup)).note("Its recycle_backup_id."),
            ]),
        ),
        entry("flavor_ref", s(flavor_ref)).note(format!(
            "The smallest {} flavor of {flavor_from}: the bin keeps no flavor. Check it.",
            if ha { "ha" } else { "single" }
        )),
        entry(
            "volume",
            Y::Map(vec![
                entry("type", s(volume_type)),
                entry("size", Y::Int(size)),
            ]),
        )
        .note(format!("The deleted instance's, from {BIN}.")),
    ];
    if ha {
        let replication = match engine.as_str() {
            "sqlserver" => "sync",
            _ => "async",
        };
        body.push(entry(
            "ha",
            Y::Map(vec![
                entry("mode", s("ha")),
                entry("replication_mode", s(replication)),
            ]),
        ));
    }
    body.extend([
        entry(
            "availability_zone",
            s(super::ddm::availability_zone(&net, &net_path)?),
        )
        .note(format!(
            "Network copied from live instance {net_name} ({net_path}): the bin keeps none. Check it."
        )),
        entry("vpc_id", s(f("/vpc_id")?)),
        entry("subnet_id", s(f("/subnet_id")?)),
        entry("security_group_id", s(f("/security_group_id")?)),
        entry("password", s("${secrets.node_password}")),
    ]);
    out.restores.push(entry(&op, Y::Map(body)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_names_follow_the_flavor_list() {
        assert_eq!(version_name("mysql", "5.7.44"), "5.7");
        assert_eq!(version_name("mysql", "8.0"), "8.0");
        assert_eq!(version_name("postgresql", "14.4"), "14");
        assert_eq!(version_name("sqlserver", "2019_SE"), "2019_SE");
    }

    #[test]
    fn names_ids_and_duplicates_are_told_apart() {
        let bin = vec![
            json!({"id": "a1in01", "name": "orders", "deleted_at": "x"}),
            json!({"id": "b2in01", "name": "orders", "deleted_at": "y"}),
            json!({"id": "c3in01", "name": "users"}),
        ];
        assert_eq!(pick(&bin, "users").unwrap()["id"], "c3in01");
        assert_eq!(pick(&bin, "b2in01").unwrap()["id"], "b2in01");
        let twice = pick(&bin, "orders").unwrap_err().to_string();
        assert!(
            twice.contains("a1in01") && twice.contains("b2in01"),
            "{twice}"
        );
        let none = pick(&bin, "gone").unwrap_err().to_string();
        assert!(none.contains("it holds: orders, orders, users"), "{none}");
    }
}
