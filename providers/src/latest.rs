//! `backup_id: latest`: the newest finished backup a service's backup list offers.
//
// RDS, DDS and TaurusDB document one list shape (`GET /v3/{project_id}/backups?instance_id=`,
// `offset`/`limit` up to 100, `total_count`, `status` `COMPLETED` once finished, `end_time`):
// RDS `obtaining_details_about_backups.rst`, DDS `querying_the_backup_list.rst`, TaurusDB
// `querying_backups.rst`. CBR lists `available` backups of a `resource_id` (`count`, times in
// `updated_at` / `created_at`; `querying_all_backups.rst`). DDM lists its metadata backups
// project-wide with no instance filter (`GET /v3/{project_id}/backups`, `offset`, `limit` up to
// 128, `total`; `querying_backupsa_v3_api.rst`): each names its `instance_id`, `status`
// `normal` once finished, `created` and `updated`.

use crate::check::{self, Paged};
use crate::client::Client;
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::Service;
use rewind_engine::provider::ProviderError;
use serde_json::Value;

/// Pages of a backup list read at most: 1,000 backups of one instance is far past any
/// retention policy the services offer.
const MAX_PAGES: usize = 10;

/// The newest `COMPLETED` backup of database instance `instance` (by `end_time`), from the
/// RDS/DDS/TaurusDB backup list.
pub async fn dbs(
    client: &Client,
    service: Service,
    instance: &str,
) -> Result<Option<(String, i64)>, ProviderError> {
    let list = Paged {
        service,
        path: "/v3/{project_id}/backups",
        items: "backups",
        total: "total_count",
        page: 100,
        max_pages: MAX_PAGES,
    };
    let items = read(
        client,
        list,
        &Query::new().with("instance_id", instance),
        instance,
    )
    .await?;
    Ok(newest(&items, "COMPLETED", "id", &["end_time"], |b| {
        b["instance_id"].as_str().is_none_or(|i| i == instance)
    }))
}

/// The newest `available` CBR backup of `resource` (a disk or a server), by `updated_at`,
/// else `created_at`.
pub async fn cbr(client: &Client, resource: &str) -> Result<Option<(String, i64)>, ProviderError> {
    let list = Paged {
        service: Service::Cbr,
        path: "/v3/{project_id}/backups",
        items: "backups",
        total: "count",
        page: 100,
        max_pages: MAX_PAGES,
    };
    let query = Query::new()
        .with("resource_id", resource)
        .with("status", "available");
    let items = read(client, list, &query, resource).await?;
    Ok(newest(
        &items,
        "available",
        "id",
        &["updated_at", "created_at"],
        |b| b["resource_id"].as_str() == Some(resource),
    ))
}

/// DDM's largest page of backups.
const DDM_PAGE: usize = 128;
/// Pages of DDM's project-wide backup list read at most (2,560 backups of every instance).
const DDM_MAX_PAGES: usize = 20;

/// The newest `normal` metadata backup of DDM instance `instance` (by `updated`, else
/// `created`). The list cannot be filtered by instance, so the whole project's list is read
/// and filtered here; a list longer than rewind reads is an error, not a guess from part of it.
pub async fn ddm(client: &Client, instance: &str) -> Result<Option<(String, i64)>, ProviderError> {
    let list = Paged {
        service: Service::Ddm,
        path: "/v3/{project_id}/backups",
        items: "backups",
        total: "total",
        page: DDM_PAGE,
        max_pages: DDM_MAX_PAGES,
    };
    let (items, last_page) = match check::fetch_all(client, list, &Query::new()).await? {
        Ok(read) => read,
        Err(why) => {
            return Err(ProviderError {
                message: format!("the metadata backups of {instance}: {why}"),
                transient: false,
            });
        }
    };
    if let Some(total) = last_page["total"].as_u64()
        && usize::try_from(total).is_ok_and(|t| t > items.len())
        && items.len() >= DDM_PAGE * DDM_MAX_PAGES
    {
        return Err(ProviderError {
            message: format!(
                "DDM lists {total} metadata backups in this project; rewind reads at most {} to find the newest of {instance}: write the backup's ID",
                items.len()
            ),
            transient: false,
        });
    }
    Ok(newest(
        &items,
        "normal",
        "id",
        &["updated", "created"],
        |b| b["instance_id"].as_str() == Some(instance),
    ))
}

