//! DCS v2: restoring an instance from a backup, restore records, backups, instances and deletes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::route::{Ctx, Routed, segs};
use crate::timefmt;
use crate::world::{DcsInstance, DcsRestore, name_or, secs_to_ms, set};

/// The console limits a restore description to 128 bytes.
const MAX_REMARK: usize = 128;

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    let own = |v: &&str| (*v).to_owned();
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v2", pid, "instances", id, "restores"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| restore(cx, &id))
        }
        ("GET", ["v2", pid, "instances", id, "restores"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| list_restores(cx, &id))
        }
        ("GET", ["v2", pid, "instances", id, "backups"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| list_backups(cx, &id))
        }
        ("GET", ["v2", pid, "instances"]) => Routed::project(pid, list_instances),
        ("DELETE", ["v2", pid, "instances", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| delete(cx, &id))
        }
        ("GET", ["v2", pid, "instances", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| show_instance(cx, &id))
        }
        _ => return None,
    })
}

/// "The message body contains invalid characters or is not in JSON format."
fn param(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("111400005", msg)
}

fn instance<'w>(cx: &'w Ctx<'_>, id: &str) -> Result<&'w DcsInstance, ApiError> {
    cx.st.world.dcs.instances.get(id).ok_or_else(|| {
        ApiError::not_found(
            "DCS.3022",
            format!("This DCS instance {id} does not exist."),
        )
    })
}

fn restore(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let body = cx.req.json().map_err(param)?;
    let backup_id = jobs::req_str(&body["backup_id"], "backup_id").map_err(param)?;
    let remark = jobs::opt_str(&body["remark"], "remark")
        .map_err(param)?
        .unwrap_or_default();
    if remark.len() > MAX_REMARK {
        return Err(param(format!("remark must be at most {MAX_REMARK} bytes.")));
    }
    let inst = instance(cx, id)?;
    let dcs = &cx.st.world.dcs;
    if inst.cache_mode == "single" {
        return Err(ApiError::bad_request(
            "DCS.4095",
            "The system does not support backup or restoration of single-node instances.",
        ));
    }
    if inst.status == "RESTORING" {
        return Err(ApiError::bad_request(
            "DCS.4097",
            "The instance is restoring.",
        ));
    }
    if dcs
        .backups
        .values()
        .any(|b| b.instance_id == id && b.status == "backuping")
    {
        return Err(ApiError::bad_request(
            "DCS.4096",
            "The instance is backuping.",
        ));
    }
    if inst.status != "RUNNING" {
        return Err(ApiError::bad_request(
            "DCS.4049",
            format!(
                "The instance status is not running (status {}).",
                inst.status
            ),
        ));
    }
    let backup = dcs
        .backups
        .get(&backup_id)
        .filter(|b| b.instance_id == id)
        .ok_or_else(|| {
            ApiError::bad_request(
                "DCS.4087",
                format!("The backup record {backup_id} does not exist."),
            )
        })?;
    if backup.status != "succeed" || backup.is_support_restore != "TRUE" {
        return Err(ApiError::bad_request(
            "DCS.4087",
            format!(
                "The backup record status is {} (is_support_restore {}); only a succeed backup can \
                 be restored.",
                backup.status, backup.is_support_restore
            ),
        ));
    }
    let record = DcsRestore {
        instance_id: id.to_owned(),
        backup_id: backup_id.clone(),
        backup_name: name_or(&backup.name, "backup", &backup_id),
        backup_remark: backup.remark.clone(),
        restore_name: format!("restore_{}", timefmt::compact(cx.now)),
        remark,
        status: "waiting".to_owned(),
        created_at: cx.now,
        duration_ms: secs_to_ms(cx.st.world.durations.dcs_restore),
        will_fail: cx.faults.fail_job.is_some(),
        error_code: String::new(),
        ended_at: None,
    };
    let restore_id = cx.st.uuid();
    cx.st.world.dcs.restores.insert(restore_id.clone(), record);
    if let Some(i) = cx.st.world.dcs.instances.get_mut(id) {
        set(&mut i.status, "RESTORING");
    }
    cx.st.submitted(id);
    Ok(Reply::ok(json!({ "restore_id": restore_id })))
}

fn progress(rec: &DcsRestore, now: i64) -> String {
    match rec.status.as_str() {
        "succeed" => "100.00".to_owned(),
        "waiting" => "0.00".to_owned(),
        _ => {
            let end = rec.ended_at.unwrap_or(now);
            let span = rec.due().saturating_sub(rec.started_at()).max(1) as f64;
            let done = end.saturating_sub(rec.started_at()).max(0) as f64;
            let pct = (done * 100.0 / span).clamp(0.0, 99.99);
            format!("{pct:.2}")
        }
    }
}

