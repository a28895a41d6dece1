//! DDS: restores to a new and the original instance, collection PITR, jobs, queries, deletes.

use std::collections::BTreeMap;

use reqwest::Method;
use rewind_sim::Service::Dds;
use rewind_sim::{Address, DdsBackup, DdsInstance, Window, World};
use serde_json::{Value, json};

use crate::util::{Harness, PID, assert_dbs_error, fixture, start, verbatim};

/// The instance of the recovery page's examples, a 4.0 replica set.
pub(crate) const REPLICA: &str = "d8e6ca5a624745bcb546a227aa3ae1cfin02";
/// The instance of the collections, restore-time and PITR-to-new examples.
pub(crate) const PITR: &str = "d5833c2854a4486cb7960f829269e211in02";
const SINGLE: &str = "520c58ba00a3497e97ce0b9604874dd6in02";
const OLD_CLUSTER: &str = "39b6a1a278844ac48119d86512e0000bin02";
const RECOVERY_BACKUP: &str = "2f4ddb93-b901-4b08-93d8-1d2e472f30fe";
const NEW_BACKUP: &str = "8f643d252d834a4c916b2db4322f99552734";
const PASSWORD: &str = "Test#%0_";

fn win(start: i64, end: i64) -> Window {
    Window { start, end }
}

pub(crate) fn world() -> World {
    let mut w = fixture();
    let dbs = BTreeMap::from([("test".to_owned(), vec!["test".to_owned()])]);
    let instances = [
        (
            REPLICA,
            "orders-mongo",
            "ReplicaSet",
            "4.0",
            vec![win(1_532_001_000_000, 1_532_742_139_000)],
        ),
        (
            PITR,
            "dds-pitr",
            "ReplicaSet",
            "4.0",
            // The restore-time page's three ranges on 2020-12-12, and the day before.
            vec![
                win(1_607_644_800_000, 1_607_731_199_999),
                win(1_607_731_200_000, 1_607_756_414_000),
                win(1_607_756_825_000, 1_607_761_999_000),
                win(1_607_762_943_000, 1_607_817_599_000),
            ],
        ),
        (SINGLE, "dds-single", "Single", "4.0", vec![]),
        (
            OLD_CLUSTER,
            "dds-old-cluster",
            "Sharding",
            "3.4",
            vec![win(0, 1_900_000_000_000)],
        ),
    ];
    for (id, name, mode, version, windows) in instances {
        w.dds.instances.insert(
            id.to_owned(),
            DdsInstance {
                name: name.to_owned(),
                mode: mode.to_owned(),
                version: version.to_owned(),
                restore_windows: windows,
                databases: dbs.clone(),
                ..DdsInstance::default()
            },
        );
    }
    for (id, of) in [(RECOVERY_BACKUP, REPLICA), (NEW_BACKUP, REPLICA)] {
        w.dds.backups.insert(
            id.to_owned(),
            DdsBackup {
                instance_id: of.to_owned(),
                name: "backup-test".to_owned(),
                begin_time: 1_533_552_074_000,
                end_time: 1_533_552_194_000,
                size: 2803,
                description: "backup description".to_owned(),
                ..DdsBackup::default()
            },
        );
    }
    w
}

fn path(tail: &str) -> String {
    format!("/v3/{PID}{tail}")
}

async fn job(h: &Harness, id: &str) -> Value {
    let r = h.get(Dds, &path(&format!("/jobs?id={id}"))).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["job"].clone()
}

async fn instance(h: &Harness, query: &str) -> Value {
    let r = h.get(Dds, &path(&format!("/instances?{query}"))).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body
}

pub(crate) const NEW_REPLICA: &str = r#"{
  "name": "test-replicaset",
  "availability_zone": "bbb",
  "vpc_id": "674e9b42-cd8d-4d25-a2e6-5abcc565b961",
  "subnet_id": "f1df08c5-71d1-406a-aff0-de435a51007b",
  "security_group_id": "7aa51dbf-5b63-40db-9724-dad3c4828b58",
  "password": "Test#%0_",
"restore_point": {
    "backup_id": "8f643d252d834a4c916b2db4322f99552734"
},
  "flavor": [
    {
      "type": "replica",
      "num": 1,
      "spec_code": "dds.mongodb.s2.medium.4.repset"
    }
  ],
  "backup_strategy": {
    "start_time": "23:00-00:00",
    "keep_days": "8"
  }
}"#;

