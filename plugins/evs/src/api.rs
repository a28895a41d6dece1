//! EVS and IAM over HTTP: rollback, disk and snapshot details, and a password token.

use crate::fail::{Fail, REJECTED};
use serde_json::{Value, json};
use std::time::Duration;

pub struct Evs {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    token: Option<String>,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// Whether rewind started this plugin in a rehearsal (docs/PROVIDER_PROTOCOL.md, "Rehearsal").
fn rehearsal() -> bool {
    env("REWIND_SIMULATE") == "1"
}

/// In a rehearsal, a URL whose host is not loopback is refused before any connection: the
/// simulator is always on loopback, so anything else would be a real cloud.
pub(crate) fn guard(url: &str) -> Result<(), Fail> {
    if rehearsal() {
        only_loopback(url)
    } else {
        Ok(())
    }
}

fn only_loopback(url: &str) -> Result<(), Fail> {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let host = host.trim_matches(['[', ']']);
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(Fail::failed(format!(
            "rehearsal (REWIND_SIMULATE=1): refusing to call {url:?}, which is not loopback"
        )))
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Result<&'a str, Fail> {
    v[key]
        .as_str()
        .ok_or_else(|| Fail::failed(format!("`{key}` is missing")))
}

/// `2016-02-16T16:54:14.981520` (UTC) as epoch milliseconds; 0 when unreadable.
fn ms(text: &str) -> i64 {
    format!("{text}Z")
        .parse::<jiff::Timestamp>()
        .map_or(0, jiff::Timestamp::as_millisecond)
}

impl Evs {
    pub fn from_env(rt: tokio::runtime::Runtime) -> Evs {
        // The client's connector belongs to the runtime that drives it.
        let http = {
            let _inside = rt.enter();
            reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap_or_default()
        };
        Evs {
            rt,
            http,
            // A rehearsal never uses a token it did not get from the simulator.
            token: std::env::var("OS_AUTH_TOKEN")
                .ok()
                .filter(|t| !t.is_empty() && !rehearsal()),
        }
    }

    fn url(path: &str) -> String {
        format!(
            "{}{}",
            env("REWIND_ENDPOINT_EVS").trim_end_matches('/'),
            path.replace("{project_id}", &env("OS_PROJECT_ID"))
        )
    }

