//! The DDS provider against the simulator: restore to a new instance, to the original one, and collection PITR.

#[allow(dead_code)]
mod harness;

use harness::{Harness, assert_all_passed, failed, operation, poll_to_end, provider, succeeded};
use rewind_engine::kinds::{
    DdsCollection, DdsCollections, DdsDatabase, InstanceRef, OpSpec, RdsRestore, RdsSource,
    RestoreNew, RestorePoint, RestoreType, Secret, SecretRef,
};
use rewind_engine::provider::{Handle, Operation, PollOutcome, SubmitError};
use rewind_sim::{Address, DdsBackup, DdsInstance, FaultRule, Window, World};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const RS: &str = "d8e6ca5a624745bcb546a227aa3ae1cfin02";
const SINGLE: &str = "520c58ba00a3497e97ce0b9604874dd6in02";
const BACKUP: &str = "8f643d252d834a4c916b2db4322f99552734";
const PASSWORD: &str = "Zq7-Drill-Pw";
const HOUR: i64 = 3_600_000;

fn world() -> World {
    let mut w = harness::world();
    let now = harness::now(&w);
    let windows = vec![Window {
        start: now - 24 * HOUR,
        end: now - HOUR,
    }];
    w.dds.instances.insert(
        RS.to_owned(),
        DdsInstance {
            name: "orders-rs".to_owned(),
            volume_size: 20,
            restore_windows: windows.clone(),
            databases: BTreeMap::from([("test".to_owned(), vec!["orders".to_owned()])]),
            ..DdsInstance::default()
        },
    );
    w.dds.instances.insert(
        SINGLE.to_owned(),
        DdsInstance {
            name: "orders-single".to_owned(),
            mode: "Single".to_owned(),
            restore_windows: windows,
            ..DdsInstance::default()
        },
    );
    w.dds.backups.insert(
        BACKUP.to_owned(),
        DdsBackup {
            instance_id: RS.to_owned(),
            name: "orders-auto".to_owned(),
            begin_time: now - 3 * HOUR,
            end_time: now - 3 * HOUR + 60_000,
            ..DdsBackup::default()
        },
    );
    w.new_instance_addresses.insert(
        "drill-mongo".to_owned(),
        Address {
            ip: "10.7.7.7".to_owned(),
            port: 8635,
        },
    );
    w
}

fn new_op(name: &str, point: RestorePoint, size: &str) -> Operation {
    let create = json!({
        "availability_zone": "eu-de-01",
        "vpc_id": "674e9b42-cd8d-4d25-a2e6-5abcc565b961",
        "subnet_id": "f1df08c5-71d1-406a-aff0-de435a51007b",
        "security_group_id": "7aa51dbf-5b63-40db-9724-dad3c4828b58",
        "flavor": [{"type": "replica", "num": 1, "size": size, "spec_code": "dds.mongodb.s2.medium.4.repset"}],
    });
    let spec = OpSpec::DdsNew(RestoreNew {
        name: name.to_owned(),
        restore_point: point,
        password: Some(SecretRef {
            name: "env.MONGO_PASSWORD".to_owned(),
        }),
        create: create.as_object().cloned().unwrap_or_default(),
    });
    let mut op = operation(name, spec);
    op.secrets
        .insert("/password".to_owned(), Secret::new(PASSWORD.to_owned()));
    op
}

fn pitr(instance: &str, time: i64) -> RestorePoint {
    RestorePoint {
        instance_id: Some(instance.to_owned()),
        restore_type: Some(RestoreType::Timestamp),
        backup_id: None,
        restore_time: Some(time),
    }
}

fn recovery(source: &str, target: &str, time: Option<i64>, backup: Option<&str>) -> Operation {
    operation(
        "mongo-back",
        OpSpec::DdsRecovery(RdsRestore {
            source: RdsSource {
                instance_id: source.to_owned(),
                restore_type: if backup.is_some() {
                    RestoreType::Backup
                } else {
                    RestoreType::Timestamp
                },
                backup_id: backup.map(str::to_owned),
                restore_time: time,
            },
            target: InstanceRef {
                instance_id: target.to_owned(),
            },
        }),
    )
}

