//! `gaussdb.restore_new` against the simulator: preflight passes the page's example and refuses by name, the create runs to its outputs, and an ambiguous submit is adopted by its name without a second POST.

#[allow(dead_code)]
mod harness;

use harness::{Harness, assert_all_passed, failed, operation, poll_to_end, provider, succeeded};
use rewind_engine::kinds::{OpSpec, RestoreNew, RestorePoint, RestoreType, Secret, SecretRef};
use rewind_engine::provider::{Operation, SubmitError};
use rewind_sim::{FaultRule, GaussdbBackup, GaussdbInstance, Service as SimService, Window, World};
use serde_json::{Value, json};

const SOURCE: &str = "d8e6ca5a624745bcb546a227aa3ae1cfin14";
const BACKUP: &str = "2f4ddb93b9014b0893d81d2e472f30febr14";
const HOUR: i64 = 3_600_000;
const PASSWORD: &str = "Gauss-Pa55word!";

fn world() -> (World, i64) {
    let mut w = harness::world();
    let now = harness::now(&w);
    w.gaussdb.instances.insert(
        SOURCE.to_owned(),
        GaussdbInstance {
            name: "ledger".to_owned(),
            restore_windows: vec![Window {
                start: now - 24 * HOUR,
                end: now - 60_000,
            }],
            ..GaussdbInstance::default()
        },
    );
    w.gaussdb.backups.insert(
        BACKUP.to_owned(),
        GaussdbBackup {
            instance_id: SOURCE.to_owned(),
            begin_time: now - 3 * HOUR,
            end_time: now - 2 * HOUR,
            ..GaussdbBackup::default()
        },
    );
    (w, now - 2 * HOUR)
}

/// The page's create fields (`restoring_data_to_a_new_db_instance.rst`, its examples).
fn create(extra: &Value) -> serde_json::Map<String, Value> {
    let mut m = json!({
        "availability_zone": "eu-de-01,eu-de-01,eu-de-01",
        "flavor_ref": "gaussdb.opengauss.ee.dn.m4.2xlarge.8.in",
        "volume": { "type": "ULTRAHIGH", "size": 160 },
        "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
        "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
        "security_group_id": "2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5",
        "port": 8000,
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    if let Value::Object(e) = extra {
        m.extend(e.clone());
    }
    m
}

fn op(name: &str, time: Option<i64>, backup: Option<&str>, extra: &Value) -> Operation {
    let spec = OpSpec::GaussdbNew(RestoreNew {
        name: name.to_owned(),
        restore_point: RestorePoint {
            instance_id: Some(SOURCE.to_owned()),
            restore_type: Some(if backup.is_some() {
                RestoreType::Backup
            } else {
                RestoreType::Timestamp
            }),
            backup_id: backup.map(str::to_owned),
            restore_time: time,
        },
        password: Some(SecretRef {
            name: "secrets.pw".to_owned(),
        }),
        create: create(extra),
    });
    let mut op = operation(name, spec);
    op.secrets
        .insert("/password".to_owned(), Secret::new(PASSWORD.to_owned()));
    op
}

#[tokio::test]
async fn a_point_in_time_and_a_backup_restore_pass_preflight_and_run_to_their_outputs() {
    let (w, at) = world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    for op in [
        op("ledger-pitr", Some(at), None, &json!({})),
        op("ledger-backup", None, Some(BACKUP), &json!({})),
    ] {
        let p = provider(&cloud, &op);
        assert_all_passed(&p.preflight(&op).await.expect("preflight"));
        let handle = p.submit(&op).await.expect("submit");
        let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 120).await;
        let out = succeeded(&outcome);
        assert!(out["instance_id"].ends_with("in14"), "{out:?}");
        assert_eq!(out.get("port").map(String::as_str), Some("8000"), "{out:?}");
    }
    let log = serde_json::to_string(&h.sim.requests()).unwrap();
    assert!(
        !log.contains(PASSWORD),
        "the password reached the request log"
    );
}

#[tokio::test]
async fn preflight_refusals_are_named() {
    let (w, at) = world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let failing = |op: Operation| {
        let cloud = &cloud;
        async move {
            let checks = provider(cloud, &op)
                .preflight(&op)
                .await
                .expect("preflight");
            failed(&checks)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        failing(op(
            "ledger-a",
            Some(at),
            None,
            &json!({"volume": {"type": "ULTRAHIGH", "size": 120}})
        ))
        .await,
        ["volume is ULTRAHIGH, a multiple of 40 GB and at least the source's"]
    );
    assert_eq!(
        failing(op("ledger-b", Some(at), None, &json!({"port": 5000}))).await,
        ["flavor_ref and port fit GaussDB"]
    );
    assert_eq!(
        failing(op("ledger-c", Some(at + 24 * HOUR), None, &json!({}))).await,
        ["restore_time is inside the source's restorable window"]
    );
    assert_eq!(
        failing(op(
            "ledger-d",
            None,
            Some("00000000000000000000000000000000br14"),
            &json!({})
        ))
        .await,
        ["backup 00000000000000000000000000000000br14 exists and is COMPLETED"]
    );
    assert_eq!(h.count("POST", "/instances"), 0, "preflight never creates");
}

#[tokio::test]
async fn an_ambiguous_create_is_adopted_by_its_name_without_a_second_post() {
    let (w, at) = world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = op("ledger-drill", Some(at), None, &json!({}));
    let p = provider(&cloud, &op);
    let submitted_at = h.clock.now_ms();
    assert_eq!(
        p.reconcile(&op, submitted_at).await.unwrap(),
        None,
        "nothing yet"
    );
    h.faults(vec![FaultRule {
        service: Some(SimService::Gaussdb),
        method: Some("POST".into()),
        drop_response_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    let err = p.submit(&op).await.expect_err("the response was dropped");
    assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
    let handle = p
        .reconcile(&op, submitted_at)
        .await
        .unwrap()
        .expect("the instance named ledger-drill is adopted");
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 120).await;
    succeeded(&outcome);
    assert_eq!(h.count("POST", "/instances"), 1, "exactly one create POST");
    // A second submit refuses: the name, the idempotency key, is taken.
    let again = p.submit(&op).await.expect_err("the name is taken");
    assert!(matches!(again, SubmitError::Rejected { .. }), "{again:?}");
    assert_eq!(h.count("POST", "/instances"), 1);
}
