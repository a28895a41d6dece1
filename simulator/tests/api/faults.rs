//! Fault injection: throttling and 5xx with no effect, dropped responses after the effect,
//! latency, bursts, invisible jobs, runtime changes over HTTP, and seeded determinism.

use std::time::{Duration, Instant};

use rewind_sim::Service::{Ddm, Rds};
use rewind_sim::{FaultRule, Faults, Service, SimConfig};
use serde_json::{Value, json};

use crate::util::{PID, client, fixture, start, token};

const INST: &str = "d8e6ca5a624745bcb546a227aa3ae1cfin01";

fn restore_body() -> Value {
    json!({"source": {"instance_id": INST, "type": "timestamp", "restore_time": 1_532_001_446_987_i64},
           "target": {"instance_id": INST}})
}

fn recovery() -> String {
    format!("/v3/{PID}/instances/recovery")
}

fn rule(r: FaultRule) -> Faults {
    Faults {
        rules: vec![r],
        token_ttl_seconds: None,
    }
}

#[tokio::test]
async fn full_throttling_means_a_restore_post_has_no_effect() {
    let h = start(fixture()).await;
    h.sim.set_faults(rule(FaultRule {
        throttle_rate: 1.0,
        retry_after_seconds: 3,
        ..FaultRule::default()
    }));
    let before = h.sim.world_snapshot();
    let r = h.post(Rds, &recovery(), restore_body()).await;
    assert_eq!(r.status, 429, "{}", r.raw);
    assert_eq!(r.body["error_code"], "APIG.0308");
    assert!(
        r.body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("throttling threshold"))
    );
    assert!(r.body["request_id"].is_string());
    assert_eq!(r.headers["retry-after"], "3");
    assert!(h.sim.submissions().is_empty());
    let after = h.sim.world_snapshot();
    assert!(after.rds.jobs.is_empty());
    assert_eq!(after.rds.instances[INST].status, "ACTIVE");
    assert_eq!(before.rds, after.rds);
    assert_eq!(
        h.sim
            .requests()
            .last()
            .and_then(|e| e.fault.clone())
            .as_deref(),
        Some("throttle")
    );
}

#[tokio::test]
async fn server_errors_have_no_effect_either() {
    let h = start(fixture()).await;
    h.sim.set_faults(rule(FaultRule {
        service: Some(Service::Rds),
        error_rate: 1.0,
        error_status: 503,
        ..FaultRule::default()
    }));
    let r = h.post(Rds, &recovery(), restore_body()).await;
    assert_eq!(r.status, 503);
    assert!(r.body["error_code"].is_string());
    assert!(h.sim.submissions().is_empty());
    assert!(h.sim.world_snapshot().rds.jobs.is_empty());
    // Other services are untouched by an RDS-only rule.
    assert_eq!(h.get(Ddm, &format!("/v3/{PID}/backups")).await.status, 200);
}

#[tokio::test]
async fn a_dropped_response_still_takes_effect() {
    let h = start(fixture()).await;
    h.sim.set_faults(rule(FaultRule {
        method: Some("POST".into()),
        path: Some("/v3/*/instances/recovery".into()),
        drop_response_rate: 1.0,
        ..FaultRule::default()
    }));
    let sent = h
        .client
        .post(format!("{}{}", h.sim.url(Rds), recovery()))
        .header("X-Auth-Token", &h.token)
        .json(&restore_body())
        .send()
        .await;
    let err = sent.expect_err("the client must see no response");
    assert!(
        !err.is_timeout(),
        "the connection is cut, not left hanging: {err}"
    );
    assert_eq!(h.sim.submissions().get(INST), Some(&1));
    let world = h.sim.world_snapshot();
    assert_eq!(world.rds.jobs.len(), 1);
    assert_eq!(world.rds.instances[INST].status, "RESTORING");
    let entry = h.sim.requests().into_iter().last().expect("logged");
    assert_eq!(entry.fault.as_deref(), Some("drop_response"));
    assert_eq!(entry.status, 200);
    // The service itself keeps working for the next request.
    assert_eq!(
        h.get(Rds, &format!("/v3/{PID}/instances?id={INST}"))
            .await
            .body["instances"][0]["status"],
        "RESTORING"
    );
}

