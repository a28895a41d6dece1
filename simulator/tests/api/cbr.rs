//! CBR: the documented restore (202, no body), operation logs through their lifecycle, the
//! backup status machine and every precondition error.

use rewind_sim::Service::Cbr;
use rewind_sim::{CbrBackup, CbrChildBackup};
use serde_json::{Value, json};

use crate::util::{PID, assert_dbs_error, fixture, start, verbatim};

pub(crate) const BACKUP: &str = "a5200268-74a5-4806-acc6-95793ab0228b";
pub(crate) const SERVER: &str = "94eba8b2-acc9-4d82-badc-127144cc5526";

/// Seed 4, verbatim.
pub(crate) fn documented_body() -> Value {
    verbatim(
        r#"{ "restore" : { "mappings" : [ { "backup_id" : "5d822633-2bbf-4af8-a16e-5ab1c7705235", "volume_id" : "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376" } ], "power_on" : true, "server_id" : "94eba8b2-acc9-4d82-badc-127144cc5526" } }"#,
    )
}

pub(crate) fn restore_path(backup: &str) -> String {
    format!("/v3/{PID}/backups/{backup}/restore")
}

pub(crate) fn logs_path() -> String {
    format!("/v3/{PID}/operation-logs?operation_type=restore&resource_id={SERVER}")
}

#[tokio::test]
async fn documented_restore_is_202_with_no_body_and_runs_to_success() {
    let h = start(fixture()).await;
    let r = h.post(Cbr, &restore_path(BACKUP), documented_body()).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    assert_eq!(r.raw, "");
    assert_eq!(h.sim.submissions().get(SERVER), Some(&1));

    let b = h.get(Cbr, &format!("/v3/{PID}/backups/{BACKUP}")).await;
    assert_eq!(b.body["backup"]["status"], "restoring");
    assert_eq!(
        b.body["backup"]["children"][0]["id"],
        "5d822633-2bbf-4af8-a16e-5ab1c7705235"
    );
    let logs = h.get(Cbr, &logs_path()).await;
    assert_eq!(logs.status, 200, "{}", logs.raw);
    assert_eq!(logs.body["count"], 1);
    let log = &logs.body["operation_logs"][0];
    assert_eq!(log["status"], "waiting");
    assert_eq!(log["operation_type"], "restore");
    assert_eq!(log["extra_info"]["restore"]["backup_id"], BACKUP);
    assert_eq!(log["extra_info"]["restore"]["target_resource_id"], SERVER);
    assert_eq!(log["extra_info"]["common"]["progress"], 0);
    assert_eq!(log["created_at"], "2025-05-21T12:00:00.000+00:00");
    let log_id = log["id"].as_str().expect("id").to_owned();
    assert_eq!(h.sim.world_snapshot().cbr.servers[SERVER].status, "SHUTOFF");

    h.advance(330);
    let one = h
        .get(Cbr, &format!("/v3/{PID}/operation-logs/{log_id}"))
        .await;
    assert_eq!(one.body["operation_log"]["status"], "running");
    assert_eq!(
        one.body["operation_log"]["extra_info"]["common"]["progress"],
        50
    );

    h.advance(270);
    let one = h
        .get(Cbr, &format!("/v3/{PID}/operation-logs/{log_id}"))
        .await;
    let log = &one.body["operation_log"];
    assert_eq!(log["status"], "success");
    assert_eq!(log["extra_info"]["common"]["progress"], 100);
    assert_eq!(log["ended_at"], "2025-05-21T12:10:00.000+00:00");
    let b = h.get(Cbr, &format!("/v3/{PID}/backups/{BACKUP}")).await;
    assert_eq!(b.body["backup"]["status"], "available");
    assert_eq!(h.sim.world_snapshot().cbr.servers[SERVER].status, "ACTIVE");
}

