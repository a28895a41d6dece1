//! DDM: both documented restores, their lifecycles, the planning queries and every
//! precondition error, including metadata restore before the data nodes' PITR.

use rewind_sim::Service::{Ddm, Rds};
use serde_json::{Value, json};

use crate::util::{PID, assert_ddm_error, fixture, start, verbatim};

pub(crate) const PATH_ID: &str = "1f5c9fd6cd984056ba89c8c87cc03278in09";
pub(crate) const SOURCE: &str = "733c7e8d73a54c27b8308ec784a8be8cin09";
pub(crate) const TARGET: &str = "2f0324a93859487eb5566d75951fcd2din09";
pub(crate) const SOURCE_DN: &str = "7edae0250ebc464897bd92b8d3e8b769in01";
pub(crate) const TARGET_DN: &str = "f4e2949e9b9b4d60b42c89ed39bfe34cin01";

/// Seed 1, verbatim.
pub(crate) fn recovery_body() -> Value {
    verbatim(
        r#"{
  "source": {
    "instance_id": "733c7e8d73a54c27b8308ec784a8be8cin09",
    "restore_time": 1747732352076
  },
  "target": {
    "instance_id": "2f0324a93859487eb5566d75951fcd2din09"
  },
  "data_node_relations": [
    {
      "source_instance_id": "7edae0250ebc464897bd92b8d3e8b769in01",
      "target_instance_id": "f4e2949e9b9b4d60b42c89ed39bfe34cin01"
    }
  ]
}"#,
    )
}

/// Seed 2, verbatim.
pub(crate) fn metadata_body() -> Value {
    verbatim(
        r#"{
  "source": {
    "backup_id": "defa45b24d314e878fde930a61732e9dbr09"
  },
  "target": {
    "instance_id": "2f0324a93859487eb5566d75951fcd2din09",
    "data_nodes": [
      "f4e2949e9b9b4d60b42c89ed39bfe34cin01"
    ]
  }
}"#,
    )
}

pub(crate) fn recovery_path(id: &str) -> String {
    format!("/v3/{PID}/instances/{id}/backups/recovery")
}

pub(crate) fn metadata_path(id: &str) -> String {
    format!("/v3/{PID}/instances/{id}/backups/metadata-recovery")
}

#[tokio::test]
async fn documented_restore_to_new_runs_to_completed() {
    let h = start(fixture()).await;
    let r = h.post(Ddm, &recovery_path(PATH_ID), recovery_body()).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    let job_id = r.body["job_id"].as_str().expect("job_id").to_owned();
    assert_eq!(job_id.len(), 32);

    let job = h.get(Ddm, &format!("/v3/{PID}/jobs/{job_id}")).await;
    assert_eq!(job.status, 200, "{}", job.raw);
    let j = &job.body["job"];
    assert_eq!(j["status"], "Running");
    assert_eq!(j["name"], "RestoreInstance");
    assert_eq!(j["process"], "0%");
    assert_eq!(j["instance"]["id"], TARGET);
    assert_eq!(j["created_time"], "2025-05-21T12:00:00+0000");
    let inst = h.get(Ddm, &format!("/v1/{PID}/instances/{TARGET}")).await;
    assert_eq!(inst.body["status"], "RESTORE");
    let dn = h
        .get(Rds, &format!("/v3/{PID}/instances?id={TARGET_DN}"))
        .await;
    assert_eq!(dn.body["instances"][0]["status"], "RESTORING");

    h.advance(60);
    assert_eq!(
        h.get(Ddm, &format!("/v3/{PID}/jobs/{job_id}")).await.body["job"]["process"],
        "50%"
    );
    h.advance(60);
    let j = h.get(Ddm, &format!("/v3/{PID}/jobs/{job_id}")).await.body["job"].clone();
    assert_eq!(j["status"], "Completed");
    assert_eq!(j["process"], "");
    assert_eq!(j["end_time"], "2025-05-21T12:02:00+0000");
    let inst = h.get(Ddm, &format!("/v1/{PID}/instances/{TARGET}")).await;
    assert_eq!(inst.body["status"], "RUNNING");
    let dn = h
        .get(Rds, &format!("/v3/{PID}/instances?id={TARGET_DN}"))
        .await;
    assert_eq!(dn.body["instances"][0]["status"], "ACTIVE");
    let world = h.sim.world_snapshot();
    assert_eq!(
        world.ddm.instances[TARGET].data_nodes,
        vec![TARGET_DN.to_owned()]
    );
    assert_eq!(
        world.ddm.instances[TARGET].schemas,
        vec!["orders".to_owned()]
    );
    assert_eq!(h.sim.submissions().get(TARGET), Some(&1));
}

