//! RDS v3: restoring to a new DB instance, deleting a DB instance, and the flavors query.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::ledger::Deletion;
use crate::rds::{
    capitalised, check_point, datastore_type, default_port, flavor_engine, instance_busy,
    instance_missing, param,
};
use crate::route::{Ctx, Routed, segs};
use crate::secret;
use crate::service::Service;
use crate::world::{Address, JobEffect, RdsFlavor, RdsInstance, name_or};

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3", pid, "instances"]) => Routed::project(pid, create),
        ("DELETE", ["v3", pid, "instances", id]) => {
            let id = (*id).to_owned();
            Routed::project(pid, move |cx| delete(cx, &id))
        }
        ("GET", ["v3", pid, "flavors", engine]) => {
            let engine = (*engine).to_owned();
            Routed::project(pid, move |cx| flavors(cx, &engine))
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------- wire structs

/// The body of a restore to a new instance, as the page's Table 2 lists it. `password` is
/// taken out before parsing, so that no parse error can quote it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    ha: Option<HaWire>,
    configuration_id: Option<String>,
    /// Documented as a string; the create API's examples send a number too.
    port: Option<PortWire>,
    backup_strategy: Option<BackupStrategyWire>,
    disk_encryption_id: Option<String>,
    flavor_ref: String,
    volume: VolumeWire,
    availability_zone: String,
    vpc_id: String,
    subnet_id: String,
    // Accepted as the API accepts it, never reported: it is a real address.
    #[allow(dead_code)]
    data_vip: Option<String>,
    security_group_id: Option<String>,
    restore_point: RestorePointWire,
    collation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HaWire {
    mode: String,
    replication_mode: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PortWire {
    Text(String),
    Number(u64),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupStrategyWire {
    start_time: String,
    keep_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumeWire {
    #[serde(rename = "type")]
    volume_type: String,
    size: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RestorePointWire {
    instance_id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<i64>,
}

// ---------------------------------------------------------------- create

fn create(cx: &mut Ctx<'_>) -> ApiResult {
    let mut raw = cx.req.json().map_err(param)?;
    let password = secret::take_password(&mut raw).map_err(param)?;
    let body: CreateBody =
        serde_json::from_value(raw).map_err(|e| param(format!("Parameter error: {e}")))?;
    check_name(&body.name)?;
    let point = jobs::restore_point(
        body.restore_point.kind.as_deref(),
        body.restore_point.backup_id.clone(),
        body.restore_point.restore_time,
        false,
    )
    .map_err(|m| param(format!("Parameter error: restore_point: {m}")))?;
    let source_id = body.restore_point.instance_id.clone();
    let live = cx.st.world.rds.instances.get(&source_id).cloned();
    // A deleted instance is rebuilt from its recycle backup (`rds_recycle.rs`).
    let recycled = match &live {
        Some(_) => None,
        None => crate::rds_recycle::source(cx, &source_id, &point)?,
    };
    let from_bin = recycled.is_some();
    let source = live.or(recycled).ok_or_else(|| {
        ApiError::not_found(
            "DBS.200013",
            format!("The original DB instance {source_id} does not exist."),
        )
    })?;
    let engine = source.engine.as_str();
    check_flavor(&cx.st.world.rds.flavors, &body.flavor_ref, &source)?;
    check_volume(&body.volume, &source)?;
    let port = check_port(body.port.as_ref(), engine)?;
    check_ha(body.ha.as_ref(), engine)?;
    if let Some(b) = &body.backup_strategy {
        check_backup_strategy(b)?;
    }
    if body.collation.is_some() && engine != "sqlserver" {
        return Err(param(
            "Parameter error: collation applies only to Microsoft SQL Server DB instances.",
        ));
    }
    secret::check_rds_password(&password, engine).map_err(|why| {
        ApiError::bad_request(
            "DBS.200052",
            format!("Invalid database root password: {why}"),
        )
    })?;
    if !from_bin {
        check_point(cx, &source_id, &source, &point)?;
    }

    let instance_id = cx.st.instance_id("in01");
    let address = cx
        .st
        .world
        .new_address(&body.name)
        // Not `data_vip`: that is a real address in the caller's subnet, and a rehearsal must
        // never point a probe at it. Only a world file maps a real address.
        .unwrap_or_else(|| Address {
            ip: made_up_ip(&instance_id),
            port,
        });
    let instance = RdsInstance {
        name: body.name.clone(),
        status: "BUILD".to_owned(),
        engine: source.engine.clone(),
        version: source.version.clone(),
        volume_size: body.volume.size,
        vpc_name: body.vpc_id.clone(),
        address: Some(address),
        instance_type: if body.ha.is_some() { "Ha" } else { "Single" }.to_owned(),
        flavor_ref: body.flavor_ref.clone(),
        volume_type: body.volume.volume_type.clone(),
        collation: body.collation.clone(),
        disk_encryption_id: body.disk_encryption_id.clone().unwrap_or_default(),
        created: Some(cx.now),
        listed_from: (cx.faults.unlisted_ms > 0).then(|| cx.now + cx.faults.unlisted_ms),
        ..RdsInstance::default()
    };
    let effect = JobEffect::RdsCreate {
        source_instance_id: source_id.clone(),
        instance_id: instance_id.clone(),
        restore_time: point.restore_time(),
        backup_id: point.backup_id(),
    };
    let job_name = format!("Create{}SingleHAInstance", capitalised(engine));
    let duration = cx.st.world.job_durations.rds_create;
    let job = jobs::new_job(cx, &job_name, (&instance_id, &body.name), duration, effect);
    cx.st
        .world
        .rds
        .instances
        .insert(instance_id.clone(), instance);
    let job_id = jobs::accept_create(cx, Service::Rds, |w| &mut w.rds.jobs, job, source_id);
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({ "instance": created_json(&instance_id, &body, &source, port), "job_id": job_id }),
    ))
}

/// The page's Table 8, with its example's spelling: numbers as strings.
fn created_json(id: &str, body: &CreateBody, source: &RdsInstance, port: u16) -> Value {
    let mut out = json!({
        "id": id,
        "name": body.name,
        "status": "BUILD",
        "datastore": { "type": datastore_type(&source.engine), "version": source.version },
        "port": port.to_string(),
        "volume": { "type": body.volume.volume_type, "size": body.volume.size.to_string() },
        "region": "eu-de",
        "flavor_ref": body.flavor_ref,
        "availability_zone": body.availability_zone,
        "vpc_id": body.vpc_id,
        "subnet_id": body.subnet_id,
        "security_group_id": body.security_group_id.clone().unwrap_or_default(),
    });
    let b = body.backup_strategy.as_ref();
    out["backup_strategy"] = json!({
        "start_time": b.map_or("02:00-03:00", |b| b.start_time.as_str()),
        "keep_days": b.and_then(|b| b.keep_days).unwrap_or(7).to_string(),
    });
    if let Some(ha) = &body.ha {
        out["ha"] = json!({ "mode": ha.mode, "replication_mode": ha.replication_mode });
    }
    if let Some(c) = &body.configuration_id {
        out["configuration_id"] = json!(c);
    }
    if let Some(c) = &body.collation {
        out["collation"] = json!(c);
    }
    out
}

/// An address from the documentation ranges of RFC 5737 (192.0.2.0/24, 198.51.100.0/24,
/// 203.0.113.0/24) derived from the ID, so that new instances differ and none routes anywhere.
fn made_up_ip(id: &str) -> String {
    let sum = id.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    });
    let net = ["192.0.2", "198.51.100", "203.0.113"][(sum % 3) as usize];
    format!("{net}.{}", 1 + (sum / 3) % 254)
}

/// 4 to 64 characters, a letter first, then letters, digits, `-` and `_`.
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
            "DBS.200021",
            "Invalid DB instance name: it must be 4 to 64 characters long, start with a letter \
             and contain only letters, digits, hyphens and underscores.",
        ))
    }
}

