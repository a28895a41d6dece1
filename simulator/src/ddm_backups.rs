//! DDM metadata backups: the project-wide list (`GET /v3/{project_id}/backups`) and one backup's detail.
//
// The list is `querying_backupsa_v3_api.rst`: `offset` (default 0) and `limit` (1..128,
// default 10) are its only query parameters, so it cannot be filtered by instance; a `deleted`
// backup "will not be displayed in the backup list" (`status_description.rst`, Backup Statuses).

use serde::Serialize;
use serde_json::json;

use crate::ddm::{instance, paged, paging, param};
use crate::errors::ApiResult;
use crate::http::{Reply, Req};
use crate::route::{Ctx, Routed, segs};
use crate::timefmt;
use crate::world::{DdmBackup, World, name_or};

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("GET", ["v3", pid, "backups"]) => Routed::project(pid, list_backups),
        ("GET", ["v3", pid, "instances", id, "backups", backup]) => {
            let (id, backup) = ((*id).to_owned(), (*backup).to_owned());
            Routed::project(pid, move |cx| show_backup(cx, &id, &backup))
        }
        _ => return None,
    })
}

/// One entry of the list: the docs' `BackupInfo`.
#[derive(Serialize)]
struct BackupInfo<'a> {
    id: &'a str,
    name: String,
    description: &'a str,
    status: &'a str,
    instance_id: &'a str,
    instance_name: String,
    instance_status: String,
    /// KB.
    file_size: u64,
    /// `yyyy-MM-ddTHH:mm:ss+0000`.
    created: String,
    updated: String,
    /// `auto_metadata` or `metadata`.
    backup_type: &'a str,
}

impl<'a> BackupInfo<'a> {
    fn of(world: &World, id: &'a str, b: &'a DdmBackup) -> BackupInfo<'a> {
        let inst = world.ddm.instances.get(&b.instance_id);
        BackupInfo {
            id,
            name: name_or(&b.name, "backup", id),
            description: if b.backup_type == "auto_metadata" {
                "auto metadata backup"
            } else {
                ""
            },
            status: &b.status,
            instance_id: &b.instance_id,
            instance_name: inst
                .map(|i| name_or(&i.name, "ddm", &b.instance_id))
                .unwrap_or_default(),
            // The field points at the DDM Instance Statuses table (`RUNNING`, ...).
            instance_status: inst.map(|i| i.status.clone()).unwrap_or_default(),
            file_size: b.file_size,
            created: timefmt::dbs(b.created),
            updated: timefmt::dbs(b.updated.unwrap_or(b.created)),
            backup_type: &b.backup_type,
        }
    }
}

fn list_backups(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) = paging(cx.req, 10)?;
    let world = &cx.st.world;
    let items = world
        .ddm
        .backups
        .iter()
        .filter(|(_, b)| b.status != "deleted")
        .map(|(id, b)| json!(BackupInfo::of(world, id, b)))
        .collect();
    Ok(Reply::ok(paged("backups", items, offset, limit)))
}

/// `GET /v3/{project_id}/instances/{instance_id}/backups/{backup_id}`
/// (`querying_details_about_a_backupa_v3_api.rst`).
fn show_backup(cx: &mut Ctx<'_>, id: &str, backup_id: &str) -> ApiResult {
    let world = &cx.st.world;
    let d = instance(world, id)?;
    let b = world
        .ddm
        .backups
        .get(backup_id)
        .filter(|b| b.instance_id == id && b.status != "deleted")
        .ok_or_else(|| param(format!("The backup {backup_id} does not exist.")))?;
    let nodes: Vec<_> = d
        .data_nodes
        .iter()
        .map(|dn| {
            let name = world
                .rds
                .instances
                .get(dn)
                .map(|i| name_or(&i.name, "rds", dn));
            json!({ "instance_id": dn, "instance_name": name.unwrap_or_default() })
        })
        .collect();
    Ok(Reply::ok(json!({
        "id": backup_id,
        "name": name_or(&b.name, "backup", backup_id),
        "instance_id": id,
        "instance_name": name_or(&d.name, "ddm", id),
        "related_data_nodes": nodes,
    })))
}