#[tokio::test]
async fn a_burst_of_429_ends_after_its_count() {
    let h = start(fixture()).await;
    h.sim.set_faults(rule(FaultRule {
        throttle_rate: 1.0,
        times: Some(2),
        ..FaultRule::default()
    }));
    assert_eq!(h.post(Rds, &recovery(), restore_body()).await.status, 429);
    assert_eq!(h.post(Rds, &recovery(), restore_body()).await.status, 429);
    assert_eq!(h.post(Rds, &recovery(), restore_body()).await.status, 200);
    assert_eq!(h.sim.submissions().get(INST), Some(&1));
}

#[tokio::test]
async fn latency_delays_the_reply() {
    let h = start(fixture()).await;
    h.sim.set_faults(rule(FaultRule {
        latency_ms: 60,
        ..FaultRule::default()
    }));
    let started = Instant::now();
    assert_eq!(
        h.get(Rds, &format!("/v3/{PID}/instances")).await.status,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn a_new_job_stays_invisible_for_the_configured_time() {
    let h = start(fixture()).await;
    h.sim.set_faults(rule(FaultRule {
        job_invisible_seconds: 5.0,
        ..FaultRule::default()
    }));
    let job_id = h.post(Rds, &recovery(), restore_body()).await.body["job_id"]
        .as_str()
        .expect("job")
        .to_owned();
    let r = h.get(Rds, &format!("/v3/{PID}/jobs?id={job_id}")).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"error_code": "DBS.200543", "error_msg": "The job does not exist."})
    );
    h.advance(5);
    assert_eq!(
        h.get(Rds, &format!("/v3/{PID}/jobs?id={job_id}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn faults_can_be_set_over_http_from_another_process() {
    let h = start(fixture()).await;
    let url = format!("{}/_sim/faults", h.sim.url(Service::Cbr));
    let body = json!({"rules": [{"service": "rds", "method": "POST", "throttle_rate": 1.0}]});
    let r = client().post(&url).json(&body).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(h.post(Rds, &recovery(), restore_body()).await.status, 429);
    let bad = client()
        .post(&url)
        .json(&json!({"rules": [{"throttle_rate": 2.0}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status().as_u16(), 400);
    let r = client()
        .get(&url)
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(r["rules"][0]["service"], "rds");
}

#[tokio::test]
async fn world_file_rules_apply_from_the_start() {
    let mut world = fixture();
    world.faults = rule(FaultRule {
        path: Some("**/recovery".into()),
        error_rate: 1.0,
        ..FaultRule::default()
    });
    let h = start(world).await;
    assert_eq!(h.post(Rds, &recovery(), restore_body()).await.status, 500);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_rolls() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut world = fixture();
        world.faults = rule(FaultRule {
            service: Some(Service::Rds),
            throttle_rate: 0.5,
            ..FaultRule::default()
        });
        let sim = rewind_sim::start(SimConfig {
            seed: 7,
            time_scale: 0.0,
            world,
            ..SimConfig::default()
        })
        .await
        .expect("starts");
        let client = client();
        let token = token(&client, &sim).await;
        let mut seen = Vec::new();
        for _ in 0..6 {
            let r = client
                .post(format!("{}{}", sim.url(Rds), recovery()))
                .header("X-Auth-Token", &token)
                .json(&restore_body())
                .send()
                .await
                .expect("sent");
            seen.push(r.status().as_u16());
            let body: Value = r.json().await.unwrap_or(Value::Null);
            seen.push(u16::from(body["job_id"].is_string()));
            if let Some(id) = body["job_id"].as_str() {
                ids.push(id.to_owned());
            }
            sim.clock().advance(Duration::from_secs(300));
        }
        ids.push(format!("{seen:?}"));
        sim.shutdown().await;
    }
    let half = ids.len() / 2;
    assert_eq!(ids[..half], ids[half..]);
    assert!(
        ids[half - 1].contains("429") && ids[half - 1].contains("200"),
        "{}",
        ids[half - 1]
    );
}
