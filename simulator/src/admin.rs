//! The `/_sim/` admin API, served on every port: log, world, submissions, creates, deletes, faults, clock.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::faults::Faults;
use crate::http::{Reply, Req};
use crate::service::Service;
use crate::state::Shared;
use crate::timefmt;

fn bad(msg: impl Into<String>) -> Reply {
    Reply::json(StatusCode::BAD_REQUEST, json!({ "error": msg.into() }))
}

pub(crate) fn handle(shared: &Shared, req: &Req) -> Reply {
    let s: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let now = shared.clock.now_ms();
    match (req.method.as_str(), s.as_slice()) {
        ("GET", ["_sim", "health"]) => Reply::ok(json!({
            "status": "ok",
            "now_ms": now,
            "now": timefmt::rfc3339(now),
            "time_scale": shared.clock.time_scale(),
        })),
        ("GET", ["_sim", "requests"]) => {
            let entries = shared.with_state(|st| st.log.entries());
            Reply::ok(serde_json::to_value(entries).unwrap_or(Value::Null))
        }
        ("GET", ["_sim", "world"]) => {
            let world = shared.with_state(|st| {
                crate::lifecycle::settle(&mut st.world, now);
                st.world.clone()
            });
            Reply::ok(serde_json::to_value(world).unwrap_or(Value::Null))
        }
        ("GET", ["_sim", "submissions"]) => {
            let subs = shared.with_state(|st| st.submissions.clone());
            Reply::ok(json!(subs))
        }
        ("GET", ["_sim", "creations"]) => {
            let list = shared.with_state(|st| st.ledger.creations.clone());
            Reply::ok(serde_json::to_value(list).unwrap_or(Value::Null))
        }
        ("GET", ["_sim", "deletions"]) => {
            let list = shared.with_state(|st| st.ledger.deletions.clone());
            Reply::ok(serde_json::to_value(list).unwrap_or(Value::Null))
        }
        ("GET", ["_sim", "endpoints"]) => {
            let mut out = serde_json::Map::new();
            out.insert(
                "OS_AUTH_URL".into(),
                json!(format!("{}/v3", shared.origin(Service::Iam))),
            );
            for service in &Service::ALL[1..] {
                out.insert(
                    format!("REWIND_ENDPOINT_{}", service.name().to_uppercase()),
                    json!(shared.origin(*service)),
                );
            }
            Reply::ok(Value::Object(out))
        }
        ("GET", ["_sim", "faults"]) => {
            let faults = shared.with_state(|st| st.world.faults.clone());
            Reply::ok(serde_json::to_value(faults).unwrap_or(Value::Null))
        }
        ("POST" | "PUT", ["_sim", "faults"]) => {
            let faults: Faults = match serde_json::from_slice(&req.body) {
                Ok(f) => f,
                Err(e) => return bad(format!("invalid faults: {e}")),
            };
            if let Err(e) = faults.validate() {
                return bad(e);
            }
            shared.with_state(|st| st.world.faults = faults.clone());
            Reply::ok(serde_json::to_value(faults).unwrap_or(Value::Null))
        }
        ("GET", ["_sim", "clock"]) => {
            Reply::ok(json!({ "now_ms": now, "now": timefmt::rfc3339(now) }))
        }
        ("POST", ["_sim", "clock", "advance"]) => {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let seconds = body["seconds"]
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0);
            let Some(seconds) = seconds else {
                return bad("body must be {\"seconds\": N} with N >= 0");
            };
            shared
                .clock
                .advance(Duration::from_secs_f64(seconds.min(1e12)));
            let now = shared.clock.now_ms();
            Reply::ok(json!({ "now_ms": now, "now": timefmt::rfc3339(now) }))
        }
        _ => Reply::json(
            StatusCode::NOT_FOUND,
            json!({ "error": format!("no admin route {} {}", req.method, req.path) }),
        ),
    }
}
