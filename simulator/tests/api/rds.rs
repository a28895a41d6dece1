//! RDS: the documented recovery request, job lifecycle, queries and every precondition error.

use rewind_sim::Service::Rds;
use serde_json::{Value, json};

use crate::util::{PID, assert_dbs_error, fixture, start, verbatim};

pub(crate) const INST: &str = "d8e6ca5a624745bcb546a227aa3ae1cfin01";

/// The request from otc-api.md §2.1, verbatim.
pub(crate) fn documented_body() -> Value {
    verbatim(
        r#"{"source": {"instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01", "type": "timestamp", "restore_time": 1532001446987},
 "target": {"instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01"}}"#,
    )
}

pub(crate) fn recovery(version: &str) -> String {
    format!("/{version}/{PID}/instances/recovery")
}

#[tokio::test]
async fn documented_recovery_answers_200_on_v3_and_202_on_v3_1() {
    let h = start(fixture()).await;
    let r = h.post(Rds, &recovery("v3"), documented_body()).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let job_id = r.body["job_id"].as_str().expect("job_id");
    assert_eq!(job_id.len(), 32);
    assert_eq!(r.body.as_object().map(serde_json::Map::len), Some(1));

    h.advance(301);
    let r = h.post(Rds, &recovery("v3.1"), documented_body()).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    assert!(r.body["job_id"].is_string());
    assert_eq!(h.sim.submissions().get(INST), Some(&2));
}

