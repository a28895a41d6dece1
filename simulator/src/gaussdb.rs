//! GaussDB (openGauss) v3: restoring to a new DB instance, jobs, instances, backups and restorable times.
//
// Pages (`opentelekomcloud-docs/gaussdb-opengauss`, `api-ref/source/apis_recommended/`):
// `backup_management/restoring_data_to_a_new_db_instance.rst` (202 `{instance, job_id}`),
// `task_management/obtaining_task_information.rst` (`GET /v3/{project_id}/jobs?id=`, job name
// `CloneGaussDBV5NewInstance`), `instance_management/querying_db_instances.rst`,
// `backup_management/querying_backups.rst` and `querying_the_restoration_time_range.rst`
// (`date` mandatory). OTC documents no restore to the original or an existing instance.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs::{self, RestorePoint};
use crate::route::{Ctx, Routed, segs};
use crate::service::Service;
use crate::world::{Address, GaussdbInstance, JobEffect, World, name_or};
use crate::{secret, timefmt};

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3", pid, "instances"]) => Routed::project(pid, create),
        ("GET", ["v3", pid, "instances"]) => Routed::project(pid, list_instances),
        ("GET", ["v3", pid, "jobs"]) => Routed::project(pid, show_job),
        ("GET", ["v3", pid, "backups"]) => Routed::project(pid, list_backups),
        ("GET", ["v3", pid, "instances", id, "restore-time"]) => {
            let id = (*id).to_owned();
            Routed::project(pid, move |cx| restore_time(cx, &id))
        }
        _ => return None,
    })
}

fn param(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("DBS.200001", msg)
}

fn instance_missing(id: &str) -> ApiError {
    ApiError::not_found(
        "DBS.200823",
        format!("The DB instance {id} does not exist."),
    )
}

// ---------------------------------------------------------------- wire structs

/// Table 2 of the restore page; `password` is taken out before parsing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    availability_zone: String,
    flavor_ref: String,
    volume: VolumeWire,
    vpc_id: String,
    subnet_id: String,
    security_group_id: String,
    charge_info: Option<ChargeWire>,
    backup_strategy: Option<Value>,
    restore_point: Option<PointWire>,
    configuration_id: Option<String>,
    /// Typed String in Table 2; every example sends a number.
    port: Option<Value>,
    time_zone: Option<String>,
    enable_force_switch: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumeWire {
    #[serde(rename = "type")]
    volume_type: String,
    size: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeWire {
    charge_mode: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointWire {
    instance_id: String,
    backup_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    restore_time: Option<i64>,
}

// ---------------------------------------------------------------- checks

/// 4 to 64 characters, a letter first, then letters, digits, `-` and `_`.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (4..=64).contains(&name.chars().count())
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(param(
            "Invalid DB instance name: 4 to 64 characters, a letter first, then letters, digits, \
             hyphens and underscores.",
        ))
    }
}

/// The ports the page forbids (the system's own); 1024 to 39998 otherwise.
const RESERVED_PORTS: [u16; 19] = [
    2378, 2379, 2380, 4999, 5000, 5999, 6000, 6001, 8097, 8098, 12016, 12017, 20049, 20050, 21731,
    21732, 32122, 32123, 32124,
];

