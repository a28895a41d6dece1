//! `rewind init rds|taurusdb|dds|dcs|cbr`: one restore, from the newest backup or a checked point in time.

use super::ddm::rds_create_fields;
use super::names::{instance_name, op_name, short};
use super::shared::{Point, Scaffold, cloud, field, inside, password_secret, time_text};
use super::yaml::{Entry, Y, entry, s};
use crate::args::{InitArgs, InitService, Targets};
use crate::error::CliError;
use rewind_engine::kinds::Service;
use rewind_providers::discover::Discover;
use rewind_providers::wire_time;
use serde_json::Value;
use std::collections::BTreeSet;

/// The newest backup of `list` whose status is one of `done`: by `time_key`, then ID.
fn newest(list: &[Value], id_key: &str, time_key: &str, done: &[&str]) -> Option<(String, i64)> {
    list.iter()
        .filter(|b| b["status"].as_str().is_some_and(|st| done.contains(&st)))
        .filter_map(|b| {
            let id = b[id_key].as_str()?.to_owned();
            let t = wire_time::value_ms(&b[time_key]).unwrap_or(i64::MIN);
            Some((id, t))
        })
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
}

fn no_backup(what: &str, path: &str) -> CliError {
    CliError::hint(
        format!("{what} has no finished backup ({path})"),
        "take a backup first, or restore a point in time with --at TIME",
    )
}

/// The target of a restore onto an existing instance: never guessed.
fn target(args: &InitArgs) -> Result<String, CliError> {
    args.target.clone().ok_or_else(|| {
        CliError::hint(
            format!(
                "`rewind init {}` restores onto an existing instance, which it overwrites: name it with --target ID",
                args.service.name()
            ),
            "--target may be the source itself only where the service allows restoring in place",
        )
    })
}