fn collections(instance: &str, time: i64) -> Operation {
    operation(
        "orders-coll",
        OpSpec::DdsCollections(DdsCollections {
            instance_id: instance.to_owned(),
            restore_collections: vec![DdsDatabase {
                database: "test".to_owned(),
                restore_database_time: None,
                collections: vec![DdsCollection {
                    old_name: "orders".to_owned(),
                    new_name: Some("orders_restored".to_owned()),
                    restore_collection_time: time,
                }],
            }],
        }),
    )
}

fn posts(h: &Harness, suffix: &str) -> Vec<Value> {
    h.sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(suffix))
        .filter_map(|r| r.body)
        .collect()
}

fn now(h: &Harness) -> i64 {
    harness::now(&h.sim.world_snapshot())
}

#[tokio::test]
async fn restore_new_runs_to_the_primary_address_and_the_password_stays_off_the_log() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    let op = new_op("drill-mongo", pitr(RS, now(&h) - 2 * HOUR), "20");
    let p = provider(&cloud, &op);
    assert_all_passed(&p.preflight(&op).await.expect("preflight"));
    let handle = p.submit(&op).await.expect("submit");
    let Handle::Create {
        instance_id,
        job_id: Some(_),
    } = &handle
    else {
        panic!("expected a create handle with its job, got {handle:?}");
    };
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle.clone(), 60).await;
    let outputs = succeeded(&outcome);
    assert_eq!(outputs["instance_id"], *instance_id);
    assert_eq!(outputs["name"], "drill-mongo");
    assert_eq!(outputs["private_ip"], "10.7.7.7");
    assert_eq!(outputs["port"], "8635");
    assert_eq!(h.sim.creations().len(), 1);
    // The simulator checks the password (four kinds of character), so it went out; its log
    // holds the rendered body, `(sensitive)` in its place.
    assert_eq!(
        posts(&h, "/instances"),
        std::slice::from_ref(&op.request.body)
    );
    let log = serde_json::to_string(&h.sim.requests()).expect("log serializes");
    assert!(!log.contains(PASSWORD));
}

#[tokio::test]
async fn restore_new_from_a_backup_finds_its_source_through_the_backup() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    let point = RestorePoint {
        instance_id: None,
        restore_type: None,
        backup_id: Some(BACKUP.to_owned()),
        restore_time: None,
    };
    let op = new_op("drill-from-backup", point, "20");
    let p = provider(&cloud, &op);
    let checks = p.preflight(&op).await.expect("preflight");
    assert_all_passed(&checks);
    assert!(
        checks
            .iter()
            .any(|c| c.name == format!("source instance {RS} exists"))
    );
    let handle = p.submit(&op).await.expect("submit");
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    assert!(succeeded(&outcome).contains_key("private_ip"));
}

#[tokio::test]
async fn restore_new_preflight_names_a_small_disk_a_single_node_source_and_a_taken_name() {
    let mut w = world();
    w.dds.instances.insert(
        "0000takenname000000000000000000in02".to_owned(),
        DdsInstance {
            name: "drill-mongo".to_owned(),
            ..DdsInstance::default()
        },
    );
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let t = now(&h) - 2 * HOUR;
    let small = new_op("drill-mongo", pitr(RS, t), "10");
    let p = provider(&cloud, &small);
    let checks = p.preflight(&small).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        [
            "new disks are at least the source's",
            "name drill-mongo is not taken in the project"
        ],
        "{checks:#?}"
    );
    let single = new_op("drill-single", pitr(SINGLE, t), "20");
    let checks = p.preflight(&single).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        ["instance supports point-in-time restore (replica set, or 4.0 cluster)"]
    );
    let err = p.submit(&small).await.expect_err("the name is taken");
    assert!(matches!(err, SubmitError::Rejected { .. }), "{err:?}");
    assert!(posts(&h, "/instances").is_empty());
    assert!(h.sim.creations().is_empty());
}