/// The built-in catalog: the `n1` classes of `appendix/db_instance_classes.rst` for every
/// engine and mode, plus the bare `rds.{engine}.n1.large` the restore page's example uses.
pub(crate) fn builtin_flavors() -> Vec<RdsFlavor> {
    let engines: [(&str, &[&str]); 3] = [
        ("mysql", &["5.7", "8.0"]),
        ("pg", &["12", "13", "14", "15", "16", "17"]),
        (
            "mssql",
            &[
                "2017_SE", "2017_EE", "2019_SE", "2019_EE", "2022_SE", "2022_EE",
            ],
        ),
    ];
    let classes = [
        ("n1.large", 2, 4),
        ("n1.large.2", 2, 4),
        ("n1.large.4", 2, 8),
        ("n1.xlarge.2", 4, 8),
        ("n1.xlarge.4", 4, 16),
        ("n1.2xlarge.2", 8, 16),
        ("n1.2xlarge.4", 8, 32),
    ];
    let modes = [("", "single"), (".ha", "ha"), (".rr", "replica")];
    let mut out = Vec::new();
    for (engine, versions) in engines {
        for (class, vcpus, ram) in classes {
            for (suffix, mode) in modes {
                out.push(RdsFlavor {
                    spec_code: format!("rds.{engine}.{class}{suffix}"),
                    version_name: versions.iter().map(|v| (*v).to_owned()).collect(),
                    instance_mode: mode.to_owned(),
                    vcpus,
                    ram,
                });
            }
        }
    }
    out
}

