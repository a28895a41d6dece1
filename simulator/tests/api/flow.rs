//! Flow control: a bucket per user and API, 429 `APIG.0308` with `Retry-After` before any
//! handler runs, the request log marking it, and the world file's limits.

use rewind_sim::Service::{Iam, Rds};
use rewind_sim::{FlowControl, ServiceFlow, World};
use serde_json::json;
use std::collections::BTreeMap;

use crate::util::{PID, fixture, start};

const INST: &str = "d8e6ca5a624745bcb546a227aa3ae1cfin01";

fn limited(per_minute: u32) -> World {
    let mut world = fixture();
    world.flow_control.services.insert(
        Rds,
        ServiceFlow {
            per_minute: Some(per_minute),
            apis: BTreeMap::new(),
        },
    );
    world
}

#[tokio::test]
async fn over_the_limit_an_api_answers_429_before_the_handler_runs() {
    let h = start(limited(2)).await;
    let jobs = format!("/v3/{PID}/jobs?id=none");
    for _ in 0..2 {
        assert_ne!(h.get(Rds, &jobs).await.status, 429);
    }
    let r = h.get(Rds, &jobs).await;
    assert_eq!(r.status, 429, "{}", r.raw);
    assert_eq!(r.body["error_code"], "APIG.0308");
    // One call comes back every 30 s at 2 per minute.
    assert_eq!(r.headers["retry-after"], "30");
    // Another API of the same service has its own bucket; a POST over its limit has no effect.
    let recovery = format!("/v3/{PID}/instances/recovery");
    let body = json!({"source": {"instance_id": INST, "type": "timestamp", "restore_time": 1_532_001_446_987_i64},
                      "target": {"instance_id": INST}});
    assert_ne!(h.post(Rds, &recovery, body.clone()).await.status, 429);
    assert_ne!(h.post(Rds, &recovery, body.clone()).await.status, 429);
    let submitted = h.sim.submissions();
    assert_eq!(h.post(Rds, &recovery, body).await.status, 429);
    assert_eq!(h.sim.submissions(), submitted);
    let log = h.sim.requests();
    let marked: Vec<&str> = log
        .iter()
        .filter(|e| e.rate_limited)
        .map(|e| e.api.as_str())
        .collect();
    assert_eq!(
        marked,
        ["GET /v3/{pid}/jobs", "POST /v3/{pid}/instances/recovery"]
    );
    assert!(
        log.iter()
            .filter(|e| e.rate_limited)
            .all(|e| e.status == 429 && e.fault.is_none())
    );
    h.advance(30);
    assert_ne!(h.get(Rds, &jobs).await.status, 429);
}

#[tokio::test]
async fn the_default_is_sixty_per_minute_and_off_means_off() {
    let h = start(fixture()).await;
    let path = format!("/v3/{PID}/backups?instance_id={INST}");
    for _ in 0..60 {
        assert_eq!(h.get(Rds, &path).await.status, 200);
    }
    assert_eq!(h.get(Rds, &path).await.status, 429);

    let mut world = fixture();
    world.flow_control = FlowControl::off();
    let h = start(world).await;
    for _ in 0..100 {
        assert_eq!(h.get(Rds, &path).await.status, 200);
    }
    assert!(h.sim.requests().iter().all(|e| !e.rate_limited));
}

#[tokio::test]
async fn the_world_file_sets_limits_per_service_and_api() {
    let yaml = "flow_control:\n  per_minute: 100\n  services:\n    rds:\n      apis:\n        \"GET /v3/{pid}/jobs\": 1\n";
    let world = World::from_yaml(yaml).expect("world parses");
    assert_eq!(world.flow_control.limit(Rds, "GET /v3/{pid}/jobs"), 1);
    assert_eq!(world.flow_control.limit(Rds, "GET /v3/{pid}/backups"), 100);
    assert_eq!(world.flow_control.limit(Iam, "POST /v3/auth/tokens"), 100);
    let err = World::from_yaml("flow_control:\n  per_minute: 0\n").expect_err("0 is refused");
    assert!(
        err.to_string().contains("flow_control: per_minute"),
        "{err}"
    );
}
