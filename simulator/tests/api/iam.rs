//! IAM: password tokens, scoping by project id or name, the catalog, and Keystone errors.

use rewind_sim::{Service, SimConfig};
use serde_json::{Value, json};

use crate::util::{PID, client, fixture, password_body, read, start};

async fn issue(h: &crate::util::Harness, body: &Value, query: &str) -> crate::util::Resp {
    let url = format!("{}/v3/auth/tokens{query}", h.sim.url(Service::Iam));
    read(h.client.post(url).json(body).send().await.expect("sent")).await
}

#[tokio::test]
async fn a_password_token_has_the_keystone_shape_and_a_catalog_of_the_simulator() {
    let h = start(fixture()).await;
    let r = issue(
        &h,
        &password_body(
            "rewind",
            "rewind-sim-password",
            &json!({"project": {"id": PID}}),
        ),
        "",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert!(r.headers.get("x-subject-token").is_some());
    let t = &r.body["token"];
    assert_eq!(t["methods"], json!(["password"]));
    assert_eq!(t["issued_at"], "2025-05-21T12:00:00.000000Z");
    assert_eq!(t["expires_at"], "2025-05-22T12:00:00.000000Z");
    assert_eq!(t["project"]["id"], PID);
    assert_eq!(t["project"]["name"], "eu-de");
    assert_eq!(t["project"]["domain"]["name"], "OTC00000000001000000001");
    assert_eq!(t["user"]["name"], "rewind");
    assert!(t["roles"].as_array().is_some_and(|r| !r.is_empty()));
    let catalog = t["catalog"].as_array().expect("catalog");
    let url_of = |kind: &str| -> String {
        let entry = catalog
            .iter()
            .find(|e| e["type"] == kind)
            .unwrap_or_else(|| panic!("{kind} in catalog"));
        let ep = &entry["endpoints"][0];
        assert_eq!(ep["interface"], "public");
        assert_eq!(ep["region"], "eu-de");
        ep["url"].as_str().expect("url").to_owned()
    };
    assert_eq!(
        url_of("identity"),
        format!("{}/v3", h.sim.url(Service::Iam))
    );
    assert_eq!(
        url_of("rdsv3"),
        format!("{}/v3/{PID}", h.sim.url(Service::Rds))
    );
    assert_eq!(
        url_of("ddmv3"),
        format!("{}/v3/{PID}", h.sim.url(Service::Ddm))
    );
    assert_eq!(
        url_of("gaussdb-mysql"),
        format!("{}/v3/{PID}", h.sim.url(Service::Taurusdb))
    );
    assert_eq!(
        url_of("cbr"),
        format!("{}/v3/{PID}", h.sim.url(Service::Cbr))
    );
    assert_eq!(
        url_of("dcsv2"),
        format!("{}/v2/{PID}", h.sim.url(Service::Dcs))
    );
}

#[tokio::test]
async fn nocatalog_omits_the_catalog() {
    let h = start(fixture()).await;
    let r = issue(
        &h,
        &password_body(
            "rewind",
            "rewind-sim-password",
            &json!({"project": {"name": "eu-de"}}),
        ),
        "?nocatalog=true",
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(r.body["token"].get("catalog").is_none());
    assert_eq!(r.body["token"]["project"]["id"], PID);
}

#[tokio::test]
async fn bad_credentials_get_a_keystone_401() {
    let h = start(fixture()).await;
    for body in [
        password_body("rewind", "wrong", &json!({"project": {"name": "eu-de"}})),
        password_body(
            "nobody",
            "rewind-sim-password",
            &json!({"project": {"name": "eu-de"}}),
        ),
        password_body(
            "rewind",
            "rewind-sim-password",
            &json!({"project": {"name": "eu-nl"}}),
        ),
    ] {
        let r = issue(&h, &body, "").await;
        assert_eq!(r.status, 401, "{}", r.raw);
        assert_eq!(
            r.body,
            json!({"error": {"message": "Unauthorized.", "code": 401, "title": "Unauthorized"}})
        );
        assert!(r.headers.get("x-subject-token").is_none());
    }
    let r = read(
        h.client
            .post(format!("{}/v3/auth/tokens", h.sim.url(Service::Iam)))
            .body("{")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["code"], 400);
}

#[tokio::test]
async fn catalog_projects_and_versions_are_served() {
    let h = start(fixture()).await;
    let iam = h.sim.url(Service::Iam);
    let r = read(
        h.client
            .get(format!("{iam}/v3/auth/catalog"))
            .header("X-Auth-Token", &h.token)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["catalog"].as_array().map(Vec::len), Some(8));
    let r = read(
        h.client
            .get(format!("{iam}/v3/projects?name=eu-de"))
            .header("X-Auth-Token", &h.token)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.body["projects"][0]["id"], PID);
    let r = read(
        h.client
            .get(format!("{iam}/v3/auth/catalog"))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"]["code"], 401);
    let r = read(
        h.client
            .get(format!("{iam}/v3"))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.body["version"]["id"], "v3.0");
}

#[tokio::test]
async fn the_printed_environment_matches_the_ports() {
    let sim = rewind_sim::start(SimConfig {
        time_scale: 0.0,
        world: fixture(),
        ..SimConfig::default()
    })
    .await
    .expect("starts");
    let env = sim.endpoints();
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "OS_AUTH_URL",
            "REWIND_ENDPOINT_RDS",
            "REWIND_ENDPOINT_DDM",
            "REWIND_ENDPOINT_TAURUSDB",
            "REWIND_ENDPOINT_CBR",
            "REWIND_ENDPOINT_DCS",
            "REWIND_ENDPOINT_EVS",
            "REWIND_ENDPOINT_DDS",
            "REWIND_ENDPOINT_GAUSSDB"
        ]
    );
    assert_eq!(env[0].1, format!("http://127.0.0.1:{}/v3", sim.ports().iam));
    assert_eq!(env[1].1, format!("http://127.0.0.1:{}", sim.ports().rds));
    let ports: std::collections::BTreeSet<u16> = rewind_sim::Service::ALL
        .iter()
        .map(|s| sim.ports().get(*s))
        .collect();
    assert_eq!(ports.len(), 9, "every service has its own port");
    let creds = sim.credentials_env();
    assert_eq!(creds[0], ("OS_PROJECT_ID".to_owned(), PID.to_owned()));
    assert_eq!(creds[2], ("OS_USERNAME".to_owned(), "rewind".to_owned()));
    let health = client()
        .get(format!("{}/_sim/health", sim.url(Service::Dcs)))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status().as_u16(), 200);
    sim.shutdown().await;
}
