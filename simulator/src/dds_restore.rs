//! DDS v3 restores to the original instance and database/collection PITR, and the routes of every DDS restore.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use crate::dds::{busy, instance_busy, instance_missing, param};
use crate::dds_create::create;
use crate::dds_point::{Loose, opt_ms, outside_window, parse, resolve};
use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::route::{Ctx, Routed, segs};
use crate::world::{JobEffect, name_or};

// ---------------------------------------------------------------- wire structs

/// `restoring_data_to_the_original_db_instance.rst`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryBody {
    source: SourceWire,
    target: TargetWire,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceWire {
    instance_id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<Loose>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetWire {
    instance_id: String,
}

/// `restoring_databases_and_tables_to_a_point_in_time.rst`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectionsBody {
    restore_collections: Vec<DatabaseWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseWire {
    database: String,
    collections: Option<Vec<CollectionWire>>,
    restore_database_time: Option<Loose>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectionWire {
    old_name: String,
    new_name: Option<String>,
    restore_collection_time: Loose,
}

/// The restore routes of DDS (the rest are in `dds.rs`).
/// The restore routes of DDS (the rest are in `dds.rs`).
pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    let own = |v: &&str| (*v).to_owned();
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3", pid, "instances"]) => Routed::project(pid, create),
        ("POST", ["v3", pid, "instances", "recovery"]) => Routed::project(pid, recovery),
        ("POST", ["v3", pid, "instances", id, "restore", "collections"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| collections(cx, &id))
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------- restore to the original

pub(crate) fn recovery(cx: &mut Ctx<'_>) -> ApiResult {
    let body: RecoveryBody = parse(cx.req.json().map_err(param)?)?;
    let s = &body.source;
    let point = jobs::restore_point(
        s.kind.as_deref(),
        s.backup_id.clone(),
        opt_ms(s.restore_time.as_ref(), "source.restore_time")?,
        false,
    )
    .map_err(|m| param(format!("Parameter error: source: {m}")))?;
    let target_id = body.target.instance_id.clone();
    let target = cx
        .st
        .world
        .dds
        .instances
        .get(&target_id)
        .ok_or_else(|| instance_missing(&target_id))?;
    if busy(target) {
        return Err(instance_busy(&target_id, target));
    }
    let (source_id, source) = resolve(cx, Some(&s.instance_id), &point)?;
    let target = cx
        .st
        .world
        .dds
        .instances
        .get(&target_id)
        .ok_or_else(|| instance_missing(&target_id))?;
    let target_name = name_or(&target.name, "dds", &target_id);
    let job_name = if source.mode == "ReplicaSet" {
        "Restore_MongoDB_Replica"
    } else {
        "Restore_MongoDB"
    };
    let effect = JobEffect::DdsRestore {
        source_instance_id: source_id,
        target_instance_id: target_id.clone(),
        created: false,
        restore_time: point.restore_time(),
        backup_id: point.backup_id(),
    };
    let duration = cx.st.world.job_durations.dds_restore;
    let job = jobs::new_job(cx, job_name, (&target_id, &target_name), duration, effect);
    let job_id = cx.st.uuid();
    cx.st.world.dds.jobs.insert(job_id.clone(), job);
    if let Some(t) = cx.st.world.dds.instances.get_mut(&target_id) {
        t.actions = vec!["RESTORE".to_owned()];
    }
    cx.st.submitted(&target_id);
    Ok(Reply::ok(json!({ "job_id": job_id })))
}

// ---------------------------------------------------------------- database and collection PITR

pub(crate) fn collections(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let body: CollectionsBody = parse(cx.req.json().map_err(param)?)?;
    let inst = cx
        .st
        .world
        .dds
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))?;
    if inst.mode != "ReplicaSet" {
        return Err(ApiError::bad_request(
            "DBS.280343",
            format!(
                "Unsupported operation: database and collection restoration applies only to \
                 replica sets; instance {id} is a {} instance.",
                inst.mode
            ),
        ));
    }
    if busy(inst) {
        return Err(instance_busy(id, inst));
    }
    if body.restore_collections.is_empty() {
        return Err(param(
            "Parameter error: restore_collections must not be empty.",
        ));
    }
    let inside = |t: i64| inst.restore_windows.iter().any(|w| w.contains(t));
    let mut restored: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for db in &body.restore_collections {
        if db.database.is_empty() {
            return Err(param("Parameter error: database is required."));
        }
        let known = inst.databases.get(&db.database);
        if !inst.databases.is_empty() && known.is_none() {
            return Err(ApiError::bad_request(
                "DBS.200823",
                format!("The database {} does not exist.", db.database),
            ));
        }
        match (&db.collections, &db.restore_database_time) {
            (None | Some(_), Some(t)) if db.collections.as_ref().is_none_or(Vec::is_empty) => {
                let t = t.get("restore_database_time")?;
                if !inside(t) {
                    return Err(outside_window(t));
                }
                restored.entry(db.database.clone()).or_default();
            }
            (Some(list), _) if !list.is_empty() => {
                for c in list {
                    let t = c.restore_collection_time.get("restore_collection_time")?;
                    if !inside(t) {
                        return Err(outside_window(t));
                    }
                    if known.is_some_and(|k| !k.contains(&c.old_name)) {
                        return Err(param(format!(
                            "Parameter error: collection {} does not exist in database {}.",
                            c.old_name, db.database
                        )));
                    }
                    let name = c.new_name.clone().unwrap_or_else(|| c.old_name.clone());
                    restored.entry(db.database.clone()).or_default().push(name);
                }
            }
            _ => {
                return Err(param(format!(
                    "Parameter error: database {} needs restore_database_time or collections.",
                    db.database
                )));
            }
        }
    }
    let name = name_or(&inst.name, "dds", id);
    let effect = JobEffect::DdsCollections {
        instance_id: id.to_owned(),
        restored,
    };
    let duration = cx.st.world.job_durations.dds_collections;
    let job = jobs::new_job(
        cx,
        "Restore_MongoDB_Collections",
        (id, &name),
        duration,
        effect,
    );
    let job_id = cx.st.uuid();
    cx.st.world.dds.jobs.insert(job_id.clone(), job);
    if let Some(i) = cx.st.world.dds.instances.get_mut(id) {
        i.actions = vec!["RESTORE".to_owned()];
    }
    cx.st.submitted(id);
    Ok(Reply::ok(json!({ "job_id": job_id })))
}