fn record_json(id: &str, rec: &DcsRestore, now: i64) -> Value {
    let updated = rec.ended_at.unwrap_or_else(|| {
        if rec.status == "waiting" {
            rec.created_at
        } else {
            rec.started_at().min(now)
        }
    });
    json!({
        "backup_id": rec.backup_id,
        "restore_id": id,
        "backup_name": rec.backup_name,
        "updated_at": timefmt::dcs(updated),
        "restore_remark": rec.remark,
        "created_at": timefmt::dcs(rec.created_at),
        "progress": progress(rec, now),
        // The documented example spells "no value" as an empty object.
        "error_code": if rec.error_code.is_empty() { json!({}) } else { json!(rec.error_code) },
        "restore_name": rec.restore_name,
        "backup_remark": if rec.backup_remark.is_empty() { json!({}) } else { json!(rec.backup_remark) },
        "status": rec.status,
    })
}

fn time_filter(cx: &Ctx<'_>) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let time = |k: &str| -> Result<Option<i64>, ApiError> {
        cx.req
            .q(k)
            .filter(|v| !v.is_empty())
            .map(|v| {
                timefmt::parse_instant(v)
                    .ok_or_else(|| param(format!("{k} must look like yyyyMMddHHmmss.")))
            })
            .transpose()
    };
    Ok((time("begin_time")?, time("end_time")?))
}

fn list_restores(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    // An unknown instance is an error, not an empty list.
    instance(cx, id)?;
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 10, 1000).map_err(param)?;
    let (begin, end) = time_filter(cx)?;
    let mut found: Vec<(&String, &DcsRestore)> = cx
        .st
        .world
        .dcs
        .restores
        .iter()
        .filter(|(_, r)| r.instance_id == id)
        .filter(|(_, r)| begin.is_none_or(|t| r.created_at >= t))
        .filter(|(_, r)| end.is_none_or(|t| r.created_at <= t))
        .collect();
    if found.is_empty() {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    found.sort_by(|a, b| b.1.created_at.cmp(&a.1.created_at).then(a.0.cmp(b.0)));
    let all: Vec<Value> = found
        .iter()
        .map(|(rid, r)| record_json(rid, r, cx.now))
        .collect();
    let total = all.len();
    Ok(Reply::ok(json!({
        "restore_record_response": jobs::page(all, offset, limit),
        "total_num": total,
    })))
}

fn list_backups(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    instance(cx, id)?;
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 10, 1000).map_err(param)?;
    let (begin, end) = time_filter(cx)?;
    let all: Vec<Value> = cx
        .st
        .world
        .dcs
        .backups
        .iter()
        .filter(|(_, b)| b.instance_id == id)
        .filter(|(_, b)| begin.is_none_or(|t| b.created_at >= t))
        .filter(|(_, b)| end.is_none_or(|t| b.created_at <= t))
        .map(|(bid, b)| {
            json!({
                "backup_id": bid,
                // As in the restore records, the documented example spells "none" `{}`.
                "period": json!({}),
                "backup_name": name_or(&b.name, "backup", bid),
                "instance_id": b.instance_id,
                "size": b.size,
                "backup_type": b.backup_type,
                "created_at": timefmt::dcs(b.created_at),
                "updated_at": timefmt::dcs(b.created_at),
                "progress": if b.status == "succeed" { "100.00" } else { "0.00" },
                "error_code": json!({}),
                "remark": b.remark,
                "status": b.status,
                "is_support_restore": b.is_support_restore,
                "execution_at": timefmt::dcs(b.created_at),
                "backup_format": "rdb",
            })
        })
        .collect();
    let total = all.len();
    Ok(Reply::ok(json!({
        "total_num": total,
        "backup_record_response": jobs::page(all, offset, limit),
    })))
}

