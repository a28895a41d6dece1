//! DDM: restore to a new instance, metadata restore and their planning queries.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::route::{Ctx, Routed, segs};
use crate::timefmt;
use crate::world::{DataNodeRelation, DdmInstance, JobEffect, Window, World, name_or, set};

const MAX_LIMIT: usize = 128;

/// The planning queries under `.../instances/{instance_id}/backups/`.
const PLANNING: [&str; 4] = [
    "restorable-time-interval",
    "restorable-instances",
    "related-dn",
    "restorable-data-node",
];

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    let own = |v: &&str| (*v).to_owned();
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3", pid, "instances", id, "backups", "recovery"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| restore_new(cx, &id))
        }
        ("POST", ["v3", pid, "instances", id, "backups", "metadata-recovery"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| restore_metadata(cx, &id))
        }
        // Any other name there is a backup ID (`ddm_backups`).
        ("GET", ["v3", pid, "instances", id, "backups", query]) if PLANNING.contains(query) => {
            let (id, query) = (own(id), own(query));
            Routed::project(pid, move |cx| match query.as_str() {
                "restorable-time-interval" => time_interval(cx, &id),
                "restorable-instances" => restorable_instances(cx, &id),
                "related-dn" => related_dn(cx, &id),
                _ => restorable_data_node(cx, &id),
            })
        }
        ("GET", ["v1", pid, "instances", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| show_instance(cx, &id))
        }
        _ => return None,
    })
}

pub(crate) fn param(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("DBS.280001", msg)
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(
        "DBS.200002",
        format!("The DDM instance {id} does not exist."),
    )
}

pub(crate) fn instance<'w>(world: &'w World, id: &str) -> Result<&'w DdmInstance, ApiError> {
    world.ddm.instances.get(id).ok_or_else(|| missing(id))
}

pub(crate) fn paging(req: &Req, default_limit: usize) -> Result<(usize, usize), ApiError> {
    jobs::paging(req.q("offset"), req.q("limit"), default_limit, MAX_LIMIT).map_err(param)
}

/// Why a DDM instance cannot be a restore target, or `None` if it can.
fn unavailable_reason(d: &DdmInstance) -> Option<&'static str> {
    if d.status != "RUNNING" {
        Some("Another action is in progress on the target instance, or it is abnormal or frozen.")
    } else if !d.accounts.is_empty() {
        Some("A common account exists on the target instance.")
    } else if !d.schemas.is_empty() {
        Some("The target instance already has schemas.")
    } else if !d.data_nodes.is_empty() {
        Some("The target instance is already associated with other data nodes.")
    } else {
        None
    }
}

fn intersect(a: &[Window], b: &[Window]) -> Vec<Window> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let (start, end) = (x.start.max(y.start), x.end.min(y.end));
            if start <= end {
                out.push(Window { start, end });
            }
        }
    }
    out.sort_by_key(|w| w.start);
    out
}

/// The instance's restorable ranges: its own, intersected with every data node's.
pub(crate) fn restorable_windows(world: &World, d: &DdmInstance) -> Vec<Window> {
    let mut acc: Option<Vec<Window>> =
        (!d.restore_windows.is_empty()).then(|| d.restore_windows.clone());
    for dn in &d.data_nodes {
        let w = world
            .rds
            .instances
            .get(dn)
            .map(|i| i.restore_windows.clone())
            .unwrap_or_default();
        acc = Some(match acc {
            None => w,
            Some(a) => intersect(&a, &w),
        });
    }
    acc.unwrap_or_default()
}

/// Numeric comparison of dotted versions (`5.7.27` >= `5.7.25`).
fn version_at_least(have: &str, need: &str) -> bool {
    let parse = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    parse(have) >= parse(need)
}

fn target_not_empty(id: &str, reason: &str) -> ApiError {
    param(format!(
        "The target DDM instance {id} cannot be restored to: {reason}"
    ))
}

fn check_target(world: &World, source_id: &str, target_id: &str) -> Result<(), ApiError> {
    if target_id == source_id {
        return Err(param(
            "The target instance must differ from the source instance.",
        ));
    }
    let target = instance(world, target_id)?;
    if target.status != "RUNNING" {
        return Err(ApiError::conflict(
            "DBS.200019",
            format!(
                "Another operation is being performed on the DDM instance {target_id} (status {}).",
                target.status
            ),
        ));
    }
    if let Some(reason) = unavailable_reason(target) {
        return Err(target_not_empty(target_id, reason));
    }
    Ok(())
}

