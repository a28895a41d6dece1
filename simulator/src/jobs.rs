//! Shared handler pieces: restore points, paging, body fields, and job creation and wire shapes.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::http::Reply;
use crate::ledger::Creation;
use crate::route::Ctx;
use crate::service::Service;
use crate::timefmt;
use crate::world::{Job, JobEffect, World, secs_to_ms};

/// What a restore goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RestorePoint {
    Backup(String),
    Time(i64),
}

impl RestorePoint {
    pub(crate) fn backup_id(&self) -> Option<String> {
        match self {
            RestorePoint::Backup(id) => Some(id.clone()),
            RestorePoint::Time(_) => None,
        }
    }

    pub(crate) fn restore_time(&self) -> Option<i64> {
        match self {
            RestorePoint::Time(t) => Some(*t),
            RestorePoint::Backup(_) => None,
        }
    }
}

/// Reconciles `type`, `backup_id` and `restore_time`; the error names the disagreeing field.
/// RDS lets `type` be omitted for a backup restore; TaurusDB always requires it.
pub(crate) fn restore_point(
    kind: Option<&str>,
    backup_id: Option<String>,
    restore_time: Option<i64>,
    type_required: bool,
) -> Result<RestorePoint, String> {
    match (kind, backup_id, restore_time) {
        (Some("backup"), Some(id), None) => Ok(RestorePoint::Backup(id)),
        (Some("backup"), None, _) => Err("type is backup, so backup_id is required.".into()),
        (Some("backup"), Some(_), Some(_)) => {
            Err("type is backup, so restore_time must not be set.".into())
        }
        (Some("timestamp"), None, Some(t)) => Ok(RestorePoint::Time(t)),
        (Some("timestamp"), _, None) => {
            Err("type is timestamp, so restore_time is required.".into())
        }
        (Some("timestamp"), Some(_), Some(_)) => {
            Err("type is timestamp, so backup_id must not be set.".into())
        }
        (Some(other), _, _) => Err(format!("type must be backup or timestamp, not {other:?}.")),
        (None, _, _) if type_required => Err("type is required.".into()),
        (None, Some(id), None) => Ok(RestorePoint::Backup(id)),
        (None, _, Some(_)) => Err("restore_time requires type: timestamp.".into()),
        (None, None, None) => Err("Either backup_id or restore_time is required.".into()),
    }
}

/// A required string field.
pub(crate) fn req_str(v: &Value, name: &str) -> Result<String, String> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Null => Err(format!("{name} is required.")),
        _ => Err(format!("{name} must be a non-empty string.")),
    }
}

/// An optional string field.
pub(crate) fn opt_str(v: &Value, name: &str) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(format!("{name} must be a string.")),
    }
}

/// An optional integer (epoch milliseconds) field.
pub(crate) fn opt_ms(v: &Value, name: &str) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        v => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{name} must be an integer in ms.")),
    }
}

/// `offset` and `limit` from the query; `limit` must lie in `1..=max`.
pub(crate) fn paging(
    offset: Option<&str>,
    limit: Option<&str>,
    default_limit: usize,
    max: usize,
) -> Result<(usize, usize), String> {
    let offset = match offset {
        None | Some("") => 0,
        Some(o) => o
            .parse::<usize>()
            .map_err(|_| "offset must be a number >= 0.".to_owned())?,
    };
    let limit = match limit {
        None | Some("") => default_limit,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| format!("limit must be a number from 1 to {max}."))?,
    };
    Ok((offset, limit))
}

pub(crate) fn page<T>(items: Vec<T>, offset: usize, limit: usize) -> Vec<T> {
    items.into_iter().skip(offset).take(limit).collect()
}

/// The DBS family's list envelope: one page of `items` under `key`, and `total_count`.
pub(crate) fn page_reply(key: &str, items: Vec<Value>, offset: usize, limit: usize) -> Reply {
    let total = items.len();
    let mut body = serde_json::Map::new();
    body.insert(key.to_owned(), Value::Array(page(items, offset, limit)));
    body.insert("total_count".to_owned(), json!(total));
    Reply::ok(Value::Object(body))
}

/// The job a DBS job query (`GET .../jobs?id=`) names in `jobs`: `id` is required (`param`
/// answers its absence) and a job not yet visible does not exist (`missing` answers).
pub(crate) fn queried<'c>(
    cx: &'c Ctx<'_>,
    jobs: fn(&World) -> &BTreeMap<String, Job>,
    param: fn(&str) -> ApiError,
    missing: fn(&str) -> ApiError,
) -> Result<(&'c str, &'c Job), ApiError> {
    let id = cx
        .req
        .q("id")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| param("id is required."))?;
    let job = jobs(&cx.st.world)
        .get(id)
        .filter(|j| j.visible_at <= cx.now)
        .ok_or_else(|| missing(id))?;
    Ok((id, job))
}

/// The DBS family's answer to a job the query cannot see (RDS, TaurusDB, GaussDB).
pub(crate) fn job_missing(_id: &str) -> ApiError {
    ApiError::bad_request("DBS.200543", "The job does not exist.")
}

/// Records an accepted restore to a new instance of `service` (the instance is already in
/// the world): its job under a new ID, the submission, and the ledger's creation. Returns
/// the job ID.
pub(crate) fn accept_create(
    cx: &mut Ctx<'_>,
    service: Service,
    jobs: fn(&mut World) -> &mut BTreeMap<String, Job>,
    job: Job,
    source_instance_id: String,
) -> String {
    let job_id = cx.st.uuid();
    let (instance_id, name) = (job.instance_id.clone(), job.instance_name.clone());
    jobs(&mut cx.st.world).insert(job_id.clone(), job);
    cx.st.submitted(&instance_id);
    cx.st.ledger.creations.push(Creation {
        service,
        instance_id,
        name,
        source_instance_id,
        job_id: job_id.clone(),
        at_ms: cx.now,
    });
    job_id
}

