//! DDS v3 (MongoDB): routes, instances, backups, restore times, jobs, deletes and job endings.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::ledger::Deletion;
use crate::rds::{matches, windows_on};
use crate::route::{Ctx, Routed, segs};
use crate::service::Service;
use crate::timefmt;
use crate::world::{DdsInstance, Job, JobEffect, name_or};

/// MongoDB's port on DDS unless the world maps the instance elsewhere.
pub(crate) const DEFAULT_PORT: u16 = 8635;

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    let own = |v: &&str| (*v).to_owned();
    Some(match (req.method.as_str(), s.as_slice()) {
        ("GET", ["v3", pid, "instances"]) => Routed::project(pid, list_instances),
        ("DELETE", ["v3", pid, "instances", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| delete(cx, &id))
        }
        ("GET", ["v3", pid, "instances", id, "restore-time"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| restore_time(cx, &id))
        }
        ("GET", ["v3", pid, "backups"]) => Routed::project(pid, list_backups),
        ("GET", ["v3", pid, "jobs"]) => Routed::project(pid, show_job),
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

/// DDS answers 403 where RDS answers 409 (`appendix/error_code.rst`).
pub(crate) fn instance_busy(id: &str, inst: &DdsInstance) -> ApiError {
    let doing = if inst.deleting {
        "DELETE".to_owned()
    } else {
        inst.actions.join(",")
    };
    ApiError::new(
        StatusCode::FORBIDDEN,
        "DBS.200019",
        format!(
            "Another operation is being performed on the DB instance {id} or the DB instance is \
             faulty (status {}, actions [{doing}]).",
            inst.status
        ),
    )
}

pub(crate) fn busy(inst: &DdsInstance) -> bool {
    inst.deleting || inst.status != "normal" || !inst.actions.is_empty()
}

/// Only replica sets and 4.0 clusters restore to a point in time (`restoring_data_to_a_new_db_instance.rst`).
pub(crate) fn supports_pitr(inst: &DdsInstance) -> bool {
    inst.mode == "ReplicaSet"
        || (inst.mode == "Sharding" && (inst.version == "4.0" || inst.version.starts_with("4.0.")))
}

pub(crate) fn unsupported(id: &str, inst: &DdsInstance, what: &str) -> ApiError {
    ApiError::bad_request(
        "DBS.280343",
        format!(
            "Unsupported operation: {what} needs a replica set or a 4.0 cluster; instance {id} is \
             a {} {} instance.",
            inst.version, inst.mode
        ),
    )
}

fn lookup<'w>(cx: &'w Ctx<'_>, id: &str) -> Result<&'w DdsInstance, ApiError> {
    cx.st
        .world
        .dds
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))
}

// ---------------------------------------------------------------- instances

/// The group type the nodes of a mode are listed under.
fn node_groups(mode: &str) -> &'static [(&'static str, usize)] {
    match mode {
        "Sharding" => &[("mongos", 2), ("shard", 3), ("config", 3)],
        "Single" => &[("single", 1)],
        _ => &[("replica", 3)],
    }
}

