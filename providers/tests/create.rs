//! `rds.restore_new` against the simulator: lifecycles per engine, the name as idempotency key, preflight, secrets on the wire.

#[allow(dead_code)]
mod harness;

use harness::{Harness, assert_all_passed, failed, operation, poll_to_end, provider, succeeded};
use rewind_engine::kinds::{OpSpec, RestoreNew, RestorePoint, RestoreType, Secret, SecretRef};
use rewind_engine::provider::{Handle, Operation, SubmitError};
use rewind_sim::{Address, FaultRule, RdsBackup, RdsInstance, Window, World};
use serde_json::{Value, json};

const MYSQL: &str = "5a1b2c3d4e5f60718293a4b5c6d7e8f9in01";
const PG: &str = "6b1c2d3e4f5061728394a5b6c7d8e9f0in03";
const MSSQL: &str = "7c2d3e4f5061728394a5b6c7d8e9f0a1in04";
const BACKUP: &str = "2f4ddb93-b901-4b08-93d8-1d2e472f30fe";
/// Never to be seen anywhere the simulator records, nor in any error.
const PASSWORD: &str = "Zq7-Drill-Pw";
const HOUR: i64 = 3_600_000;

fn world() -> World {
    let mut w = harness::world();
    let now = harness::now(&w);
    let window = vec![Window {
        start: now - 24 * HOUR,
        end: now - HOUR,
    }];
    for (id, engine, version, size) in [
        (MYSQL, "mysql", "8.0", 40),
        (PG, "postgresql", "14", 100),
        (MSSQL, "sqlserver", "2019_SE", 40),
    ] {
        w.rds.instances.insert(
            id.to_owned(),
            RdsInstance {
                name: format!("src-{engine}"),
                engine: engine.to_owned(),
                version: version.to_owned(),
                volume_size: size,
                restore_windows: window.clone(),
                ..RdsInstance::default()
            },
        );
    }
    w.rds.backups.insert(
        BACKUP.to_owned(),
        RdsBackup {
            instance_id: MYSQL.to_owned(),
            name: "orders-manual".to_owned(),
            begin_time: now - 3 * HOUR,
            end_time: now - 2 * HOUR,
            ..RdsBackup::default()
        },
    );
    w.new_instance_addresses.insert(
        "drill-a".to_owned(),
        Address {
            ip: "10.9.8.7".to_owned(),
            port: 3306,
        },
    );
    w
}