#[tokio::test]
async fn an_ambiguous_restore_new_is_adopted_by_its_name() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    let op = new_op("drill-mongo", pitr(RS, now(&h) - 2 * HOUR), "20");
    let p = provider(&cloud, &op);
    h.faults(vec![FaultRule {
        service: Some(rewind_sim::Service::Dds),
        method: Some("POST".into()),
        drop_response_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    let err = p.submit(&op).await.expect_err("the response was dropped");
    assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
    let created = h.sim.creations();
    assert_eq!(created.len(), 1);
    let handle = p
        .reconcile(&op, now(&h))
        .await
        .expect("reconcile")
        .expect("found by its name");
    assert_eq!(
        handle,
        Handle::Create {
            instance_id: created[0].instance_id.clone(),
            job_id: None
        }
    );
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    assert_eq!(succeeded(&outcome)["private_ip"], "10.7.7.7");
    assert_eq!(h.sim.creations().len(), 1);
}

#[tokio::test]
async fn restore_to_the_original_instance_by_time_and_by_backup() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    for op in [
        recovery(RS, RS, Some(now(&h) - 2 * HOUR), None),
        recovery(RS, RS, None, Some(BACKUP)),
    ] {
        let p = provider(&cloud, &op);
        assert_all_passed(&p.preflight(&op).await.expect("preflight"));
        let handle = p.submit(&op).await.expect("submit");
        assert!(matches!(handle, Handle::Job { .. }), "{handle:?}");
        let (outcome, _, seen) = poll_to_end(&h, p.as_ref(), &op, handle, 30).await;
        assert_eq!(succeeded(&outcome)["instance_id"], RS);
        assert!(!seen.is_empty(), "the job was seen running");
    }
    let bodies = posts(&h, "/instances/recovery");
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[0]["source"]["type"],
        json!("timestamp"),
        "{:?}",
        bodies[0]
    );
}

#[tokio::test]
async fn restore_preflight_names_a_time_outside_the_window_an_unknown_backup_and_a_busy_target() {
    let mut w = world();
    if let Some(i) = w.dds.instances.get_mut(SINGLE) {
        i.actions = vec!["BACKUP".to_owned()];
    }
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let late = recovery(RS, RS, Some(now(&h)), None);
    let p = provider(&cloud, &late);
    let checks = p.preflight(&late).await.expect("preflight");
    assert_eq!(failed(&checks).len(), 1, "{checks:#?}");
    assert!(failed(&checks)[0].ends_with("is inside a restorable window"));

    let unknown = recovery(RS, RS, None, Some("no-such-backup"));
    let checks = p.preflight(&unknown).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        ["backup no-such-backup exists and is COMPLETED"]
    );
    let busy = recovery(SINGLE, SINGLE, Some(now(&h) - 2 * HOUR), None);
    let checks = p.preflight(&busy).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        [
            format!("instance {SINGLE} runs no other operation").as_str(),
            "instance supports point-in-time restore (replica set, or 4.0 cluster)",
        ],
        "{checks:#?}"
    );
}

#[tokio::test]
async fn collection_pitr_runs_and_its_body_is_the_rendered_one() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    let op = collections(RS, now(&h) - 2 * HOUR);
    let p = provider(&cloud, &op);
    assert_all_passed(&p.preflight(&op).await.expect("preflight"));
    let handle = p.submit(&op).await.expect("submit");
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 30).await;
    assert_eq!(succeeded(&outcome)["instance_id"], RS);
    assert_eq!(
        posts(&h, "/restore/collections"),
        std::slice::from_ref(&op.request.body)
    );

    let single = collections(SINGLE, now(&h) - 2 * HOUR);
    let checks = p.preflight(&single).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        ["instance is a replica set (database and collection restores need one)"]
    );
}

#[tokio::test]
async fn an_ambiguous_restore_is_adopted_from_the_instance_actions() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    let op = recovery(RS, RS, Some(now(&h) - 2 * HOUR), None);
    let p = provider(&cloud, &op);
    assert_eq!(p.reconcile(&op, now(&h)).await.expect("reconcile"), None);
    h.faults(vec![FaultRule {
        service: Some(rewind_sim::Service::Dds),
        method: Some("POST".into()),
        drop_response_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    let err = p.submit(&op).await.expect_err("the response was dropped");
    assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
    let handle = p
        .reconcile(&op, now(&h))
        .await
        .expect("reconcile")
        .expect("the RESTORE action shows it");
    let mut running = 0;
    let mut outcome = None;
    for _ in 0..harness::MAX_POLLS {
        match p.poll(&op, &handle).await.expect("poll") {
            PollOutcome::Running { .. } => {
                running += 1;
                h.advance(30);
            }
            done => {
                outcome = Some(done);
                break;
            }
        }
    }
    assert!(running > 0);
    assert_eq!(succeeded(&outcome.expect("finished"))["instance_id"], RS);
    assert_eq!(posts(&h, "/instances/recovery").len(), 1);
}