const NEW_CLUSTER: &str = r#"{
  "name": "test-cluster-01",
  "availability_zone": "bbb",
  "vpc_id": "674e9b42-cd8d-4d25-a2e6-5abcc565b961",
  "subnet_id": "f1df08c5-71d1-406a-aff0-de435a51007b",
  "security_group_id": "7aa51dbf-5b63-40db-9724-dad3c4828b58",
  "password": "Test#%0_",
  "restore_point": {
    "backup_id": "8f643d252d834a4c916b2db4322f99552734"
  },
  "flavor": [{
      "type": "mongos",
      "num": 2,
      "spec_code": "dds.mongodb.c3.medium.4.mongos"
    },
    {
      "type": "shard",
      "size": "40",
      "spec_code": "dds.mongodb.c3.medium.4.shard"
    },
    {
      "type": "config",
      "num": 1,
      "size": "20",
      "spec_code": "dds.mongodb.c3.large.2.config"
    }
  ],
  "backup_strategy": {
    "start_time": "23:00-00:00",
    "keep_days": "8"
  }
}"#;

const NEW_SINGLE: &str = r#"{
  "name": "test-singlenode",
  "availability_zone": "bbb",
  "vpc_id": "674e9b42-cd8d-4d25-a2e6-5abcc565b961",
  "subnet_id": "f1df08c5-71d1-406a-aff0-de435a51007b",
  "security_group_id": "7aa51dbf-5b63-40db-9724-dad3c4828b58",
  "password": "Test#%0_",
  "restore_point": {
    "backup_id": "8f643d252d834a4c916b2db4322f99552734"
  },
  "flavor": [
    {
      "type": "single",
      "num": 1,
      "spec_code": "dds.mongodb.c3.medium.4.single"
    }
  ],
  "backup_strategy": {
    "start_time": "23:00-00:00",
    "keep_days": "8"
  }
}"#;

const NEW_PITR: &str = r#"{
  "name": "replica-liuyunj1",
  "availability_zone": "az1xahz",
  "vpc_id": "dcdadabc-efed-4518-8b34-4af66fcd97e7",
  "subnet_id": "4a9348f2-f232-4700-a440-2f1641d80960",
  "security_group_id": "c57b9db2-cccb-4c0d-b058-7ea51dda0c99",
  "flavor": [
    {
      "type": "replica",
      "num": 1,
      "size": "100",
      "spec_code": "dds.mongodb.c3.large.2.repset"
    }
  ],
  "backup_strategy": {
    "start_time": "08:00-09:00",
    "keep_days": "8"
  },
  "restore_point": {
    "instance_id": "d5833c2854a4486cb7960f829269e211in02",
    "type": "timestamp",
    "restore_time": 1607689584000
  },
  "ssl_option": "1"
}"#;

#[tokio::test]
async fn the_documented_restores_to_new_instances_are_accepted() {
    let h = start(world()).await;
    for (text, mode) in [
        (NEW_REPLICA, "ReplicaSet"),
        (NEW_CLUSTER, "Sharding"),
        (NEW_SINGLE, "Single"),
        (NEW_PITR, "ReplicaSet"),
    ] {
        let r = h.post(Dds, &path("/instances"), verbatim(text)).await;
        assert_eq!(r.status, 202, "{}", r.raw);
        let b = &r.body;
        assert_eq!(b["status"], "creating");
        assert_eq!(b["mode"], mode);
        assert_eq!(b["datastore"]["type"], "DDS-Community");
        assert_eq!(b["datastore"]["storage_engine"], "wiredTiger");
        assert_eq!(b["backup_strategy"]["keep_days"], "8");
        assert!(b["flavor"][0]["num"].is_string(), "{}", r.raw);
        assert_eq!(b["ssl_option"], "1");
        assert!(
            b["id"]
                .as_str()
                .is_some_and(|i| i.ends_with("in02") && i.len() == 36)
        );
        assert!(b["job_id"].as_str().is_some_and(|j| j.len() == 36));
        assert_eq!(b["created"], "2025-05-21 12:00:00");
    }
    assert_eq!(h.sim.creations().len(), 4);
    assert!(h.sim.creations().iter().all(|c| c.service == Dds));
    let log = serde_json::to_string(&h.sim.requests()).expect("log");
    assert!(
        !log.contains(PASSWORD),
        "the request log shows the password"
    );
    assert!(log.contains("(sensitive)"));
    for admin in ["requests", "world", "creations"] {
        let r = h.get(Dds, &format!("/_sim/{admin}")).await;
        assert!(!r.raw.contains(PASSWORD), "/_sim/{admin}");
    }
}

