//! EVS: disks, snapshots and rolling a snapshot back onto its source disk, with own wire shapes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::ApiResult;
use crate::http::{Reply, Req};
use crate::route::{Ctx, Routed, segs};
use crate::timefmt;

/// Simulated seconds a rollback keeps its disk `rollbacking`.
const DEFAULT_ROLLBACK_SECS: i64 = 120;

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    let own = |v: &&str| (*v).to_owned();
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3", pid, "os-vendor-snapshots", id, "rollback"]) => {
            let id = own(id);
            Routed::project(pid, move |cx| rollback(cx, &id))
        }
        ("GET", ["v2", pid, "os-vendor-volumes", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| show_volume(cx, &id))
        }
        ("GET", ["v2", pid, "cloudsnapshots", id]) => {
            let id = own(id);
            Routed::project(pid, move |cx| show_snapshot(cx, &id))
        }
        _ => return None,
    })
}

/// EVS errors: `{"badRequest": {"message", "code"}}` / `{"itemNotFound": {...}}`. They are
/// replies in EVS's own shape, not `ApiError`s, but read best where a handler returns.
#[allow(clippy::unnecessary_wraps)]
fn fail(status: StatusCode, kind: &str, code: &str, message: &str) -> ApiResult {
    Ok(Reply::json(
        status,
        json!({ kind: { "message": message, "code": code } }),
    ))
}

fn bad(message: &str) -> ApiResult {
    fail(StatusCode::BAD_REQUEST, "badRequest", "EVS.2062", message)
}

fn rollback(cx: &mut Ctx<'_>, snapshot_id: &str) -> ApiResult {
    let now = cx.now;
    let Ok(body) = cx.req.json() else {
        return bad("The request body is not JSON.");
    };
    let Some(volume_id) = body.pointer("/rollback/volume_id").and_then(Value::as_str) else {
        return bad("rollback.volume_id is mandatory.");
    };
    let name = body
        .pointer("/rollback/name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let evs = &mut cx.st.world.evs;
    evs.settle(now);
    let secs = evs.rollback_secs.unwrap_or(DEFAULT_ROLLBACK_SECS);
    let Some(snap) = evs.snapshots.get_mut(snapshot_id) else {
        return fail(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "EVS.2010",
            &format!("Snapshot {snapshot_id} could not be found."),
        );
    };
    if snap.volume_id != volume_id {
        return bad("A snapshot can be rolled back only to its source disk.");
    }
    if snap.status != "available" {
        return bad(&format!(
            "Snapshot {snapshot_id} is {}, not available.",
            snap.status
        ));
    }
    let Some(vol) = evs.volumes.get_mut(volume_id) else {
        return fail(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "EVS.2001",
            &format!("Volume {volume_id} could not be found."),
        );
    };
    if vol.status != "available" && vol.status != "error_rollbacking" {
        return bad(&format!(
            "Volume {volume_id} is {}; rollback needs available or error_rollbacking.",
            vol.status
        ));
    }
    "rollbacking".clone_into(&mut vol.status);
    vol.updated_at = now;
    vol.rollback_until = Some(now + secs * 1000);
    if let Some(n) = name {
        vol.name = n;
    }
    "rollbacking".clone_into(&mut snap.status);
    cx.st.submitted(volume_id);
    Ok(Reply::json(
        StatusCode::ACCEPTED,
        json!({ "rollback": { "volume_id": volume_id } }),
    ))
}

fn show_volume(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let evs = &mut cx.st.world.evs;
    evs.settle(cx.now);
    let Some(v) = evs.volumes.get(id) else {
        return fail(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "EVS.2001",
            &format!("Volume {id} could not be found."),
        );
    };
    Ok(Reply::ok(json!({
        "volume": {
            "id": id,
            "name": v.name,
            "status": v.status,
            "size": v.size,
            "updated_at": timefmt::iam(v.updated_at).trim_end_matches('Z'),
        }
    })))
}

fn show_snapshot(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    let evs = &mut cx.st.world.evs;
    evs.settle(cx.now);
    let Some(s) = evs.snapshots.get(id) else {
        return fail(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "EVS.2010",
            &format!("Snapshot {id} could not be found."),
        );
    };
    Ok(Reply::ok(json!({
        "snapshot": { "id": id, "name": s.name, "status": s.status, "volume_id": s.volume_id }
    })))
}