fn restore_new(cx: &mut Ctx<'_>, path_id: &str) -> ApiResult {
    let body = cx.req.json().map_err(param)?;
    let source_id =
        jobs::req_str(&body["source"]["instance_id"], "source.instance_id").map_err(param)?;
    let restore_time = jobs::opt_ms(&body["source"]["restore_time"], "source.restore_time")
        .map_err(param)?
        .ok_or_else(|| param("source.restore_time is required."))?;
    let target_id =
        jobs::req_str(&body["target"]["instance_id"], "target.instance_id").map_err(param)?;
    let mut relations = Vec::new();
    for (i, rel) in body["data_node_relations"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        relations.push(DataNodeRelation {
            source_instance_id: jobs::req_str(
                &rel["source_instance_id"],
                &format!("data_node_relations[{i}].source_instance_id"),
            )
            .map_err(param)?,
            target_instance_id: jobs::req_str(
                &rel["target_instance_id"],
                &format!("data_node_relations[{i}].target_instance_id"),
            )
            .map_err(param)?,
        });
    }
    if relations.is_empty() {
        return Err(param(
            "data_node_relations is required and must not be empty.",
        ));
    }

    let world = &cx.st.world;
    instance(world, path_id)?;
    let source = instance(world, &source_id)?;
    check_target(world, &source_id, &target_id)?;
    if !restorable_windows(world, source)
        .iter()
        .any(|w| w.contains(restore_time))
    {
        return Err(ApiError::bad_request("DBS.300377", "Invalid time range."));
    }
    let wanted: BTreeSet<&str> = source.data_nodes.iter().map(String::as_str).collect();
    let given: Vec<&str> = relations
        .iter()
        .map(|r| r.source_instance_id.as_str())
        .collect();
    let given_set: BTreeSet<&str> = given.iter().copied().collect();
    if given_set != wanted || given.len() != wanted.len() {
        return Err(param(format!(
            "data_node_relations must map each data node of {source_id} exactly once: {}.",
            wanted.iter().copied().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut seen_targets = BTreeSet::new();
    for rel in &relations {
        let t = rel.target_instance_id.as_str();
        if !seen_targets.insert(t) || wanted.contains(t) {
            return Err(param(format!(
                "Target data node {t} is used twice or is a source node."
            )));
        }
        let src = world.rds.instances.get(&rel.source_instance_id);
        let dn = world.rds.instances.get(t).ok_or_else(|| {
            ApiError::bad_request(
                "DBS.300103",
                format!("The RDS instance {t} does not exist."),
            )
        })?;
        if let Some(reason) = data_node_problem(world, t, dn, src) {
            return Err(ApiError::bad_request(
                "DBS.300110",
                format!("Data node {t}: {reason}"),
            ));
        }
    }

    let target = instance(world, &target_id)?;
    let target_name = name_or(&target.name, "ddm", &target_id);
    let effect = JobEffect::DdmRestore {
        source_instance_id: source_id,
        target_instance_id: target_id.clone(),
        restore_time,
        data_node_relations: relations.clone(),
    };
    let duration = world.durations.ddm_restore;
    let job = jobs::new_job(
        cx,
        "RestoreInstance",
        (&target_id, &target_name),
        duration,
        effect,
    );
    let job_id = cx.st.hex_id();
    cx.st.world.ddm.jobs.insert(job_id.clone(), job);
    if let Some(t) = cx.st.world.ddm.instances.get_mut(&target_id) {
        set(&mut t.status, "RESTORE");
    }
    for rel in &relations {
        if let Some(dn) = cx.st.world.rds.instances.get_mut(&rel.target_instance_id) {
            set(&mut dn.status, "RESTORING");
        }
    }
    cx.st.submitted(&target_id);
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({ "job_id": job_id }),
    ))
}

/// Why an RDS instance cannot receive a source data node's data, or `None`.
fn data_node_problem(
    world: &World,
    id: &str,
    dn: &crate::world::RdsInstance,
    source: Option<&crate::world::RdsInstance>,
) -> Option<&'static str> {
    if !world.ddm_owners_of(id).is_empty() {
        return Some("The DN is associated with other instances.");
    }
    if dn.status != "ACTIVE" {
        return Some("The DN is abnormal.");
    }
    if let Some(src) = source {
        if src.engine != dn.engine {
            return Some("The DN engine is different from the source DN engine.");
        }
        if !version_at_least(&dn.version, &src.version) {
            return Some("The DN version is earlier than the source DN version.");
        }
    }
    None
}

fn restore_metadata(cx: &mut Ctx<'_>, path_id: &str) -> ApiResult {
    let body = cx.req.json().map_err(param)?;
    let restore_time =
        jobs::opt_ms(&body["source"]["restore_time"], "source.restore_time").map_err(param)?;
    let backup_id =
        jobs::opt_str(&body["source"]["backup_id"], "source.backup_id").map_err(param)?;
    if restore_time.is_some() == backup_id.is_some() {
        return Err(param(
            "Exactly one of source.restore_time and source.backup_id is required.",
        ));
    }
    let target_id =
        jobs::req_str(&body["target"]["instance_id"], "target.instance_id").map_err(param)?;
    let mut data_nodes = Vec::new();
    for (i, dn) in body["target"]["data_nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        data_nodes.push(jobs::req_str(dn, &format!("target.data_nodes[{i}]")).map_err(param)?);
    }
    if data_nodes.is_empty() {
        return Err(param(
            "target.data_nodes is required and must not be empty.",
        ));
    }

    let world = &cx.st.world;
    let source = instance(world, path_id)?;
    if let Some(id) = &backup_id {
        let backup = world
            .ddm
            .backups
            .get(id)
            .filter(|b| b.instance_id == path_id)
            .ok_or_else(|| {
                param(format!(
                    "The backup {id} of instance {path_id} does not exist."
                ))
            })?;
        if backup.status != "normal" {
            return Err(param(format!(
                "The backup {id} is {}, not normal.",
                backup.status
            )));
        }
    }
    if let Some(t) = restore_time
        && !restorable_windows(world, source)
            .iter()
            .any(|w| w.contains(t))
    {
        return Err(ApiError::bad_request("DBS.300377", "Invalid time range."));
    }
    check_target(world, path_id, &target_id)?;
    for id in &data_nodes {
        let dn = world.rds.instances.get(id).ok_or_else(|| {
            ApiError::bad_request(
                "DBS.300103",
                format!("The RDS instance {id} does not exist."),
            )
        })?;
        let pitr_done = dn.status == "ACTIVE"
            && dn
                .last_restore
                .as_ref()
                .is_some_and(|r| restore_time.is_none_or(|t| r.restore_time == Some(t)));
        if !pitr_done {
            return Err(ApiError::bad_request(
                "DBS.300323",
                format!(
                    "The associated RDS instance {id} is unavailable: point-in-time recovery to the \
                     metadata restore time has not completed on it (status {}).",
                    dn.status
                ),
            ));
        }
        if let Some(owner) = world.ddm_owners_of(id).first() {
            return Err(ApiError::bad_request(
                "DBS.300110",
                format!("The RDS instance {id} is already associated with DDM instance {owner}."),
            ));
        }
    }

    let target = instance(world, &target_id)?;
    let target_name = name_or(&target.name, "ddm", &target_id);
    let effect = JobEffect::DdmMetadataRestore {
        source_instance_id: path_id.to_owned(),
        target_instance_id: target_id.clone(),
        restore_time,
        backup_id,
        data_nodes,
    };
    let duration = world.durations.ddm_metadata_restore;
    let job = jobs::new_job(
        cx,
        "RestoreMetadata",
        (&target_id, &target_name),
        duration,
        effect,
    );
    let job_id = cx.st.hex_id();
    cx.st.world.ddm.jobs.insert(job_id.clone(), job);
    if let Some(t) = cx.st.world.ddm.instances.get_mut(&target_id) {
        set(&mut t.status, "RESTORE");
    }
    cx.st.submitted(&target_id);
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({ "job_id": job_id }),
    ))
}