fn catalog(world_flavors: &[RdsFlavor]) -> Vec<RdsFlavor> {
    if world_flavors.is_empty() {
        builtin_flavors()
    } else {
        world_flavors.to_vec()
    }
}

/// Whether a flavor serves `version`: `8.0` serves `8.0` and `8.0.28`.
fn serves(flavor: &RdsFlavor, version: &str) -> bool {
    flavor
        .version_name
        .iter()
        .any(|v| version == v || version.starts_with(&format!("{v}.")))
}

/// The flavor must exist, be of the source's engine, and serve the source's version.
fn check_flavor(flavors: &[RdsFlavor], spec: &str, source: &RdsInstance) -> Result<(), ApiError> {
    let want = flavor_engine(&source.engine);
    let named = spec.split('.').nth(1).unwrap_or_default();
    let engine_word = |w: &str| matches!(w, "mysql" | "pg" | "mssql");
    if engine_word(named) && named != want {
        return Err(ApiError::bad_request(
            "DBS.200040",
            format!(
                "The DB engine or version is not supported: flavor {spec} is not a {} flavor, and \
                 the new instance runs the source's engine.",
                datastore_type(&source.engine)
            ),
        ));
    }
    let catalog = catalog(flavors);
    let flavor = catalog
        .iter()
        .find(|f| f.spec_code == spec)
        .ok_or_else(|| {
            ApiError::bad_request(
                "DBS.200053",
                format!("The selected specifications {spec} do not exist."),
            )
        })?;
    if !serves(flavor, &source.version) {
        return Err(ApiError::bad_request(
            "DBS.200040",
            format!(
                "The DB engine or version is not supported: flavor {spec} does not serve {} {}, \
                 the source's version.",
                datastore_type(&source.engine),
                source.version
            ),
        ));
    }
    Ok(())
}

fn check_volume(volume: &VolumeWire, source: &RdsInstance) -> Result<(), ApiError> {
    if !matches!(volume.volume_type.as_str(), "CLOUDSSD" | "ESSD") {
        return Err(ApiError::bad_request(
            "DBS.200026",
            format!(
                "Invalid storage type {:?}: CLOUDSSD or ESSD.",
                volume.volume_type
            ),
        ));
    }
    if !(40..=4000).contains(&volume.size) {
        return Err(ApiError::bad_request(
            "DBS.200023",
            "Storage space is out of range: 40 to 4000 GB.",
        ));
    }
    if !volume.size.is_multiple_of(10) {
        return Err(ApiError::bad_request(
            "DBS.200027",
            "Storage space must be a multiple of 10.",
        ));
    }
    if volume.size < source.volume_size {
        return Err(ApiError::bad_request(
            "RDS.3030",
            format!(
                "The storage space of the new DB instance ({} GB) cannot be less than that of the \
                 original DB instance ({} GB).",
                volume.size, source.volume_size
            ),
        ));
    }
    Ok(())
}

/// The documented port ranges per engine; the default port when none is given.
fn check_port(port: Option<&PortWire>, engine: &str) -> Result<u16, ApiError> {
    let bad = || {
        param(match engine {
            "postgresql" => "Parameter error: the PostgreSQL port ranges from 2100 to 9500.",
            "sqlserver" => {
                "Parameter error: the SQL Server port is 1433 or from 2100 to 9500, except 5355 \
                 and 5985."
            }
            _ => {
                "Parameter error: the MySQL port ranges from 1024 to 65535, except 12017 and 33071."
            }
        })
    };
    let n = match port {
        None => return Ok(default_port(engine)),
        Some(PortWire::Number(n)) => *n,
        Some(PortWire::Text(t)) => t.trim().parse::<u64>().map_err(|_| bad())?,
    };
    let n = u16::try_from(n).map_err(|_| bad())?;
    let ok = match engine {
        "postgresql" => (2100..=9500).contains(&n),
        "sqlserver" => n == 1433 || ((2100..=9500).contains(&n) && n != 5355 && n != 5985),
        _ => n >= 1024 && n != 12017 && n != 33071,
    };
    if ok { Ok(n) } else { Err(bad()) }
}

fn check_ha(ha: Option<&HaWire>, engine: &str) -> Result<(), ApiError> {
    let Some(ha) = ha else { return Ok(()) };
    if !ha.mode.eq_ignore_ascii_case("ha") {
        return Err(ApiError::bad_request(
            "DBS.200051",
            format!("Invalid HA mode {:?}: the value is Ha.", ha.mode),
        ));
    }
    let allowed: &[&str] = match engine {
        "postgresql" => &["async", "sync"],
        "sqlserver" => &["sync"],
        _ => &["async", "semisync"],
    };
    if !allowed.contains(&ha.replication_mode.as_str()) {
        return Err(ApiError::bad_request(
            "DBS.200043",
            format!(
                "Invalid synchronize model {:?} for {}: {}.",
                ha.replication_mode,
                datastore_type(engine),
                allowed.join(" or ")
            ),
        ));
    }
    Ok(())
}

