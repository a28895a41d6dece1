//! RDS v3: restores to an existing instance, jobs, instances, restorable times and backups.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs::{self, RestorePoint};
use crate::route::{Ctx, Routed, segs};
use crate::timefmt;
use crate::world::{JobEffect, RdsInstance, Window, name_or, set};

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", [v @ ("v3" | "v3.1"), pid, "instances", "recovery"]) => {
            let accepted = if *v == "v3.1" {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            Routed::project(pid, move |cx| recovery(cx, accepted))
        }
        ("GET", ["v3", pid, "jobs"]) => Routed::project(pid, show_job),
        ("GET", ["v3", pid, "tasklist"]) => Routed::project(pid, list_tasks),
        ("GET", ["v3", pid, "instances"]) => Routed::project(pid, list_instances),
        ("GET", ["v3", pid, "instances", id, "restore-time"]) => {
            let id = (*id).to_owned();
            Routed::project(pid, move |cx| restore_time(cx, &id))
        }
        ("GET", ["v3", pid, "backups"]) => Routed::project(pid, list_backups),
        _ => return None,
    })
}

pub(crate) fn param(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("DBS.200001", msg)
}

pub(crate) fn instance_missing(id: &str) -> ApiError {
    ApiError::not_found(
        "DBS.200002",
        format!("The DB instance {id} does not exist."),
    )
}

pub(crate) fn instance_busy(id: &str, status: &str) -> ApiError {
    ApiError::conflict(
        "DBS.200019",
        format!(
            "Another operation is being performed on the DB instance {id} or the DB instance is \
             faulty (status {status})."
        ),
    )
}

/// The engine's display spelling in `datastore.type`.
pub(crate) fn datastore_type(engine: &str) -> &str {
    match engine {
        "mysql" => "MySQL",
        "postgresql" => "PostgreSQL",
        "sqlserver" => "SQLServer",
        other => other,
    }
}

