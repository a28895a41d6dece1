//! The `/_sim/` admin API on every port, used by tests in another process.

use rewind_sim::Service;
use rewind_sim::Service::Rds;
use serde_json::{Value, json};

use crate::util::{PID, client, fixture, start};

async fn admin_get(url: String) -> Value {
    let r = client().get(url).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

#[tokio::test]
async fn health_answers_on_every_port() {
    let h = start(fixture()).await;
    for service in Service::ALL {
        let v = admin_get(format!("{}/_sim/health", h.sim.url(service))).await;
        assert_eq!(v["status"], "ok");
        assert_eq!(v["now_ms"], 1_747_828_800_000_i64);
    }
}

#[tokio::test]
async fn the_request_log_redacts_secrets() {
    let h = start(fixture()).await;
    let v = admin_get(format!("{}/_sim/requests", h.sim.url(Service::Dcs))).await;
    let entries = v.as_array().expect("array");
    let token_req = entries
        .iter()
        .find(|e| e["path"] == "/v3/auth/tokens")
        .expect("token request logged");
    assert_eq!(token_req["service"], "iam");
    assert_eq!(token_req["status"], 201);
    assert_eq!(
        token_req["body"]["auth"]["identity"]["password"]["user"]["password"],
        "(sensitive)"
    );
    assert!(!v.to_string().contains("rewind-sim-password"));
    assert!(!v.to_string().contains(&h.token));
}

#[tokio::test]
async fn the_clock_advances_over_http_and_jobs_finish() {
    let h = start(fixture()).await;
    let body = json!({"source": {"instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01", "type": "timestamp", "restore_time": 1_532_001_446_987_i64},
                      "target": {"instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01"}});
    let job = h
        .post(Rds, &format!("/v3/{PID}/instances/recovery"), body)
        .await
        .body["job_id"]
        .clone();
    let subs = admin_get(format!("{}/_sim/submissions", h.sim.url(Service::Iam))).await;
    assert_eq!(subs, json!({"d8e6ca5a624745bcb546a227aa3ae1cfin01": 1}));

    let r = client()
        .post(format!("{}/_sim/clock/advance", h.sim.url(Service::Ddm)))
        .json(&json!({"seconds": 300}))
        .send()
        .await
        .expect("sent");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["now_ms"], 1_747_828_800_000_i64 + 300_000);
    let world = admin_get(format!("{}/_sim/world", h.sim.url(Service::Cbr))).await;
    let id = job.as_str().expect("id");
    assert_eq!(world["rds"]["jobs"][id]["status"], "Completed");
    assert_eq!(
        world["rds"]["instances"]["d8e6ca5a624745bcb546a227aa3ae1cfin01"]["status"],
        "ACTIVE"
    );
    let bad = client()
        .post(format!("{}/_sim/clock/advance", h.sim.url(Service::Ddm)))
        .json(&json!({"seconds": -1}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status().as_u16(), 400);
}

#[tokio::test]
async fn unknown_routes_get_the_gateway_404() {
    let h = start(fixture()).await;
    let r = h.get(Rds, &format!("/v3/{PID}/no-such-thing")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error_code"], "APIG.0101");
    let r = client()
        .get(format!("{}/_sim/nope", h.sim.url(Rds)))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 404);
}