/// `hh:mm-HH:MM`, `HH` one more than `hh` (mod 24), equal minutes of 00/15/30/45;
/// `keep_days` 1..=732.
fn check_backup_strategy(b: &BackupStrategyWire) -> Result<(), ApiError> {
    let parse = |t: &str| -> Option<(u32, u32)> {
        let (h, m) = t.split_once(':')?;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (h < 24 && h.to_string().len() <= 2).then_some((h, m))
    };
    let ok = b
        .start_time
        .split_once('-')
        .and_then(|(a, z)| Some((parse(a)?, parse(z)?)))
        .is_some_and(|((h1, m1), (h2, m2))| {
            m1 == m2 && [0, 15, 30, 45].contains(&m1) && (h1 + 1) % 24 == h2
        });
    if !ok {
        return Err(ApiError::bad_request(
            "DBS.201103",
            format!(
                "Invalid backup start time {:?}: hh:mm-HH:MM, one hour, minutes 00, 15, 30 or 45.",
                b.start_time
            ),
        ));
    }
    if b.keep_days.is_some_and(|d| !(1..=732).contains(&d)) {
        return Err(ApiError::bad_request(
            "DBS.201106",
            "Invalid retention days: 1 to 732.",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- delete

/// `DELETE /v3/{project_id}/instances/{instance_id}` (`deleting_a_db_instance.rst`): 202
/// `{"job_id"}`; the instance is listed until the job ends, then gone with its backups.
fn delete(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let inst = cx
        .st
        .world
        .rds
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))?;
    if inst.deleting || matches!(inst.status.as_str(), "BUILD" | "RESTORING") {
        let status = if inst.deleting {
            "deleting"
        } else {
            inst.status.as_str()
        };
        return Err(instance_busy(id, status));
    }
    let name = name_or(&inst.name, "rds", id);
    let job_name = format!("Delete{}Instance", capitalised(&inst.engine));
    let duration = cx.st.world.job_durations.rds_delete;
    let effect = JobEffect::RdsDelete {
        instance_id: id.to_owned(),
    };
    let job = jobs::new_job(cx, &job_name, (id, &name), duration, effect);
    let job_id = cx.st.uuid();
    cx.st.world.rds.jobs.insert(job_id.clone(), job);
    if let Some(i) = cx.st.world.rds.instances.get_mut(id) {
        i.deleting = true;
    }
    cx.st.ledger.deletions.push(Deletion {
        service: Service::Rds,
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

// ---------------------------------------------------------------- flavors

/// `GET /v3/{project_id}/flavors/{database_name}?version_name=&spec_code=`
/// (`querying_database_specifications.rst`).
fn flavors(cx: &mut Ctx<'_>, database: &str) -> ApiResult {
    let want = match database.to_ascii_lowercase().as_str() {
        "mysql" => "mysql",
        "postgresql" => "pg",
        "sqlserver" => "mssql",
        _ => {
            return Err(ApiError::bad_request(
                "DBS.200042",
                format!("The DB engine {database} does not exist: MySQL, PostgreSQL or SQLServer."),
            ));
        }
    };
    let version = cx.req.q("version_name").filter(|v| !v.is_empty());
    let spec = cx.req.q("spec_code").filter(|v| !v.is_empty());
    let list: Vec<Value> = catalog(&cx.st.world.rds.flavors)
        .iter()
        .filter(|f| f.spec_code.split('.').nth(1) == Some(want))
        .filter(|f| version.is_none_or(|v| f.version_name.iter().any(|n| n == v)))
        .filter(|f| spec.is_none_or(|s| f.spec_code == s))
        .map(|f| {
            json!({
                "vcpus": f.vcpus.to_string(),
                "ram": f.ram,
                "id": flavor_id(&f.spec_code),
                "spec_code": f.spec_code,
                "version_name": f.version_name,
                "instance_mode": f.instance_mode,
                "az_status": { "eu-de-01": "normal", "eu-de-02": "normal", "eu-de-03": "normal" },
                "az_desc": { "eu-de-01": "eu-de-01", "eu-de-02": "eu-de-02", "eu-de-03": "eu-de-03" },
                "group_type": "normal",
            })
        })
        .collect();
    Ok(Reply::ok(json!({ "flavors": list })))
}

/// A stable UUID-shaped ID per spec code.
fn flavor_id(spec: &str) -> String {
    let h = crate::aksk::sha256_hex(spec.as_bytes());
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
