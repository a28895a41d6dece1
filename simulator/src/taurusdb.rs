//! TaurusDB: restore to an existing instance, jobs, times, backups, instances (`/v3`, `/mysql/v3`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs::{self, RestorePoint};
use crate::rds::{instance_busy, instance_missing, windows_on};
use crate::route::{Ctx, Routed, segs};
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
    let (id, job) = jobs::queried(cx, |w| &w.taurusdb.jobs, |m| param(m), jobs::job_missing)?;
    let iid = &job.instance_id;
    let version = cx
        .st
        .world
        .taurusdb
        .instances
        .get(iid)
        .map_or("8.0", |i| i.version.as_str());
    let entities = json!({
        "instance": {
            "endpoint": "192.0.2.20:3306",
            "type": "Cluster",
            "datastore": { "type": DATASTORE, "version": version },
        },
        "resource_ids": [format!("{iid}.vm"), format!("{iid}.volume")],
    });
    Ok(Reply::ok(jobs::dbs_job(id, job, cx.now, &entities)))
}

/// Types follow the docs' examples where their tables disagree (`port`, `keep_days`,
/// `enterprise_project_id`, the node sizes): see FIDELITY.md.
fn instance_json(id: &str, inst: &TaurusdbInstance, pid: &str) -> Value {
    let name = name_or(&inst.name, "taurusdb", id);
    let node = |n: u8, role: &str| {
        json!({
            "id": format!("{id}no0{n}"), "name": format!("{name}_node0{n}"), "type": role,
            "status": inst.status, "port": 3306, "private_read_ips": [format!("192.0.2.16{n}")],
            "volume": { "type": "POOL", "used": 0.07 }, "az_code": "eu-de-01",
            "region_code": "eu-de", "flavor_id": "3169caaf-6c2f-41d5-aadd-c8fc3d83597e",
            "flavor_ref": FLAVOR, "max_connections": 10000, "vcpus": 4, "ram": 32,
            "need_restart": false, "priority": 1, "created": CREATED, "updated": CREATED,
        })
    };
    json!({
        "id": id,
        "name": name,
        "alias": "",
        "status": inst.status,
        "project_id": pid,
        "enterprise_project_id": 0,
        "type": "Cluster",
        "charge_info": { "charge_mode": "postPaid", "order_id": "" },
        "node_count": 2,
        "datastore": { "type": DATASTORE, "version": inst.version, "kernel_version": KERNEL },
        "created": CREATED,
        "updated": CREATED,
        "public_ips": [],
        "private_write_ips": ["192.0.2.20"],
        "db_user_name": "root",
        "port": 3306,
        "vpc_id": VPC,
        "subnet_id": SUBNET,
        "security_group_id": SECGROUP,
        "backup_strategy": { "start_time": "02:00-03:00", "keep_days": 7 },
        "nodes": [node(1, "master"), node(2, "slave")],
        "time_zone": "UTC",
        "backup_used_space": 0.24,
        "az_mode": "single",
        "master_az_code": "eu-de-01",
        "maintenance_window": "18:00-22:00",
        "tags": [],
        "configuration_id": format!("{id}pr07"),
        "dedicated_resource_id": "",
        "proxies": [{ "pool_id": format!("{id}po01"), "address": "192.0.2.76", "name": "proxy" }],
    })
}

/// The list item is its own shape in the docs (`MysqlInstanceListInfo`): no nodes, no
/// project, and `private_ips` where the detail says `private_write_ips`.
fn list_item_json(id: &str, inst: &TaurusdbInstance) -> Value {
    json!({
        "id": id,
        "name": name_or(&inst.name, "taurusdb", id),
        "status": inst.status,
        "port": 3306,
        "type": "Cluster",
        "private_ips": ["192.0.2.20"],
        "db_user_name": "root",
        "region": "eu-de",
        "datastore": { "type": DATASTORE, "version": inst.version, "kernel_version": KERNEL },
        "created": CREATED,
        "updated": CREATED,
        "volume": { "type": "POOL", "size": 100 },
        "vpc_id": VPC,
        "subnet_id": SUBNET,
        "security_group_id": SECGROUP,
        "flavor_ref": FLAVOR,
        "flavor_info": { "vcpus": 4, "ram": 32 },
        "backup_strategy": { "start_time": "02:00-03:00", "keep_days": 7 },
        "charge_info": { "charge_mode": "postPaid" },
        "enterprise_project_id": 0,
        "time_zone": "UTC",
        "tags": [],
    })
}

const KERNEL: &str = "2.0.29.1";
const CREATED: &str = "2024-01-01T00:00:00+0000";
const FLAVOR: &str = "gaussdb.mysql.xlarge.x86.8";
const VPC: &str = "3cedfc54-b105-4652-a4e0-847b11576b58";
const SUBNET: &str = "c1cfa53c-65d3-431e-8552-326bf310c7ad";
const SECGROUP: &str = "fc577a1a-f202-424a-977f-24faec3fdd55";

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
        .map(|(id, i)| list_item_json(id, i))
        .collect();
    Ok(jobs::page_reply("instances", all, offset, limit))
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
    Ok(jobs::page_reply("backups", all, offset, limit))
}
