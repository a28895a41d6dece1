//! A DDS restore's point, as the v3 restores take it: loose numbers, and a backup or a time checked against the world.

use serde::Deserialize;
use serde_json::Value;

use crate::dds::{instance_missing, param, supports_pitr, unsupported};
use crate::errors::ApiError;
use crate::jobs::RestorePoint;
use crate::route::Ctx;
use crate::world::DdsInstance;

/// A number the docs type as a string and the examples send either way.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Loose {
    Number(i64),
    Text(String),
}

impl Loose {
    pub(crate) fn get(&self, name: &str) -> Result<i64, ApiError> {
        match self {
            Loose::Number(n) => Ok(*n),
            Loose::Text(t) => t
                .trim()
                .parse()
                .map_err(|_| param(format!("Parameter error: {name} must be a number."))),
        }
    }
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(raw: Value) -> Result<T, ApiError> {
    serde_json::from_value(raw).map_err(|e| param(format!("Parameter error: {e}")))
}

pub(crate) fn opt_ms(v: Option<&Loose>, name: &str) -> Result<Option<i64>, ApiError> {
    v.map(|l| l.get(name)).transpose()
}

pub(crate) fn outside_window(t: i64) -> ApiError {
    ApiError::bad_request(
        "DBS.280409",
        format!("Invalid date: {t} lies outside every restorable time range of the instance."),
    )
}

pub(crate) fn backup_missing(id: &str, why: &str) -> ApiError {
    ApiError::bad_request(
        "DBS.201214",
        format!("The backup file {id} does not exist{why}."),
    )
}

/// The source instance and restore point, checked: a backup that exists, is `COMPLETED` and
/// (when an instance is named) is that instance's; or a time inside a window of a replica set
/// or 4.0 cluster.
pub(crate) fn resolve(
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
