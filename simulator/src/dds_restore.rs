//! DDS v3 restores: to a new instance, to the original instance, and database/collection PITR.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::dds::{busy, instance_busy, instance_missing, param, supports_pitr, unsupported};
use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs::{self, RestorePoint};
use crate::ledger::Creation;
use crate::route::{Ctx, Routed, segs};
use crate::service::Service;
use crate::world::{DdsInstance, JobEffect, name_or};
use crate::{secret, timefmt};

// ---------------------------------------------------------------- wire structs

/// A number the docs type as a string and the examples send either way.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Loose {
    Number(i64),
    Text(String),
}

impl Loose {
    fn get(&self, name: &str) -> Result<i64, ApiError> {
        match self {
            Loose::Number(n) => Ok(*n),
            Loose::Text(t) => t
                .trim()
                .parse()
                .map_err(|_| param(format!("Parameter error: {name} must be a number."))),
        }
    }
}

/// `restoring_data_to_a_new_db_instance.rst` Table 2; `password` is taken out first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    availability_zone: String,
    vpc_id: String,
    subnet_id: String,
    security_group_id: String,
    disk_encryption_id: Option<String>,
    flavor: Vec<FlavorWire>,
    restore_point: PointWire,
    backup_strategy: Option<BackupStrategyWire>,
    enterprise_project_id: Option<String>,
    ssl_option: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlavorWire {
    #[serde(rename = "type")]
    node_type: String,
    num: Option<Loose>,
    storage: Option<String>,
    size: Option<Loose>,
    spec_code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointWire {
    instance_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<Loose>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupStrategyWire {
    start_time: String,
    keep_days: Option<Loose>,
}

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

fn parse<T: for<'de> Deserialize<'de>>(raw: Value) -> Result<T, ApiError> {
    serde_json::from_value(raw).map_err(|e| param(format!("Parameter error: {e}")))
}

fn opt_ms(v: Option<&Loose>, name: &str) -> Result<Option<i64>, ApiError> {
    v.map(|l| l.get(name)).transpose()
}

// ---------------------------------------------------------------- checks

fn outside_window(t: i64) -> ApiError {
    ApiError::bad_request(
        "DBS.280409",
        format!("Invalid date: {t} lies outside every restorable time range of the instance."),
    )
}

fn backup_missing(id: &str, why: &str) -> ApiError {
    ApiError::bad_request(
        "DBS.201214",
        format!("The backup file {id} does not exist{why}."),
    )
}

/// The source instance and restore point, checked: a backup that exists, is `COMPLETED` and
/// (when an instance is named) is that instance's; or a time inside a window of a replica set
/// or 4.0 cluster.
fn resolve(
    cx: &Ctx<'_>,
    instance_id: Option<&str>,
    point: &RestorePoint,
) -> Result<(String, DdsInstance), ApiError> {
    let dds = &cx.st.world.dds;
    let source_id = match (point, instance_id) {
        (RestorePoint::Backup(b), named) => {
            let backup = dds.backups.get(b).ok_or_else(|| backup_missing(b, ""))?;
            if named.is_some_and(|n| n != backup.instance_id) {
                return Err(backup_missing(b, " for this instance"));
            }
            if backup.status != "COMPLETED" {
                return Err(backup_missing(
                    b,
                    &format!(" as a completed backup (status {})", backup.status),
                ));
            }
            backup.instance_id.clone()
        }
        (RestorePoint::Time(_), Some(n)) => n.to_owned(),
        (RestorePoint::Time(_), None) => {
            return Err(param(
                "Parameter error: restore_point.instance_id is required when type is timestamp.",
            ));
        }
    };
    let source = dds
        .instances
        .get(&source_id)
        .ok_or_else(|| instance_missing(&source_id))?
        .clone();
    if let RestorePoint::Time(t) = point {
        if !supports_pitr(&source) {
            return Err(unsupported(
                &source_id,
                &source,
                "point-in-time restoration",
            ));
        }
        if !source.restore_windows.iter().any(|w| w.contains(*t)) {
            return Err(outside_window(*t));
        }
    }
    Ok((source_id, source))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (4..=64).contains(&name.chars().count())
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "DBS.280234",
            "Invalid DB instance name: 4 to 64 characters, a letter first, then letters, digits, \
             hyphens and underscores.",
        ))
    }
}

