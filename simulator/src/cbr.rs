//! CBR v3: restoring server and disk backups, backups, and the operation logs that track them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::aksk::sha256_hex;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::route::{Ctx, Routed, segs};
use crate::timefmt;
use crate::world::{CbrBackup, CbrChildBackup, OperationLog, name_or, secs_to_ms, set};

const SERVER: &str = "OS::Nova::Server";
const VOLUME: &str = "OS::Cinder::Volume";

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    let own = |v: &&str| (*v).to_owned();
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3", pid, "backups", id, "restore"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| restore(cx, &id))
        }
        ("GET", ["v3", pid, "backups", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| show_backup(cx, &id))
        }
        ("GET", ["v3", pid, "backups"]) => Routed::project(pid, list_backups),
        ("GET", ["v3", pid, "operation-logs"]) => Routed::project(pid, list_logs),
        ("GET", ["v3", pid, "operation-logs", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| show_log(cx, &id))
        }
        _ => return None,
    })
}

/// CBR documents no generic parameter-error code; this one is the simulator's choice.
fn param(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("BackupService.1001", msg)
}

fn backup_missing(id: &str) -> ApiError {
    ApiError::not_found(
        "BackupService.6200",
        format!("The backup {id} does not exist."),
    )
}

/// A stable UUID-shaped value derived from `seed`, for fields the world file does not hold.
fn derived_uuid(seed: &str) -> String {
    let h = sha256_hex(seed.as_bytes());
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn provider_id(resource_type: &str) -> &'static str {
    match resource_type {
        SERVER => "0daac4c5-6707-4851-97ba-169e36266b66",
        VOLUME => "d1603440-187d-4516-af25-121250c7cc97",
        _ => "3f3c3220-245c-4805-b811-758870015881",
    }
}

/// Where a restore lands, worked out from the body and the backup it restores.
struct Target {
    id: String,
    is_server: bool,
}

fn restore(cx: &mut Ctx<'_>, backup_id: &str) -> ApiResult {
    let body = cx.req.json().map_err(param)?;
    let r = &body["restore"];
    if !r.is_object() {
        return Err(param("restore is required."));
    }
    let server_id = jobs::opt_str(&r["server_id"], "restore.server_id").map_err(param)?;
    let volume_id = jobs::opt_str(&r["volume_id"], "restore.volume_id").map_err(param)?;
    let resource_id = jobs::opt_str(&r["resource_id"], "restore.resource_id").map_err(param)?;
    let power_on = match &r["power_on"] {
        Value::Null => true,
        Value::Bool(b) => *b,
        _ => return Err(param("restore.power_on must be a boolean.")),
    };
    let mut mappings = Vec::new();
    for (i, m) in r["mappings"].as_array().into_iter().flatten().enumerate() {
        let child = jobs::req_str(&m["backup_id"], &format!("restore.mappings[{i}].backup_id"))
            .map_err(param)?;
        let volume = jobs::req_str(&m["volume_id"], &format!("restore.mappings[{i}].volume_id"))
            .map_err(param)?;
        mappings.push((child, volume));
    }

    let cbr = &cx.st.world.cbr;
    let (parent, backup) = cbr
        .find_backup(backup_id)
        .ok_or_else(|| backup_missing(backup_id))?;
    let status = match parent {
        Some(_) => backup
            .children
            .iter()
            .find(|c| c.id == backup_id)
            .map_or_else(String::new, |c| c.status.clone()),
        None => backup.status.clone(),
    };
    if status != "available" || backup.status != "available" {
        return Err(ApiError::bad_request(
            "BackupService.2005",
            format!(
                "Restoration is not allowed in the current backup status ({}).",
                backup.status
            ),
        ));
    }
    let target = if parent.is_none() && backup.resource_type == SERVER {
        let server = server_id
            .ok_or_else(|| param("restore.server_id is required to restore a server backup."))?;
        if mappings.is_empty() {
            return Err(param(
                "restore.mappings is required to restore a server backup.",
            ));
        }
        for (child, _) in &mappings {
            if !backup.children.iter().any(|c| &c.id == child) {
                return Err(param(format!(
                    "Disk backup {child} in mappings is not part of backup {backup_id}."
                )));
            }
        }
        if let Some(s) = cbr.servers.get(&server)
            && s.status == "ERROR"
        {
            return Err(ApiError::bad_request(
                "BackupService.2008",
                format!("The server {server} is faulty and cannot be restored."),
            ));
        }
        Target {
            id: server,
            is_server: true,
        }
    } else if parent.is_some() || backup.resource_type == VOLUME {
        let volume = volume_id
            .ok_or_else(|| param("restore.volume_id is required to restore a disk backup."))?;
        Target {
            id: volume,
            is_server: false,
        }
    } else {
        Target {
            id: resource_id.unwrap_or_else(|| backup.resource_id.clone()),
            is_server: false,
        }
    };
    if let Some((_, busy)) = cbr.operation_logs.iter().find(|(_, l)| {
        l.target_resource_id == target.id && matches!(l.status.as_str(), "waiting" | "running")
    }) {
        return Err(ApiError::bad_request(
            "BackupService.2010",
            format!(
                "The resource {} is being restored from backup {}.",
                target.id, busy.backup_id
            ),
        ));
    }

    let top_id = parent.unwrap_or(backup_id).to_owned();
    let target_name = if target.is_server {
        cbr.servers
            .get(&target.id)
            .map(|s| name_or(&s.name, "ecs", &target.id))
            .unwrap_or_default()
    } else {
        name_or("", "volume", &target.id)
    };
    let log = OperationLog {
        operation_type: "restore".to_owned(),
        status: "waiting".to_owned(),
        backup_id: backup_id.to_owned(),
        backup_name: name_or(&backup.name, "backup", backup_id),
        resource_id: backup.resource_id.clone(),
        resource_name: backup.resource_name.clone(),
        resource_type: backup.resource_type.clone(),
        target_resource_id: target.id.clone(),
        target_resource_name: target_name,
        vault_id: backup.vault_id.clone(),
        vault_name: backup.vault_name.clone(),
        power_on,
        request_id: format!("req-{}", derived_uuid(&format!("{backup_id}/{}", cx.now))),
        created_at: cx.now,
        duration_ms: secs_to_ms(cx.st.world.durations.cbr_restore),
        will_fail: cx.faults.fail_job.is_some(),
        fail_reason: cx.faults.fail_job.clone().unwrap_or_default(),
        ended_at: None,
    };
    let log_id = cx.st.uuid();
    let cbr = &mut cx.st.world.cbr;
    cbr.operation_logs.insert(log_id, log);
    if let Some(b) = cbr.backups.get_mut(&top_id) {
        set(&mut b.status, "restoring");
    }
    if let Some(s) = cbr.servers.get_mut(&target.id) {
        // CBR shuts the server down for the restore and powers it on at the end if asked.
        set(&mut s.status, "SHUTOFF");
    }
    cx.st.submitted(&target.id);
    Ok(Reply::empty(StatusCode::ACCEPTED))
}