fn instance_json(id: &str, inst: &DdsInstance) -> Value {
    let name = name_or(&inst.name, "dds", id);
    let port = inst.address.as_ref().map_or(DEFAULT_PORT, |a| a.port);
    let created = timefmt::dds_local(inst.created.unwrap_or(1_735_689_600_000));
    let node_status = if inst.status == "creating" {
        "creating"
    } else {
        "normal"
    };
    let stem = id.trim_end_matches("in02");
    let sharded = inst.mode == "Sharding";
    let mut groups = Vec::new();
    let mut n = 0;
    for (kind, count) in node_groups(&inst.mode) {
        let mut nodes = Vec::new();
        for i in 0..*count {
            n += 1;
            // The node a client connects to (primary, or the first mongos) carries the world's
            // address, so that a probe reaches a real server.
            let entry = i == 0 && (*kind == "mongos" || !sharded);
            let ip = match (&inst.address, entry) {
                (Some(a), true) => a.ip.clone(),
                _ => format!("192.0.2.{}", 20 + n),
            };
            let role = match (*kind, i) {
                ("mongos", _) => "master",
                (_, 0) => "Primary",
                (_, 1) => "Secondary",
                _ => "Hidden",
            };
            let suffix = if *kind == "replica" { "repset" } else { kind };
            let mut node = json!({
                "id": format!("{stem}no{n:02}"),
                "name": format!("{name}_{kind}_node_{}", i + 1),
                "status": node_status,
                "role": role,
                "spec_code": format!("dds.mongodb.s2.medium.4.{suffix}"),
                "availability_zone": "eu-de-01",
            });
            // A cluster's shard and config nodes are reached through mongos: the page's
            // example lists no addresses for them.
            if !sharded || *kind == "mongos" {
                node["private_ip"] = json!(ip);
                node["public_ip"] = json!("");
            }
            nodes.push(node);
        }
        let mut group = json!({ "type": kind, "nodes": nodes });
        if *kind != "mongos" {
            group["volume"] = json!({ "size": inst.volume_size.to_string(), "used": "0.33" });
        }
        if sharded && *kind != "mongos" {
            group["id"] = json!(format!("{stem}gr{n:02}"));
            group["name"] = json!(format!("{kind}_1"));
            group["status"] = json!(node_status);
        }
        groups.push(group);
    }
    json!({
        "id": id,
        "name": name,
        "status": inst.status,
        "port": port.to_string(),
        "mode": inst.mode,
        "region": "eu-de",
        "datastore": { "type": "DDS-Community", "version": inst.version },
        "engine": "wiredTiger",
        "created": created,
        "updated": created,
        "db_user_name": "rwuser",
        "ssl": 1,
        "vpc_id": "674e9b42-cd8d-4d25-a2e6-5abcc565b961",
        "subnet_id": "f1df08c5-71d1-406a-aff0-de435a51007b",
        "security_group_id": "7aa51dbf-5b63-40db-9724-dad3c4828b58",
        "backup_strategy": { "start_time": "00:00-01:00", "keep_days": 7 },
        "pay_mode": "0",
        "maintenance_window": "02:00-06:00",
        "groups": groups,
        "time_zone": "",
        "actions": inst.actions,
    })
}

/// `GET /v3/{project_id}/instances?id=&name=&mode=&offset=&limit=`
/// (`querying_instances_and_details.rst`); a leading `*` on `id` or `name` matches a part.
fn list_instances(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let want = |k: &str| cx.req.q(k).filter(|v| !v.is_empty());
    let (want_id, want_name, want_mode) = (want("id"), want("name"), want("mode"));
    let all: Vec<Value> = cx
        .st
        .world
        .dds
        .instances
        .iter()
        .filter(|(id, _)| want_id.is_none_or(|w| matches(w, id)))
        .filter(|(id, i)| want_name.is_none_or(|w| matches(w, &name_or(&i.name, "dds", id))))
        .filter(|(_, i)| want_mode.is_none_or(|w| w == i.mode))
        .map(|(id, i)| instance_json(id, i))
        .collect();
    Ok(jobs::page_reply("instances", all, offset, limit))
}

// ---------------------------------------------------------------- restore times, backups

fn restore_time(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = lookup(cx, id)?;
    let date = cx
        .req
        .q("date")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| param("date is required (yyyy-mm-dd)."))?;
    if !supports_pitr(inst) {
        return Err(unsupported(id, inst, "querying restoration times"));
    }
    let windows = windows_on(&inst.restore_windows, Some(date))
        .map_err(|m| ApiError::bad_request("DBS.280409", format!("Invalid date: {m}")))?;
    let list: Vec<Value> = windows
        .iter()
        .map(|w| json!({ "start_time": w.start, "end_time": w.end }))
        .collect();
    Ok(Reply::ok(json!({ "restore_time": list })))
}

