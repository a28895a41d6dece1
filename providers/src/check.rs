//! Reads that turn a definite 4xx into a failed check, paged lists, and `Check` builders.

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
        assumed: false,
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

/// An offset/limit-paged list: where it is, and how its answer names items and total.
#[derive(Debug, Clone, Copy)]
pub struct Paged<'a> {
    pub service: Service,
    pub path: &'a str,
    /// The key of the item array, e.g. `jobs`.
    pub items: &'a str,
    /// The key of the total count (`total`, `total_num`, `count`).
    pub total: &'a str,
    pub page: usize,
    /// A longer list is cut here rather than followed forever.
    pub max_pages: usize,
}

/// Every item of a paged list (and the last page's body, for fields beside the items), with
/// [`fetch`]'s meaning of `Err`. A `204` (no body) is an empty list.
pub async fn fetch_all(
    client: &Client,
    paged: Paged<'_>,
    query: &Query,
) -> Result<Result<(Vec<Value>, Value), String>, ProviderError> {
    let mut items = Vec::new();
    let mut last = Value::Null;
    for page in 0..paged.max_pages {
        let query = query
            .clone()
            .with("offset", page * paged.page)
            .with("limit", paged.page);
        let body = match fetch(client, paged.service, paged.path, &query).await? {
            Ok(body) => body,
            Err(why) => return Ok(Err(why)),
        };
        let batch = array(&body[paged.items]).to_vec();
        let total = body[paged.total]
            .as_u64()
            .map_or(usize::MAX, |t| t as usize);
        let done = batch.len() < paged.page || items.len() + batch.len() >= total;
        items.extend(batch);
        last = body;
        if done {
            break;
        }
    }
    Ok(Ok((items, last)))
}

/// Passes when the read found the thing; `observed` is its `status`.
pub fn exists(name: impl Into<String>, found: &Result<Value, String>) -> Check {
    match found {
        Ok(item) => check(name, true, item["status"].as_str().unwrap_or("found")),
        Err(why) => check(name, false, why.clone()),
    }
}

/// Passes when the thing was found and its `status` is one of `allowed`.
pub fn status(name: impl Into<String>, found: &Result<Value, String>, allowed: &[&str]) -> Check {
    match found.as_ref().map(|item| item["status"].as_str()) {
        Ok(Some(s)) => check(name, allowed.contains(&s), s),
        Ok(None) => check(name, false, "no status in the answer"),
        Err(why) => check(name, false, why.clone()),
    }
}

/// DDM's lists of restore candidates mark each entry `available`, or give an
/// `unavailable_reason`; `absent` says what it means that the entry is not listed at all.
pub fn available(
    name: impl Into<String>,
    found: Result<Option<&Value>, String>,
    absent: String,
) -> Check {
    match found {
        Ok(Some(item)) if item["available"].as_bool() == Some(true) => {
            check(name, true, "available")
        }
        Ok(Some(item)) => check(
            name,
            false,
            item["unavailable_reason"]
                .as_str()
                .filter(|r| !r.is_empty())
                .unwrap_or("unavailable"),
        ),
        Ok(None) => check(name, false, absent),
        Err(why) => check(name, false, why),
    }
}

/// The entries of a JSON array (none when it is something else).
pub fn array(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The entry of `list` whose `key` is `id`.
pub fn find<'v>(list: &'v [Value], key: &str, id: &str) -> Option<&'v Value> {
    list.iter().find(|item| item[key].as_str() == Some(id))
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
    array(list)
        .iter()
        .filter_map(|w| {
            Some((
                wire_time::value_ms(&w["start_time"])?,
                wire_time::value_ms(&w["end_time"])?,
            ))
        })
        .collect()
}

/// `GET /v3/{project_id}/backups?instance_id=&backup_id=` of a DBS-family service (RDS,
/// GaussDB): the backup of `source_id`, `COMPLETED`.
pub async fn completed_backup(
    client: &Client,
    service: Service,
    source_id: &str,
    backup_id: &str,
) -> Result<Check, ProviderError> {
    let query = Query::new()
        .with("instance_id", source_id)
        .with("backup_id", backup_id);
    let found = fetch(client, service, "/v3/{project_id}/backups", &query).await?;
    let backup = found.and_then(|body| {
        find(array(&body["backups"]), "id", backup_id)
            .cloned()
            .ok_or_else(|| format!("not among the backups of {source_id}"))
    });
    Ok(status(
        format!("backup {backup_id} exists and is COMPLETED"),
        &backup,
        &["COMPLETED"],
    ))
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
        assert!(status("s", &Ok(json!({"status": "ACTIVE"})), &["ACTIVE"]).passed);
        let c = status("s", &Ok(json!({"status": "RESTORING"})), &["ACTIVE"]);
        assert_eq!((c.passed, c.observed.as_str()), (false, "RESTORING"));
        assert!(!status("s", &Ok(json!({})), &["ACTIVE"]).passed);
        assert!(!status("s", &Err("not found".into()), &["ACTIVE"]).passed);
        let c = exists("e", &Ok(json!({"status": "BUILD"})));
        assert_eq!((c.passed, c.observed.as_str()), (true, "BUILD"));
    }

    #[test]
    fn availability_checks() {
        let list = json!([{"instance_id": "a", "available": true}, {"instance_id": "b", "available": false, "unavailable_reason": "frozen"}]);
        let find_in = |id| Ok(find(array(&list), "instance_id", id));
        assert!(available("x", find_in("a"), String::new()).passed);
        let c = available("x", find_in("b"), String::new());
        assert_eq!((c.passed, c.observed.as_str()), (false, "frozen"));
        let c = available("x", find_in("c"), "not listed".into());
        assert_eq!((c.passed, c.observed.as_str()), (false, "not listed"));
    }
}