#[tokio::test]
async fn the_jobs_list_filters_by_time() {
    let h = start(fixture()).await;
    let job_id = h
        .post(Ddm, &recovery_path(PATH_ID), recovery_body())
        .await
        .body["job_id"]
        .clone();
    let now = 1_747_828_800_000_i64;
    let r = h
        .get(
            Ddm,
            &format!(
                "/v3/{PID}/jobs?start_time={}&end_time={}",
                now - 1000,
                now + 1000
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["offset"], 0);
    assert_eq!(r.body["limit"], 10);
    let item = &r.body["jobs"][0];
    assert_eq!(item["id"], job_id);
    assert_eq!(item["instance_id"], TARGET);
    assert_eq!(item["status"], "Running");
    assert!(item["operations"].is_array());
    let r = h
        .get(
            Ddm,
            &format!(
                "/v3/{PID}/jobs?start_time={}&end_time={}",
                now + 1,
                now + 1000
            ),
        )
        .await;
    assert_eq!(r.body["total"], 0);
    assert_eq!(r.body["jobs"], json!([]));
    let r = h
        .get(Ddm, &format!("/v3/{PID}/jobs?start_time={now}"))
        .await;
    assert_ddm_error(&r, 400, "DBS.280001");
}

#[tokio::test]
async fn documented_metadata_restore_runs_to_completed() {
    let h = start(fixture()).await;
    let r = h.post(Ddm, &metadata_path(PATH_ID), metadata_body()).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    let job_id = r.body["job_id"].as_str().expect("job_id").to_owned();
    assert_eq!(
        h.get(Ddm, &format!("/v1/{PID}/instances/{TARGET}"))
            .await
            .body["status"],
        "RESTORE"
    );
    h.advance(90);
    let j = h.get(Ddm, &format!("/v3/{PID}/jobs/{job_id}")).await.body["job"].clone();
    assert_eq!(j["status"], "Completed");
    assert_eq!(
        h.get(Ddm, &format!("/v1/{PID}/instances/{TARGET}"))
            .await
            .body["status"],
        "RUNNING"
    );
    let world = h.sim.world_snapshot();
    assert_eq!(
        world.ddm.instances[TARGET].data_nodes,
        vec![TARGET_DN.to_owned()]
    );
    assert_eq!(
        world.ddm.instances[TARGET].schemas,
        vec!["legacy".to_owned()]
    );
}

#[tokio::test]
async fn an_injected_failure_ends_the_job_failed() {
    let h = start(fixture()).await;
    h.fail_jobs("Restoring DB instance data failed.");
    let job_id = h
        .post(Ddm, &recovery_path(PATH_ID), recovery_body())
        .await
        .body["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();
    h.advance(120);
    let j = h.get(Ddm, &format!("/v3/{PID}/jobs/{job_id}")).await.body["job"].clone();
    assert_eq!(j["status"], "Failed");
    assert_eq!(j["fail_reason"], "Restoring DB instance data failed.");
    assert_eq!(
        h.get(Ddm, &format!("/v1/{PID}/instances/{TARGET}"))
            .await
            .body["status"],
        "ERROR"
    );
}

/// The scenario rewind exists for: RDS PITR of the data node first, then metadata restore
/// at the same time point.
#[tokio::test]
async fn metadata_restore_waits_for_the_data_nodes_pitr() {
    let mut world = fixture();
    world
        .rds
        .instances
        .get_mut(TARGET_DN)
        .expect("dn")
        .last_restore = None;
    let h = start(world).await;
    let t = 1_747_732_352_076_i64;
    let meta = json!({"source": {"restore_time": t},
                      "target": {"instance_id": TARGET, "data_nodes": [TARGET_DN]}});
    // No PITR yet.
    let r = h.post(Ddm, &metadata_path(SOURCE), meta.clone()).await;
    assert_ddm_error(&r, 400, "DBS.300323");

    let pitr = json!({"source": {"instance_id": SOURCE_DN, "type": "timestamp", "restore_time": t},
                      "target": {"instance_id": TARGET_DN}});
    assert_eq!(
        h.post(Rds, &format!("/v3.1/{PID}/instances/recovery"), pitr)
            .await
            .status,
        202
    );
    // PITR still running.
    let r = h.post(Ddm, &metadata_path(SOURCE), meta.clone()).await;
    assert_ddm_error(&r, 400, "DBS.300323");
    h.advance(300);
    // PITR done, but to another time point than the metadata restore asks for.
    let mut other = meta.clone();
    other["source"]["restore_time"] = json!(t + 1000);
    assert_ddm_error(
        &h.post(Ddm, &metadata_path(SOURCE), other).await,
        400,
        "DBS.300323",
    );
    let r = h.post(Ddm, &metadata_path(SOURCE), meta).await;
    assert_eq!(r.status, 202, "{}", r.raw);
}

#[tokio::test]
async fn an_unknown_instance_is_404_dbs_200002() {
    let h = start(fixture()).await;
    let r = h
        .post(
            Ddm,
            &recovery_path("00000000000000000000000000000000in09"),
            recovery_body(),
        )
        .await;
    assert_ddm_error(&r, 404, "DBS.200002");
    let mut body = recovery_body();
    body["target"]["instance_id"] = json!("nopein09");
    assert_ddm_error(
        &h.post(Ddm, &recovery_path(PATH_ID), body).await,
        404,
        "DBS.200002",
    );
    assert_ddm_error(
        &h.get(Ddm, &format!("/v1/{PID}/instances/nopein09")).await,
        404,
        "DBS.200002",
    );
}

#[tokio::test]
async fn a_busy_target_is_409_dbs_200019() {
    let mut world = fixture();
    world.ddm.instances.get_mut(TARGET).expect("target").status = "BACKUP".into();
    let h = start(world).await;
    assert_ddm_error(
        &h.post(Ddm, &recovery_path(PATH_ID), recovery_body()).await,
        409,
        "DBS.200019",
    );
    assert_ddm_error(
        &h.post(Ddm, &metadata_path(PATH_ID), metadata_body()).await,
        409,
        "DBS.200019",
    );
}

#[tokio::test]
async fn a_time_outside_the_window_is_dbs_300377() {
    let h = start(fixture()).await;
    let mut body = recovery_body();
    body["source"]["restore_time"] = json!(1_747_828_800_000_i64);
    assert_ddm_error(
        &h.post(Ddm, &recovery_path(PATH_ID), body).await,
        400,
        "DBS.300377",
    );
}

#[tokio::test]
async fn a_target_that_is_not_empty_is_refused() {
    let mut world = fixture();
    world.ddm.instances.get_mut(TARGET).expect("target").schemas = vec!["leftover".into()];
    let h = start(world).await;
    let r = h.post(Ddm, &recovery_path(PATH_ID), recovery_body()).await;
    assert_ddm_error(&r, 400, "DBS.280001");
    assert!(
        r.body["externalMessage"]
            .as_str()
            .is_some_and(|m| m.contains("schemas")),
        "{}",
        r.raw
    );
    let r = h.post(Ddm, &metadata_path(PATH_ID), metadata_body()).await;
    assert_ddm_error(&r, 400, "DBS.280001");
    assert!(h.sim.submissions().is_empty());
}

#[tokio::test]
async fn metadata_source_needs_exactly_one_of_time_and_backup() {
    let h = start(fixture()).await;
    for source in [
        json!({}),
        json!({"backup_id": "defa45b24d314e878fde930a61732e9dbr09", "restore_time": 1_747_732_352_076_i64}),
    ] {
        let body =
            json!({"source": source, "target": {"instance_id": TARGET, "data_nodes": [TARGET_DN]}});
        assert_ddm_error(
            &h.post(Ddm, &metadata_path(PATH_ID), body).await,
            400,
            "DBS.280001",
        );
    }
}

#[tokio::test]
async fn a_metadata_backup_that_has_not_completed_is_refused() {
    let mut world = fixture();
    world
        .ddm
        .backups
        .get_mut("defa45b24d314e878fde930a61732e9dbr09")
        .expect("backup")
        .status = "creating".into();
    let h = start(world).await;
    let r = h.post(Ddm, &metadata_path(PATH_ID), metadata_body()).await;
    assert_ddm_error(&r, 400, "DBS.280001");
    assert!(
        r.body["externalMessage"]
            .as_str()
            .is_some_and(|m| m.contains("creating"))
    );
}

#[tokio::test]
async fn relations_must_cover_every_source_data_node() {
    let h = start(fixture()).await;
    let mut body = recovery_body();
    body["data_node_relations"] = json!([]);
    assert_ddm_error(
        &h.post(Ddm, &recovery_path(PATH_ID), body.clone()).await,
        400,
        "DBS.280001",
    );
    body["data_node_relations"] = json!([{"source_instance_id": "41c239a1e9bd4cd2aabd678bab45a886in01", "target_instance_id": TARGET_DN}]);
    assert_ddm_error(
        &h.post(Ddm, &recovery_path(PATH_ID), body.clone()).await,
        400,
        "DBS.280001",
    );
    body["data_node_relations"] =
        json!([{"source_instance_id": SOURCE_DN, "target_instance_id": "nosuchin01"}]);
    assert_ddm_error(
        &h.post(Ddm, &recovery_path(PATH_ID), body.clone()).await,
        400,
        "DBS.300103",
    );
    // A target data node already serving another DDM instance.
    body["data_node_relations"] = json!([{"source_instance_id": SOURCE_DN, "target_instance_id": "41c239a1e9bd4cd2aabd678bab45a886in01"}]);
    assert_ddm_error(
        &h.post(Ddm, &recovery_path(PATH_ID), body).await,
        400,
        "DBS.300110",
    );
}

#[tokio::test]
async fn planning_queries_have_the_documented_shapes() {
    let h = start(fixture()).await;
    let base = format!("/v3/{PID}/instances/{SOURCE}/backups");
    let r = h
        .get(Ddm, &format!("{base}/restorable-time-interval"))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({"restorable_time_intervals": [{"start_time": "2025-05-20T00:00:00+0000", "end_time": "2025-05-21T11:15:43+0000"}],
                              "offset": 0, "limit": 10, "total": 1})
    );

    let r = h.get(Ddm, &format!("{base}/restorable-instances")).await;
    assert_eq!(r.body["total"], 2);
    let items = r.body["instances"].as_array().expect("instances").clone();
    let target = items
        .iter()
        .find(|i| i["instance_id"] == TARGET)
        .expect("target listed");
    assert_eq!(target["available"], true);
    assert_eq!(target["unavailable_reason"], "");
    assert_eq!(target["status"], "normal");
    let legacy = items
        .iter()
        .find(|i| i["instance_id"] == PATH_ID)
        .expect("legacy listed");
    assert_eq!(legacy["available"], false);
    assert!(items.iter().all(|i| i["instance_id"] != SOURCE));

    let r = h
        .get(
            Ddm,
            &format!("{base}/related-dn?restore_time=1747732352076"),
        )
        .await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["latest_restorable_time"], "2025-05-21T11:15:43+0000");
    let dn = &r.body["related_data_nodes"][0];
    assert_eq!(dn["instance_id"], SOURCE_DN);
    assert_eq!(dn["engine_name"], "mysql");
    assert_eq!(dn["instance_status"], "normal");
    assert_ddm_error(
        &h.get(Ddm, &format!("{base}/related-dn")).await,
        400,
        "DBS.280001",
    );

    let r = h.get(Ddm, &format!("{base}/restorable-data-node?source_dn_instance_id={SOURCE_DN}&target_instance_id={TARGET}&restore_time=1747732352076")).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let nodes = r.body["target_data_nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    let free = nodes
        .iter()
        .find(|n| n["instance_id"] == TARGET_DN)
        .expect("free node");
    assert_eq!(free["available"], true);
    let taken = nodes
        .iter()
        .find(|n| n["instance_id"] == "41c239a1e9bd4cd2aabd678bab45a886in01")
        .expect("taken node");
    assert_eq!(taken["available"], false);
    assert_eq!(
        taken["unavailable_reason"],
        "The DN is associated with other instances."
    );
    assert_ddm_error(
        &h.get(
            Ddm,
            &format!("{base}/restorable-data-node?target_instance_id={TARGET}"),
        )
        .await,
        400,
        "DBS.280001",
    );
    assert_ddm_error(
        &h.get(Ddm, &format!("{base}/restorable-instances?limit=129"))
            .await,
        400,
        "DBS.280001",
    );

    let r = h.get(Ddm, &format!("/v3/{PID}/backups")).await;
    assert_eq!(r.body["total"], 1);
    let b = &r.body["backups"][0];
    assert_eq!(b["id"], "defa45b24d314e878fde930a61732e9dbr09");
    assert_eq!(b["status"], "normal");
    assert_eq!(b["backup_type"], "auto_metadata");
    assert_eq!(b["instance_id"], PATH_ID);
    let r = h
        .get(
            Ddm,
            &format!("/v3/{PID}/instances/{PATH_ID}/backups/defa45b24d314e878fde930a61732e9dbr09"),
        )
        .await;
    assert_eq!(
        r.body["related_data_nodes"][0]["instance_id"],
        "41c239a1e9bd4cd2aabd678bab45a886in01"
    );

    let r = h.get(Ddm, &format!("/v1/{PID}/instances/{SOURCE}")).await;
    assert_eq!(r.body["status"], "RUNNING");
    assert_eq!(r.body["id"], SOURCE);
    assert!(r.body["nodes"].is_array());
}
