//! The drill calls against the simulator: instance addresses, lookup by name, one DELETE, recovery points.

#[allow(dead_code)]
mod harness;

use harness::fixtures::{self, DCS_BACKUP, DCS_INSTANCE};
use harness::{Harness, operation, provider};
use rewind_engine::kinds::{OpSpec, RestoreNew, RestorePoint, RestoreType, Secret, SecretRef};
use rewind_engine::provider::DeleteOutcome;
use rewind_sim::{Address, RdsBackup, RdsInstance};
use serde_json::json;

const MYSQL: &str = "5a1b2c3d4e5f60718293a4b5c6d7e8f9in01";
const BACKUP: &str = "2f4ddb93-b901-4b08-93d8-1d2e472f30fe";
const HOUR: i64 = 3_600_000;

fn rds_new(name: &str) -> rewind_engine::provider::Operation {
    let spec = OpSpec::RdsNew(RestoreNew {
        name: name.to_owned(),
        restore_point: RestorePoint {
            instance_id: Some(MYSQL.to_owned()),
            restore_type: Some(RestoreType::Backup),
            backup_id: Some(BACKUP.to_owned()),
            restore_time: None,
        },
        password: Some(SecretRef {
            name: "secrets.pw".to_owned(),
        }),
        create: json!({
            "flavor_ref": "rds.mysql.n1.large",
            "volume": {"type": "CLOUDSSD", "size": 40},
            "availability_zone": "eu-de-01",
            "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
            "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    });
    let mut op = operation(name, spec);
    op.secrets.insert(
        "/password".to_owned(),
        Secret::new("Zq7-Drill-Pw".to_owned()),
    );
    op
}

#[tokio::test]
async fn rds_scratch_instance_is_found_refused_while_building_then_deleted_once() {
    let mut w = harness::world();
    let now = harness::now(&w);
    w.rds.instances.insert(
        MYSQL.to_owned(),
        RdsInstance {
            name: "src-mysql".to_owned(),
            ..RdsInstance::default()
        },
    );
    w.rds.backups.insert(
        BACKUP.to_owned(),
        RdsBackup {
            instance_id: MYSQL.to_owned(),
            begin_time: now - 3 * HOUR,
            end_time: now - 2 * HOUR,
            ..RdsBackup::default()
        },
    );
    w.new_instance_addresses.insert(
        "drill-a".to_owned(),
        Address {
            ip: "127.0.0.1".to_owned(),
            port: 3306,
        },
    );
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = rds_new("drill-a");
    let p = provider(&cloud, &op);
    p.submit(&op).await.expect("submit");

    let found = p
        .instance_by_name("drill-a")
        .await
        .expect("by name")
        .expect("the create is listed");
    assert_eq!(found.status, "BUILD");
    assert_eq!(
        p.instance_by_name("no-such-drill").await.expect("read"),
        None
    );
    let busy = p.delete_instance(&found.id).await.expect("delete");
    assert!(matches!(busy, DeleteOutcome::Busy { .. }), "{busy:?}");

    h.advance(600);
    let ready = p.instance(&found.id).await.expect("read").expect("listed");
    assert_eq!(ready.status, "ACTIVE");
    assert_eq!(
        (ready.host.as_deref(), ready.port),
        (Some("127.0.0.1"), Some(3306))
    );
    let accepted = p.delete_instance(&found.id).await.expect("delete");
    assert!(
        matches!(accepted, DeleteOutcome::Accepted { job_id: Some(_) }),
        "{accepted:?}"
    );
    let mut gone = false;
    for _ in 0..30 {
        if p.instance(&found.id).await.expect("read").is_none() {
            gone = true;
            break;
        }
        h.advance(10);
    }
    assert!(gone, "the deleted instance is still listed");
    assert_eq!(
        p.delete_instance(&found.id).await.expect("delete"),
        DeleteOutcome::Gone
    );
    assert_eq!(h.sim.deletions().len(), 1);

    // The backup's end time, as the backup list writes it (whole seconds).
    let end = (now - 2 * HOUR) / 1000 * 1000;
    assert_eq!(p.recovery_point(&op).await.expect("read"), Some(end));
}

#[tokio::test]
async fn dcs_instance_reports_the_world_address_and_the_backup_time() {
    let (mut w, _) = fixtures::healthy_world();
    if let Some(i) = w.dcs.instances.get_mut(DCS_INSTANCE) {
        i.address = Some(Address {
            ip: "127.0.0.1".to_owned(),
            port: 6380,
        });
    }
    let created = w.dcs.backups[DCS_BACKUP].created_at;
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = operation("cache", fixtures::dcs());
    let p = provider(&cloud, &op);
    let info = p
        .instance(DCS_INSTANCE)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(info.status, "RUNNING");
    assert_eq!(
        (info.host.as_deref(), info.port),
        (Some("127.0.0.1"), Some(6380))
    );
    assert_eq!(p.instance("no-such-instance").await.expect("read"), None);
    let point = p.recovery_point(&op).await.expect("read");
    // The record's time is written to the millisecond.
    assert_eq!(point, Some(created));
}

#[tokio::test]
async fn dds_instance_reports_the_primary_address_and_a_delete_runs_once() {
    let mut w = harness::world();
    let (ready, building) = (
        "9136fd2a9fcd405ea4674276ce36dae8in02",
        "a136fd2a9fcd405ea4674276ce36dae8in02",
    );
    w.dds.instances.insert(
        ready.to_owned(),
        rewind_sim::DdsInstance {
            name: "drill-mongo".to_owned(),
            address: Some(Address {
                ip: "127.0.0.1".to_owned(),
                port: 27017,
            }),
            ..rewind_sim::DdsInstance::default()
        },
    );
    w.dds.instances.insert(
        building.to_owned(),
        rewind_sim::DdsInstance {
            name: "drill-mongo-2".to_owned(),
            status: "creating".to_owned(),
            actions: vec!["CREATE".to_owned()],
            ..rewind_sim::DdsInstance::default()
        },
    );
    let h = Harness::start(w).await;
    let p = h.cloud().provider(rewind_engine::kinds::Service::Dds);
    let info = p.instance(ready).await.expect("read").expect("listed");
    assert_eq!(
        (info.status.as_str(), info.host.as_deref(), info.port),
        ("normal", Some("127.0.0.1"), Some(27017))
    );
    let named = p.instance_by_name("drill-mongo").await.expect("read");
    assert_eq!(named.map(|i| i.id).as_deref(), Some(ready));
    assert_eq!(
        p.instance_by_name("drill-nothing").await.expect("read"),
        None
    );
    let busy = p.delete_instance(building).await.expect("delete");
    assert!(matches!(busy, DeleteOutcome::Busy { .. }), "{busy:?}");
    let accepted = p.delete_instance(ready).await.expect("delete");
    assert!(matches!(
        accepted,
        DeleteOutcome::Accepted { job_id: Some(_) }
    ));
    let mut gone = false;
    for _ in 0..30 {
        if p.instance(ready).await.expect("read").is_none() {
            gone = true;
            break;
        }
        h.advance(10);
    }
    assert!(gone, "the deleted instance is still listed");
    assert_eq!(
        p.delete_instance(ready).await.expect("delete"),
        DeleteOutcome::Gone
    );
    assert_eq!(h.sim.deletions().len(), 1);
}

#[tokio::test]
async fn dcs_instance_is_found_by_name_and_deleted_once() {
    let (w, _) = fixtures::healthy_world();
    let name = w.dcs.instances[DCS_INSTANCE].name.clone();
    let h = Harness::start(w).await;
    let p = h.cloud().provider(rewind_engine::kinds::Service::Dcs);
    let named = p.instance_by_name(&name).await.expect("read");
    assert_eq!(named.map(|i| i.id).as_deref(), Some(DCS_INSTANCE));
    assert_eq!(
        p.instance_by_name("drill-nothing").await.expect("read"),
        None
    );
    let accepted = p.delete_instance(DCS_INSTANCE).await.expect("delete");
    assert_eq!(accepted, DeleteOutcome::Accepted { job_id: None });
    assert_eq!(p.instance(DCS_INSTANCE).await.expect("read"), None);
    assert_eq!(
        p.delete_instance(DCS_INSTANCE).await.expect("delete"),
        DeleteOutcome::Gone
    );
    assert_eq!(h.sim.deletions().len(), 1);
}