pub(crate) fn capitalised(engine: &str) -> String {
    let mut chars = engine.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn recovery(cx: &mut Ctx<'_>, accepted: StatusCode) -> ApiResult {
    let body = cx.req.json().map_err(param)?;
    let (src, tgt) = (&body["source"], &body["target"]);
    let source_id = jobs::req_str(&src["instance_id"], "source.instance_id").map_err(param)?;
    let target_id = jobs::req_str(&tgt["instance_id"], "target.instance_id").map_err(param)?;
    let kind = jobs::opt_str(&src["type"], "source.type").map_err(param)?;
    let backup_id = jobs::opt_str(&src["backup_id"], "source.backup_id").map_err(param)?;
    let time = jobs::opt_ms(&src["restore_time"], "source.restore_time").map_err(param)?;
    let point = jobs::restore_point(kind.as_deref(), backup_id, time, false)
        .map_err(|m| param(format!("Parameter error: {m}")))?;

    let world = &cx.st.world;
    let source = world
        .rds
        .instances
        .get(&source_id)
        .ok_or_else(|| instance_missing(&source_id))?;
    let target = world
        .rds
        .instances
        .get(&target_id)
        .ok_or_else(|| instance_missing(&target_id))?;
    if target.status != "ACTIVE" {
        return Err(instance_busy(&target_id, &target.status));
    }
    if source.engine != target.engine {
        return Err(param(format!(
            "The target DB engine {} differs from the source DB engine {}.",
            target.engine, source.engine
        )));
    }
    check_point(cx, &source_id, source, &point)?;

    let target_name = name_or(&target.name, "rds", &target_id);
    let job_name = format!("Restore{}InInstance", capitalised(&source.engine));
    let effect = JobEffect::RdsRestore {
        source_instance_id: source_id,
        target_instance_id: target_id.clone(),
        restore_time: point.restore_time(),
        backup_id: point.backup_id(),
    };
    let duration = world.durations.rds_restore;
    let job = jobs::new_job(cx, &job_name, (&target_id, &target_name), duration, effect);
    let job_id = cx.st.hex_id();
    cx.st.world.rds.jobs.insert(job_id.clone(), job);
    if let Some(t) = cx.st.world.rds.instances.get_mut(&target_id) {
        set(&mut t.status, "RESTORING");
    }
    cx.st.submitted(&target_id);
    Ok(Reply::json(accepted, json!({ "job_id": job_id })))
}

pub(crate) fn check_point(
    cx: &Ctx<'_>,
    source_id: &str,
    source: &RdsInstance,
    point: &RestorePoint,
) -> Result<(), ApiError> {
    match point {
        RestorePoint::Time(t) => {
            if !source.restore_windows.iter().any(|w| w.contains(*t)) {
                return Err(ApiError::bad_request(
                    "RDS.3029",
                    "No backup files are available for restoration to this time point.",
                ));
            }
        }
        RestorePoint::Backup(id) => {
            let backup = cx.st.world.rds.backups.get(id).ok_or_else(|| {
                ApiError::not_found("DBS.201010", format!("The backup {id} does not exist."))
            })?;
            if backup.instance_id != source_id {
                return Err(ApiError::bad_request(
                    "DBS.280214",
                    format!("The backup {id} does not belong to DB instance {source_id}."),
                ));
            }
            if backup.status != "COMPLETED" {
                return Err(ApiError::bad_request(
                    "DBS.280214",
                    format!("The backup {id} is {}, not COMPLETED.", backup.status),
                ));
            }
        }
    }
    Ok(())
}

fn show_job(cx: &mut Ctx<'_>) -> ApiResult {
    let (id, job) = jobs::queried(cx, |w| &w.rds.jobs, |m| param(m), jobs::job_missing)?;
    let entities = match cx.st.world.rds.instances.get(&job.instance_id) {
        Some(inst) => json!({ "instance": {
            "type": "Single",
            "datastore": { "type": datastore_type(&inst.engine), "version": inst.version },
        }}),
        None => json!({}),
    };
    Ok(Reply::ok(jobs::dbs_job(id, job, cx.now, &entities)))
}

/// `GET /v3/{project_id}/tasklist`: instant tasks, per the RDS page
/// `api_v3_recommended/obtaining_task_information/querying_instant_tasks.rst`: filtered by
/// `id`, `instance_id`, `name`, `status` and a `start_time`/`end_time` window (epoch ms) on
/// creation; `offset` counts items from 0; the envelope is `{tasks, actions, total_count}`.
fn list_tasks(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 10, 50).map_err(param)?;
    let ms = |key: &str| -> Result<Option<i64>, ApiError> {
        match cx.req.q(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| param(format!("{key} must be epoch milliseconds."))),
        }
    };
    let (start, end) = (ms("start_time")?, ms("end_time")?);
    let (want_id, want_instance, want_status, want_name) = (
        cx.req.q("id"),
        cx.req.q("instance_id"),
        cx.req.q("status"),
        cx.req.q("name"),
    );
    let mut tasks: Vec<(i64, Value)> = cx
        .st
        .world
        .rds
        .jobs
        .iter()
        .filter(|(_, j)| j.visible_at <= cx.now)
        .filter(|(id, _)| want_id.is_none_or(|w| w == id.as_str()))
        .filter(|(_, j)| want_instance.is_none_or(|w| w == j.instance_id))
        .filter(|(_, j)| want_status.is_none_or(|w| w == j.status))
        .filter(|(_, j)| want_name.is_none_or(|w| w == j.name))
        .filter(|(_, j)| start.is_none_or(|s| j.created >= s) && end.is_none_or(|e| j.created <= e))
        .map(|(id, j)| {
            let status = cx
                .st
                .world
                .rds
                .instances
                .get(&j.instance_id)
                .map_or("", |i| i.status.as_str());
            (j.created, jobs::rds_task(id, j, cx.now, status))
        })
        .collect();
    tasks.sort_by_key(|t| std::cmp::Reverse(t.0));
    let total = tasks.len();
    let tasks: Vec<Value> = tasks.into_iter().map(|(_, t)| t).collect();
    let mut actions: Vec<&str> = tasks.iter().filter_map(|t| t["name"].as_str()).collect();
    actions.sort_unstable();
    actions.dedup();
    let actions: Vec<String> = actions.into_iter().map(str::to_owned).collect();
    Ok(Reply::ok(json!({
        "tasks": jobs::page(tasks, offset, limit),
        "actions": actions,
        "total_count": total,
    })))
}