/// Creates a running job, honouring the request's fault decision (fail, stay invisible).
pub(crate) fn new_job(
    cx: &Ctx<'_>,
    name: &str,
    instance: (&str, &str),
    duration_secs: f64,
    effect: JobEffect,
) -> Job {
    Job {
        name: name.to_owned(),
        instance_id: instance.0.to_owned(),
        instance_name: instance.1.to_owned(),
        status: "Running".to_owned(),
        created: cx.now,
        duration_ms: secs_to_ms(duration_secs),
        visible_at: cx.now.saturating_add(cx.faults.invisible_ms),
        will_fail: cx.faults.fail_job.is_some(),
        fail_reason: cx.faults.fail_job.clone().unwrap_or_default(),
        ended: None,
        effect,
    }
}

fn process(job: &Job, now: i64) -> String {
    if job.status == "Running" {
        format!("{}%", job.percent(now))
    } else {
        String::new()
    }
}

/// RDS and TaurusDB: `{"job": {...}}` (otc-api.md §2.4, §3.3).
pub(crate) fn dbs_job(id: &str, job: &Job, now: i64, entities: &Value) -> Value {
    let mut out = json!({
        "id": id,
        "name": job.name,
        "status": job.status,
        "created": timefmt::dbs(job.created),
        "process": process(job, now),
        "instance": { "id": job.instance_id, "name": job.instance_name },
        "entities": entities,
    });
    if let Some(ended) = job.ended {
        out["ended"] = json!(timefmt::dbs(ended));
    }
    if job.status == "Failed" {
        out["fail_reason"] = json!(job.fail_reason);
    }
    json!({ "job": out })
}

/// RDS: one item of the instant-task list (`querying_instant_tasks.rst`). `end_time` is the
/// planned end while the task runs, the real end after.
pub(crate) fn rds_task(id: &str, job: &Job, now: i64, instance_status: &str) -> Value {
    let end = job
        .ended
        .unwrap_or_else(|| job.created.saturating_add(job.duration_ms));
    let mut out = json!({
        "id": id,
        "name": job.name,
        "instance_id": job.instance_id,
        "instance_name": job.instance_name,
        "instance_status": instance_status,
        "order_id": "",
        "process": process(job, now),
        "create_time": timefmt::dbs(job.created),
        "end_time": timefmt::dbs(end),
        "status": job.status,
    });
    // The documented example (a completed task) carries no `fail_reason`.
    if job.status == "Failed" {
        out["fail_reason"] = json!(job.fail_reason);
    }
    out
}

/// DDM: the job body of `GET /v3/{project_id}/jobs/{job_id}` (otc-api.md §1.4).
pub(crate) fn ddm_job(id: &str, job: &Job, now: i64) -> Value {
    let mut out = json!({
        "id": id,
        "name": job.name,
        "status": job.status,
        "created_time": timefmt::dbs(job.created),
        "end_time": job.ended.map(timefmt::dbs).unwrap_or_default(),
        "process": process(job, now),
        "instance": { "id": job.instance_id, "name": job.instance_name },
    });
    if job.status == "Failed" {
        out["fail_reason"] = json!(job.fail_reason);
    }
    out
}

/// DDM: one item of the jobs list.
pub(crate) fn ddm_job_item(id: &str, job: &Job, now: i64) -> Value {
    json!({
        "instance_id": job.instance_id,
        "instance_name": job.instance_name,
        "id": id,
        "name": job.name,
        "status": job.status,
        "created_time": timefmt::dbs(job.created),
        "end_time": job.ended.map(timefmt::dbs).unwrap_or_default(),
        "process": process(job, now),
        "fail_reason": if job.status == "Failed" { job.fail_reason.clone() } else { String::new() },
        "database_name": "",
        "operations": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_points_must_agree() {
        let b = || Some("b1".to_owned());
        assert_eq!(
            restore_point(Some("backup"), b(), None, true),
            Ok(RestorePoint::Backup("b1".into()))
        );
        assert_eq!(
            restore_point(Some("timestamp"), None, Some(5), true),
            Ok(RestorePoint::Time(5))
        );
        assert_eq!(
            restore_point(None, b(), None, false),
            Ok(RestorePoint::Backup("b1".into()))
        );
        for (kind, backup, time, required) in [
            (Some("backup"), None, Some(5), false),
            (Some("backup"), b(), Some(5), false),
            (Some("timestamp"), b(), None, false),
            (Some("timestamp"), b(), Some(5), false),
            (Some("snapshot"), b(), None, false),
            (None, b(), None, true),
            (None, None, Some(5), false),
            (None, None, None, false),
        ] {
            assert!(restore_point(kind, backup, time, required).is_err());
        }
    }

    #[test]
    fn paging_bounds_the_limit() {
        assert_eq!(paging(None, None, 10, 128), Ok((0, 10)));
        assert_eq!(paging(Some("3"), Some("128"), 10, 128), Ok((3, 128)));
        assert!(paging(None, Some("0"), 10, 128).is_err());
        assert!(paging(None, Some("129"), 10, 128).is_err());
        assert!(paging(Some("-1"), None, 10, 128).is_err());
    }
}
