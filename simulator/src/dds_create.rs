//! DDS v3 restore to a new instance (`restoring_data_to_a_new_db_instance.rst`): the body, its checks, the created instance.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::dds::param;
use crate::dds_point::{Loose, opt_ms, parse, resolve};
use crate::errors::{ApiError, ApiResult};
use crate::http::Reply;
use crate::jobs;
use crate::route::Ctx;
use crate::service::Service;
use crate::world::{DdsInstance, JobEffect};
use crate::{secret, timefmt};

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
    cx.st.world.dds.instances.insert(id.clone(), instance);
    let job_id = jobs::accept_create(cx, Service::Dds, |w| &mut w.dds.jobs, job, source_id);
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
