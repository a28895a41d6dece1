//! DDM jobs: one job (`GET /v3/{project_id}/jobs/{job_id}`) and the job list.

use serde_json::{Value, json};

use crate::ddm::{paged, paging, param};
use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::route::{Ctx, Routed, segs};

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("GET", ["v3", pid, "jobs", job]) => {
            let job = (*job).to_owned();
            Routed::project(pid, move |cx| show_job(cx, &job))
        }
        ("GET", ["v3", pid, "jobs"]) => Routed::project(pid, list_jobs),
        _ => return None,
    })
}

fn show_job(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let job = cx
        .st
        .world
        .ddm
        .jobs
        .get(id)
        .filter(|j| j.visible_at <= cx.now)
        .ok_or_else(|| ApiError::bad_request("DBS.200543", "The job does not exist."))?;
    Ok(Reply::ok(json!({ "job": jobs::ddm_job(id, job, cx.now) })))
}

fn list_jobs(cx: &mut Ctx<'_>) -> ApiResult {
    let (offset, limit) = paging(cx.req, 10)?;
    let bound = |name: &str| -> Result<i64, ApiError> {
        cx.req
            .q(name)
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| param(format!("{name} is required, in epoch milliseconds.")))
    };
    let (start, end) = (bound("start_time")?, bound("end_time")?);
    if start > end {
        return Err(ApiError::bad_request("DBS.300377", "Invalid time range."));
    }
    let mut found: Vec<(&String, &crate::world::Job)> = cx
        .st
        .world
        .ddm
        .jobs
        .iter()
        .filter(|(_, j)| j.visible_at <= cx.now && (start..=end).contains(&j.created))
        .collect();
    // Newest first, as the console lists tasks.
    found.sort_by(|a, b| b.1.created.cmp(&a.1.created).then(a.0.cmp(b.0)));
    let items: Vec<Value> = found
        .iter()
        .map(|(id, j)| jobs::ddm_job_item(id, j, cx.now))
        .collect();
    Ok(Reply::ok(paged("jobs", items, offset, limit)))
}
