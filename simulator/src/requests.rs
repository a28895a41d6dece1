//! The request log: one redacted entry per request, bounded in size.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::service::Service;

/// Keep the log bounded; long simulations would otherwise grow without limit.
const MAX_ENTRIES: usize = 10_000;

/// Keys whose values never reach the log.
const SECRET_KEYS: [&str; 8] = [
    "password",
    "secret",
    "sk",
    "secret_key",
    "security_token",
    "token",
    "access_key",
    "passcode",
];

/// What a secret value reads as in the log, as everywhere else in rewind.
pub(crate) const SENSITIVE: &str = "(sensitive)";

/// One request as the simulator saw it; secrets are replaced by `"(sensitive)"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLogEntry {
    pub seq: u64,
    /// Simulated time of arrival, epoch milliseconds.
    pub at_ms: i64,
    pub service: Service,
    pub method: String,
    pub path: String,
    pub query: String,
    /// The status sent, or the one that would have been sent for a dropped response.
    pub status: u16,
    /// `token`, `aksk` or `none`.
    pub auth: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The injected fault, if any: `throttle`, `error`, `drop_response`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// The API the request addressed, `GET /v3/{pid}/jobs` (empty for an unknown route).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api: String,
    /// Refused by flow control (429 `APIG.0308`) before any handler ran.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rate_limited: bool,
    /// The `Retry-After` sent with a 429, in (simulated) seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: VecDeque<RequestLogEntry>,
    next_seq: u64,
}

impl RequestLog {
    pub(crate) fn push(&mut self, mut entry: RequestLogEntry) {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<RequestLogEntry> {
        self.entries.iter().cloned().collect()
    }
}

/// The body for the log: JSON with secret values masked, or a short note for non-JSON.
pub(crate) fn redacted_body(body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        return None;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            redact(&mut v);
            Some(v)
        }
        Err(_) => Some(Value::String(format!("<{} bytes, not JSON>", body.len()))),
    }
}

fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                // Only scalars are masked: Keystone nests the user *inside* "password".
                let scalar = !(v.is_object() || v.is_array());
                if scalar && SECRET_KEYS.contains(&k.to_ascii_lowercase().as_str()) {
                    *v = Value::String(SENSITIVE.to_owned());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        let body =
            br#"{"auth":{"identity":{"password":{"user":{"name":"u","password":"hunter2"}}}}}"#;
        let v = redacted_body(body).unwrap();
        assert_eq!(
            v["auth"]["identity"]["password"]["user"]["password"],
            SENSITIVE
        );
        assert_eq!(v["auth"]["identity"]["password"]["user"]["name"], "u");
        assert!(!v.to_string().contains("hunter2"));
    }

    #[test]
    fn the_log_is_bounded() {
        let mut log = RequestLog::default();
        for _ in 0..MAX_ENTRIES + 5 {
            log.push(RequestLogEntry {
                seq: 0,
                at_ms: 0,
                service: Service::Rds,
                method: "GET".into(),
                path: "/".into(),
                query: String::new(),
                status: 200,
                auth: "none".into(),
                body: None,
                fault: None,
                api: String::new(),
                rate_limited: false,
                retry_after: None,
            });
        }
        let entries = log.entries();
        assert_eq!(entries.len(), MAX_ENTRIES);
        assert_eq!(entries[0].seq, 5);
    }
}
