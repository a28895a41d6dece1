//! RDS table- and database-level point-in-time restores: the documented bodies run, the answers
//! have the documented shape, and the checks (engine, time, old objects, free names, region) hold.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rewind_sim::Service::Rds;
use rewind_sim::{RdsContents, RdsDropped, RdsInstance, Window, World};
use serde_json::{Value, json};

use crate::util::{Harness, PID, assert_dbs_error, fixture, start};

/// The PostgreSQL instance of Huawei's `rds_09_0024` example.
const PG: &str = "df29b535eec64ee1b286bd2c62871a9cin03";
/// The MySQL instance of Huawei's `rds_09_0021` example.
const MYSQL: &str = "5d742eda6e574ff3a003191638ef8c51in01";
/// The examples' restore time, and a window around it.
const AT: i64 = 1_688_556_737_000;
const DROPPED: i64 = AT + 60_000;

fn doc(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../providers/tests/fixtures/docs")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fixture plus the examples' instances: `table1` of `data1` was dropped after `AT`.
pub(crate) fn world() -> World {
    let mut w = fixture();
    let window = vec![Window {
        start: AT - 3_600_000,
        end: AT + 3_600_000,
    }];
    for (id, engine, table) in [
        (PG, "postgresql", "schema1.table1"),
        (MYSQL, "mysql", "table1"),
    ] {
        w.rds.instances.insert(
            id.to_owned(),
            RdsInstance {
                name: format!("shop-{engine}"),
                engine: engine.to_owned(),
                version: if engine == "mysql" { "8.0" } else { "14" }.to_owned(),
                restore_windows: window.clone(),
                ..RdsInstance::default()
            },
        );
        let other = if engine == "mysql" {
            "table2"
        } else {
            "schema1.table2"
        };
        w.rds.contents.insert(
            id.to_owned(),
            RdsContents {
                databases: [("data1".to_owned(), vec![other.to_owned()])].into(),
                dropped: vec![RdsDropped {
                    database: "data1".to_owned(),
                    table: Some(table.to_owned()),
                    dropped_at: DROPPED,
                }],
            },
        );
    }
    w
}

fn pg_body() -> Value {
    doc("huawei.rds.restoring_tables_postgresql.request.repaired.json")
}

fn mysql_body() -> Value {
    doc("huawei.rds.restoring_tables_mysql.request.constructed.json")
}

fn databases_body() -> Value {
    doc("huawei.rds.restoring_databases.request.constructed.json")
}

fn mysql_path() -> String {
    format!("/v3.1/{PID}/instances/{MYSQL}/restore/tables")
}

async fn finish(h: &Harness, job: &str) -> Value {
    h.advance(3600);
    h.get(Rds, &format!("/v3/{PID}/jobs?id={job}")).await.body
}

#[tokio::test]
async fn the_documented_postgresql_table_restore_runs_and_answers_like_the_page() {
    let h = start(world()).await;
    let resp = h
        .post(
            Rds,
            &format!("/v3/{PID}/instances/batch/restore/tables"),
            pg_body(),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.raw);
    let mut gaps = BTreeSet::new();
    crate::docs_shape::diff(
        "",
        &doc("huawei.rds.restoring_tables_postgresql.json"),
        &resp.body,
        &mut gaps,
    );
    assert!(gaps.is_empty(), "{gaps:?}");
    assert_eq!(resp.body["restore_result"][0]["instance_id"], PG);
    let job = resp.body["restore_result"][0]["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inst = h.get(Rds, &format!("/v3/{PID}/instances?id={PG}")).await;
    assert_eq!(inst.body["instances"][0]["status"], "RESTORING");
    let done = finish(&h, &job).await;
    assert_eq!(done["job"]["status"], "Completed", "{done}");
    let world = h.sim.world_snapshot();
    let tables = &world.rds.contents[PG].databases["data1"];
    assert!(
        tables.contains(&"schema1.table1_1688556737000".to_owned()),
        "{tables:?}"
    );
    assert_eq!(world.rds.instances[PG].status, "ACTIVE");
}

#[tokio::test]
async fn the_mysql_table_restore_takes_the_v3_1_body_and_answers_a_job_id() {
    let h = start(world()).await;
    let resp = h.post(Rds, &mysql_path(), mysql_body()).await;
    assert_eq!(resp.status, 200, "{}", resp.raw);
    let mut gaps = BTreeSet::new();
    crate::docs_shape::diff(
        "",
        &doc("huawei.rds.restoring_tables_mysql.constructed.json"),
        &resp.body,
        &mut gaps,
    );
    assert!(gaps.is_empty(), "{gaps:?}");
    let job = resp.body["job_id"].as_str().unwrap().to_owned();
    assert_eq!(finish(&h, &job).await["job"]["status"], "Completed");
    // The task is in the instant-task list, where reconcile looks for it.
    let tasks = h
        .get(Rds, &format!("/v3/{PID}/tasklist?instance_id={MYSQL}"))
        .await;
    assert_eq!(tasks.body["tasks"][0]["id"], job.as_str(), "{}", tasks.raw);
    assert!(
        tasks.body["tasks"][0]["name"]
            .as_str()
            .unwrap()
            .contains("Table")
    );
}

#[tokio::test]
async fn a_database_restore_brings_back_the_database_under_its_new_name() {
    let h = start(world()).await;
    let resp = h
        .post(
            Rds,
            &format!("/v3/{PID}/instances/batch/restore/databases"),
            databases_body(),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.raw);
    let job = resp.body["restore_result"][0]["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    finish(&h, &job).await;
    let world = h.sim.world_snapshot();
    let restored = &world.rds.contents[MYSQL].databases["data1_1688556737000"];
    assert!(restored.contains(&"table1".to_owned()), "{restored:?}");
}

#[tokio::test]
async fn taken_names_missing_tables_wrong_engines_and_times_are_refused() {
    let h = start(world()).await;
    // The new name exists now.
    let mut taken = mysql_body();
    taken["restore_tables"][0]["tables"][0]["new_name"] = json!("table2");
    assert_dbs_error(&h.post(Rds, &mysql_path(), taken).await, 400, "DBS.280343");
    // The table did not exist at the time (it was dropped after AT; table9 never existed).
    let mut missing = mysql_body();
    missing["restore_tables"][0]["tables"][0]["old_name"] = json!("table9");
    assert_dbs_error(
        &h.post(Rds, &mysql_path(), missing).await,
        400,
        "DBS.280344",
    );
    // After the drop, table1 is gone at the restore time.
    let mut late = mysql_body();
    late["restore_time"] = json!(DROPPED + 1);
    assert_dbs_error(&h.post(Rds, &mysql_path(), late).await, 400, "DBS.280344");
    // Outside the window.
    let mut outside = mysql_body();
    outside["restore_time"] = json!(AT + 7_200_000);
    assert_dbs_error(&h.post(Rds, &mysql_path(), outside).await, 400, "RDS.3029");
    // The PostgreSQL form on a MySQL instance.
    let mut wrong = pg_body();
    wrong["instances"][0]["instance_id"] = json!(MYSQL);
    let resp = h
        .post(
            Rds,
            &format!("/v3/{PID}/instances/batch/restore/tables"),
            wrong,
        )
        .await;
    assert_dbs_error(&resp, 400, "DBS.200022");
    // Nothing ran.
    assert!(h.sim.world_snapshot().rds.jobs.is_empty());
}

#[tokio::test]
async fn a_region_without_the_apis_answers_404_apig_0101() {
    let mut w = world();
    w.rds.table_restore_unavailable = true;
    let h = start(w).await;
    let resp = h.post(Rds, &mysql_path(), mysql_body()).await;
    assert_dbs_error(&resp, 404, "APIG.0101");
    let history = h
        .post(
            Rds,
            &format!("/v3/{PID}/mysql/instances/history/databases"),
            doc("huawei.rds.querying_restorable_databases.request.json"),
        )
        .await;
    assert_dbs_error(&history, 404, "APIG.0101");
}

#[tokio::test]
async fn the_history_queries_list_what_existed_at_the_time() {
    let h = start(world()).await;
    let mut body = doc("huawei.rds.querying_restorable_tables_postgresql.request.json");
    body["instance_ids"] = json!([PG]);
    body["restore_time"] = json!(AT);
    let resp = h
        .post(
            Rds,
            &format!("/v3/{PID}/postgresql/instances/history/tables"),
            body.clone(),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.raw);
    let db = &resp.body["instances"][0]["databases"][0];
    assert_eq!(db["name"], "data1");
    let tables: Vec<&str> = db["schemas"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tables, ["table2", "table1"]);
    body["restore_time"] = json!(DROPPED + 1);
    let after = h
        .post(
            Rds,
            &format!("/v3/{PID}/postgresql/instances/history/tables"),
            body,
        )
        .await;
    let n = after.body["instances"][0]["databases"][0]["schemas"][0]["tables"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(n, 1, "{}", after.raw);
    let dbs = h
        .post(
            Rds,
            &format!("/v3/{PID}/mysql/instances/history/databases"),
            doc("huawei.rds.querying_restorable_databases.request.json"),
        )
        .await;
    assert_eq!(
        dbs.body["instances"][0]["databases"][0]["name"], "data1",
        "{}",
        dbs.raw
    );
}