fn show_instance(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = instance(cx, id)?;
    let (ip, port) = inst
        .address
        .as_ref()
        .map_or(("192.0.2.40", 6379), |a| (a.ip.as_str(), a.port));
    let mut body = json!({
        "instance_id": id,
        "name": name_or(&inst.name, "dcs", id),
        "engine": inst.engine,
        "engine_version": inst.engine_version,
        "status": inst.status,
        "capacity": inst.capacity,
        "cache_mode": inst.cache_mode,
        "spec_code": format!("redis.{}.xu1.large.{}", inst.cache_mode, inst.capacity),
        "ip": ip,
        "port": port,
        "domain_name": format!("redis-{}.dcs.sim.local", id.chars().take(8).collect::<String>()),
        "max_memory": u64::from(inst.capacity) * 1024,
        "used_memory": 2,
        "vpc_id": "vpc-default",
        "vpc_name": "vpc-default",
        "subnet_id": "subnet-sim",
        "subnet_name": "subnet-sim",
        "subnet_cidr": "192.0.2.0/24",
        "security_group_id": "securitygroup-sim",
        "security_group_name": "securitygroup-sim",
        "created_at": "2025-01-01T00:00:00.000Z",
    });
    let rest = json!({
        // The docs' example answers null for what nobody set; `free` too (its last value).
        "description": null,
        "publicip_id": null,
        "publicip_address": null,
        "enable_publicip": false,
        "enable_ssl": false,
        "service_task_id": null,
        "service_upgrade": false,
        "instance_backup_policy": null,
        "access_user": null,
        "order_id": null,
        "crr_role": null,
        "active_active": null,
        "proxy_links": null,
        "free": null,
        "is_free": false,
        "libos": false,
        "charging_mode": 0,
        "enterprise_project_id": "0",
        "enterprise_project_name": "default",
        "user_id": "d53977d1adfb49c5b025ba7d33a13fd7",
        "user_name": "simuser",
        "capacity_minor": "",
        "maintain_begin": "18:00:00",
        "maintain_end": "19:00:00",
        "no_password_access": "true",
        "az_codes": ["eu-de-01"],
        "available_zones": ["d539378ec1314c85b76fefa3f7071458"],
        "features": {
            "support_acl": true,
            "support_transparent_client_ip": true,
            "support_ssl": false,
            "support_audit_log": false,
        },
        "domain_name_info": {
            "support_public_resolve": true,
            "is_latest_rules": true,
            "zone_name": "dcs.sim.local",
            "history_domain_names": null,
        },
        "transparent_client_ip_enable": true,
        "sub_status": "normal",
        "cpu_type": "x86_64",
        "cloud_service_type_code": "hws.service.type.dcs",
        "cloud_resource_type_code": "hws.resource.type.dcs3",
        "inquery_spec_code": format!("redis.{}.xu1.large.{}", inst.cache_mode, inst.capacity),
        "task": if inst.status == "RESTORING" { "RESTORING" } else { "" },
    });
    // Two halves: the whole object is past `json!`'s recursion limit.
    if let (Some(b), Value::Object(r)) = (body.as_object_mut(), rest) {
        b.extend(r);
    }
    Ok(Reply::ok(body))
}

/// `GET /v2/{project_id}/instances?name=&name_equal=&offset=&limit=`
/// (`querying_all_dcs_instances.rst`): a name matches in part unless `name_equal=true`.
fn list_instances(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 10, 1000).map_err(param)?;
    let name = cx.req.q("name").filter(|n| !n.is_empty());
    let exact = cx.req.q("name_equal") == Some("true");
    let all: Vec<Value> = cx
        .st
        .world
        .dcs
        .instances
        .iter()
        .filter(|(id, i)| {
            let have = name_or(&i.name, "dcs", id);
            name.is_none_or(|n| if exact { have == n } else { have.contains(n) })
        })
        .map(|(id, i)| {
            let (ip, port) = i
                .address
                .as_ref()
                .map_or(("192.0.2.40", 6379), |a| (a.ip.as_str(), a.port));
            json!({
                "instance_id": id,
                "name": name_or(&i.name, "dcs", id),
                "status": i.status,
                "engine": i.engine,
                "engine_version": i.engine_version,
                "capacity": i.capacity,
                "ip": ip,
                "port": port,
            })
        })
        .collect();
    let total = all.len();
    Ok(Reply::ok(
        json!({ "instances": jobs::page(all, offset, limit), "instance_num": total }),
    ))
}

/// `DELETE /v2/{project_id}/instances/{instance_id}` (`deleting_an_instance.rst`): 204 and
/// the instance is gone; refused with 400 `DCS.4099` while creating or restarting.
fn delete(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = instance(cx, id)?;
    if matches!(inst.status.as_str(), "CREATING" | "RESTARTING") {
        return Err(ApiError::bad_request(
            "DCS.4099",
            "DCS instances in the Creating, Starting, Stopping, or Restarting state cannot be deleted.",
        ));
    }
    let name = name_or(&inst.name, "dcs", id);
    let world = &mut cx.st.world.dcs;
    world.instances.remove(id);
    world.backups.retain(|_, b| b.instance_id != id);
    world.restores.retain(|_, r| r.instance_id != id);
    cx.st.ledger.deletions.push(crate::ledger::Deletion {
        service: crate::service::Service::Dcs,
        instance_id: id.to_owned(),
        name,
        job_id: String::new(),
        at_ms: cx.now,
    });
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
