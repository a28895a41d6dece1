//! The RDS recycle bin: finding a deleted instance, and the preflight of rebuilding it with `rds.restore_new`.
//
// `GET /v3/{project_id}/recycle-instances?offset=&limit=` (`recycling_a_db_instance/
// querying_instances_in_the_recycle_bin.rst`): `recycle_status` `COMPLETED` means "the backup
// is complete and the instance can be rebuilt"; `retained_until` is when it goes for good.
// OTC documents no rebuild API: the UMN's "Rebuild" is a restore to a new instance from the
// recycle backup, which is what `rds.restore_new` sends.

use crate::check::{self, check};
use crate::client::Client;
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{Check, ProviderError};
use serde_json::Value;

/// How long a rebuild is expected to take: `rds.restore_new`'s expected duration.
pub const EXPECTED_REBUILD_MS: i64 = 40 * 60_000;

/// Now on the cloud's clock, as far as its answers' `Date` headers told.
pub fn cloud_now(client: &Client) -> i64 {
    wire_time::now_ms().saturating_add(client.clock().lowest().unwrap_or(0))
}

/// The list: `offset` from 0, `limit` 1..=50, both mandatory.
const RECYCLE_BIN: check::Paged<'static> = check::Paged {
    service: Service::Rds,
    path: "/v3/{project_id}/recycle-instances",
    items: "instances",
    total: "total_count",
    page: 50,
    max_pages: 20,
};

/// Every instance in the recycle bin; `Err(why)` when the service answered no.
pub async fn list(client: &Client) -> Result<Result<Vec<Value>, String>, ProviderError> {
    Ok(check::fetch_all(client, RECYCLE_BIN, &Query::new())
        .await?
        .map(|(items, _)| items))
}

/// The recycled instance with ID `wanted`, or else the ones named `wanted` (names need not be
/// unique, and one name may have been deleted more than once).
pub fn find<'v>(bin: &'v [Value], wanted: &str) -> Vec<&'v Value> {
    if let Some(one) = check::find(bin, "id", wanted) {
        return vec![one];
    }
    bin.iter()
        .filter(|i| i["name"].as_str() == Some(wanted))
        .collect()
}

/// The checks of rebuilding `id` from `backup_id`, once the live instance list does not know
/// `id`: it is in the bin, its backup is `COMPLETED`, the backup is the recycle backup (or
/// another completed one of `recycle_backups`), and it stays in the bin until after
/// `now + expected_ms`, the time the rebuild is expected to take.
pub async fn preflight(
    client: &Client,
    id: &str,
    backup_id: Option<&str>,
    now: i64,
    expected_ms: i64,
) -> Result<Vec<Check>, ProviderError> {
    let name = format!("deleted instance {id} is in the recycle bin");
    let bin = match list(client).await? {
        Ok(bin) => bin,
        Err(why) => return Ok(vec![check(name, false, why)]),
    };
    let Some(found) = check::find(&bin, "id", id) else {
        return Ok(vec![check(
            name,
            false,
            format!(
                "neither live nor among the {} recycled instances",
                bin.len()
            ),
        )]);
    };
    Ok(entry_checks(found, backup_id, now, expected_ms))
}

/// The checks of one recycle-bin entry (see [`preflight`]).
pub fn entry_checks(
    found: &Value,
    backup_id: Option<&str>,
    now: i64,
    expected_ms: i64,
) -> Vec<Check> {
    let id = found["id"].as_str().unwrap_or_default();
    let text = |k: &str| found[k].as_str().unwrap_or_default();
    let mut checks = vec![check(
        format!("deleted instance {id} is in the recycle bin"),
        true,
        format!(
            "{} ({} {}), deleted {}",
            text("name"),
            text("engine_name"),
            text("engine_version"),
            text("deleted_at")
        ),
    )];
    let status = text("recycle_status");
    checks.push(check(
        "recycle_status is COMPLETED (the instance can be rebuilt)",
        status == "COMPLETED",
        if status.is_empty() { "none" } else { status },
    ));
    let until = wire_time::value_ms(&found["retained_until"]);
    let needed = now.saturating_add(expected_ms);
    checks.push(match until {
        Some(u) => check(
            "retained_until lies beyond now plus the expected rebuild time",
            u > needed,
            format!(
                "retained until {}; the rebuild should end by {}",
                wire_time::show(u),
                wire_time::show(needed)
            ),
        ),
        None => check(
            "retained_until lies beyond now plus the expected rebuild time",
            false,
            "no retained_until in the answer",
        ),
    });
    let recycle_backup = text("recycle_backup_id");
    let name = "backup_id is a completed backup of the deleted instance";
    checks.push(match backup_id {
        None => check(
            name,
            false,
            "a deleted instance is rebuilt from a backup: set backup_id",
        ),
        Some(b) => {
            let listed = check::find(check::array(&found["recycle_backups"]), "backup_id", b);
            match listed {
                Some(entry) => {
                    let st = entry["backup_status"].as_str().unwrap_or_default();
                    check(name, st == "COMPLETED", format!("{b}: {st}"))
                }
                None if b == recycle_backup => check(name, status == "COMPLETED", b),
                None => check(
                    name,
                    false,
                    format!(
                        "{b} is not among its recycle backups (recycle_backup_id {recycle_backup})"
                    ),
                ),
            }
        }
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The example answer of `querying_instances_in_the_recycle_bin.rst`.
    fn documented() -> Value {
        json!({
            "id": "f55da7ba462f414da2f9505fda3562b9in01",
            "name": "mysql_57_ha_test3",
            "ha_mode": "Ha",
            "engine_name": "mysql",
            "engine_version": "5.7.44",
            "deleted_at": "2025-09-03T10:06:33+0000",
            "retained_until": "2025-09-10T10:07:05+0000",
            "recycle_backup_id": "37a3d791431045a782d72496d384150abr01",
            "recycle_status": "COMPLETED",
            "recycle_backups": [{
                "backup_id": "37a3d791431045a782d72496d384150abr01",
                "backup_status": "COMPLETED",
            }],
        })
    }

    #[test]
    fn a_completed_entry_in_time_passes() {
        let now = wire_time::parse_ms("2025-09-05T00:00:00Z").unwrap();
        let checks = entry_checks(
            &documented(),
            Some("37a3d791431045a782d72496d384150abr01"),
            now,
            3_600_000,
        );
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");
    }

    #[test]
    fn expiry_within_the_expected_time_fails() {
        let now = wire_time::parse_ms("2025-09-10T09:30:00Z").unwrap();
        let checks = entry_checks(
            &documented(),
            Some("37a3d791431045a782d72496d384150abr01"),
            now,
            3_600_000,
        );
        let c = &checks[2];
        assert!(!c.passed && c.observed.contains("retained until"), "{c:?}");
    }

    #[test]
    fn building_and_foreign_backups_fail() {
        let mut entry = documented();
        entry["recycle_status"] = json!("BUILDING");
        let checks = entry_checks(&entry, Some("other"), 0, 0);
        assert!(!checks[1].passed);
        assert!(!checks[3].passed && checks[3].observed.contains("not among"));
    }

    #[test]
    fn found_by_id_or_name() {
        let bin = vec![documented()];
        assert_eq!(find(&bin, "mysql_57_ha_test3").len(), 1);
        assert_eq!(find(&bin, "f55da7ba462f414da2f9505fda3562b9in01").len(), 1);
        assert!(find(&bin, "nope").is_empty());
    }
}
