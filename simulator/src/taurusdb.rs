//! TaurusDB: restore to an existing instance, jobs, times, backups, instances (`/v3`, `/mysql/v3`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs::{self, RestorePoint};
use crate::rds::{instance_busy, instance_missing, windows_on};
use crate::server::{Ctx, Routed, segs};
use crate::timefmt;
use crate::world::{JobEffect, TaurusdbInstance, name_or, set};

const DATASTORE: &str = "gaussdb-mysql";

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    // The "unavailable soon" API generation lives under /mysql/v3; both serve the same data.
    let rest = s.strip_prefix(&["mysql"][..]).unwrap_or(&s);
    Some(match (req.method.as_str(), rest) {
        ("POST", ["v3", pid, "instances", "restore"]) => Routed::project(pid, restore),
        ("GET", ["v3", pid, "jobs"]) => Routed::project(pid, show_job),
        ("GET", ["v3", pid, "instances"]) => Routed::project(pid, list_instances),
        ("GET", ["v3", pid, "instances", id]) => {
            let id = (*id).to_owned();
            Routed::project(pid, move |cx| show_instance(cx, &id))
        }
        ("GET", ["v3", pid, "instances", id, "restore-time"]) => {
            let id = (*id).to_owned();
            Routed::project(pid, move |cx| restore_time(cx, &id))
        }
        ("GET", ["v3", pid, "backups"]) => Routed::project(pid, list_backups),
        _ => return None,
    })
}

fn param(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("DBS.200001", msg)
}

fn restore(cx: &mut Ctx<'_>) -> ApiResult {
    let body = cx.req.json().map_err(param)?;
    let source_id =
        jobs::req_str(&body["source_instance_id"], "source_instance_id").map_err(param)?;
    let target_id =
        jobs::req_str(&body["target_instance_id"], "target_instance_id").map_err(param)?;
    let kind = jobs::opt_str(&body["type"], "type").map_err(param)?;
    let backup_id = jobs::opt_str(&body["backup_id"], "backup_id").map_err(param)?;
    let time = jobs::opt_ms(&body["restore_time"], "restore_time").map_err(param)?;
    let point = jobs::restore_point(kind.as_deref(), backup_id, time, true)
        .map_err(|m| param(format!("Parameter error: {m}")))?;

    let world = &cx.st.world;
    let source = world
        .taurusdb
        .instances
        .get(&source_id)
        .ok_or_else(|| instance_missing(&source_id))?;
    let target = world
        .taurusdb
        .instances
        .get(&target_id)
        .ok_or_else(|| instance_missing(&target_id))?;
    if target.status != "ACTIVE" {
        return Err(instance_busy(&target_id, &target.status));
    }
    if source.version != target.version {
        return Err(param(format!(
            "The target instance version {} differs from the source version {}.",
            target.version, source.version
        )));
    }
    match &point {
        RestorePoint::Time(t) => {
            if !source.restore_windows.iter().any(|w| w.contains(*t)) {
                return Err(param(
                    "Parameter error: restore_time is outside the restorable time range.",
                ));
            }
        }
        RestorePoint::Backup(id) => {
            let backup = world.taurusdb.backups.get(id).ok_or_else(|| {
                ApiError::not_found("DBS.201010", format!("The backup {id} does not exist."))
            })?;
            if backup.instance_id != source_id {
                return Err(ApiError::bad_request(
                    "DBS.280214",
                    format!("The backup {id} does not belong to instance {source_id}."),
                ));
            }
            if !matches!(backup.status.as_str(), "COMPLETED" | "AVAILABLE") {
                return Err(ApiError::bad_request(
                    "DBS.280214",
                    format!("The backup {id} is {}, not COMPLETED.", backup.status),
                ));
            }
        }
    }

    let target_name = name_or(&target.name, "taurusdb", &target_id);
    let effect = JobEffect::TaurusdbRestore {
        source_instance_id: source_id,
        target_instance_id: target_id.clone(),
        restore_time: point.restore_time(),
        backup_id: point.backup_id(),
    };
    let duration = world.durations.taurusdb_restore;
    let job = jobs::new_job(
        cx,
        "RestoreOldInstance",
        (&target_id, &target_name),
        duration,
        effect,
    );
    let job_id = cx.st.uuid();
    cx.st.world.taurusdb.jobs.insert(job_id.clone(), job);
    if let Some(t) = cx.st.world.taurusdb.instances.get_mut(&target_id) {
        set(&mut t.status, "RESTORING");
    }
    cx.st.submitted(&target_id);
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({ "job_id": job_id }),
    ))
}