#[tokio::test]
async fn a_new_instance_runs_creating_to_normal_and_reports_the_mapped_address() {
    let mut world = world();
    world.new_instance_addresses.insert(
        "*".to_owned(),
        Address {
            ip: "127.0.0.1".to_owned(),
            port: 27017,
        },
    );
    let h = start(world).await;
    let r = h.post(Dds, &path("/instances"), verbatim(NEW_PITR)).await;
    let id = r.body["id"].as_str().expect("id").to_owned();
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();
    let running = job(&h, &job_id).await;
    assert_eq!(running["status"], "Running");
    assert_eq!(running["name"], "Create_MongoDB");
    assert_eq!(running["progress"], "0%");
    assert_eq!(running["fail_reason"], Value::Null);
    let listed = instance(&h, "name=replica-liuyunj1").await;
    assert_eq!(listed["total_count"], 1);
    let i = &listed["instances"][0];
    assert_eq!(i["status"], "creating");
    assert_eq!(i["port"], "27017");
    assert_eq!(i["actions"], json!(["CREATE"]));
    let primary = &i["groups"][0]["nodes"][0];
    assert_eq!(
        (primary["role"].as_str(), primary["private_ip"].as_str()),
        (Some("Primary"), Some("127.0.0.1"))
    );
    assert_eq!(i["groups"][0]["volume"]["size"], "100");
    h.advance(600);
    let done = job(&h, &job_id).await;
    assert_eq!(done["status"], "Completed");
    assert_eq!(done["progress"], "");
    let i = instance(&h, &format!("id={id}")).await["instances"][0].clone();
    assert_eq!(i["status"], "normal");
    assert_eq!(i["actions"], json!([]));
    assert_eq!(
        h.sim.world_snapshot().dds.instances[&id]
            .last_restore
            .as_ref()
            .and_then(|l| l.restore_time),
        Some(1_607_689_584_000)
    );
}

#[tokio::test]
async fn a_failed_create_ends_createfail_and_can_be_deleted() {
    let h = start(world()).await;
    h.fail_jobs("Failed to upgrade the DB Agent.");
    let r = h
        .post(Dds, &path("/instances"), verbatim(NEW_REPLICA))
        .await;
    let id = r.body["id"].as_str().expect("id").to_owned();
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();
    h.advance(600);
    let failed = job(&h, &job_id).await;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(failed["fail_reason"], "Failed to upgrade the DB Agent.");
    assert_eq!(
        instance(&h, &format!("id={id}")).await["instances"][0]["status"],
        "createfail"
    );
    h.sim.set_faults(rewind_sim::Faults::default());
    let del = h
        .call(
            Dds,
            Method::DELETE,
            &path(&format!("/instances/{id}")),
            None,
        )
        .await;
    assert_eq!(del.status, 202, "{}", del.raw);
    h.advance(60);
    assert_eq!(instance(&h, &format!("id={id}")).await["total_count"], 0);
}

#[tokio::test]
async fn the_documented_recoveries_to_the_original_instance_run() {
    let h = start(world()).await;
    let backup = verbatim(
        r#"{
  "source": {
    "instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin02",
    "type": "backup",
    "backup_id": "2f4ddb93-b901-4b08-93d8-1d2e472f30fe"
  },
  "target": {
    "instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin02"
  }
}"#,
    );
    let r = h.post(Dds, &path("/instances/recovery"), backup).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body.as_object().map(serde_json::Map::len), Some(1));
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();
    assert_eq!(job(&h, &job_id).await["name"], "Restore_MongoDB_Replica");
    let busy = instance(&h, &format!("id={REPLICA}")).await["instances"][0].clone();
    assert_eq!(busy["actions"], json!(["RESTORE"]));
    // A second restore while the first runs: another operation is in progress (403 on DDS).
    let pitr = verbatim(
        r#"{
  "source": {
    "instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin02",
    "type": "timestamp",
    "restore_time": 1532001446987
  },
  "target": {
    "instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin02"
  }
}"#,
    );
    let again = h
        .post(Dds, &path("/instances/recovery"), pitr.clone())
        .await;
    assert_dbs_error(&again, 403, "DBS.200019");
    h.advance(300);
    assert_eq!(job(&h, &job_id).await["status"], "Completed");
    let r = h.post(Dds, &path("/instances/recovery"), pitr).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(h.sim.submissions().get(REPLICA), Some(&2));
}

#[tokio::test]
async fn the_documented_collection_restores_run() {
    let h = start(world()).await;
    let url = path(&format!("/instances/{PITR}/restore/collections"));
    let db = verbatim(
        r#"{"restore_collections": [{"database": "test", "restore_database_time": 1607762955000}]}"#,
    );
    let r = h.post(Dds, &url, db).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();
    h.advance(180);
    assert_eq!(job(&h, &job_id).await["status"], "Completed");
    let coll = verbatim(
        r#"{"restore_collections": [{"database": "test", "collections": [{"old_name": "test", "new_name": "test_bak", "restore_collection_time": 1607762955000}]}]}"#,
    );
    let r = h.post(Dds, &url, coll).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    h.advance(180);
    let dbs = &h.sim.world_snapshot().dds.instances[PITR].databases;
    assert_eq!(dbs["test"], ["test", "test_bak"]);
}