fn time_interval(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let (offset, limit) = paging(cx.req, 10)?;
    let world = &cx.st.world;
    let d = instance(world, id)?;
    let items: Vec<Value> = restorable_windows(world, d)
        .iter()
        .map(|w| json!({ "start_time": timefmt::dbs(w.start), "end_time": timefmt::dbs(w.end) }))
        .collect();
    Ok(Reply::ok(paged(
        "restorable_time_intervals",
        items,
        offset,
        limit,
    )))
}

fn restorable_instances(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let (offset, limit) = paging(cx.req, 10)?;
    let world = &cx.st.world;
    instance(world, id)?;
    let items: Vec<Value> = world
        .ddm
        .instances
        .iter()
        .filter(|(other, _)| other.as_str() != id)
        .map(|(other, d)| {
            let reason = unavailable_reason(d);
            json!({
                "instance_id": other,
                "instance_name": name_or(&d.name, "ddm", other),
                "status": if d.status == "RUNNING" { "normal" } else { "abnormal" },
                "available": reason.is_none(),
                "unavailable_reason": reason.unwrap_or(""),
                "vpc_name": d.vpc_name,
            })
        })
        .collect();
    Ok(Reply::ok(paged("instances", items, offset, limit)))
}

/// DDM's paged list body: `{KEY: [one page], offset, limit, total}` (otc-api.md §1.3).
pub(crate) fn paged(key: &str, items: Vec<Value>, offset: usize, limit: usize) -> Value {
    let total = items.len();
    json!({ key: jobs::page(items, offset, limit), "offset": offset, "limit": limit, "total": total })
}

