//! DCS: the documented restore (200 + restore_id), restore records through their lifecycle
//! (204 when none), and every precondition error.

use rewind_sim::Service::Dcs;
use serde_json::{Value, json};

use crate::util::{PID, assert_dcs_error, fixture, start, verbatim};

pub(crate) const INST: &str = "6a8f4c2e-3b1d-4e5f-9a7b-8c6d5e4f3a2b";
pub(crate) const BACKUP: &str = "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029";

/// Seed 5, verbatim.
pub(crate) fn documented_body() -> Value {
    verbatim(
        r#"{
"backup_id" : "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029",
"remark" : "restore instance"
}"#,
    )
}

pub(crate) fn restores_path() -> String {
    format!("/v2/{PID}/instances/{INST}/restores")
}

#[tokio::test]
async fn documented_restore_returns_a_restore_id_and_runs_to_succeed() {
    let h = start(fixture()).await;
    let none = h.get(Dcs, &restores_path()).await;
    assert_eq!(none.status, 204);
    assert_eq!(none.raw, "");

    let r = h.post(Dcs, &restores_path(), documented_body()).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let restore_id = r.body["restore_id"]
        .as_str()
        .expect("restore_id")
        .to_owned();
    assert_eq!(restore_id.len(), 36);
    assert_eq!(r.body.as_object().map(serde_json::Map::len), Some(1));
    assert_eq!(
        h.get(Dcs, &format!("/v2/{PID}/instances/{INST}"))
            .await
            .body["status"],
        "RESTORING"
    );

    let list = h.get(Dcs, &restores_path()).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["total_num"], 1);
    let rec = &list.body["restore_record_response"][0];
    assert_eq!(rec["restore_id"], restore_id.as_str());
    assert_eq!(rec["backup_id"], BACKUP);
    assert_eq!(rec["status"], "waiting");
    assert_eq!(rec["progress"], "0.00");
    assert_eq!(rec["restore_remark"], "restore instance");
    assert_eq!(rec["restore_name"], "restore_20250521120000");
    assert_eq!(rec["created_at"], "2025-05-21T12:00:00.000Z");
    assert_eq!(rec["error_code"], json!({}));

    h.advance(99);
    let rec = h.get(Dcs, &restores_path()).await.body["restore_record_response"][0].clone();
    assert_eq!(rec["status"], "restoring");
    assert_eq!(rec["progress"], "50.00");

    h.advance(81);
    let rec = h.get(Dcs, &restores_path()).await.body["restore_record_response"][0].clone();
    assert_eq!(rec["status"], "succeed");
    assert_eq!(rec["progress"], "100.00");
    assert_eq!(rec["updated_at"], "2025-05-21T12:03:00.000Z");
    assert_eq!(
        h.get(Dcs, &format!("/v2/{PID}/instances/{INST}"))
            .await
            .body["status"],
        "RUNNING"
    );
    assert_eq!(h.sim.submissions().get(INST), Some(&1));
}

