//! `rds.restore_new` of a deleted instance against the simulator: preflight reads the recycle bin (status, retention, backup), and the rebuild runs to its new instance.

#[allow(dead_code)]
mod harness;

use harness::{Harness, assert_all_passed, failed, operation, poll_to_end, provider, succeeded};
use rewind_engine::kinds::{OpSpec, RestoreNew, RestorePoint, RestoreType, Secret, SecretRef};
use rewind_engine::provider::Operation;
use rewind_sim::{RecycleBackup, RecycledInstance, World};
use serde_json::json;

const GONE: &str = "f55da7ba462f414da2f9505fda3562b9in01";
const BACKUP: &str = "37a3d791431045a782d72496d384150abr01";
const HOUR: i64 = 3_600_000;

/// The deleted instance of the recycle-bin page's example, `status` and `until` as given.
fn world(status: &str, until_from_now: i64) -> World {
    let mut w = harness::world();
    let now = harness::now(&w);
    w.rds.recycle_bin.insert(
        GONE.to_owned(),
        RecycledInstance {
            name: "mysql_57_ha_test3".to_owned(),
            version: "5.7.44".to_owned(),
            deleted_at: now - HOUR,
            retained_until: now + until_from_now,
            recycle_status: status.to_owned(),
            recycle_backup_id: BACKUP.to_owned(),
            recycle_backups: [(BACKUP.to_owned(), RecycleBackup::default())].into(),
            ..RecycledInstance::default()
        },
    );
    w
}

fn op(backup: &str) -> Operation {
    let create = json!({
        "flavor_ref": "rds.mysql.n1.large",
        "volume": {"type": "CLOUDSSD", "size": 40},
        "availability_zone": "eu-de-01",
        "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
        "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
        "security_group_id": "2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5",
    });
    let spec = OpSpec::RdsNew(RestoreNew {
        name: "mysql-57-rebuilt".to_owned(),
        restore_point: RestorePoint {
            instance_id: Some(GONE.to_owned()),
            restore_type: Some(RestoreType::Backup),
            backup_id: Some(backup.to_owned()),
            restore_time: None,
        },
        password: Some(SecretRef {
            name: "secrets.node_password".to_owned(),
        }),
        create: create.as_object().cloned().unwrap_or_default(),
    });
    let mut op = operation("rebuild", spec);
    op.secrets.insert(
        "/password".to_owned(),
        Secret::new("Zq7-Rebuild-Pw".to_owned()),
    );
    op
}

#[tokio::test]
async fn a_deleted_instance_in_the_bin_passes_preflight_and_is_rebuilt() {
    let h = Harness::start(world("COMPLETED", 6 * 24 * HOUR)).await;
    let cloud = h.cloud();
    let op = op(BACKUP);
    let p = provider(&cloud, &op);
    let checks = p.preflight(&op).await.expect("preflight");
    assert_all_passed(&checks);
    assert!(
        checks
            .iter()
            .any(|c| c.name.contains("recycle_status is COMPLETED")),
        "{checks:?}"
    );
    let handle = p.submit(&op).await.expect("submit");
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    assert!(
        succeeded(&outcome).contains_key("instance_id"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_bin_entry_still_backing_up_is_refused_by_its_check() {
    let h = Harness::start(world("BUILDING", 6 * 24 * HOUR)).await;
    let cloud = h.cloud();
    let op = op(BACKUP);
    let checks = provider(&cloud, &op)
        .preflight(&op)
        .await
        .expect("preflight");
    assert_eq!(
        failed(&checks),
        ["recycle_status is COMPLETED (the instance can be rebuilt)"],
        "{checks:?}"
    );
}

#[tokio::test]
async fn an_entry_leaving_the_bin_before_the_rebuild_could_end_is_refused() {
    // Ten minutes left; a rebuild is expected to take forty.
    let h = Harness::start(world("COMPLETED", HOUR / 6)).await;
    let cloud = h.cloud();
    let op = op(BACKUP);
    let checks = provider(&cloud, &op)
        .preflight(&op)
        .await
        .expect("preflight");
    assert_eq!(
        failed(&checks),
        ["retained_until lies beyond now plus the expected rebuild time"],
        "{checks:?}"
    );
}

#[tokio::test]
async fn a_backup_that_is_not_the_deleted_instances_is_refused() {
    let h = Harness::start(world("COMPLETED", 6 * 24 * HOUR)).await;
    let cloud = h.cloud();
    let op = op("43e4feaab48f11e89039fa163ebaa7e4br01");
    let checks = provider(&cloud, &op)
        .preflight(&op)
        .await
        .expect("preflight");
    assert_eq!(
        failed(&checks),
        ["backup_id is a completed backup of the deleted instance"],
        "{checks:?}"
    );
    // A source neither live nor in the bin fails the existence check, as before.
    let mut other = op;
    if let OpSpec::RdsNew(r) = &mut other.spec {
        r.restore_point.instance_id = Some("00000000000000000000000000000000in01".to_owned());
    }
    let checks = provider(&cloud, &other)
        .preflight(&other)
        .await
        .expect("preflight");
    assert!(
        failed(&checks).iter().any(|n| n.contains("exists")),
        "{checks:?}"
    );
}