fn create_fields(extra: Value) -> serde_json::Map<String, Value> {
    let mut m = json!({
        "flavor_ref": "rds.mysql.n1.large",
        "volume": {"type": "CLOUDSSD", "size": 40},
        "availability_zone": "eu-de-01",
        "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
        "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
        "security_group_id": "2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5",
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    if let Value::Object(extra) = extra {
        m.extend(extra);
    }
    m
}

/// A restore of `source` at `time` (or from `backup`) into `name`, the password resolved.
fn op(
    name: &str,
    source: &str,
    time: Option<i64>,
    backup: Option<&str>,
    extra: Value,
) -> Operation {
    let spec = OpSpec::RdsNew(RestoreNew {
        name: name.to_owned(),
        restore_point: RestorePoint {
            instance_id: Some(source.to_owned()),
            restore_type: Some(if backup.is_some() {
                RestoreType::Backup
            } else {
                RestoreType::Timestamp
            }),
            backup_id: backup.map(str::to_owned),
            restore_time: time,
        },
        password: Some(SecretRef {
            name: "secrets.node_password".to_owned(),
        }),
        create: create_fields(extra),
    });
    let mut op = operation(name, spec);
    op.secrets
        .insert("/password".to_owned(), Secret::new(PASSWORD.to_owned()));
    op
}

fn posts(h: &Harness) -> usize {
    h.sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/instances"))
        .count()
}

/// Nothing the simulator recorded holds the password.
fn assert_password_nowhere(h: &Harness) {
    let log = serde_json::to_string(&h.sim.requests()).expect("log serializes");
    assert!(
        !log.contains(PASSWORD),
        "the request log holds the password"
    );
}

#[tokio::test]
async fn mysql_restore_new_runs_to_its_outputs_and_the_wire_carries_the_password() {
    let h = Harness::start(world()).await;
    let now = harness::now(&h.sim.world_snapshot());
    let cloud = h.cloud();
    let op = op("drill-a", MYSQL, Some(now - 2 * HOUR), None, json!({}));
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
    assert_eq!(outputs["name"], "drill-a");
    assert_eq!(outputs["private_ip"], "10.9.8.7");
    assert_eq!(outputs["port"], "3306");

    let creations = h.sim.creations();
    assert_eq!(creations.len(), 1);
    assert_eq!(creations[0].instance_id, *instance_id);
    // The simulator refuses `(sensitive)` as a password (too few kinds of character), so the
    // create's success shows the value went out; its log shows the rendered body exactly.
    let post = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/instances"))
        .expect("the POST is logged");
    assert_eq!(post.body.as_ref(), Some(&op.request.body));
    assert_eq!(
        post.body.as_ref().map(|b| b["password"].clone()),
        Some(json!("(sensitive)"))
    );
    assert_password_nowhere(&h);
}

#[tokio::test]
async fn postgresql_and_sql_server_restore_new_with_their_fields() {
    let h = Harness::start(world()).await;
    let now = harness::now(&h.sim.world_snapshot());
    let cloud = h.cloud();
    let cases = [
        (
            "drill-pg",
            PG,
            json!({"flavor_ref": "rds.pg.n1.large", "volume": {"type": "CLOUDSSD", "size": 100},
                   "port": "5432", "ha": {"mode": "ha", "replication_mode": "sync"},
                   "availability_zone": "eu-de-01,eu-de-02"}),
        ),
        (
            "drill-mssql",
            MSSQL,
            json!({"flavor_ref": "rds.mssql.n1.large", "collation": "Chinese_PRC_CI_AS", "port": 1433}),
        ),
    ];
    for (name, source, extra) in cases {
        let op = op(name, source, Some(now - 2 * HOUR), None, extra);
        let p = provider(&cloud, &op);
        assert_all_passed(&p.preflight(&op).await.expect("preflight"));
        let handle = p.submit(&op).await.expect("submit");
        let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
        let outputs = succeeded(&outcome);
        assert_eq!(outputs["name"], name);
        assert!(outputs.contains_key("private_ip") && outputs.contains_key("port"));
    }
    assert_eq!(h.sim.creations().len(), 2);
    assert_password_nowhere(&h);
}

#[tokio::test]
async fn a_taken_name_fails_preflight_and_is_rejected_without_a_post() {
    let mut w = world();
    w.rds.instances.insert(
        "8d3e4f5061728394a5b6c7d8e9f0a1b2in01".to_owned(),
        RdsInstance {
            name: "drill-a".to_owned(),
            ..RdsInstance::default()
        },
    );
    let h = Harness::start(w).await;
    let now = harness::now(&h.sim.world_snapshot());
    let cloud = h.cloud();
    let op = op("drill-a", MYSQL, Some(now - 2 * HOUR), None, json!({}));
    let p = provider(&cloud, &op);
    let checks = p.preflight(&op).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        ["name drill-a is not taken in the project"]
    );
    let err = p.submit(&op).await.expect_err("the name is taken");
    let SubmitError::Rejected { message, .. } = &err else {
        panic!("expected a rejection, got {err:?}");
    };
    assert!(
        message.contains("8d3e4f5061728394a5b6c7d8e9f0a1b2in01"),
        "{message}"
    );
    assert_eq!(posts(&h), 0);
    assert!(h.sim.creations().is_empty());
}

#[tokio::test]
async fn an_ambiguous_create_is_adopted_by_its_name_and_never_sent_twice() {
    let h = Harness::start(world()).await;
    let now = harness::now(&h.sim.world_snapshot());
    let cloud = h.cloud();
    let op = op("drill-a", MYSQL, None, Some(BACKUP), json!({}));
    let p = provider(&cloud, &op);
    h.faults(vec![FaultRule {
        service: Some(rewind_sim::Service::Rds),
        method: Some("POST".into()),
        drop_response_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    let err = p.submit(&op).await.expect_err("the response was dropped");
    assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains(PASSWORD));
    let created = h.sim.creations();
    assert_eq!(created.len(), 1, "the create took effect once");

    let handle = p
        .reconcile(&op, now)
        .await
        .expect("reconcile")
        .expect("the create is found by its name");
    assert_eq!(
        handle,
        Handle::Create {
            instance_id: created[0].instance_id.clone(),
            job_id: None
        }
    );
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    assert_eq!(succeeded(&outcome)["instance_id"], created[0].instance_id);

    // A second submit (an engine bug, or a user's retry) is refused before any POST.
    let before = posts(&h);
    assert!(matches!(
        p.submit(&op).await,
        Err(SubmitError::Rejected { .. })
    ));
    assert_eq!(posts(&h), before);
    assert_eq!(h.sim.creations().len(), 1);
    assert_password_nowhere(&h);
}

#[tokio::test]
async fn reconcile_finds_nothing_when_no_create_arrived() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    let op = op("drill-none", MYSQL, None, Some(BACKUP), json!({}));
    let p = provider(&cloud, &op);
    assert_eq!(p.reconcile(&op, 0).await.expect("reconcile"), None);
}

#[tokio::test]
async fn preflight_names_a_small_volume_a_time_outside_the_window_and_an_unknown_backup() {
    let h = Harness::start(world()).await;
    let now = harness::now(&h.sim.world_snapshot());
    let cloud = h.cloud();
    let small = op(
        "drill-b",
        PG,
        Some(now),
        None,
        json!({"flavor_ref": "rds.pg.n9.huge", "volume": {"type": "CLOUDSSD", "size": 40}, "port": 1500}),
    );
    let p = provider(&cloud, &small);
    let checks = p.preflight(&small).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        [
            "flavor rds.pg.n9.huge exists for PostgreSQL 14",
            "create fields fit PostgreSQL",
            "new volume is at least the source's",
            "restore_time is inside the source's restorable window",
        ],
        "{checks:#?}"
    );
    let volume = checks
        .iter()
        .find(|c| c.name.starts_with("new volume"))
        .map(|c| c.observed.as_str());
    assert_eq!(volume, Some("100 GB -> 40 GB"));

    let unknown = op("drill-c", MYSQL, None, Some("no-such-backup"), json!({}));
    let checks = p.preflight(&unknown).await.expect("preflight");
    assert_eq!(
        failed(&checks),
        ["backup no-such-backup exists and is COMPLETED"]
    );
    let missing = op("drill-d", "0000missingin01", None, Some(BACKUP), json!({}));
    let checks = p.preflight(&missing).await.expect("preflight");
    assert!(
        failed(&checks).contains(&"source instance 0000missingin01 exists"),
        "{checks:#?}"
    );
    assert_eq!(posts(&h), 0);
}

#[tokio::test]
async fn an_unresolved_password_is_never_sent() {
    let h = Harness::start(world()).await;
    let cloud = h.cloud();
    let mut op = op("drill-a", MYSQL, None, Some(BACKUP), json!({}));
    op.secrets.clear();
    let p = provider(&cloud, &op);
    let err = p.submit(&op).await.expect_err("no password to send");
    let SubmitError::NotSent { message } = &err else {
        panic!("expected NotSent, got {err:?}");
    };
    assert!(message.contains("/password"), "{message}");
    assert_eq!(posts(&h), 0);
}
