//! Building preflight `Check`s: reads that turn a 4xx into a failed check, windows, statuses.

use crate::client::{Client, ClientError};
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{Check, ProviderError};
use serde_json::Value;

pub fn check(name: impl Into<String>, passed: bool, observed: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        passed,
        observed: observed.into(),
    }
}

/// A preflight read. A definite answer that the thing is not there (any 4xx: 404, "instance
/// does not exist" 400s) is `Err(Missing)`, to become a failed check; only throttling, 5xx
/// and network failures are errors of the whole preflight.
pub async fn fetch(
    client: &Client,
    service: Service,
    path: &str,
    query: &Query,
) -> Result<Result<Value, String>, ProviderError> {
    match client.get(service, path, query).await {
        Ok(reply) => Ok(Ok(reply.body)),
        Err(e @ ClientError::Api { .. }) if !e.is_transient() => {
            let shown = e.api().map_or_else(|| e.to_string(), ToString::to_string);
            Ok(Err(if e.api().is_some_and(|a| a.status == 404) {
                format!("not found ({shown})")
            } else {
                shown
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// `name` passes when `status` is one of `allowed`; `observed` shows what was seen.
pub fn status(
    name: impl Into<String>,
    found: Result<Option<&str>, &str>,
    allowed: &[&str],
) -> Check {
    match found {
        Ok(Some(s)) => check(name, allowed.contains(&s), s),
        Ok(None) => check(name, false, "no status in the answer"),
        Err(why) => check(name, false, why),
    }
}

/// `restore_time` lies in one of `windows` (inclusive, epoch ms).
pub fn window(name: impl Into<String>, restore_time: i64, windows: &[(i64, i64)]) -> Check {
    let shown: Vec<String> = windows
        .iter()
        .map(|(start, end)| format!("{} .. {}", wire_time::show(*start), wire_time::show(*end)))
        .collect();
    let inside = windows
        .iter()
        .any(|(start, end)| (*start..=*end).contains(&restore_time));
    let observed = match (inside, shown.is_empty()) {
        (_, true) => format!(
            "{} requested; no restorable window",
            wire_time::show(restore_time)
        ),
        (true, false) => format!(
            "{} in [{}]",
            wire_time::show(restore_time),
            shown.join(", ")
        ),
        (false, false) => format!(
            "{} outside [{}]",
            wire_time::show(restore_time),
            shown.join(", ")
        ),
    };
    check(name, inside, observed)
}

/// `start_time`/`end_time` pairs from a list of window objects (ms ints or time strings).
pub fn windows(list: &Value) -> Vec<(i64, i64)> {
    list.as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|w| {
            Some((
                wire_time::value_ms(&w["start_time"])?,
                wire_time::value_ms(&w["end_time"])?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn window_checks() {
        let ws = windows(
            &json!([{"start_time": 1000, "end_time": 2000}, {"start_time": "1970-01-01T00:00:05+0000", "end_time": "1970-01-01T00:00:06+0000"}]),
        );
        assert_eq!(ws, vec![(1000, 2000), (5000, 6000)]);
        assert!(window("w", 1500, &ws).passed);
        assert!(window("w", 5000, &ws).passed);
        let c = window("w", 3000, &ws);
        assert!(!c.passed);
        assert!(c.observed.contains("outside"), "{}", c.observed);
        assert!(!window("w", 3000, &[]).passed);
    }

    #[test]
    fn status_checks() {
        assert!(status("s", Ok(Some("ACTIVE")), &["ACTIVE"]).passed);
        let c = status("s", Ok(Some("RESTORING")), &["ACTIVE"]);
        assert_eq!((c.passed, c.observed.as_str()), (false, "RESTORING"));
        assert!(!status("s", Err("not found"), &["ACTIVE"]).passed);
    }
}
