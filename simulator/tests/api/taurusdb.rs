//! TaurusDB: the four documented restore requests, both path generations, the lifecycle and
//! every precondition error.

use rewind_sim::Service::Taurusdb;
use serde_json::{Value, json};

use crate::util::{PID, assert_dbs_error, fixture, start, verbatim};

pub(crate) const SOURCE: &str = "690e08a7c3854c218df0e59de3b0c6cein07";
pub(crate) const TARGET: &str = "7033e7c3cf93438797d44ad7ae0a7d95in07";

/// Seed 3's four examples, verbatim.
pub(crate) fn documented_bodies() -> [Value; 4] {
    [
        verbatim(
            r#"{ "target_instance_id" : "7033e7c3cf93438797d44ad7ae0a7d95in07", "source_instance_id" : "690e08a7c3854c218df0e59de3b0c6cein07", "backup_id" : "7ffbf305376b4cbea0ae491257b6aaf9br07", "type" : "backup" }"#,
        ),
        verbatim(
            r#"{ "target_instance_id" : "7033e7c3cf93438797d44ad7ae0a7d95in07", "source_instance_id" : "690e08a7c3854c218df0e59de3b0c6cein07", "restore_time" : 1673852043000, "type" : "timestamp" }"#,
        ),
        verbatim(
            r#"{ "target_instance_id" : "7033e7c3cf93438797d44ad7ae0a7d95in07", "source_instance_id" : "690e08a7c3854c218df0e59de3b0c6cein07", "backup_id" : "be4ddfd7e2b94640b5e2cb44efb30b22br07", "type" : "backup" }"#,
        ),
        verbatim(
            r#"{ "target_instance_id" : "7033e7c3cf93438797d44ad7ae0a7d95in07", "source_instance_id" : "690e08a7c3854c218df0e59de3b0c6cein07", "restore_time" : 1673852043000, "type" : "timestamp" }"#,
        ),
    ]
}

pub(crate) fn restore_path() -> String {
    format!("/v3/{PID}/instances/restore")
}

#[tokio::test]
async fn every_documented_example_is_accepted() {
    let h = start(fixture()).await;
    for (i, body) in documented_bodies().into_iter().enumerate() {
        let path = if i % 2 == 0 {
            restore_path()
        } else {
            format!("/mysql{}", restore_path())
        };
        let r = h.post(Taurusdb, &path, body).await;
        assert_eq!(r.status, 202, "example {i}: {}", r.raw);
        let job_id = r.body["job_id"].as_str().expect("job_id");
        assert_eq!(
            job_id.len(),
            36,
            "UUID-shaped like the documented dff1d289-4d03-..."
        );
        h.advance(300);
    }
    assert_eq!(h.sim.submissions().get(TARGET), Some(&4));
}