/// The docs' examples give every backup an expiry; the simulator keeps backups 30 days.
fn expires(created_at: i64) -> i64 {
    created_at.saturating_add(30 * 86_400_000)
}

fn child_json(child: &CbrChildBackup, parent_id: &str, parent: &CbrBackup, pid: &str) -> Value {
    json!({
        "id": child.id,
        "name": name_or(&child.name, "backup", &child.id),
        "parent_id": parent_id,
        "checkpoint_id": derived_uuid(&format!("checkpoint/{parent_id}")),
        "created_at": timefmt::cbr(parent.created_at),
        "updated_at": timefmt::cbr(parent.created_at),
        "protected_at": timefmt::cbr(parent.created_at),
        "expired_at": timefmt::cbr(expires(parent.created_at)),
        "description": "",
        "image_type": "backup",
        "project_id": pid,
        "provider_id": provider_id(&child.resource_type),
        "resource_az": "eu-de-01",
        "resource_id": child.resource_id,
        "resource_name": child.resource_id,
        "resource_size": child.resource_size,
        "resource_type": child.resource_type,
        "status": child.status,
        "vault_id": parent.vault_id,
        "extend_info": {
            "bootable": false,
            "encrypted": false,
            "auto_trigger": false,
            "support_lld": false,
            "incremental": false,
            "snapshot_id": derived_uuid(&format!("snapshot/{}", child.id)),
        },
        "children": [],
    })
}

fn backup_json(id: &str, b: &CbrBackup, pid: &str) -> Value {
    let children: Vec<Value> = b
        .children
        .iter()
        .map(|c| child_json(c, id, b, pid))
        .collect();
    json!({
        "id": id,
        "name": name_or(&b.name, "backup", id),
        "parent_id": null,
        "checkpoint_id": derived_uuid(&format!("checkpoint/{id}")),
        "created_at": timefmt::cbr(b.created_at),
        "updated_at": timefmt::cbr(b.created_at),
        "protected_at": timefmt::cbr(b.created_at),
        "expired_at": timefmt::cbr(expires(b.created_at)),
        "description": "",
        "image_type": "backup",
        "project_id": pid,
        "provider_id": provider_id(&b.resource_type),
        "resource_az": "eu-de-01",
        "resource_id": b.resource_id,
        "resource_name": b.resource_name,
        "resource_size": b.resource_size,
        "resource_type": b.resource_type,
        "status": b.status,
        "vault_id": b.vault_id,
        "extend_info": {
            "auto_trigger": false,
            "bootable": b.resource_type == SERVER,
            "encrypted": false,
            "snapshot_id": "",
            "supported_restore_mode": "backup",
            "contain_system_disk": b.resource_type == SERVER,
            "support_lld": false,
            "incremental": false,
            "system_disk": false,
        },
        "children": children,
    })
}