/// `GET /v3/{project_id}/backups` (`querying_the_backup_list.rst`): times as
/// `yyyy-mm-dd hh:mm:ss`, both `begin_time` and `end_time` or neither.
fn list_backups(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 100, 100).map_err(param)?;
    let q = |k: &str| cx.req.q(k).filter(|v| !v.is_empty());
    let time = |k: &str| -> Result<Option<i64>, ApiError> {
        q(k).map(|v| {
            timefmt::parse_instant(v).ok_or_else(|| {
                ApiError::bad_request(
                    "DBS.280409",
                    format!("Invalid date: {k} must look like yyyy-mm-dd hh:mm:ss."),
                )
            })
        })
        .transpose()
    };
    let (begin, end) = (time("begin_time")?, time("end_time")?);
    if begin.is_some() != end.is_some() {
        return Err(param("begin_time and end_time go together."));
    }
    let world = &cx.st.world;
    let all: Vec<Value> = world
        .dds
        .backups
        .iter()
        .filter(|(_, b)| q("instance_id").is_none_or(|w| w == b.instance_id))
        .filter(|(id, _)| q("backup_id").is_none_or(|w| w == id.as_str()))
        .filter(|(_, b)| q("backup_type").is_none_or(|w| w.eq_ignore_ascii_case(&b.backup_type)))
        .filter(|(_, b)| begin.is_none_or(|t| b.begin_time >= t))
        .filter(|(_, b)| end.is_none_or(|t| b.begin_time <= t))
        .filter(|(_, b)| {
            q("mode").is_none_or(|w| world.dds.instances.get(&b.instance_id).is_some_and(|i| i.mode == w))
        })
        .map(|(id, b)| {
            let inst = world.dds.instances.get(&b.instance_id);
            json!({
                "id": id,
                "name": name_or(&b.name, "backup", id),
                "instance_id": b.instance_id,
                "instance_name": inst.map(|i| name_or(&i.name, "dds", &b.instance_id)).unwrap_or_default(),
                "datastore": {
                    "type": "DDS-Community",
                    "version": inst.map(|i| i.version.clone()).unwrap_or_default(),
                },
                "type": b.backup_type,
                "begin_time": timefmt::dds_spaced(b.begin_time),
                "end_time": timefmt::dds_spaced(b.end_time),
                "status": b.status,
                "size": b.size,
                "description": b.description,
            })
        })
        .collect();
    Ok(jobs::page_reply("backups", all, offset, limit))
}

// ---------------------------------------------------------------- jobs

/// `GET /v3/{project_id}/jobs?id=` (`obtaining_information_about_a_task_with_a_specified_id.rst`):
/// `progress` only while running; `ended` is the planned end until then.
fn show_job(cx: &mut Ctx<'_>) -> ApiResult {
    let (id, job) = jobs::queried(
        cx,
        |w| &w.dds.jobs,
        |m| param(m),
        |id| ApiError::bad_request("DBS.280016", format!("Resource not found: job {id}.")),
    )?;
    Ok(Reply::ok(json!({ "job": job_json(id, job, cx.now) })))
}

fn job_json(id: &str, job: &Job, now: i64) -> Value {
    let running = job.status == "Running";
    json!({
        "id": id,
        "name": job.name,
        "status": job.status,
        "created": timefmt::dbs(job.created),
        "ended": timefmt::dbs(job.ended.unwrap_or_else(|| job.due())),
        "progress": if running { format!("{}%", job.percent(now)) } else { String::new() },
        "instance": { "id": job.instance_id, "name": job.instance_name },
        "fail_reason": if job.status == "Failed" { json!(job.fail_reason) } else { Value::Null },
    })
}

// ---------------------------------------------------------------- delete

/// `DELETE /v3/{project_id}/instances/{instance_id}` (`deleting_a_db_instance.rst`): 202
/// `{"job_id"}`; the instance is listed until the job ends, then gone with its backups.
fn delete(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = lookup(cx, id)?;
    // A failed create may be deleted; anything else in flight may not.
    if inst.deleting || (busy(inst) && inst.status != "createfail" && inst.status != "abnormal") {
        return Err(instance_busy(id, inst));
    }
    let name = name_or(&inst.name, "dds", id);
    let effect = JobEffect::DdsDelete {
        instance_id: id.to_owned(),
    };
    let duration = cx.st.world.job_durations.dds_delete;
    let job = jobs::new_job(cx, "Delete_MongoDB", (id, &name), duration, effect);
    let job_id = cx.st.uuid();
    cx.st.world.dds.jobs.insert(job_id.clone(), job);
    if let Some(i) = cx.st.world.dds.instances.get_mut(id) {
        i.deleting = true;
    }
    cx.st.ledger.deletions.push(Deletion {
        service: Service::Dds,
        instance_id: id.to_owned(),
        name,
        job_id: job_id.clone(),
        at_ms: cx.now,
    });
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({ "job_id": job_id }),
    ))
}