/// The port an engine listens on unless told otherwise (`restoring_data_to_a_new_db_instance.rst`).
pub(crate) fn default_port(engine: &str) -> u16 {
    match engine {
        "postgresql" => 5432,
        "sqlserver" => 1433,
        _ => 3306,
    }
}

/// The spec-code part naming the engine: `rds.{mysql|pg|mssql}.…`.
pub(crate) fn flavor_engine(engine: &str) -> &'static str {
    match engine {
        "postgresql" => "pg",
        "sqlserver" => "mssql",
        _ => "mysql",
    }
}

pub(crate) fn instance_json(id: &str, inst: &RdsInstance) -> Value {
    let name = name_or(&inst.name, "rds", id);
    let (ip, port) = inst.address.as_ref().map_or_else(
        || ("192.0.2.10".to_owned(), default_port(&inst.engine)),
        |a| (a.ip.clone(), a.port),
    );
    let flavor = if inst.flavor_ref.is_empty() {
        format!("rds.{}.n1.large", flavor_engine(&inst.engine))
    } else {
        inst.flavor_ref.clone()
    };
    // A storage type the create API accepts, so that an instance can be restored "like" itself.
    let volume_type = if inst.volume_type.is_empty() {
        "CLOUDSSD"
    } else {
        inst.volume_type.as_str()
    };
    // The world models no modification time; a created instance reports its creation.
    let created = inst
        .created
        .map_or_else(|| "2025-01-01T00:00:00+0000".to_owned(), timefmt::dbs);
    let mut out = json!({
        "id": id,
        "name": name,
        "status": inst.status,
        "private_ips": [ip],
        "public_ips": [],
        "port": port,
        "type": inst.instance_type,
        "region": "eu-de",
        "datastore": { "type": datastore_type(&inst.engine), "version": inst.version },
        "volume": { "type": volume_type, "size": inst.volume_size },
        "vpc_id": network_id("vpc", &inst.vpc_name),
        "enterprise_project_id": "0",
        "time_zone": "UTC",
        "backup_strategy": { "start_time": "02:00-03:00", "keep_days": 7 },
        "nodes": [{ "id": format!("{id}no01"), "name": format!("{name}_node0"), "role": "master", "status": inst.status, "availability_zone": "eu-de-01" }],
        "related_instance": [],
        // The world models no network placement; fixed values keep the documented shape
        // (`querying_db_instances.rst`).
        "created": created,
        "updated": created,
        "db_user_name": if inst.engine == "sqlserver" { "rdsuser" } else { "root" },
        "disk_encryption_id": inst.disk_encryption_id,
        "flavor_ref": flavor,
        "maintenance_window": "02:00-06:00",
        "security_group_id": network_id("sg", &inst.vpc_name),
        "subnet_id": network_id("subnet", &inst.vpc_name),
        "switch_strategy": "",
    });
    if let Some(c) = &inst.collation {
        out["collation"] = json!(c);
    }
    out
}

/// A stable UUID for a network object of the instance's VPC: the real API answers IDs, and a
/// spec copied from these answers (`rewind init`) must pass the ID checks.
fn network_id(kind: &str, vpc: &str) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut a = DefaultHasher::new();
    (kind, vpc, 1u8).hash(&mut a);
    let mut b = DefaultHasher::new();
    (kind, vpc, 2u8).hash(&mut b);
    let (x, y) = (a.finish(), b.finish());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        y >> 52,
        y & 0xffff_ffff_ffff
    )
}