#[tokio::test]
async fn every_precondition_has_its_documented_error() {
    let h = start(world()).await;
    let new = |f: &dyn Fn(&mut Value)| {
        let mut b = verbatim(NEW_PITR);
        f(&mut b);
        b
    };
    let instances = path("/instances");
    let recovery = path("/instances/recovery");
    // Unknown backup.
    let b = new(&|b| b["restore_point"] = json!({ "backup_id": "nope" }));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.201214");
    let b = json!({ "source": { "instance_id": REPLICA, "type": "backup", "backup_id": "nope" }, "target": { "instance_id": REPLICA } });
    assert_dbs_error(&h.post(Dds, &recovery, b).await, 400, "DBS.201214");
    // A backup of another instance.
    let b = json!({ "source": { "instance_id": PITR, "type": "backup", "backup_id": NEW_BACKUP }, "target": { "instance_id": PITR } });
    assert_dbs_error(&h.post(Dds, &recovery, b).await, 400, "DBS.201214");
    // Time outside every window.
    let b = new(&|b| b["restore_point"]["restore_time"] = json!(1_700_000_000_000_i64));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.280409");
    let url = path(&format!("/instances/{PITR}/restore/collections"));
    let b = json!({"restore_collections": [{"database": "test", "restore_database_time": 1_700_000_000_000_i64}]});
    assert_dbs_error(&h.post(Dds, &url, b).await, 400, "DBS.280409");
    // PITR on a single node or a 3.4 cluster; collection PITR on anything but a replica set.
    for id in [SINGLE, OLD_CLUSTER] {
        let b = new(&|b| b["restore_point"]["instance_id"] = json!(id));
        assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.280343");
        let b = json!({ "source": { "instance_id": id, "type": "timestamp", "restore_time": 1_607_689_584_000_i64 }, "target": { "instance_id": id } });
        assert_dbs_error(&h.post(Dds, &recovery, b).await, 400, "DBS.280343");
        let url = path(&format!("/instances/{id}/restore/collections"));
        let b = json!({"restore_collections": [{"database": "test", "restore_database_time": 1_607_762_955_000_i64}]});
        assert_dbs_error(&h.post(Dds, &url, b).await, 400, "DBS.280343");
        let r = h
            .get(
                Dds,
                &path(&format!("/instances/{id}/restore-time?date=2020-12-12")),
            )
            .await;
        assert_dbs_error(&r, 400, "DBS.280343");
    }
    // Unknown instances.
    let b = new(&|b| b["restore_point"]["instance_id"] = json!("nopein02"));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 404, "DBS.200002");
    let r = h
        .call(Dds, Method::DELETE, &path("/instances/nopein02"), None)
        .await;
    assert_dbs_error(&r, 404, "DBS.200002");
    // Disk smaller than the source's, not a multiple of 10, out of range.
    let mut small = world();
    small.dds.instances.get_mut(PITR).expect("pitr").volume_size = 200;
    let h2 = start(small).await;
    assert_dbs_error(
        &h2.post(Dds, &instances, verbatim(NEW_PITR)).await,
        400,
        "DBS.280266",
    );
    let b = new(&|b| b["flavor"][0]["size"] = json!("105"));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.200302");
    let b = new(&|b| b["flavor"][0]["size"] = json!("3000"));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.280242");
    // Names, node types, passwords, unknown fields, missing database.
    let b = new(&|b| b["name"] = json!("x"));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.280234");
    let b = new(&|b| b["flavor"][0]["type"] = json!("shard"));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.280327");
    let b = new(&|b| b["password"] = json!("weakpassword"));
    let r = h.post(Dds, &instances, b).await;
    assert_dbs_error(&r, 400, "DBS.200052");
    assert!(!r.raw.contains("weakpassword"));
    let b = new(&|b| b["flavor_ref"] = json!("dds"));
    assert_dbs_error(&h.post(Dds, &instances, b).await, 400, "DBS.200001");
    let b = json!({"restore_collections": [{"database": "nope", "restore_database_time": 1_607_762_955_000_i64}]});
    assert_dbs_error(&h.post(Dds, &url, b).await, 400, "DBS.200823");
    let b = json!({"restore_collections": [{"database": "test"}]});
    assert_dbs_error(&h.post(Dds, &url, b).await, 400, "DBS.200001");
    let r = h.get(Dds, &path("/jobs?id=nope")).await;
    assert_dbs_error(&r, 400, "DBS.280016");
    assert!(h.sim.creations().is_empty());
}