pub async fn scaffold(d: &Discover, args: &InitArgs, point: Point) -> Result<Scaffold, CliError> {
    let id = args.instance.as_str();
    let mut out = Scaffold::default();
    let service = args.service;
    let svc = match service {
        InitService::Rds => Service::Rds,
        InitService::Taurusdb => Service::Taurusdb,
        InitService::Dds => Service::Dds,
        InitService::Dcs => return dcs(d, id, out).await,
        InitService::Cbr => return cbr(d, id, out).await,
        InitService::Ddm => return Err(CliError::msg("ddm is scaffolded elsewhere")),
    };
    // Where the data comes from: a window-checked time or the newest backup.
    let (type_, from, note, stamp) = match point {
        Point::At(at) => {
            let windows = d.windows(svc, id, at).await.map_err(cloud)?;
            inside(
                &format!("{} instance {id}", service.display()),
                at,
                &windows,
                true,
            )?;
            out.vars
                .push(entry("at", s(time_text(at))).note("The point in time restored to."));
            let note =
                format!("Inside the window of GET /v3/{{project_id}}/instances/{id}/restore-time");
            let stamp = wire_time::format(at, "%Y%m%d%H%M");
            (
                "timestamp",
                entry("restore_time", s("${var.at}")),
                note,
                stamp,
            )
        }
        Point::LatestBackup => {
            let path = format!("GET /v3/{{project_id}}/backups?instance_id={id}");
            let list = d.backups(svc, id).await.map_err(cloud)?;
            let (backup, ended) = newest(&list, "id", "end_time", &["COMPLETED", "AVAILABLE"])
                .or_else(|| newest(&list, "id", "begin_time", &["COMPLETED", "AVAILABLE"]))
                .ok_or_else(|| no_backup(&format!("instance {id}"), &path))?;
            let note = format!("Newest completed backup in {path}");
            // Named for when the backup was taken, so the name says what the data is.
            let stamp = if ended == i64::MIN {
                "backup".to_owned()
            } else {
                wire_time::format(ended, "%Y%m%d%H%M")
            };
            ("backup", entry("backup_id", s(backup)), note, stamp)
        }
    };
    let mut taken = BTreeSet::new();
    let (op, restore) = match (service, args.targets) {
        (InitService::Rds, Targets::New) => {
            let path = format!("GET /v3/{{project_id}}/instances?id={id}");
            let inst = d.instance(Service::Rds, id).await.map_err(cloud)?;
            let source_name = inst["name"].as_str().unwrap_or(id).to_owned();
            out.vars
                .push(entry("name", s(instance_name(&source_name, &stamp))).note(
                    "Name of the new instance: rewind makes sure it is unique before creating it.",
                ));
            out.secrets.push(password_secret());
            let op = op_name(&source_name, &mut taken);
            let mut body = vec![
                entry("kind", s("rds.restore_new")),
                entry("name", s("${var.name}")),
                new_restore_point(id, type_, from.note(note)),
            ];
            body.extend(rds_create_fields(&inst, &path)?);
            (op, body)
        }
        (InitService::Dds, Targets::New) => {
            let path = format!("GET /v3/{{project_id}}/instances?id={id}");
            let inst = d.instance(Service::Dds, id).await.map_err(cloud)?;
            let source_name = inst["name"].as_str().unwrap_or(id).to_owned();
            out.vars
                .push(entry("name", s(instance_name(&source_name, &stamp))).note(
                    "Name of the new instance: rewind makes sure it is unique before creating it.",
                ));
            out.secrets.push(password_secret());
            let f = |p: &str| field(&inst, p, &path);
            let op = op_name(&source_name, &mut taken);
            (
                op,
                vec![
                    entry("kind", s("dds.restore_new")),
                    entry("name", s("${var.name}")),
                    new_restore_point(id, type_, from.note(note)),
                    entry("availability_zone", s(dds_zone(&inst, &path)?))
                        .note(format!("Copied from the source: {path}")),
                    entry("vpc_id", s(f("/vpc_id")?)),
                    entry("subnet_id", s(f("/subnet_id")?)),
                    entry("security_group_id", s(f("/security_group_id")?)),
                    entry("flavor", dds_flavor(&inst, &path)?),
                    entry("password", s("${secrets.node_password}")),
                ],
            )
        }
        (InitService::Taurusdb, _) => {
            let t = target(args)?;
            out.vars
                .push(entry("target", s(t)).note("Overwritten by the restore (--target)."));
            let op = op_name(&format!("taurusdb-{}", short(id)), &mut taken);
            let mut body = vec![
                entry("kind", s("taurusdb.restore")),
                entry("source_instance_id", s(id)).note("The source (--instance)."),
                entry("target_instance_id", s("${var.target}")),
                entry("type", s(type_)),
                from.note(note),
            ];
            if args.target.as_deref() == Some(id) {
                body.push(entry("allow_overwrite_source", Y::Bool(true)));
            }
            (op, body)
        }
        (_, _) => {
            let t = target(args)?;
            out.vars
                .push(entry("target", s(t)).note("Overwritten by the restore (--target)."));
            let (kind, prefix) = if service == InitService::Dds {
                ("dds.restore", "dds")
            } else {
                ("rds.restore", "rds")
            };
            let op = op_name(&format!("{prefix}-{}", short(id)), &mut taken);
            let mut body = existing(kind, id, type_, from.note(note));
            if args.target.as_deref() == Some(id) {
                body.push(
                    entry("allow_overwrite_source", Y::Bool(true))
                        .note("--target is the source itself: it is restored in place."),
                );
            }
            (op, body)
        }
    };
    out.restores.push(entry(&op, Y::Map(restore)));
    Ok(out)
}

fn existing(kind: &str, id: &str, type_: &str, from: Entry) -> Vec<Entry> {
    vec![
        entry("kind", s(kind)),
        entry(
            "source",
            Y::Map(vec![
                entry("instance_id", s(id)).note("The source (--instance)."),
                entry("type", s(type_)),
                from,
            ]),
        ),
        entry(
            "target",
            Y::Map(vec![entry("instance_id", s("${var.target}"))]),
        ),
    ]
}

async fn dcs(d: &Discover, id: &str, mut out: Scaffold) -> Result<Scaffold, CliError> {
    let path = format!("GET /v2/{{project_id}}/instances/{id}/backups");
    let list = d.dcs_backups(id).await.map_err(cloud)?;
    let (backup, _) = newest(&list, "backup_id", "created_at", &["succeed"])
        .ok_or_else(|| no_backup(&format!("DCS instance {id}"), &path))?;
    let op = op_name(&format!("dcs-{}", short(id)), &mut BTreeSet::new());
    out.restores.push(entry(
        &op,
        Y::Map(vec![
            entry("kind", s("dcs.restore")),
            entry("instance_id", s(id)).note("Overwritten by the restore (--instance)."),
            entry("backup_id", s(backup)).note(format!("Newest succeeded backup in {path}")),
            entry("remark", s("rewind init")),
        ]),
    ));
    Ok(out)
}