/// The mode the flavor list describes, after checking every node group and its disk against
/// the source's.
fn check_flavors(flavors: &[FlavorWire], source: &DdsInstance) -> Result<&'static str, ApiError> {
    let types: Vec<&str> = flavors.iter().map(|f| f.node_type.as_str()).collect();
    let mode = match types.as_slice() {
        ["replica"] => "ReplicaSet",
        ["single"] => "Single",
        t if t.len() == 3 && ["mongos", "shard", "config"].iter().all(|k| t.contains(k)) => {
            "Sharding"
        }
        _ => {
            return Err(ApiError::bad_request(
                "DBS.280327",
                "Invalid node type: one replica, one single, or mongos + shard + config.",
            ));
        }
    };
    for f in flavors {
        if !f.spec_code.starts_with("dds.mongodb.") {
            return Err(ApiError::bad_request(
                "DBS.280239",
                format!("Invalid specifications {:?}.", f.spec_code),
            ));
        }
        if f.storage.as_deref().is_some_and(|s| s != "ULTRAHIGH") {
            return Err(ApiError::bad_request(
                "DBS.280241",
                "Invalid storage type: ULTRAHIGH.",
            ));
        }
        if let Some(num) = &f.num {
            num.get("flavor.num")?;
        }
        if f.node_type == "mongos" {
            continue;
        }
        // Optional (Table 4; the replica set and single node examples omit it): the new
        // instance then gets the source's size.
        let Some(size) = f.size.as_ref() else {
            continue;
        };
        let size = size.get("flavor.size")?;
        if size % 10 != 0 {
            return Err(ApiError::bad_request(
                "DBS.200302",
                "The storage space must be a multiple of 10.",
            ));
        }
        let range = match f.node_type.as_str() {
            "config" => 20..=20,
            "single" => 10..=1000,
            _ => 10..=2000,
        };
        if !range.contains(&size) {
            return Err(ApiError::bad_request(
                "DBS.280242",
                format!(
                    "The storage space is out of range: {} GB to {} GB for {}.",
                    range.start(),
                    range.end(),
                    f.node_type
                ),
            ));
        }
        if f.node_type != "config" && size < i64::from(source.volume_size) {
            return Err(ApiError::bad_request(
                "DBS.280266",
                format!(
                    "Invalid storage space: {size} GB is less than the original instance's {} GB.",
                    source.volume_size
                ),
            ));
        }
    }
    Ok(mode)
}