#[tokio::test]
async fn a_job_runs_to_completed_and_the_instance_back_to_active() {
    let h = start(fixture()).await;
    let job_id = h.post(Rds, &recovery("v3"), documented_body()).await.body["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();
    let job = h.get(Rds, &format!("/v3/{PID}/jobs?id={job_id}")).await;
    assert_eq!(job.status, 200, "{}", job.raw);
    let j = &job.body["job"];
    assert_eq!(j["id"], job_id.as_str());
    assert_eq!(j["status"], "Running");
    assert_eq!(j["process"], "0%");
    assert_eq!(j["instance"]["id"], INST);
    assert_eq!(j["instance"]["name"], "orders-mysql");
    assert_eq!(j["created"], "2025-05-21T12:00:00+0000");
    assert_eq!(j["entities"]["instance"]["datastore"]["type"], "MySQL");
    let inst = h.get(Rds, &format!("/v3/{PID}/instances?id={INST}")).await;
    assert_eq!(inst.body["instances"][0]["status"], "RESTORING");
    assert_eq!(inst.body["total_count"], 1);

    h.advance(150);
    let j = h
        .get(Rds, &format!("/v3/{PID}/jobs?id={job_id}"))
        .await
        .body["job"]
        .clone();
    assert_eq!(j["process"], "50%");

    h.advance(150);
    let j = h
        .get(Rds, &format!("/v3/{PID}/jobs?id={job_id}"))
        .await
        .body["job"]
        .clone();
    assert_eq!(j["status"], "Completed");
    assert_eq!(j["process"], "");
    assert_eq!(j["ended"], "2025-05-21T12:05:00+0000");
    assert!(j.get("fail_reason").is_none());
    let inst = h.get(Rds, &format!("/v3/{PID}/instances?id={INST}")).await;
    assert_eq!(inst.body["instances"][0]["status"], "ACTIVE");
    let last = h.sim.world_snapshot().rds.instances[INST]
        .last_restore
        .clone()
        .expect("restored");
    assert_eq!(last.restore_time, Some(1_532_001_446_987));
}

#[tokio::test]
async fn an_injected_failure_ends_the_job_failed_with_a_reason() {
    let h = start(fixture()).await;
    h.fail_jobs("createVM failed.");
    let job_id = h.post(Rds, &recovery("v3"), documented_body()).await.body["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();
    h.advance(300);
    let j = h
        .get(Rds, &format!("/v3/{PID}/jobs?id={job_id}"))
        .await
        .body["job"]
        .clone();
    assert_eq!(j["status"], "Failed");
    assert_eq!(j["fail_reason"], "createVM failed.");
    let inst = h.get(Rds, &format!("/v3/{PID}/instances?id={INST}")).await;
    assert_eq!(inst.body["instances"][0]["status"], "FAILED");
}

#[tokio::test]
async fn an_unknown_job_is_dbs_200543() {
    let h = start(fixture()).await;
    let r = h
        .get(
            Rds,
            &format!("/v3/{PID}/jobs?id=ff80808157127d9301571bf8160c001d"),
        )
        .await;
    assert_dbs_error(&r, 400, "DBS.200543");
}

#[tokio::test]
async fn an_unknown_instance_is_404_dbs_200002() {
    let h = start(fixture()).await;
    let mut body = documented_body();
    body["target"]["instance_id"] = json!("00000000000000000000000000000000in01");
    let r = h.post(Rds, &recovery("v3"), body).await;
    assert_dbs_error(&r, 404, "DBS.200002");
    let r = h
        .get(Rds, &format!("/v3/{PID}/instances/nopein01/restore-time"))
        .await;
    assert_dbs_error(&r, 404, "DBS.200002");
    assert!(h.sim.submissions().is_empty());
}

#[tokio::test]
async fn a_busy_instance_is_409_dbs_200019() {
    let mut world = fixture();
    world.rds.instances.get_mut(INST).expect("instance").status = "BACKING UP".into();
    let h = start(world).await;
    let r = h.post(Rds, &recovery("v3"), documented_body()).await;
    assert_dbs_error(&r, 409, "DBS.200019");
}

#[tokio::test]
async fn a_second_restore_while_the_first_runs_is_409() {
    let h = start(fixture()).await;
    assert_eq!(
        h.post(Rds, &recovery("v3"), documented_body()).await.status,
        200
    );
    let r = h.post(Rds, &recovery("v3"), documented_body()).await;
    assert_dbs_error(&r, 409, "DBS.200019");
    assert_eq!(h.sim.submissions().get(INST), Some(&1));
}

#[tokio::test]
async fn a_time_outside_the_window_is_400() {
    let h = start(fixture()).await;
    let mut body = documented_body();
    body["source"]["restore_time"] = json!(1_532_742_139_001_i64);
    let r = h.post(Rds, &recovery("v3"), body).await;
    assert_dbs_error(&r, 400, "RDS.3029");
}

#[tokio::test]
async fn a_backup_that_has_not_completed_is_refused() {
    let mut world = fixture();
    world
        .rds
        .backups
        .get_mut("43e4feaab48f11e89039fa163ebaa7e4br01")
        .expect("backup")
        .status = "BUILDING".into();
    let h = start(world).await;
    let body = json!({"source": {"instance_id": INST, "type": "backup", "backup_id": "43e4feaab48f11e89039fa163ebaa7e4br01"},
                      "target": {"instance_id": INST}});
    let r = h.post(Rds, &recovery("v3"), body).await;
    assert_dbs_error(&r, 400, "DBS.280214");
    assert!(
        r.body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("BUILDING"))
    );
}

#[tokio::test]
async fn a_completed_backup_restores_and_an_unknown_one_is_404() {
    let h = start(fixture()).await;
    let body = json!({"source": {"instance_id": INST, "type": "backup", "backup_id": "43e4feaab48f11e89039fa163ebaa7e4br01"},
                      "target": {"instance_id": INST}});
    assert_eq!(h.post(Rds, &recovery("v3"), body).await.status, 200);
    h.advance(300);
    let body = json!({"source": {"instance_id": INST, "backup_id": "nosuchbr01"}, "target": {"instance_id": INST}});
    assert_dbs_error(&h.post(Rds, &recovery("v3"), body).await, 404, "DBS.201010");
}

#[tokio::test]
async fn type_backup_id_and_restore_time_must_agree() {
    let h = start(fixture()).await;
    for source in [
        json!({"instance_id": INST, "type": "backup", "restore_time": 1_532_001_446_987_i64}),
        json!({"instance_id": INST, "type": "timestamp", "backup_id": "43e4feaab48f11e89039fa163ebaa7e4br01"}),
        json!({"instance_id": INST, "type": "timestamp", "restore_time": 1_532_001_446_987_i64, "backup_id": "x"}),
        json!({"instance_id": INST, "restore_time": 1_532_001_446_987_i64}),
        json!({"instance_id": INST, "type": "timestamp", "restore_time": "yesterday"}),
    ] {
        let r = h
            .post(
                Rds,
                &recovery("v3"),
                json!({"source": source, "target": {"instance_id": INST}}),
            )
            .await;
        assert_dbs_error(&r, 400, "DBS.200001");
    }
    let r = h
        .post(
            Rds,
            &recovery("v3"),
            json!({"source": {"instance_id": INST}}),
        )
        .await;
    assert_dbs_error(&r, 400, "DBS.200001");
    assert!(h.sim.submissions().is_empty());
}

#[tokio::test]
async fn restore_time_and_backups_have_the_documented_shapes() {
    let h = start(fixture()).await;
    let r = h
        .get(Rds, &format!("/v3/{PID}/instances/{INST}/restore-time"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"restore_time": [{"start_time": 1_532_001_446_987_i64, "end_time": 1_532_742_139_000_i64}]})
    );
    let r = h
        .get(
            Rds,
            &format!("/v3/{PID}/instances/{INST}/restore-time?date=2018-07-20"),
        )
        .await;
    assert_eq!(
        r.body["restore_time"][0]["start_time"],
        1_532_044_800_000_i64
    );
    assert_eq!(r.body["restore_time"][0]["end_time"], 1_532_131_199_999_i64);

    let r = h
        .get(Rds, &format!("/v3/{PID}/backups?instance_id={INST}"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["total_count"], 1);
    let b = &r.body["backups"][0];
    assert_eq!(b["id"], "43e4feaab48f11e89039fa163ebaa7e4br01");
    assert_eq!(b["status"], "COMPLETED");
    assert_eq!(b["type"], "auto");
    assert_eq!(b["begin_time"], "2018-07-20T02:00:00+0000");
    assert_eq!(b["datastore"]["type"], "MySQL");
    let r = h.get(Rds, &format!("/v3/{PID}/backups")).await;
    assert_dbs_error(&r, 400, "DBS.200001");
    let r = h.get(Rds, &format!("/v3/{PID}/instances?limit=101")).await;
    assert_dbs_error(&r, 400, "DBS.200001");
}

#[tokio::test]
async fn the_instant_task_list_keeps_a_finished_restore_in_the_documented_form() {
    let h = start(fixture()).await;
    let job_id = h.post(Rds, &recovery("v3"), documented_body()).await.body["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();
    h.advance(301);
    let list = |q: String| {
        let h = &h;
        async move { h.get(Rds, &format!("/v3/{PID}/tasklist?{q}")).await }
    };
    let all = list(format!("instance_id={INST}")).await;
    assert_eq!(all.status, 200, "{}", all.raw);
    assert_eq!(all.body["total_count"], 1);
    assert_eq!(all.body["actions"], json!(["RestoreMysqlInInstance"]));
    let t = &all.body["tasks"][0];
    assert_eq!(t["id"], job_id.as_str());
    assert_eq!(t["status"], "Completed");
    assert_eq!(t["process"], "");
    assert_eq!(t["create_time"], "2025-05-21T12:00:00+0000");
    assert_eq!(t["end_time"], "2025-05-21T12:05:00+0000");
    assert_eq!(t["instance_status"], "ACTIVE");
    assert!(
        t.get("created").is_none() && t.get("fail_reason").is_none(),
        "{t}"
    );
    // Offset counts items from 0: offset 1 skips the only task, the total stays.
    let skipped = list(format!("instance_id={INST}&offset=1")).await;
    assert_eq!(skipped.body["tasks"], json!([]));
    assert_eq!(skipped.body["total_count"], 1);
    let by_name = list("name=RestoreMysqlInInstance".to_owned()).await;
    assert_eq!(by_name.body["total_count"], 1);
    let other = list("name=CreateMysqlInstance".to_owned()).await;
    assert_eq!(other.body["total_count"], 0);
    let later = list("start_time=1747829101000".to_owned()).await;
    assert_eq!(
        later.body["total_count"], 0,
        "created before start_time: {}",
        later.raw
    );
    assert_eq!(list("limit=51".to_owned()).await.status, 400);
}