#[tokio::test]
async fn queries_have_the_documented_shapes() {
    let h = start(world()).await;
    let r = h
        .get(
            Dds,
            &path(&format!("/instances/{PITR}/restore-time?date=2020-12-12")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({ "restore_time": [
            { "start_time": 1_607_731_200_000_i64, "end_time": 1_607_756_414_000_i64 },
            { "start_time": 1_607_756_825_000_i64, "end_time": 1_607_761_999_000_i64 },
            { "start_time": 1_607_762_943_000_i64, "end_time": 1_607_817_599_000_i64 },
        ]})
    );
    let missing = h
        .get(Dds, &path(&format!("/instances/{PITR}/restore-time")))
        .await;
    assert_dbs_error(&missing, 400, "DBS.200001");

    let r = h
        .get(Dds, &path(&format!("/backups?instance_id={REPLICA}&offset=0&limit=10&begin_time=2018-08-06 10:41:14&end_time=2018-08-16 10:41:14")))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["total_count"], 2);
    let b = &r.body["backups"][0];
    assert_eq!(b["begin_time"], "2018-08-06 10:41:14");
    assert_eq!(
        b["datastore"],
        json!({ "type": "DDS-Community", "version": "4.0" })
    );
    assert_eq!(b["instance_name"], "orders-mongo");
    assert_eq!(b["type"], "auto");
    let auto = h.get(Dds, &path("/backups?backup_type=Auto")).await;
    assert_eq!(auto.body["total_count"], 2);

    let all = instance(&h, "").await;
    assert_eq!(all["total_count"], 4);
    let fuzzy = instance(&h, "name=*dds-").await;
    assert_eq!(fuzzy["total_count"], 3);
    let single = instance(&h, "mode=Single").await;
    let i = &single["instances"][0];
    assert_eq!(i["id"], SINGLE);
    assert_eq!(i["port"], "8635");
    assert_eq!(i["groups"][0]["type"], "single");
    assert_eq!(i["datastore"]["type"], "DDS-Community");
    let cluster = instance(&h, &format!("id={OLD_CLUSTER}")).await;
    let types: Vec<&str> = cluster["instances"][0]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["type"].as_str())
        .collect();
    assert_eq!(types, ["mongos", "shard", "config"]);
}

#[tokio::test]
async fn a_delete_runs_a_job_and_the_instance_disappears() {
    let h = start(world()).await;
    let url = path(&format!("/instances/{SINGLE}"));
    let r = h.call(Dds, Method::DELETE, &url, None).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();
    let again = h.call(Dds, Method::DELETE, &url, None).await;
    assert_dbs_error(&again, 403, "DBS.200019");
    assert_eq!(
        instance(&h, &format!("id={SINGLE}")).await["total_count"],
        1
    );
    h.advance(60);
    let done = job(&h, &job_id).await;
    assert_eq!(
        (done["name"].as_str(), done["status"].as_str()),
        (Some("Delete_MongoDB"), Some("Completed"))
    );
    assert_eq!(
        instance(&h, &format!("id={SINGLE}")).await["total_count"],
        0
    );
    let d = h.sim.deletions();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].service, d[0].instance_id.as_str()), (Dds, SINGLE));
    // A new instance being created cannot be deleted yet.
    let r = h
        .post(Dds, &path("/instances"), verbatim(NEW_REPLICA))
        .await;
    let id = r.body["id"].as_str().expect("id").to_owned();
    let early = h
        .call(
            Dds,
            Method::DELETE,
            &path(&format!("/instances/{id}")),
            None,
        )
        .await;
    assert_dbs_error(&early, 403, "DBS.200019");
}

#[tokio::test]
async fn the_catalog_lists_dds() {
    let h = start(world()).await;
    let iam = h.sim.url(rewind_sim::Service::Iam);
    let r = h
        .client
        .get(format!("{iam}/v3/auth/catalog"))
        .header("X-Auth-Token", &h.token)
        .send()
        .await
        .expect("sent");
    let body: Value = r.json().await.expect("json");
    let dds = body["catalog"]
        .as_array()
        .expect("catalog")
        .iter()
        .find(|e| e["type"] == "dds")
        .expect("a dds entry")
        .clone();
    assert_eq!(
        dds["endpoints"][0]["url"],
        format!("{}/v3/{PID}", h.sim.url(Dds))
    );
}
