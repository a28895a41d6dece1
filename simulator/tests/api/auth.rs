//! Service authentication: missing, unknown and expired tokens per service shape, project
//! checks, and AK/SK signatures in both header forms.

use std::time::Duration;

use rewind_sim::Service::{Cbr, Dcs, Ddm, Rds};
use rewind_sim::{Faults, Service, aksk};
use serde_json::json;

use crate::util::{PID, client, fixture, read, start, token};

const AK: &str = "QTWAOYTTINDUT2QVKYUC";
const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";

#[tokio::test]
async fn a_missing_token_is_401_in_each_services_shape() {
    let h = start(fixture()).await;
    for service in [Rds, Ddm, Cbr] {
        let r = read(
            h.client
                .get(format!(
                    "{}/v3/{PID}/backups?instance_id=x",
                    h.sim.url(service)
                ))
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert_eq!(r.status, 401, "{service}: {}", r.raw);
        assert_eq!(r.body["error_code"], "APIG.0301");
        assert!(
            r.body["error_msg"]
                .as_str()
                .is_some_and(|m| m.contains("x-auth-token not found"))
        );
        assert!(r.body["request_id"].is_string());
    }
    let r = read(
        h.client
            .get(format!("{}/v2/{PID}/instances/x", h.sim.url(Dcs)))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"error_code": "DCS.1003", "error_msg": "No token in the request.", "error_ext_msg": null})
    );
}

#[tokio::test]
async fn an_unknown_token_is_401() {
    let h = start(fixture()).await;
    let r = read(
        h.client
            .get(format!("{}/v3/{PID}/jobs?id=x", h.sim.url(Rds)))
            .header("X-Auth-Token", "MIIforged")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error_code"], "APIG.0301");
    let r = read(
        h.client
            .get(format!("{}/v2/{PID}/instances/x", h.sim.url(Dcs)))
            .header("X-Auth-Token", "MIIforged")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.body["error_code"], "DCS.1001");
}

#[tokio::test]
async fn tokens_expire_after_the_configured_lifetime() {
    let h = start(fixture()).await;
    h.sim.set_faults(Faults {
        rules: vec![],
        token_ttl_seconds: Some(60),
    });
    let short = token(&h.client, &h.sim).await;
    let get = |service: Service, path: String| {
        let (client, short) = (&h.client, &short);
        let url = format!("{}{path}", h.sim.url(service));
        async move {
            read(
                client
                    .get(url)
                    .header("X-Auth-Token", short)
                    .send()
                    .await
                    .expect("sent"),
            )
            .await
        }
    };
    assert_eq!(get(Rds, format!("/v3/{PID}/instances")).await.status, 200);
    h.sim.clock().advance(Duration::from_secs(61));
    let r = get(Rds, format!("/v3/{PID}/instances")).await;
    assert_eq!(r.status, 401);
    assert!(
        r.body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("token expires")),
        "{}",
        r.raw
    );
    assert_eq!(
        get(Dcs, format!("/v2/{PID}/instances/x")).await.body["error_code"],
        "DCS.1002"
    );
    // The long-lived token issued before the fault still works: re-authentication recovers.
    assert_eq!(
        h.get(Rds, &format!("/v3/{PID}/instances")).await.status,
        200
    );
}

#[tokio::test]
async fn another_projects_path_is_403() {
    let h = start(fixture()).await;
    let r = h
        .get(Rds, "/v3/054e292c9880d4992f02c0196d3ea468/instances")
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["error_code"], "APIG.0302");
}

fn signed(method: &str, url: &str, body: &[u8], credential_form: bool) -> reqwest::RequestBuilder {
    signed_to(method, url, url, body, credential_form)
}

/// Signs a request for `url` but sends it to `send_to` (equal unless tampering).
fn signed_to(
    method: &str,
    url: &str,
    send_to: &str,
    body: &[u8],
    credential_form: bool,
) -> reqwest::RequestBuilder {
    let parsed = reqwest::Url::parse(url).expect("url");
    let host = format!(
        "{}:{}",
        parsed.host_str().expect("host"),
        parsed.port().expect("port")
    );
    let date = "20250521T120000Z";
    let headers = [
        ("Content-Type", "application/json"),
        ("Host", host.as_str()),
        ("X-Sdk-Date", date),
    ];
    let sign = if credential_form {
        aksk::sign_credential
    } else {
        aksk::sign_access
    };
    let auth = sign(
        AK,
        SK,
        method,
        parsed.path(),
        parsed.query().unwrap_or(""),
        &headers,
        body,
    );
    client()
        .request(method.parse().expect("method"), send_to)
        .header("Content-Type", "application/json")
        .header("X-Sdk-Date", date)
        .header("Authorization", auth)
        .body(body.to_vec())
}

#[tokio::test]
async fn aksk_signatures_are_verified_in_both_forms() {
    let h = start(fixture()).await;
    let url = format!(
        "{}/v3/{PID}/instances?id=d8e6ca5a624745bcb546a227aa3ae1cfin01&limit=5",
        h.sim.url(Rds)
    );
    for credential_form in [false, true] {
        let r = read(
            signed("GET", &url, b"", credential_form)
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert_eq!(
            r.status, 200,
            "credential form {credential_form}: {}",
            r.raw
        );
        assert_eq!(r.body["total_count"], 1);
    }
    // A signed POST with a body, as the Go SDK sends it, with X-Project-Id added after signing.
    let body = br#"{"backup_id":"8ba256cb-e5ac-44f6-a3da-c03d8f0e5029"}"#;
    let url = format!(
        "{}/v2/{PID}/instances/6a8f4c2e-3b1d-4e5f-9a7b-8c6d5e4f3a2b/restores",
        h.sim.url(Dcs)
    );
    let r = read(
        signed("POST", &url, body, true)
            .header("X-Project-Id", PID)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let log = h.sim.requests();
    assert_eq!(log.last().map(|e| e.auth.as_str()), Some("aksk"));
}

#[tokio::test]
async fn a_bad_signature_is_401_and_five_lock_the_key() {
    let h = start(fixture()).await;
    let url = format!("{}/v3/{PID}/instances", h.sim.url(Rds));
    let other = format!("{url}?limit=1");
    let tampered = |url: &str| signed_to("GET", url, &other, b"", false);
    let r = read(
        signed("GET", &url, b"", false)
            .header("X-Project-Id", "someone-else")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, 403);
    for _ in 0..5 {
        let r = read(tampered(&url).send().await.expect("sent")).await;
        assert_eq!(r.status, 401);
        assert!(
            r.body["error_msg"]
                .as_str()
                .is_some_and(|m| m.contains("verify aksk signature fail")),
            "{}",
            r.raw
        );
    }
    let r = read(signed("GET", &url, b"", false).send().await.expect("sent")).await;
    assert_eq!(
        r.status, 401,
        "a locked key fails even with a good signature"
    );
    assert!(
        r.body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("locked"))
    );
    h.advance(301);
    let r = read(signed("GET", &url, b"", false).send().await.expect("sent")).await;
    assert_eq!(r.status, 200, "{}", r.raw);
}