/// `hh:00-HH:00`, one hour; `keep_days` 0..=732.
fn check_backup_strategy(b: &BackupStrategyWire) -> Result<(), ApiError> {
    let hour = |t: &str| -> Option<u32> {
        let (h, m) = t.split_once(':')?;
        (m == "00").then_some(())?;
        h.parse::<u32>().ok().filter(|h| *h < 24)
    };
    let ok = b
        .start_time
        .split_once('-')
        .and_then(|(a, z)| Some((hour(a)?, hour(z)?)))
        .is_some_and(|(a, z)| (a + 1) % 24 == z);
    if !ok {
        return Err(ApiError::bad_request(
            "DBS.280216",
            format!(
                "Invalid backup start time {:?}: hh:00-HH:00, one hour.",
                b.start_time
            ),
        ));
    }
    if let Some(k) = &b.keep_days
        && !(0..=732).contains(&k.get("keep_days")?)
    {
        return Err(ApiError::bad_request(
            "DBS.280214",
            "Invalid retention period: 0 to 732 days.",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- restore to a new instance

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

pub(crate) fn create(cx: &mut Ctx<'_>) -> ApiResult {
    let mut raw = cx.req.json().map_err(param)?;
    // Optional here (Table 2), unlike RDS; still never echoed.
    let password = match secret::take_password(&mut raw) {
        Ok(p) => Some(p),
        Err(m) if m == "password is required." => None,
        Err(m) => return Err(param(m)),
    };
    let body: CreateBody = parse(raw)?;
    check_name(&body.name)?;
    let p = &body.restore_point;
    let point = jobs::restore_point(
        p.kind.as_deref(),
        p.backup_id.clone(),
        opt_ms(p.restore_time.as_ref(), "restore_time")?,
        false,
    )
    .map_err(|m| param(format!("Parameter error: restore_point: {m}")))?;
    let (source_id, source) = resolve(cx, p.instance_id.as_deref(), &point)?;
    let mode = check_flavors(&body.flavor, &source)?;
    if let Some(b) = &body.backup_strategy {
        check_backup_strategy(b)?;
    }
    if body
        .ssl_option
        .as_deref()
        .is_some_and(|s| s != "0" && s != "1")
    {
        return Err(ApiError::bad_request(
            "DBS.239011",
            "Invalid SSL option: 0 or 1.",
        ));
    }
    if let Some(pw) = &password {
        secret::check_dds_password(pw).map_err(|why| {
            ApiError::bad_request("DBS.200052", format!("Invalid password: {why}"))
        })?;
    }

    let id = cx.st.instance_id("in02");
    let address = cx.st.world.new_address(&body.name);
    let size = body
        .flavor
        .iter()
        .find(|f| f.node_type != "mongos" && f.node_type != "config")
        .and_then(|f| f.size.as_ref()?.get("size").ok())
        .and_then(|s| u32::try_from(s).ok())
        .unwrap_or(source.volume_size);
    let instance = DdsInstance {
        name: body.name.clone(),
        status: "creating".to_owned(),
        mode: mode.to_owned(),
        version: source.version.clone(),
        volume_size: size,
        databases: source.databases.clone(),
        address,
        flavor_ref: body
            .flavor
            .first()
            .map(|f| f.spec_code.clone())
            .unwrap_or_default(),
        actions: vec!["CREATE".to_owned()],
        created: Some(cx.now),
        ..DdsInstance::default()
    };
    let effect = JobEffect::DdsRestore {
        source_instance_id: source_id.clone(),
        target_instance_id: id.clone(),
        created: true,
        restore_time: point.restore_time(),
        backup_id: point.backup_id(),
    };
    let duration = cx.st.world.job_durations.dds_create;
    let job = jobs::new_job(cx, "Create_MongoDB", (&id, &body.name), duration, effect);
    let job_id = cx.st.uuid();
    cx.st.world.dds.jobs.insert(job_id.clone(), job);
    cx.st.world.dds.instances.insert(id.clone(), instance);
    cx.st.submitted(&id);
    cx.st.ledger.creations.push(Creation {
        service: Service::Dds,
        instance_id: id.clone(),
        name: body.name.clone(),
        source_instance_id: source_id,
        job_id: job_id.clone(),
        at_ms: cx.now,
    });
    let flavor: Vec<Value> = body
        .flavor
        .iter()
        .map(|f| {
            let mut out = json!({
                "type": f.node_type,
                "num": f.num.as_ref().and_then(|n| n.get("num").ok()).unwrap_or(1).to_string(),
                "spec_code": f.spec_code,
            });
            if let Some(s) = f.size.as_ref().and_then(|s| s.get("size").ok()) {
                out["size"] = json!(s.to_string());
            }
            out
        })
        .collect();
    let b = body.backup_strategy.as_ref();
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({
            "id": id,
            "name": body.name,
            "datastore": { "type": "DDS-Community", "version": source.version, "storage_engine": "wiredTiger" },
            "created": timefmt::dds_spaced(cx.now),
            "status": "creating",
            "region": "eu-de",
            "availability_zone": body.availability_zone,
            "vpc_id": body.vpc_id,
            "subnet_id": body.subnet_id,
            "security_group_id": body.security_group_id,
            "disk_encryption_id": body.disk_encryption_id.clone().unwrap_or_default(),
            "mode": mode,
            "flavor": flavor,
            "backup_strategy": {
                "start_time": b.map_or("00:00-01:00", |b| b.start_time.as_str()),
                "keep_days": b.and_then(|b| b.keep_days.as_ref()?.get("keep_days").ok()).unwrap_or(7).to_string(),
            },
            "enterprise_project_id": body.enterprise_project_id.clone().unwrap_or_default(),
            "ssl_option": body.ssl_option.clone().unwrap_or_else(|| "1".to_owned()),
            "job_id": job_id,
        }),
    ))
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