async fn read(
    client: &Client,
    list: Paged<'_>,
    query: &Query,
    of: &str,
) -> Result<Vec<Value>, ProviderError> {
    match check::fetch_all(client, list, query).await? {
        Ok((items, _)) => Ok(items),
        Err(why) => Err(ProviderError {
            message: format!("the backups of {of}: {why}"),
            transient: false,
        }),
    }
}

/// The backup with status `done` and the latest of `times` (the first one present), ties
/// broken by ID so that the pick does not depend on the list's order.
fn newest(
    items: &[Value],
    done: &str,
    id: &str,
    times: &[&str],
    mine: impl Fn(&Value) -> bool,
) -> Option<(String, i64)> {
    items
        .iter()
        .filter(|b| b["status"].as_str() == Some(done) && mine(b))
        .filter_map(|b| {
            let at = times.iter().find_map(|t| wire_time::value_ms(&b[*t]))?;
            Some((b[id].as_str()?.to_owned(), at))
        })
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_newest_finished_backup_of_the_instance_wins() {
        let items = [
            json!({"id": "a", "status": "COMPLETED", "end_time": "2026-11-20T03:00:00+0000", "instance_id": "i"}),
            json!({"id": "b", "status": "COMPLETED", "end_time": "2026-11-21 03:00:00", "instance_id": "i"}),
            json!({"id": "c", "status": "BUILDING", "end_time": "2026-11-22T03:00:00Z", "instance_id": "i"}),
            json!({"id": "d", "status": "COMPLETED", "end_time": "2026-11-23T03:00:00Z", "instance_id": "other"}),
        ];
        let (id, at) = newest(&items, "COMPLETED", "id", &["end_time"], |b| {
            b["instance_id"] == "i"
        })
        .expect("a backup");
        assert_eq!(id, "b");
        assert_eq!(
            at,
            "2026-11-21T03:00:00Z"
                .parse::<jiff::Timestamp>()
                .expect("time")
                .as_millisecond()
        );
        assert_eq!(
            newest(&items[2..3], "COMPLETED", "id", &["end_time"], |_| true),
            None
        );
    }

    #[test]
    fn ddm_takes_the_newest_normal_backup_of_its_instance_by_updated_time() {
        let items = [
            json!({"id": "a", "status": "normal", "instance_id": "i", "created": "2025-02-19T02:50:20+0000", "updated": "2025-02-19T02:50:37+0000"}),
            json!({"id": "b", "status": "normal", "instance_id": "i", "created": "2025-02-18T02:50:20+0000", "updated": "2025-02-20T01:00:00+0000"}),
            json!({"id": "c", "status": "creating", "instance_id": "i", "created": "2025-02-21T02:50:20+0000", "updated": "2025-02-21T02:50:20+0000"}),
            json!({"id": "d", "status": "normal", "instance_id": "j", "created": "2025-02-22T02:50:20+0000", "updated": "2025-02-22T02:50:37+0000"}),
            json!({"id": "e", "status": "createfail", "instance_id": "i", "created": "2025-02-23T02:50:20+0000"}),
        ];
        let (id, at) = newest(&items, "normal", "id", &["updated", "created"], |b| {
            b["instance_id"] == "i"
        })
        .expect("a backup");
        assert_eq!(id, "b");
        assert_eq!(
            at,
            "2025-02-20T01:00:00Z"
                .parse::<jiff::Timestamp>()
                .expect("time")
                .as_millisecond()
        );
    }
}