fn show_job(cx: &mut Ctx<'_>) -> ApiResult {
    let id = cx
        .req
        .q("id")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| param("id is required."))?;
    let job = cx
        .st
        .world
        .taurusdb
        .jobs
        .get(id)
        .filter(|j| j.visible_at <= cx.now)
        .ok_or_else(|| ApiError::bad_request("DBS.200543", "The job does not exist."))?;
    Ok(Reply::ok(jobs::dbs_job(id, job, cx.now, &json!({}))))
}

fn instance_json(id: &str, inst: &TaurusdbInstance, pid: &str) -> Value {
    json!({
        "id": id,
        "name": name_or(&inst.name, "taurusdb", id),
        "status": inst.status,
        "project_id": pid,
        "type": "Cluster",
        "port": "3306",
        "private_write_ips": ["192.168.0.20"],
        "datastore": { "type": DATASTORE, "version": inst.version },
        "node_count": 2,
        "time_zone": "UTC",
        "enterprise_project_id": "0",
        "backup_strategy": { "start_time": "02:00-03:00", "keep_days": "7" },
        "nodes": [
            { "id": format!("{id}no07"), "name": format!("{}_node01", name_or(&inst.name, "taurusdb", id)), "type": "master", "status": inst.status },
        ],
    })
}

fn show_instance(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = cx
        .st
        .world
        .taurusdb
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))?;
    Ok(Reply::ok(
        json!({ "instance": instance_json(id, inst, &cx.pid) }),
    ))
}

fn list_instances(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let want_id = cx.req.q("id");
    let all: Vec<Value> = cx
        .st
        .world
        .taurusdb
        .instances
        .iter()
        .filter(|(id, _)| want_id.is_none_or(|w| w == id.as_str()))
        .map(|(id, i)| instance_json(id, i, &cx.pid))
        .collect();
    let total = all.len();
    Ok(Reply::ok(
        json!({ "instances": jobs::page(all, offset, limit), "total_count": total }),
    ))
}

fn restore_time(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = cx
        .st
        .world
        .taurusdb
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))?;
    let windows = windows_on(&inst.restore_windows, cx.req.q("date")).map_err(param)?;
    let list: Vec<Value> = windows
        .iter()
        .map(|w| json!({ "start_time": w.start, "end_time": w.end }))
        .collect();
    Ok(Reply::ok(json!({ "restore_times": list })))
}

fn list_backups(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let begin = cx.req.q("begin_time").and_then(timefmt::parse_instant);
    let end = cx.req.q("end_time").and_then(timefmt::parse_instant);
    let world = &cx.st.world;
    let all: Vec<Value> = world
        .taurusdb
        .backups
        .iter()
        .filter(|(_, b)| cx.req.q("instance_id").is_none_or(|w| w == b.instance_id))
        .filter(|(id, _)| cx.req.q("backup_id").is_none_or(|w| w == id.as_str()))
        .filter(|(_, b)| cx.req.q("backup_type").is_none_or(|w| w == b.backup_type))
        .filter(|(_, b)| begin.is_none_or(|t| b.begin_time >= t))
        .filter(|(_, b)| end.is_none_or(|t| b.begin_time <= t))
        .map(|(id, b)| {
            let version = world
                .taurusdb
                .instances
                .get(&b.instance_id)
                .map(|i| i.version.clone())
                .unwrap_or_default();
            json!({
                "id": id,
                "name": name_or(&b.name, "backup", id),
                "begin_time": timefmt::dbs(b.begin_time),
                "end_time": timefmt::dbs(b.end_time),
                "status": b.status,
                "take_up_time": b.end_time.saturating_sub(b.begin_time).max(0) / 60_000,
                "type": b.backup_type,
                "size": b.size,
                "datastore": { "type": DATASTORE, "version": version },
                "instance_id": b.instance_id,
                "description": "",
            })
        })
        .collect();
    let total = all.len();
    Ok(Reply::ok(
        json!({ "backups": jobs::page(all, offset, limit), "total_count": total }),
    ))
}