#[tokio::test]
async fn records_filter_by_time_and_204_when_none_match() {
    let h = start(fixture()).await;
    assert_eq!(
        h.post(Dcs, &restores_path(), documented_body())
            .await
            .status,
        200
    );
    let r = h
        .get(
            Dcs,
            &format!(
                "{}?begin_time=20250521115959&end_time=20250521120001",
                restores_path()
            ),
        )
        .await;
    assert_eq!(r.body["total_num"], 1);
    let r = h
        .get(
            Dcs,
            &format!("{}?begin_time=20250521120001", restores_path()),
        )
        .await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn an_injected_failure_ends_the_record_failed() {
    let h = start(fixture()).await;
    h.fail_jobs("sync failed");
    assert_eq!(
        h.post(Dcs, &restores_path(), documented_body())
            .await
            .status,
        200
    );
    h.advance(180);
    let rec = h.get(Dcs, &restores_path()).await.body["restore_record_response"][0].clone();
    assert_eq!(rec["status"], "failed");
    assert_eq!(rec["error_code"], "dcs.08.0007");
    assert_eq!(
        h.get(Dcs, &format!("/v2/{PID}/instances/{INST}"))
            .await
            .body["status"],
        "RUNNING"
    );
}

#[tokio::test]
async fn an_instance_that_is_not_running_is_dcs_4049() {
    let mut world = fixture();
    world.dcs.instances.get_mut(INST).expect("instance").status = "EXTENDING".into();
    let h = start(world).await;
    assert_dcs_error(
        &h.post(Dcs, &restores_path(), documented_body()).await,
        400,
        "DCS.4049",
    );
}

#[tokio::test]
async fn an_instance_already_restoring_is_dcs_4097() {
    let h = start(fixture()).await;
    assert_eq!(
        h.post(Dcs, &restores_path(), documented_body())
            .await
            .status,
        200
    );
    assert_dcs_error(
        &h.post(Dcs, &restores_path(), documented_body()).await,
        400,
        "DCS.4097",
    );
    assert_eq!(h.sim.submissions().get(INST), Some(&1));
}

#[tokio::test]
async fn an_instance_backing_up_is_dcs_4096() {
    let mut world = fixture();
    world.ensure_dcs_backup(INST, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    world
        .dcs
        .backups
        .get_mut("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
        .expect("backup")
        .status = "backuping".into();
    let h = start(world).await;
    assert_dcs_error(
        &h.post(Dcs, &restores_path(), documented_body()).await,
        400,
        "DCS.4096",
    );
}

#[tokio::test]
async fn a_backup_that_has_not_succeeded_is_dcs_4087() {
    let mut world = fixture();
    world.dcs.backups.get_mut(BACKUP).expect("backup").status = "failed".into();
    let h = start(world).await;
    assert_dcs_error(
        &h.post(Dcs, &restores_path(), documented_body()).await,
        400,
        "DCS.4087",
    );
    let body = json!({"backup_id": "nope"});
    assert_dcs_error(&h.post(Dcs, &restores_path(), body).await, 400, "DCS.4087");
}

#[tokio::test]
async fn a_single_node_instance_is_dcs_4095() {
    let mut world = fixture();
    world
        .dcs
        .instances
        .get_mut(INST)
        .expect("instance")
        .cache_mode = "single".into();
    let h = start(world).await;
    assert_dcs_error(
        &h.post(Dcs, &restores_path(), documented_body()).await,
        400,
        "DCS.4095",
    );
}

#[tokio::test]
async fn bad_bodies_and_unknown_instances_are_refused() {
    let h = start(fixture()).await;
    assert_dcs_error(
        &h.post(Dcs, &restores_path(), json!({"remark": "x"})).await,
        400,
        "111400005",
    );
    let long = json!({"backup_id": BACKUP, "remark": "x".repeat(129)});
    assert_dcs_error(&h.post(Dcs, &restores_path(), long).await, 400, "111400005");
    let r = h
        .post(
            Dcs,
            &format!("/v2/{PID}/instances/nope/restores"),
            documented_body(),
        )
        .await;
    assert_dcs_error(&r, 404, "DCS.3022");
    assert!(h.sim.submissions().is_empty());
}

#[tokio::test]
async fn backups_list_and_instance_detail_have_the_documented_shapes() {
    let h = start(fixture()).await;
    let r = h
        .get(Dcs, &format!("/v2/{PID}/instances/{INST}/backups"))
        .await;
    assert_eq!(r.body["total_num"], 1);
    let b = &r.body["backup_record_response"][0];
    assert_eq!(b["backup_id"], BACKUP);
    assert_eq!(b["status"], "succeed");
    assert_eq!(b["is_support_restore"], "TRUE");
    assert_eq!(b["backup_name"], "backup_20250521000002");
    let r = h.get(Dcs, &format!("/v2/{PID}/instances/{INST}")).await;
    assert_eq!(r.body["instance_id"], INST);
    assert_eq!(r.body["status"], "RUNNING");
    assert_eq!(r.body["engine"], "Redis");
}

#[tokio::test]
async fn an_instance_reports_the_world_address_as_ip_and_port() {
    let mut world = fixture();
    let default = start(world.clone()).await;
    let r = default
        .get(Dcs, &format!("/v2/{PID}/instances/{INST}"))
        .await;
    assert_eq!(
        (r.body["ip"].as_str(), r.body["port"].as_u64()),
        (Some("192.0.2.40"), Some(6379))
    );
    world.dcs.instances.get_mut(INST).expect("instance").address = Some(rewind_sim::Address {
        ip: "127.0.0.1".to_owned(),
        port: 16379,
    });
    let h = start(world).await;
    let r = h.get(Dcs, &format!("/v2/{PID}/instances/{INST}")).await;
    assert_eq!(r.body["ip"], "127.0.0.1");
    assert_eq!(r.body["port"], 16379);
}