    fn token(&mut self) -> Result<String, Fail> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let body = json!({ "auth": {
            "identity": { "methods": ["password"], "password": { "user": {
                "name": env("OS_USERNAME"), "password": env("OS_PASSWORD"),
                "domain": { "name": env("OS_USER_DOMAIN_NAME") } } } },
            "scope": { "project": { "id": env("OS_PROJECT_ID") } } } });
        let url = format!("{}/auth/tokens", env("OS_AUTH_URL").trim_end_matches('/'));
        guard(&url)?;
        let req = self.http.post(url).json(&body);
        // `send` arms its timeout at once, so it must run inside the runtime.
        let resp = self
            .rt
            .block_on(async move { req.send().await })
            .map_err(|e| Fail::failed(format!("IAM: {e}")))?;
        if resp.status().as_u16() != 201 {
            return Err(Fail::failed(format!("IAM answered HTTP {}", resp.status())));
        }
        let token = resp
            .headers()
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| Fail::failed("IAM gave no X-Subject-Token"))?;
        self.token = Some(token.clone());
        Ok(token)
    }

    /// One request; the status and the JSON body (`{}` when there is none).
    fn call(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), Fail> {
        let url = Self::url(path);
        guard(&url)?;
        let token = self.token()?;
        let mut req = self.http.request(method, url).header("X-Auth-Token", token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.rt.block_on(async {
            let resp = req
                .send()
                .await
                .map_err(|e| Fail::failed(format!("EVS: {e}")))?;
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            Ok((
                status,
                serde_json::from_str(&text).unwrap_or_else(|_| json!({})),
            ))
        })
    }

    fn volume(&mut self, id: &str) -> Result<Value, Fail> {
        let (status, body) = self.call(
            reqwest::Method::GET,
            &format!("/v2/{{project_id}}/os-vendor-volumes/{id}"),
            None,
        )?;
        if status != 200 {
            return Err(Fail::failed(format!(
                "disk {id}: EVS answered HTTP {status}"
            )));
        }
        Ok(body["volume"].clone())
    }

    pub fn preflight(&mut self, body: &Value) -> Result<Value, Fail> {
        let snap_id = str_of(body, "snapshot_id")?;
        let vol_id = str_of(body, "volume_id")?;
        let (status, snap) = self.call(
            reqwest::Method::GET,
            &format!("/v2/{{project_id}}/cloudsnapshots/{snap_id}"),
            None,
        )?;
        let snap = &snap["snapshot"];
        let observed = |v: &Value| {
            v.as_str()
                .map_or_else(|| format!("HTTP {status}"), str::to_owned)
        };
        let mut checks = vec![
            json!({ "name": "snapshot status", "passed": snap["status"] == "available", "observed": observed(&snap["status"]) }),
            json!({ "name": "snapshot of this disk", "passed": snap["volume_id"] == vol_id, "observed": observed(&snap["volume_id"]) }),
        ];
        let disk = self.volume(vol_id).unwrap_or(Value::Null);
        let ds = disk["status"].as_str().unwrap_or("not found");
        checks.push(json!({ "name": "disk status", "passed": ds == "available" || ds == "error_rollbacking", "observed": ds }));
        Ok(json!({ "checks": checks }))
    }

    pub fn submit(&mut self, body: &Value) -> Result<Value, Fail> {
        let snap_id = str_of(body, "snapshot_id")?.to_owned();
        let vol_id = str_of(body, "volume_id")?.to_owned();
        let mut rollback = json!({ "volume_id": vol_id });
        if let Some(name) = body["name"].as_str() {
            rollback["name"] = json!(name);
        }
        let path = format!("/v3/{{project_id}}/os-vendor-snapshots/{snap_id}/rollback");
        let mut at = jiff::Timestamp::now().as_millisecond();
        let (mut status, mut reply) = self.call(
            reqwest::Method::POST,
            &path,
            Some(json!({ "rollback": rollback.clone() })),
        )?;
        // 429 means the gateway did not run it: wait and send again, a bounded number of times.
        for attempt in 0..6 {
            if status != 429 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50 << attempt));
            at = jiff::Timestamp::now().as_millisecond();
            (status, reply) = self.call(
                reqwest::Method::POST,
                &path,
                Some(json!({ "rollback": rollback.clone() })),
            )?;
        }
        match status {
            200..=299 => Ok(json!({
                "handle": { "volume_id": vol_id, "snapshot_id": snap_id, "submitted_at": at },
                "poll_after_ms": 2000,
            })),
            // The API refused it: nothing ran.
            400..=499 if status != 429 => Err(Fail {
                code: REJECTED,
                message: format!("EVS answered HTTP {status}: {reply}"),
            }),
            _ => Err(Fail::failed(format!("EVS answered HTTP {status}"))),
        }
    }

    pub fn poll(&mut self, handle: &Value) -> Result<Value, Fail> {
        let vol_id = str_of(handle, "volume_id")?.to_owned();
        let disk = self.volume(&vol_id)?;
        Ok(match disk["status"].as_str().unwrap_or_default() {
            "rollbacking" => json!({ "state": "running", "percent": null }),
            "error_rollbacking" => {
                json!({ "state": "failed", "reason": "the disk is error_rollbacking" })
            }
            other => {
                json!({ "state": "succeeded", "outputs": { "volume_id": vol_id, "status": other } })
            }
        })
    }

    /// EVS keeps no record of rollbacks: a disk rolling back now, or changed since the
    /// submit, is taken as that submit's effect.
    pub fn reconcile(&mut self, body: &Value, submitted_at: i64) -> Result<Value, Fail> {
        let snap_id = str_of(body, "snapshot_id")?.to_owned();
        let vol_id = str_of(body, "volume_id")?.to_owned();
        let disk = self.volume(&vol_id)?;
        let changed = ms(disk["updated_at"].as_str().unwrap_or_default()) >= submitted_at;
        if disk["status"] == "rollbacking" || changed {
            return Ok(
                json!({ "handle": { "volume_id": vol_id, "snapshot_id": snap_id, "submitted_at": submitted_at } }),
            );
        }
        Ok(json!({ "handle": null }))
    }
}

#[cfg(test)]
mod tests {
    use super::only_loopback;

    #[test]
    fn a_rehearsal_calls_only_loopback() {
        for ok in [
            "http://127.0.0.1:4000/v3/auth/tokens",
            "http://[::1]:80/x",
            "http://localhost:1/",
        ] {
            assert!(only_loopback(ok).is_ok(), "{ok}");
        }
        for real in [
            "https://evs.eu-de.otc.t-systems.com/v2/p/cloudvolumes",
            "http://192.168.0.4/",
            "",
        ] {
            assert!(only_loopback(real).is_err(), "{real}");
        }
    }
}