#[tokio::test]
async fn operation_logs_filter_by_type_resource_and_time() {
    let h = start(fixture()).await;
    assert_eq!(
        h.post(Cbr, &restore_path(BACKUP), documented_body())
            .await
            .status,
        202
    );
    let count = |path: String| {
        let h = &h;
        async move { h.get(Cbr, &path).await.body["count"].clone() }
    };
    assert_eq!(
        count(format!("/v3/{PID}/operation-logs?operation_type=backup")).await,
        0
    );
    assert_eq!(
        count(format!("/v3/{PID}/operation-logs?resource_id=other")).await,
        0
    );
    assert_eq!(
        count(format!("{}&start_time=2025-05-21T11:59:59Z", logs_path())).await,
        1
    );
    assert_eq!(
        count(format!("{}&start_time=2025-05-21T12:00:01Z", logs_path())).await,
        0
    );
    assert_eq!(
        count(format!("{}&end_time=2025-05-21T11:59:59Z", logs_path())).await,
        0
    );
    let r = h
        .get(Cbr, &format!("{}&start_time=noon", logs_path()))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn an_injected_failure_ends_the_log_failed() {
    let h = start(fixture()).await;
    h.fail_jobs("Failed to restore the disk.");
    assert_eq!(
        h.post(Cbr, &restore_path(BACKUP), documented_body())
            .await
            .status,
        202
    );
    h.advance(600);
    let log = h.get(Cbr, &logs_path()).await.body["operation_logs"][0].clone();
    assert_eq!(log["status"], "failed");
    assert_eq!(log["error_info"]["message"], "Failed to restore the disk.");
    assert!(
        log["error_info"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(
        h.get(Cbr, &format!("/v3/{PID}/backups/{BACKUP}"))
            .await
            .body["backup"]["status"],
        "available"
    );
}

#[tokio::test]
async fn power_on_false_leaves_the_server_off() {
    let h = start(fixture()).await;
    let mut body = documented_body();
    body["restore"]["power_on"] = json!(false);
    assert_eq!(h.post(Cbr, &restore_path(BACKUP), body).await.status, 202);
    h.advance(600);
    assert_eq!(h.sim.world_snapshot().cbr.servers[SERVER].status, "SHUTOFF");
}

#[tokio::test]
async fn a_backup_that_is_not_available_is_backupservice_2005() {
    let mut world = fixture();
    world.cbr.backups.get_mut(BACKUP).expect("backup").status = "protecting".into();
    let h = start(world).await;
    assert_dbs_error(
        &h.post(Cbr, &restore_path(BACKUP), documented_body()).await,
        400,
        "BackupService.2005",
    );
}

#[tokio::test]
async fn a_backup_being_restored_is_backupservice_2005_again() {
    let h = start(fixture()).await;
    assert_eq!(
        h.post(Cbr, &restore_path(BACKUP), documented_body())
            .await
            .status,
        202
    );
    assert_dbs_error(
        &h.post(Cbr, &restore_path(BACKUP), documented_body()).await,
        400,
        "BackupService.2005",
    );
    assert_eq!(h.sim.submissions().get(SERVER), Some(&1));
}

#[tokio::test]
async fn a_resource_being_restored_from_another_backup_is_backupservice_2010() {
    let mut world = fixture();
    let second = CbrBackup {
        resource_id: SERVER.into(),
        children: vec![CbrChildBackup {
            id: "6e9a7f3c-0b1d-4c2e-8f3a-5b6c7d8e9f00".into(),
            resource_id: "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376".into(),
            ..CbrChildBackup::default()
        }],
        ..CbrBackup::default()
    };
    world
        .cbr
        .backups
        .insert("0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".into(), second);
    let h = start(world).await;
    assert_eq!(
        h.post(Cbr, &restore_path(BACKUP), documented_body())
            .await
            .status,
        202
    );
    let body = json!({"restore": {"server_id": SERVER, "mappings": [{"backup_id": "6e9a7f3c-0b1d-4c2e-8f3a-5b6c7d8e9f00", "volume_id": "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376"}]}});
    let r = h
        .post(
            Cbr,
            &restore_path("0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"),
            body,
        )
        .await;
    assert_dbs_error(&r, 400, "BackupService.2010");
}

#[tokio::test]
async fn an_unknown_backup_or_log_is_404() {
    let h = start(fixture()).await;
    assert_dbs_error(
        &h.post(Cbr, &restore_path("nope"), documented_body()).await,
        404,
        "BackupService.6200",
    );
    assert_dbs_error(
        &h.get(Cbr, &format!("/v3/{PID}/backups/nope")).await,
        404,
        "BackupService.6200",
    );
    let r = h.get(Cbr, &format!("/v3/{PID}/operation-logs/nope")).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        json!({"error_code": "BackupService.6500", "error_msg": "Operation log does not exist."})
    );
}

#[tokio::test]
async fn a_server_restore_needs_server_id_and_valid_mappings() {
    let h = start(fixture()).await;
    for body in [
        json!({"restore": {"mappings": documented_body()["restore"]["mappings"].clone()}}),
        json!({"restore": {"server_id": SERVER}}),
        json!({"restore": {"server_id": SERVER, "mappings": [{"backup_id": "not-a-child", "volume_id": "v"}]}}),
        json!({"mappings": []}),
    ] {
        let r = h.post(Cbr, &restore_path(BACKUP), body).await;
        assert_eq!(r.status, 400, "{}", r.raw);
    }
    assert!(h.sim.submissions().is_empty());
}

#[tokio::test]
async fn a_disk_backup_restores_onto_a_volume() {
    let h = start(fixture()).await;
    let child = "5d822633-2bbf-4af8-a16e-5ab1c7705235";
    let body = json!({"restore": {"volume_id": "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376"}});
    assert_eq!(h.post(Cbr, &restore_path(child), body).await.status, 202);
    assert_eq!(
        h.sim
            .submissions()
            .get("eccbcfdd-f843-4bbb-b2c0-a5ce861f9376"),
        Some(&1)
    );
    let r = h.get(Cbr, &format!("/v3/{PID}/backups/{child}")).await;
    assert_eq!(r.body["backup"]["parent_id"], BACKUP);
}
