//! The RDS recycle bin: deleted instances, their recycle backups, and rebuilding one as a new instance.
//
// `GET /v3/{project_id}/recycle-instances?offset=&limit=` (`recycling_a_db_instance/
// querying_instances_in_the_recycle_bin.rst`). A rebuild is a restore to a new instance from
// the recycle backup: the UMN's "Rebuild" points to "Restoring from Backup Files to DB
// Instances", so `POST /v3/{project_id}/instances` with `restore_point.instance_id` the
// deleted instance and `backup_id` its recycle backup (`rds_new.rs` asks [`source`]).

use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs::{self, RestorePoint};
use crate::rds::param;
use crate::route::{Ctx, Routed, segs};
use crate::timefmt;
use crate::world::{RdsInstance, RecycleBackup, RecycledInstance, World, name_or};

use crate::world::RETENTION_DAYS;

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("GET", ["v3", pid, "recycle-instances"]) => Routed::project(pid, list),
        _ => return None,
    })
}

/// `offset` and `limit` are both mandatory; `limit` lies in 1..=50.
fn list(cx: &mut Ctx<'_>) -> ApiResult {
    if cx.req.q("offset").is_none_or(str::is_empty) || cx.req.q("limit").is_none_or(str::is_empty) {
        return Err(param("Parameter error: offset and limit are mandatory."));
    }
    let (offset, limit) =
        jobs::paging(cx.req.q("offset"), cx.req.q("limit"), 10, 50).map_err(param)?;
    let all: Vec<Value> = cx
        .st
        .world
        .rds
        .recycle_bin
        .iter()
        .filter(|(_, r)| r.retained_until > cx.now)
        .map(|(id, r)| instance_json(id, r))
        .collect();
    let total = all.len();
    Ok(Reply::ok(json!({
        "total_count": total,
        "instances": jobs::page(all, offset, limit),
    })))
}

fn instance_json(id: &str, r: &RecycledInstance) -> Value {
    let backups: Vec<Value> = r
        .recycle_backups
        .iter()
        .map(|(bid, b)| {
            json!({
                "backup_id": bid,
                "backup_name": name_or(&b.name, "backup", bid),
                "backup_status": b.status,
                "backup_create_at": timefmt::dbs(b.created_at),
                "backup_update_at": timefmt::dbs(b.updated_at),
                "backup_size": b.size,
            })
        })
        .collect();
    json!({
        "id": id,
        "name": name_or(&r.name, "rds", id),
        "ha_mode": r.ha_mode,
        "engine_name": r.engine,
        "engine_version": r.version,
        "pay_model": "0",
        "created_at": timefmt::dbs(r.created_at),
        "deleted_at": timefmt::dbs(r.deleted_at),
        "volume_type": r.volume_type,
        "volume_size": r.volume_size,
        // The world models no real addresses (RFC 5737).
        "data_vip": "192.0.2.10",
        "enterprise_project_id": "0",
        "retained_until": timefmt::dbs(r.retained_until),
        "recycle_backup_id": r.recycle_backup_id,
        "recycle_status": r.recycle_status,
        "recycle_backups": backups,
        "is_serverless": false,
    })
}

/// The source of a rebuild: a deleted instance still in the bin, restored from one of its
/// completed recycle backups. `None`: no such instance in the bin.
pub(crate) fn source(
    cx: &Ctx<'_>,
    id: &str,
    point: &RestorePoint,
) -> Result<Option<RdsInstance>, ApiError> {
    let Some(r) = cx.st.world.rds.recycle_bin.get(id) else {
        return Ok(None);
    };
    if r.retained_until <= cx.now {
        return Ok(None);
    }
    if r.recycle_status != "COMPLETED" {
        return Err(ApiError::bad_request(
            "DBS.280214",
            format!("The DB instance {id} is still being backed up and cannot be rebuilt."),
        ));
    }
    let RestorePoint::Backup(backup_id) = point else {
        return Err(ApiError::bad_request(
            "RDS.3029",
            "A deleted DB instance can only be rebuilt from its backup.",
        ));
    };
    match r.recycle_backups.get(backup_id) {
        Some(b) if b.status == "COMPLETED" => {}
        Some(b) => {
            return Err(ApiError::bad_request(
                "DBS.280214",
                format!("The backup {backup_id} is {}, not COMPLETED.", b.status),
            ));
        }
        None => {
            return Err(ApiError::bad_request(
                "DBS.280214",
                format!("The backup {backup_id} does not belong to DB instance {id}."),
            ));
        }
    }
    Ok(Some(RdsInstance {
        name: r.name.clone(),
        status: "DELETED".to_owned(),
        engine: r.engine.clone(),
        version: r.version.clone(),
        volume_size: r.volume_size,
        instance_type: r.ha_mode.clone(),
        volume_type: r.volume_type.clone(),
        ..RdsInstance::default()
    }))
}

impl World {
    /// A MySQL instance deleted an hour before `now`, in the bin with a completed recycle
    /// backup and the policy's full retention left (the rehearsal world of
    /// `rewind init rds --deleted`).
    pub fn ensure_rds_recycled(&mut self, id: &str, name: &str, now: i64) {
        let deleted_at = now.saturating_sub(3_600_000);
        let backup_id = format!("{}br01", id.trim_end_matches("in01"));
        let backup = RecycleBackup {
            name: format!("mysql-{id}-{}", timefmt::compact(deleted_at)),
            created_at: deleted_at,
            updated_at: deleted_at.saturating_add(75_000),
            ..RecycleBackup::default()
        };
        self.rds
            .recycle_bin
            .entry(id.to_owned())
            .or_insert_with(|| RecycledInstance {
                name: name_or(name, "rds", id),
                created_at: deleted_at.saturating_sub(30 * 86_400_000),
                deleted_at,
                retained_until: deleted_at.saturating_add(RETENTION_DAYS * 86_400_000),
                recycle_backup_id: backup_id.clone(),
                recycle_backups: [(backup_id, backup)].into_iter().collect(),
                ..RecycledInstance::default()
            });
    }
}