#[tokio::test]
async fn a_job_runs_to_completed() {
    let h = start(fixture()).await;
    let [_, body, ..] = documented_bodies();
    let job_id = h.post(Taurusdb, &restore_path(), body).await.body["job_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let j = h
        .get(Taurusdb, &format!("/v3/{PID}/jobs?id={job_id}"))
        .await
        .body["job"]
        .clone();
    assert_eq!(j["status"], "Running");
    assert_eq!(j["name"], "RestoreOldInstance");
    assert_eq!(
        j["entities"]["resource_ids"][0],
        json!(format!("{TARGET}.vm"))
    );
    let inst = h
        .get(Taurusdb, &format!("/v3/{PID}/instances/{TARGET}"))
        .await;
    assert_eq!(inst.body["instance"]["status"], "RESTORING");
    assert_eq!(inst.body["instance"]["datastore"]["type"], "gaussdb-mysql");
    h.advance(300);
    let j = h
        .get(Taurusdb, &format!("/mysql/v3/{PID}/jobs?id={job_id}"))
        .await
        .body["job"]
        .clone();
    assert_eq!(j["status"], "Completed");
    assert_eq!(j["ended"], "2025-05-21T12:05:00+0000");
    let inst = h
        .get(Taurusdb, &format!("/mysql/v3/{PID}/instances/{TARGET}"))
        .await;
    assert_eq!(inst.body["instance"]["status"], "ACTIVE");
}

#[tokio::test]
async fn an_injected_failure_ends_the_job_failed() {
    let h = start(fixture()).await;
    h.fail_jobs("Restoration failed.");
    let [body, ..] = documented_bodies();
    let job_id = h.post(Taurusdb, &restore_path(), body).await.body["job_id"]
        .as_str()
        .expect("id")
        .to_owned();
    h.advance(300);
    let j = h
        .get(Taurusdb, &format!("/v3/{PID}/jobs?id={job_id}"))
        .await
        .body["job"]
        .clone();
    assert_eq!(j["status"], "Failed");
    assert_eq!(j["fail_reason"], "Restoration failed.");
    assert_eq!(
        h.get(Taurusdb, &format!("/v3/{PID}/instances/{TARGET}"))
            .await
            .body["instance"]["status"],
        "FAILED"
    );
}

#[tokio::test]
async fn an_unknown_instance_is_404_dbs_200002() {
    let h = start(fixture()).await;
    let [mut body, ..] = documented_bodies();
    body["target_instance_id"] = json!("00000000000000000000000000000000in07");
    assert_dbs_error(
        &h.post(Taurusdb, &restore_path(), body).await,
        404,
        "DBS.200002",
    );
    assert_dbs_error(
        &h.get(Taurusdb, &format!("/v3/{PID}/instances/nopein07"))
            .await,
        404,
        "DBS.200002",
    );
}

#[tokio::test]
async fn a_busy_instance_is_409_dbs_200019() {
    let h = start(fixture()).await;
    let [first, second, ..] = documented_bodies();
    assert_eq!(h.post(Taurusdb, &restore_path(), first).await.status, 202);
    assert_dbs_error(
        &h.post(Taurusdb, &restore_path(), second).await,
        409,
        "DBS.200019",
    );
}

#[tokio::test]
async fn a_time_outside_the_window_is_400() {
    let h = start(fixture()).await;
    let [_, mut body, ..] = documented_bodies();
    body["restore_time"] = json!(1_600_000_000_000_i64);
    let r = h.post(Taurusdb, &restore_path(), body).await;
    assert_dbs_error(&r, 400, "DBS.200001");
    assert!(
        r.body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("restorable time range"))
    );
}

#[tokio::test]
async fn a_backup_that_has_not_completed_is_refused() {
    let mut world = fixture();
    world
        .taurusdb
        .backups
        .get_mut("7ffbf305376b4cbea0ae491257b6aaf9br07")
        .expect("backup")
        .status = "BUILDING".into();
    let h = start(world).await;
    let [body, ..] = documented_bodies();
    assert_dbs_error(
        &h.post(Taurusdb, &restore_path(), body).await,
        400,
        "DBS.280214",
    );
}

#[tokio::test]
async fn type_backup_id_and_restore_time_must_agree() {
    let h = start(fixture()).await;
    for body in [
        json!({"target_instance_id": TARGET, "source_instance_id": SOURCE, "backup_id": "7ffbf305376b4cbea0ae491257b6aaf9br07"}),
        json!({"target_instance_id": TARGET, "source_instance_id": SOURCE, "type": "backup", "restore_time": 1_673_852_043_000_i64}),
        json!({"target_instance_id": TARGET, "source_instance_id": SOURCE, "type": "timestamp", "backup_id": "7ffbf305376b4cbea0ae491257b6aaf9br07"}),
    ] {
        assert_dbs_error(
            &h.post(Taurusdb, &restore_path(), body).await,
            400,
            "DBS.200001",
        );
    }
    assert!(h.sim.submissions().is_empty());
}

#[tokio::test]
async fn restore_times_and_backups_have_the_documented_shapes() {
    let h = start(fixture()).await;
    let r = h
        .get(
            Taurusdb,
            &format!("/v3/{PID}/instances/{SOURCE}/restore-time"),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"restore_times": [{"start_time": 1_673_740_800_000_i64, "end_time": 1_673_913_600_000_i64}]})
    );
    let r = h
        .get(Taurusdb, &format!("/v3/{PID}/backups?instance_id={SOURCE}"))
        .await;
    assert_eq!(r.body["total_count"], 2);
    let b = &r.body["backups"][0];
    assert_eq!(b["id"], "7ffbf305376b4cbea0ae491257b6aaf9br07");
    assert_eq!(b["status"], "COMPLETED");
    assert_eq!(b["datastore"]["type"], "gaussdb-mysql");
    assert_eq!(b["take_up_time"], 10);
    let r = h
        .get(
            Taurusdb,
            &format!("/v3/{PID}/backups?instance_id={SOURCE}&backup_type=manual"),
        )
        .await;
    assert_eq!(r.body["total_count"], 1);
}