async fn cbr(d: &Discover, id: &str, mut out: Scaffold) -> Result<Scaffold, CliError> {
    let path = format!("GET /v3/{{project_id}}/backups?resource_id={id}");
    let list = d.cbr_backups(id).await.map_err(cloud)?;
    let (backup, _) = newest(&list, "id", "created_at", &["available"])
        .ok_or_else(|| no_backup(&format!("resource {id}"), &path))?;
    let chosen = list
        .iter()
        .find(|b| b["id"].as_str() == Some(backup.as_str()))
        .cloned()
        .unwrap_or_default();
    let server = chosen["resource_type"].as_str() == Some("OS::Nova::Server");
    let mut body = vec![
        entry("kind", s("cbr.restore")),
        entry("backup_id", s(backup)).note(format!("Newest available backup in {path}")),
    ];
    if server {
        let mut mappings: Vec<(String, String)> = chosen["children"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| {
                Some((
                    c["id"].as_str()?.to_owned(),
                    c["resource_id"].as_str()?.to_owned(),
                ))
            })
            .collect();
        mappings.sort();
        body.push(entry("server_id", s(id)).note("Overwritten by the restore (--instance)."));
        body.push(entry("power_on", Y::Bool(true)));
        body.push(
            entry(
                "mappings",
                Y::List(
                    mappings
                        .into_iter()
                        .map(|(b, v)| {
                            Y::Map(vec![entry("backup_id", s(b)), entry("volume_id", s(v))])
                        })
                        .collect(),
                ),
            )
            .note(
                "Each disk backup back onto the volume it was taken from (the backup's children).",
            ),
        );
    } else {
        body.push(entry("volume_id", s(id)).note("Overwritten by the restore (--instance)."));
    }
    let op = op_name(&format!("cbr-{}", short(id)), &mut BTreeSet::new());
    out.restores.push(entry(&op, Y::Map(body)));
    Ok(out)
}

/// `restore_point` of a create from `id`: its type and where the point comes from.
fn new_restore_point(id: &str, type_: &str, from: Entry) -> Entry {
    entry(
        "restore_point",
        Y::Map(vec![
            entry("instance_id", s(id)).note("The source (--instance)."),
            entry("type", s(type_)),
            from,
        ]),
    )
}

/// The zone of a DDS instance's first node (the instance itself names none).
fn dds_zone(inst: &Value, path: &str) -> Result<String, CliError> {
    inst["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["nodes"].as_array().into_iter().flatten())
        .find_map(|n| n["availability_zone"].as_str().filter(|z| !z.is_empty()))
        .map(str::to_owned)
        .ok_or_else(|| CliError::msg(format!("{path} gave no node `availability_zone`")))
}

/// The create `flavor` of a replica set or single node like the source: one group, its
/// node specification and disk size. A cluster's layout is the user's to choose.
fn dds_flavor(inst: &Value, path: &str) -> Result<Y, CliError> {
    let groups = inst["groups"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let [group] = groups else {
        return Err(CliError::hint(
            format!("{path}: the source is a cluster ({} groups)", groups.len()),
            "write its `flavor` (mongos, shard, config) by hand; see examples/dds-restore.yaml",
        ));
    };
    let kind = group["type"].as_str().unwrap_or_default().to_owned();
    let spec_code = group["nodes"][0]["spec_code"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| CliError::msg(format!("{path} gave no node `spec_code`")))?;
    let size = group["volume"]["size"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| group["volume"]["size"].as_i64().map(|n| n.to_string()))
        .ok_or_else(|| CliError::msg(format!("{path} gave no `volume.size`")))?;
    Ok(Y::List(vec![Y::Map(vec![
        entry("type", s(&kind)),
        entry("num", Y::Int(1)),
        entry("size", s(&size)),
        entry("spec_code", s(spec_code)),
    ])]))
}
