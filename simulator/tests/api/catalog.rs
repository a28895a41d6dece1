//! A whole restore driven only by the environment the simulator prints: a token from
//! `OS_AUTH_URL`, then the services found in the token's catalog.

use std::collections::BTreeMap;
use std::time::Duration;

use rewind_sim::SimConfig;
use serde_json::{Value, json};

use crate::util::{client, fixture};

/// `scheme://host:port` of a catalog URL; clients drop the path.
fn origin(url: &str) -> String {
    let parsed = reqwest::Url::parse(url).expect("catalog url");
    format!(
        "{}://{}:{}",
        parsed.scheme(),
        parsed.host_str().expect("host"),
        parsed.port().expect("port")
    )
}

#[tokio::test]
async fn a_ddm_runbook_runs_through_the_catalog() {
    let sim = rewind_sim::start(SimConfig {
        seed: 3,
        time_scale: 0.0,
        world: fixture(),
        ..SimConfig::default()
    })
    .await
    .expect("starts");
    let env: BTreeMap<String, String> = sim
        .endpoints()
        .into_iter()
        .chain(sim.credentials_env())
        .collect();
    let http = client();

    let auth = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
            "domain": {"name": env["OS_USER_DOMAIN_NAME"]}}}},
        "scope": {"project": {"name": env["OS_PROJECT_NAME"]}}}});
    let resp = http
        .post(format!("{}/auth/tokens", env["OS_AUTH_URL"]))
        .json(&auth)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 201);
    let token = resp.headers()["x-subject-token"]
        .to_str()
        .expect("token")
        .to_owned();
    let body: Value = resp.json().await.expect("json");
    let pid = body["token"]["project"]["id"]
        .as_str()
        .expect("project id")
        .to_owned();
    assert_eq!(pid, env["OS_PROJECT_ID"]);
    let find = |kind: &str| -> String {
        let entry = body["token"]["catalog"]
            .as_array()
            .expect("catalog")
            .iter()
            .find(|e| e["type"] == kind)
            .cloned()
            .expect("entry");
        origin(entry["endpoints"][0]["url"].as_str().expect("url"))
    };
    let (rds, ddm) = (find("rdsv3"), find("ddmv3"));
    assert_eq!(rds, env["REWIND_ENDPOINT_RDS"]);

    let send = |method: reqwest::Method, url: String, body: Option<Value>| {
        let mut req = http.request(method, url).header("X-Auth-Token", &token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let r = req.send().await.expect("sent");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let t = 1_747_732_352_076_i64;
    // 1. RDS point-in-time recovery of the data node.
    let (status, job) = send(
        reqwest::Method::POST,
        format!("{rds}/v3.1/{pid}/instances/recovery"),
        Some(json!({"source": {"instance_id": "7edae0250ebc464897bd92b8d3e8b769in01", "type": "timestamp", "restore_time": t},
                    "target": {"instance_id": "f4e2949e9b9b4d60b42c89ed39bfe34cin01"}})),
    )
    .await;
    assert_eq!(status, 202);
    let job_id = job["job_id"].as_str().expect("job").to_owned();
    let mut polls = 0;
    loop {
        let (_, j) = send(
            reqwest::Method::GET,
            format!("{rds}/v3/{pid}/jobs?id={job_id}"),
            None,
        )
        .await;
        if j["job"]["status"] == "Completed" {
            break;
        }
        assert_eq!(j["job"]["status"], "Running");
        polls += 1;
        assert!(polls < 20, "job never finished");
        sim.clock().advance(Duration::from_secs(60));
    }
    // 2. DDM metadata restore at the same time point onto the restored data node.
    let (status, job) = send(
        reqwest::Method::POST,
        format!("{ddm}/v3/{pid}/instances/733c7e8d73a54c27b8308ec784a8be8cin09/backups/metadata-recovery"),
        Some(json!({"source": {"restore_time": t},
                    "target": {"instance_id": "2f0324a93859487eb5566d75951fcd2din09", "data_nodes": ["f4e2949e9b9b4d60b42c89ed39bfe34cin01"]}})),
    )
    .await;
    assert_eq!(status, 202, "{job}");
    let job_id = job["job_id"].as_str().expect("job").to_owned();
    sim.clock().advance(Duration::from_secs(90));
    let (_, j) = send(
        reqwest::Method::GET,
        format!("{ddm}/v3/{pid}/jobs/{job_id}"),
        None,
    )
    .await;
    assert_eq!(j["job"]["status"], "Completed");
    let (_, inst) = send(
        reqwest::Method::GET,
        format!("{ddm}/v1/{pid}/instances/2f0324a93859487eb5566d75951fcd2din09"),
        None,
    )
    .await;
    assert_eq!(inst["status"], "RUNNING");
    assert_eq!(sim.submissions().len(), 2);
    sim.shutdown().await;
}
