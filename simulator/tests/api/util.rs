//! The test harness: a simulator on free loopback ports with a frozen clock, and a client.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use rewind_sim::{FaultRule, Faults, Service, SimConfig, Simulator, World};
use serde_json::{Value, json};

pub const PID: &str = "619d3e78f61b4be68bc5aa0b59edcf7b";

pub fn fixture() -> World {
    World::from_yaml(include_str!("../fixtures/world.yaml")).expect("fixture world parses")
}

/// A request body exactly as the documentation prints it.
pub fn verbatim(text: &str) -> Value {
    serde_json::from_str(text).expect("documented JSON parses")
}

pub struct Harness {
    pub sim: Simulator,
    pub client: reqwest::Client,
    pub token: String,
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    /// `Value::Null` when the body is empty.
    pub body: Value,
    pub raw: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Starts a simulator over `world` (seed 42, frozen clock) and fetches a token.
pub async fn start(world: World) -> Harness {
    let sim = rewind_sim::start(SimConfig {
        seed: 42,
        time_scale: 0.0,
        world,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let client = client();
    let token = token(&client, &sim).await;
    Harness { sim, client, token }
}

pub async fn token(client: &reqwest::Client, sim: &Simulator) -> String {
    let resp = client
        .post(format!("{}/v3/auth/tokens", sim.url(Service::Iam)))
        .json(&password_body(
            "rewind",
            "rewind-sim-password",
            &json!({ "project": { "name": "eu-de" } }),
        ))
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status().as_u16(), 201);
    resp.headers()["x-subject-token"]
        .to_str()
        .expect("ascii token")
        .to_owned()
}

pub fn password_body(user: &str, password: &str, scope: &Value) -> Value {
    json!({ "auth": {
        "identity": { "methods": ["password"], "password": { "user": {
            "name": user, "password": password, "domain": { "name": "OTC00000000001000000001" }
        }}},
        "scope": scope,
    }})
}

pub async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let raw = resp.text().await.expect("body");
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&raw).expect("JSON body")
    };
    Resp {
        status,
        headers,
        body,
        raw,
    }
}

impl Harness {
    pub async fn call(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.sim.url(service)))
            .header("X-Auth-Token", &self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        read(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, service: Service, path: &str) -> Resp {
        self.call(service, Method::GET, path, None).await
    }

    pub async fn post(&self, service: Service, path: &str, body: Value) -> Resp {
        self.call(service, Method::POST, path, Some(body)).await
    }

    pub fn advance(&self, seconds: u64) {
        self.sim.clock().advance(Duration::from_secs(seconds));
    }

    /// Every job created from now on fails with `reason`.
    pub fn fail_jobs(&self, reason: &str) {
        self.sim.set_faults(Faults {
            rules: vec![FaultRule {
                fail_job_rate: 1.0,
                fail_reason: Some(reason.to_owned()),
                ..FaultRule::default()
            }],
            token_ttl_seconds: None,
        });
    }
}

/// Asserts a `{"error_code","error_msg"}` body (RDS, TaurusDB, CBR).
pub fn assert_dbs_error(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.raw);
    assert_eq!(resp.body["error_code"], code, "{}", resp.raw);
    assert!(resp.body["error_msg"].is_string(), "{}", resp.raw);
}

/// Asserts a DDM `{"errCode","externalMessage"}` body.
pub fn assert_ddm_error(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.raw);
    assert_eq!(resp.body["errCode"], code, "{}", resp.raw);
    assert!(resp.body["externalMessage"].is_string(), "{}", resp.raw);
}

/// Asserts a DCS `{"error_code","error_msg","error_ext_msg"}` body.
pub fn assert_dcs_error(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.raw);
    assert_eq!(resp.body["error_code"], code, "{}", resp.raw);
    assert!(resp.body["error_msg"].is_string(), "{}", resp.raw);
    assert!(
        resp.body
            .as_object()
            .is_some_and(|o| o.contains_key("error_ext_msg")),
        "{}",
        resp.raw
    );
}