fn related_dn(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let (offset, limit) = paging(cx.req, 100)?;
    cx.req
        .q("restore_time")
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| param("restore_time is required, in epoch milliseconds."))?;
    let world = &cx.st.world;
    let d = instance(world, id)?;
    let items: Vec<Value> = d
        .data_nodes
        .iter()
        .filter_map(|dn| world.rds.instances.get(dn).map(|i| (dn, i)))
        .map(|(dn, i)| {
            json!({
                "instance_name": name_or(&i.name, "rds", dn),
                "instance_id": dn,
                "instance_status": if i.status == "ACTIVE" { "normal" } else { "abnormal" },
                "data_volume_size": u64::from(i.volume_size) * 1_000_000_000,
                "version": i.version,
                "engine_name": i.engine,
            })
        })
        .collect();
    let latest = restorable_windows(world, d).iter().map(|w| w.end).max();
    let mut body = paged("related_data_nodes", items, offset, limit);
    body["latest_restorable_time"] = json!(latest.map(timefmt::dbs).unwrap_or_default());
    Ok(Reply::ok(body))
}

fn restorable_data_node(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let (offset, limit) = paging(cx.req, 10)?;
    let need = |name: &str| {
        cx.req
            .q(name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| param(format!("{name} is required.")))
    };
    let (source_dn, target_id) = (need("source_dn_instance_id")?, need("target_instance_id")?);
    need("restore_time")?
        .parse::<i64>()
        .map_err(|_| param("restore_time must be epoch milliseconds."))?;
    let world = &cx.st.world;
    let d = instance(world, id)?;
    let target = instance(world, &target_id)?;
    let source = world.rds.instances.get(&source_dn).ok_or_else(|| {
        ApiError::bad_request(
            "DBS.300103",
            format!("The RDS instance {source_dn} does not exist."),
        )
    })?;
    let items: Vec<Value> = world
        .rds
        .instances
        .iter()
        .filter(|(rid, _)| !d.data_nodes.contains(rid) && **rid != source_dn)
        .map(|(rid, i)| {
            let reason = data_node_problem(world, rid, i, Some(source)).or_else(|| {
                (i.vpc_name != target.vpc_name)
                    .then_some("The DN is not in the same VPC as the target instance.")
            });
            json!({
                "instance_name": name_or(&i.name, "rds", rid),
                "instance_id": rid,
                "engine_name": i.engine,
                "status": if i.status == "ACTIVE" { "normal" } else { "abnormal" },
                "available": reason.is_none(),
                "unavailable_reason": reason.unwrap_or(""),
                "vpc_name": i.vpc_name,
                "private_ip": "192.0.2.10",
            })
        })
        .collect();
    Ok(Reply::ok(paged("target_data_nodes", items, offset, limit)))
}

fn show_instance(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let d = instance(&cx.st.world, id)?;
    let node_status = if d.status == "RUNNING" {
        "normal"
    } else {
        "abnormal"
    };
    Ok(Reply::ok(json!({
        "id": id,
        "status": d.status,
        "name": name_or(&d.name, "ddm", id),
        "created": "2025-01-01T00:00:00+0000",
        "updated": "2025-01-01T00:00:00+0000",
        "available_zone": "eu-de-01",
        "vpc_id": d.vpc_name,
        "subnet_id": "subnet-sim",
        "security_group_id": "sg-sim",
        "node_count": 2,
        "access_ip": "192.0.2.30",
        "access_port": "5066",
        "node_status": node_status,
        "core_count": "4",
        "ram_capacity": "8",
        "project_id": cx.pid,
        "engine_version": d.version,
        "nodes": [
            { "status": node_status, "port": "5066", "ip": "192.0.2.31",
              "group_id": format!("{id}gr09"), "node_id": format!("{id}no01") },
            { "status": node_status, "port": "5066", "ip": "192.0.2.32",
              "group_id": format!("{id}gr09"), "node_id": format!("{id}no02") },
        ],
        "admin_user_name": "root",
        "enable_ssl": false,
        "flavor_ref": "ddm.4xlarge.2",
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_at_least("5.7.27", "5.7.25"));
        assert!(version_at_least("8.0", "5.7"));
        assert!(version_at_least("8.0.10", "8.0.9"));
        assert!(!version_at_least("5.7", "8.0"));
    }

    #[test]
    fn windows_intersect() {
        let w = |s, e| Window { start: s, end: e };
        assert_eq!(
            intersect(&[w(0, 10), w(20, 30)], &[w(5, 25)]),
            vec![w(5, 10), w(20, 25)]
        );
        assert!(intersect(&[w(0, 1)], &[w(2, 3)]).is_empty());
    }
}