fn list_instances(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let (want_id, want_name) = (cx.req.q("id"), cx.req.q("name"));
    let all: Vec<Value> = cx
        .st
        .world
        .rds
        .instances
        .iter()
        .filter(|(_, i)| i.listed_from.is_none_or(|from| cx.now >= from))
        .filter(|(id, _)| want_id.is_none_or(|w| matches(w, id)))
        .filter(|(id, i)| want_name.is_none_or(|w| matches(w, &name_or(&i.name, "rds", id))))
        .map(|(id, i)| instance_json(id, i))
        .collect();
    Ok(jobs::page_reply("instances", all, offset, limit))
}

/// The `id`/`name` filters: exact, or a substring after a leading `*`
/// (`querying_db_instances.rst`).
pub(crate) fn matches(want: &str, have: &str) -> bool {
    match want.strip_prefix('*') {
        Some(part) => have.contains(part),
        None => want == have,
    }
}

/// Clips windows to one UTC day when `date=yyyy-mm-dd` is given.
pub(crate) fn windows_on(windows: &[Window], date: Option<&str>) -> Result<Vec<Window>, String> {
    let Some(date) = date.filter(|d| !d.is_empty()) else {
        return Ok(windows.to_vec());
    };
    let day = jiff::civil::Date::strptime("%Y-%m-%d", date)
        .map_err(|_| format!("date must look like yyyy-mm-dd, not {date:?}."))?;
    let start = day
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|e| e.to_string())?
        .timestamp()
        .as_millisecond();
    let end = start + 86_400_000 - 1;
    Ok(windows
        .iter()
        .filter(|w| w.end >= start && w.start <= end)
        .map(|w| Window {
            start: w.start.max(start),
            end: w.end.min(end),
        })
        .collect())
}

fn restore_time(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = cx
        .st
        .world
        .rds
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))?;
    let windows = windows_on(&inst.restore_windows, cx.req.q("date")).map_err(param)?;
    let list: Vec<Value> = windows
        .iter()
        .map(|w| json!({ "start_time": w.start, "end_time": w.end }))
        .collect();
    Ok(Reply::ok(json!({ "restore_time": list })))
}

fn list_backups(cx: &mut Ctx<'_>) -> ApiResult {
    let instance_id = cx
        .req
        .q("instance_id")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| param("instance_id is required."))?;
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let begin = cx.req.q("begin_time").and_then(timefmt::parse_instant);
    let end = cx.req.q("end_time").and_then(timefmt::parse_instant);
    let world = &cx.st.world;
    let all: Vec<Value> = world
        .rds
        .backups
        .iter()
        .filter(|(_, b)| b.instance_id == instance_id)
        .filter(|(id, _)| cx.req.q("backup_id").is_none_or(|w| w == id.as_str()))
        .filter(|(_, b)| cx.req.q("backup_type").is_none_or(|w| w == b.backup_type))
        .filter(|(_, b)| begin.is_none_or(|t| b.begin_time >= t))
        .filter(|(_, b)| end.is_none_or(|t| b.begin_time <= t))
        .map(|(id, b)| {
            let inst = world.rds.instances.get(&b.instance_id);
            json!({
                "id": id,
                "name": name_or(&b.name, "backup", id),
                "type": b.backup_type,
                "size": b.size,
                "status": b.status,
                "begin_time": timefmt::dbs(b.begin_time),
                "end_time": timefmt::dbs(b.end_time),
                "datastore": {
                    "type": inst.map(|i| datastore_type(&i.engine).to_owned()).unwrap_or_default(),
                    "version": inst.map(|i| i.version.clone()).unwrap_or_default(),
                },
                "instance_id": b.instance_id,
                "databases": [],
            })
        })
        .collect();
    Ok(jobs::page_reply("backups", all, offset, limit))
}