fn check_port(port: Option<&Value>) -> Result<u16, ApiError> {
    let Some(port) = port else {
        return Ok(8000);
    };
    let n = match port {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match n.and_then(|n| u16::try_from(n).ok()) {
        Some(p) if (1024..=39998).contains(&p) && !RESERVED_PORTS.contains(&p) => Ok(p),
        _ => Err(param(format!(
            "Invalid port {port}: 1024 to 39998, not a port the system reserves."
        ))),
    }
}

/// The point must be inside a window (PITR) or a completed backup of the source.
fn check_point(cx: &Ctx<'_>, source_id: &str, point: &RestorePoint) -> Result<(), ApiError> {
    let world = &cx.st.world.gaussdb;
    match point {
        RestorePoint::Time(t) => {
            let source = world
                .instances
                .get(source_id)
                .ok_or_else(|| instance_missing(source_id))?;
            if !source.restore_windows.iter().any(|w| w.contains(*t)) {
                return Err(ApiError::bad_request(
                    "DBS.200940",
                    "The restoration time point is not within the restorable time range.",
                ));
            }
        }
        RestorePoint::Backup(id) => {
            let backup = world.backups.get(id).ok_or_else(|| {
                ApiError::not_found("DBS.200802", format!("The backup {id} does not exist."))
            })?;
            if backup.instance_id != source_id || backup.status != "COMPLETED" {
                return Err(ApiError::bad_request(
                    "DBS.200802",
                    format!(
                        "The backup {id} is not a completed backup of DB instance {source_id}."
                    ),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- create

fn create(cx: &mut Ctx<'_>) -> ApiResult {
    let mut raw = cx.req.json().map_err(param)?;
    let password = secret::take_password(&mut raw).map_err(param)?;
    let body: CreateBody =
        serde_json::from_value(raw).map_err(|e| param(format!("Parameter error: {e}")))?;
    check_name(&body.name)?;
    let Some(rp) = &body.restore_point else {
        return Err(param(
            "The simulator models only restores to a new DB instance: restore_point is required.",
        ));
    };
    // Table 5: `type` is optional for a backup restore, mandatory with restore_time.
    let point = jobs::restore_point(
        rp.kind.as_deref(),
        rp.backup_id.clone(),
        rp.restore_time,
        false,
    )
    .map_err(|m| param(format!("Parameter error: restore_point: {m}")))?;
    let source_id = rp.instance_id.clone();
    let source = cx
        .st
        .world
        .gaussdb
        .instances
        .get(&source_id)
        .ok_or_else(|| instance_missing(&source_id))?
        .clone();
    if body.volume.volume_type != "ULTRAHIGH" {
        return Err(param("Invalid volume type: only ULTRAHIGH is supported."));
    }
    if body.volume.size < source.volume_size || !body.volume.size.is_multiple_of(40) {
        return Err(param(format!(
            "Invalid storage {} GB: a multiple of 40 GB, at least the original's {} GB.",
            body.volume.size, source.volume_size
        )));
    }
    if !body.flavor_ref.starts_with("gaussdb.opengauss.") {
        return Err(param(format!(
            "Invalid specification code {}.",
            body.flavor_ref
        )));
    }
    if body
        .charge_info
        .as_ref()
        .is_some_and(|c| c.charge_mode != "postPaid")
    {
        return Err(param("Invalid billing mode: postPaid."));
    }
    let port = check_port(body.port.as_ref())?;
    // The page's specials are `~!@#%^*-_=+?,`, which PostgreSQL's set (plus `$`) covers.
    secret::check_rds_password(&password, "postgresql").map_err(|why| {
        ApiError::bad_request("DBS.200041", format!("Invalid database password: {why}"))
    })?;
    check_point(cx, &source_id, &point)?;
    let _ = (
        &body.backup_strategy,
        &body.configuration_id,
        &body.time_zone,
        body.enable_force_switch,
    );

    let instance_id = cx.st.instance_id("in14");
    let address = cx.st.world.new_address(&body.name).unwrap_or(Address {
        ip: "192.0.2.14".to_owned(),
        port,
    });
    let instance = GaussdbInstance {
        name: body.name.clone(),
        status: "BUILD".to_owned(),
        version: source.version.clone(),
        instance_type: source.instance_type.clone(),
        flavor_ref: body.flavor_ref.clone(),
        volume_size: body.volume.size,
        restore_windows: Vec::new(),
        address: Some(address),
        created: Some(cx.now),
        last_restore: None,
    };
    let effect = JobEffect::GaussdbCreate {
        source_instance_id: source_id.clone(),
        instance_id: instance_id.clone(),
        restore_time: point.restore_time(),
        backup_id: point.backup_id(),
    };
    let duration = cx.st.world.job_durations.rds_create;
    let job = jobs::new_job(
        cx,
        "CloneGaussDBV5NewInstance",
        (&instance_id, &body.name),
        duration,
        effect,
    );
    cx.st
        .world
        .gaussdb
        .instances
        .insert(instance_id.clone(), instance);
    let job_id = jobs::accept_create(
        cx,
        Service::Gaussdb,
        |w| &mut w.gaussdb.jobs,
        job,
        source_id,
    );
    let (mode, replicas) = ha_of(&source.instance_type);
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({
            "instance": {
                "id": instance_id,
                "name": body.name,
                "status": "BUILD",
                "datastore": { "type": "GaussDB", "version": source.version },
                "ha": { "mode": mode, "consistency": "strong", "replication_mode": "sync" },
                "volume": { "type": body.volume.volume_type, "size": body.volume.size },
                "port": port.to_string(),
                "replica_num": replicas,
                "region": "eu-de",
                "enable_parallel_restore": false,
                "availability_zone": body.availability_zone,
                "vpc_id": body.vpc_id,
                "subnet_id": body.subnet_id,
                "security_group_id": body.security_group_id,
                "charge_info": { "charge_mode": "postPaid" },
            },
            "job_id": job_id,
        }),
    ))
}

/// Table 9: `enterprise` for distributed instances, `centralization_standard` otherwise.
fn ha_of(instance_type: &str) -> (&'static str, u32) {
    if instance_type == "Enterprise" {
        ("enterprise", 3)
    } else {
        ("centralization_standard", 3)
    }
}

// ---------------------------------------------------------------- reads

fn instance_json(id: &str, inst: &GaussdbInstance) -> Value {
    let name = name_or(&inst.name, "gauss", id);
    let (ip, port) = inst
        .address
        .as_ref()
        .map_or(("192.0.2.14".to_owned(), 8000), |a| (a.ip.clone(), a.port));
    let created = inst
        .created
        .map_or_else(|| "2025-01-01 00:00:00 UTC".to_owned(), timefmt::dds_spaced);
    json!({
        "id": id,
        "name": name,
        "status": inst.status,
        "private_ips": [ip],
        "public_ips": [],
        "port": port,
        "type": inst.instance_type,
        "ha": { "consistency": "strong", "replication_mode": "sync" },
        "replica_num": 3,
        "region": "eu-de",
        "datastore": { "type": "GaussDB", "version": inst.version },
        "created": created,
        "updated": created,
        "db_user_name": "root",
        "flavor_ref": inst.flavor_ref,
        "volume": { "type": "ULTRAHIGH", "size": inst.volume_size },
        "backup_strategy": { "start_time": "19:00-20:00", "keep_days": 7 },
        "maintenance_window": "18:00-22:00",
        "nodes": [{
            "id": format!("{}no14", id.trim_end_matches("in14")),
            "name": format!("{name}_gaussdbv5dn_0"),
            "role": "master",
            "status": inst.status,
            "availability_zone": "eu-de-01",
            "private_ip": ip,
        }],
        "time_zone": "UTC",
        "instance_mode": if inst.instance_type == "Enterprise" { "enterprise" } else { "ha" },
        "charge_info": { "charge_mode": "postPaid" },
    })
}

fn list_instances(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let (want_id, want_name) = (cx.req.q("id"), cx.req.q("name"));
    let all: Vec<Value> = cx
        .st
        .world
        .gaussdb
        .instances
        .iter()
        .filter(|(id, _)| want_id.is_none_or(|w| w.is_empty() || w == id.as_str()))
        .filter(|(id, i)| {
            want_name.is_none_or(|w| w.is_empty() || w == name_or(&i.name, "gauss", id))
        })
        .map(|(id, i)| instance_json(id, i))
        .collect();
    Ok(jobs::page_reply("instances", all, offset, limit))
}

/// `{"job": {id, name, status, created, ended, progress, instance, fail_reason}}`.
fn show_job(cx: &mut Ctx<'_>) -> ApiResult {
    let (id, job) = jobs::queried(cx, |w| &w.gaussdb.jobs, |m| param(m), jobs::job_missing)?;
    let progress = if job.status == "Running" {
        format!("{}%", job.percent(cx.now))
    } else {
        String::new()
    };
    Ok(Reply::ok(json!({ "job": {
        "id": id,
        "name": job.name,
        "status": job.status,
        "created": timefmt::dbs(job.created),
        "ended": job.ended.map(timefmt::dbs),
        "progress": progress,
        "instance": { "id": job.instance_id, "name": job.instance_name },
        "fail_reason": (job.status == "Failed").then(|| job.fail_reason.clone()),
    }})))
}

fn list_backups(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let world = &cx.st.world.gaussdb;
    let all: Vec<Value> = world
        .backups
        .iter()
        .filter(|(_, b)| cx.req.q("instance_id").is_none_or(|w| w == b.instance_id))
        .filter(|(id, _)| cx.req.q("backup_id").is_none_or(|w| w == id.as_str()))
        .map(|(id, b)| {
            let version = world
                .instances
                .get(&b.instance_id)
                .map_or_else(String::new, |i| i.version.clone());
            json!({
                "id": id,
                "name": name_or(&b.name, "GaussDB", id),
                "description": null,
                "status": b.status,
                "size": 2048.0,
                "type": "auto",
                "datastore": { "type": "GaussDB", "version": version },
                "begin_time": timefmt::dbs(b.begin_time),
                "end_time": timefmt::dbs(b.end_time),
                "instance_id": b.instance_id,
            })
        })
        .collect();
    Ok(jobs::page_reply("backups", all, offset, limit))
}

/// `date` is mandatory on this page.
fn restore_time(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let date = cx
        .req
        .q("date")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| param("date is required (yyyy-mm-dd)."))?;
    let inst = cx
        .st
        .world
        .gaussdb
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))?;
    let windows = crate::rds::windows_on(&inst.restore_windows, Some(date)).map_err(param)?;
    let list: Vec<Value> = windows
        .iter()
        .map(|w| json!({ "start_time": w.start, "end_time": w.end }))
        .collect();
    Ok(Reply::ok(json!({ "restore_time": list })))
}

impl World {
    /// An `ACTIVE` primary/standby GaussDB instance restorable over `window` (the rehearsal
    /// world of an operation that names it).
    pub fn ensure_gaussdb_instance(&mut self, id: &str, window: (i64, i64)) {
        let inst = self
            .gaussdb
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| GaussdbInstance {
                name: name_or("", "gauss", id),
                ..GaussdbInstance::default()
            });
        if !inst
            .restore_windows
            .iter()
            .any(|w| w.start <= window.0 && w.end >= window.1)
        {
            inst.restore_windows.push(crate::world::Window {
                start: window.0,
                end: window.1,
            });
        }
    }

    /// A `COMPLETED` backup of `instance_id` (made, without windows, if missing).
    pub fn ensure_gaussdb_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.gaussdb
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| GaussdbInstance {
                name: name_or("", "gauss", instance_id),
                ..GaussdbInstance::default()
            });
        let at = self.now.unwrap_or(0).saturating_sub(3_600_000);
        self.gaussdb
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| crate::world::GaussdbBackup {
                instance_id: instance_id.to_owned(),
                begin_time: at,
                end_time: at.saturating_add(60_000),
                ..crate::world::GaussdbBackup::default()
            });
    }
}