fn show_backup(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let (parent, b) = cx
        .st
        .world
        .cbr
        .find_backup(id)
        .ok_or_else(|| backup_missing(id))?;
    let body = match parent {
        // Only the single-backup example carries it (as a number); no table names it.
        None => {
            let mut body = backup_json(id, b, &cx.pid);
            body["enterprise_project_id"] = json!(0);
            body
        }
        Some(pid) => {
            let child = b
                .children
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| backup_missing(id))?;
            child_json(child, pid, b, &cx.pid)
        }
    };
    Ok(Reply::ok(json!({ "backup": body })))
}

fn list_backups(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 1000, 1000).map_err(param)?;
    let q = |k: &str| cx.req.q(k);
    let all: Vec<Value> = cx
        .st
        .world
        .cbr
        .backups
        .iter()
        .filter(|(_, b)| q("resource_id").is_none_or(|w| w == b.resource_id))
        .filter(|(_, b)| q("resource_type").is_none_or(|w| w == b.resource_type))
        .filter(|(_, b)| q("status").is_none_or(|w| w == b.status))
        .filter(|(_, b)| q("vault_id").is_none_or(|w| w == b.vault_id))
        .map(|(id, b)| backup_json(id, b, &cx.pid))
        .collect();
    let count = all.len();
    Ok(Reply::ok(
        json!({ "backups": jobs::page(all, offset, limit), "count": count }),
    ))
}

fn log_json(id: &str, log: &OperationLog, now: i64, pid: &str) -> Value {
    let progress = match log.status.as_str() {
        "success" => 100,
        "waiting" => 0,
        _ => {
            let end = log.ended_at.unwrap_or(now);
            let span = log.due().saturating_sub(log.started_at()).max(1);
            (end.saturating_sub(log.started_at())
                .max(0)
                .saturating_mul(100)
                / span)
                .clamp(0, 99)
        }
    };
    let started = (log.status != "waiting").then(|| timefmt::cbr(log.started_at()));
    let (code, message) = if log.status == "failed" {
        ("BackupService.9999", log.fail_reason.as_str())
    } else {
        ("", "")
    };
    json!({
        "checkpoint_id": derived_uuid(&format!("checkpoint/{}", log.backup_id)),
        "created_at": timefmt::cbr(log.created_at),
        "ended_at": log.ended_at.map(timefmt::cbr),
        "error_info": { "code": code, "message": message },
        "extra_info": {
            "backup": { "backup_id": log.backup_id, "backup_name": log.backup_name },
            "common": { "progress": progress, "request_id": log.request_id, "task_id": id },
            "restore": {
                "backup_id": log.backup_id,
                "backup_name": log.backup_name,
                "target_resource_id": log.target_resource_id,
                "target_resource_name": log.target_resource_name,
            },
            "resource": { "id": log.resource_id, "name": log.resource_name, "type": log.resource_type },
        },
        "id": id,
        "operation_type": log.operation_type,
        "policy_id": "",
        "project_id": pid,
        "provider_id": provider_id(&log.resource_type),
        "started_at": started,
        "status": log.status,
        "updated_at": timefmt::cbr(log.ended_at.unwrap_or(now)),
        "vault_id": log.vault_id,
        "vault_name": log.vault_name,
    })
}

fn list_logs(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 1000, 1000).map_err(param)?;
    let q = |k: &str| cx.req.q(k).filter(|v| !v.is_empty());
    let time = |k: &str| -> Result<Option<i64>, ApiError> {
        q(k).map(|v| {
            timefmt::parse_instant(v)
                .ok_or_else(|| param(format!("{k} must look like 2019-05-23T14:31:36Z.")))
        })
        .transpose()
    };
    let (start, end) = (time("start_time")?, time("end_time")?);
    let mut found: Vec<(&String, &OperationLog)> = cx
        .st
        .world
        .cbr
        .operation_logs
        .iter()
        .filter(|(_, l)| q("operation_type").is_none_or(|w| w == l.operation_type))
        .filter(|(_, l)| {
            q("resource_id").is_none_or(|w| w == l.resource_id || w == l.target_resource_id)
        })
        .filter(|(_, l)| q("vault_id").is_none_or(|w| w == l.vault_id))
        .filter(|(_, l)| q("status").is_none_or(|w| w == l.status))
        .filter(|(_, l)| start.is_none_or(|t| l.created_at >= t))
        .filter(|(_, l)| end.is_none_or(|t| l.created_at <= t))
        .collect();
    found.sort_by(|a, b| b.1.created_at.cmp(&a.1.created_at).then(a.0.cmp(b.0)));
    let all: Vec<Value> = found
        .iter()
        .map(|(id, l)| log_json(id, l, cx.now, &cx.pid))
        .collect();
    let count = all.len();
    Ok(Reply::ok(json!({
        "operation_logs": jobs::page(all, offset, limit),
        "count": count,
        "limit": limit,
        "offset": offset,
    })))
}

fn show_log(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let log = cx.st.world.cbr.operation_logs.get(id).ok_or_else(|| {
        ApiError::not_found("BackupService.6500", "Operation log does not exist.")
    })?;
    Ok(Reply::ok(
        json!({ "operation_log": log_json(id, log, cx.now, &cx.pid) }),
    ))
}
