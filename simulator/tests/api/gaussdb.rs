//! GaussDB (openGauss): the page's restore examples run, and every answer has the shape of the page's example.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rewind_sim::Service::Gaussdb;
use rewind_sim::{GaussdbBackup, GaussdbInstance, Window, World};
use serde_json::{Value, json};

use crate::util::{Harness, PID, assert_dbs_error, fixture, start};

/// The source and backup of the page's examples.
const SOURCE: &str = "d8e6ca5a624745bcb546a227aa3ae1cfin14";
const BACKUP: &str = "2f4ddb93b9014b0893d81d2e472f30febr14";
/// The page's restore time, inside the source's window.
const AT: i64 = 1_532_001_446_987;
const PASSWORD: &str = "Gauss-Pa55word!";

fn doc(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../providers/tests/fixtures/docs")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn world() -> World {
    let mut w = fixture();
    w.gaussdb.instances.insert(
        SOURCE.to_owned(),
        GaussdbInstance {
            name: "ledger".to_owned(),
            restore_windows: vec![Window {
                start: AT - 3_600_000,
                end: AT + 3_600_000,
            }],
            ..GaussdbInstance::default()
        },
    );
    w.gaussdb.backups.insert(
        BACKUP.to_owned(),
        GaussdbBackup {
            instance_id: SOURCE.to_owned(),
            begin_time: AT - 600_000,
            end_time: AT - 300_000,
            ..GaussdbBackup::default()
        },
    );
    w
}

/// The page's example with a password the check accepts in place of `******`.
fn example(name: &str) -> Value {
    let mut body = doc(name);
    body["password"] = json!(PASSWORD);
    body
}

fn shape_gaps(doc_name: &str, answer: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    crate::docs_shape::diff("", &doc(doc_name), answer, &mut out);
    out
}

async fn create(h: &Harness, body: Value) -> crate::util::Resp {
    h.post(Gaussdb, &format!("/v3/{PID}/instances"), body).await
}

#[tokio::test]
async fn both_documented_examples_create_an_instance_through_a_clone_job() {
    let h = start(world()).await;
    for (n, name) in [
        "gaussdb.restoring_data_to_a_new_db_instance.request_backup.json",
        "gaussdb.restoring_data_to_a_new_db_instance.request_timestamp.json",
    ]
    .iter()
    .enumerate()
    {
        let mut body = example(name);
        body["name"] = json!(format!("targetInst{n}"));
        let resp = create(&h, body).await;
        assert_eq!(resp.status, 202, "{}", resp.raw);
        let gaps = shape_gaps(
            "gaussdb.restoring_data_to_a_new_db_instance.repaired.json",
            &resp.body,
        );
        assert!(gaps.is_empty(), "{gaps:?}");
        let job = resp.body["job_id"].as_str().unwrap().to_owned();
        let id = resp.body["instance"]["id"].as_str().unwrap().to_owned();
        let running = h.get(Gaussdb, &format!("/v3/{PID}/jobs?id={job}")).await;
        assert_eq!(running.body["job"]["name"], "CloneGaussDBV5NewInstance");
        assert_eq!(running.body["job"]["status"], "Running");
        h.advance(3600);
        let done = h.get(Gaussdb, &format!("/v3/{PID}/jobs?id={job}")).await;
        let gaps = shape_gaps("gaussdb.obtaining_task_information.json", &done.body);
        assert!(gaps.is_empty(), "{gaps:?}");
        assert_eq!(done.body["job"]["status"], "Completed");
        let inst = h
            .get(Gaussdb, &format!("/v3/{PID}/instances?id={id}"))
            .await;
        assert_eq!(
            inst.body["instances"][0]["status"], "ACTIVE",
            "{}",
            inst.raw
        );
    }
    // The password is nowhere the simulator writes.
    let log = serde_json::to_string(&h.sim.requests()).unwrap();
    assert!(!log.contains(PASSWORD));
}

#[tokio::test]
async fn the_reads_answer_in_the_documented_shapes() {
    let h = start(world()).await;
    let list = h
        .get(Gaussdb, &format!("/v3/{PID}/instances?id={SOURCE}"))
        .await;
    let mut g = shape_gaps("gaussdb.querying_db_instances.json", &list.body);
    // Keys of the page's example the world does not model (pinned, see FIDELITY.md).
    for k in [
        ".instances[].flavor_info: missing",
        ".instances[].switch_strategy: missing",
        ".instances[].disk_encryption_id: missing",
        ".instances[].enterprise_project_id: missing",
        ".instances[].backup_used_space: missing",
        ".instances[].nodes[].private_ip: missing",
        ".instances[].vpc_id: missing",
        ".instances[].subnet_id: missing",
        ".instances[].security_group_id: missing",
    ] {
        g.remove(k);
    }
    assert!(g.is_empty(), "{g:?}");
    let backups = h
        .get(Gaussdb, &format!("/v3/{PID}/backups?instance_id={SOURCE}"))
        .await;
    let g = shape_gaps("gaussdb.querying_backups.json", &backups.body);
    assert!(g.is_empty(), "{g:?}");
    let times = h
        .get(
            Gaussdb,
            &format!("/v3/{PID}/instances/{SOURCE}/restore-time?date=2018-07-19"),
        )
        .await;
    let g = shape_gaps(
        "gaussdb.querying_the_restoration_time_range.json",
        &times.body,
    );
    assert!(g.is_empty(), "{g:?}");
    // `date` is mandatory on this page.
    let no_date = h
        .get(
            Gaussdb,
            &format!("/v3/{PID}/instances/{SOURCE}/restore-time"),
        )
        .await;
    assert_dbs_error(&no_date, 400, "DBS.200001");
}

#[tokio::test]
async fn documented_constraints_are_refused() {
    let h = start(world()).await;
    let base = example("gaussdb.restoring_data_to_a_new_db_instance.request_backup.json");
    let mut small = base.clone();
    small["volume"]["size"] = json!(120);
    let mut disk = base.clone();
    disk["volume"]["type"] = json!("SSD");
    disk["volume"]["size"] = json!(160);
    let mut port = base.clone();
    port["port"] = json!(5000);
    let mut late = example("gaussdb.restoring_data_to_a_new_db_instance.request_timestamp.json");
    late["restore_point"]["restore_time"] = json!(AT + 7_200_000);
    let mut foreign = base.clone();
    foreign["restore_point"]["backup_id"] = json!("00000000000000000000000000000000br14");
    let mut weak = base.clone();
    weak["password"] = json!("password");
    h.sim.world_snapshot();
    let mut small_world = world();
    small_world
        .gaussdb
        .instances
        .get_mut(SOURCE)
        .unwrap()
        .volume_size = 160;
    for body in [small, disk, port] {
        assert_dbs_error(&create(&h, body).await, 400, "DBS.200001");
    }
    assert_dbs_error(&create(&h, late).await, 400, "DBS.200940");
    assert_dbs_error(&create(&h, foreign).await, 404, "DBS.200802");
    assert_dbs_error(&create(&h, weak).await, 400, "DBS.200041");
    assert!(h.sim.world_snapshot().gaussdb.jobs.is_empty());
}
