//! RDS: restoring to a new instance (all three engines), its errors, deletes and flavors.

use reqwest::Method;
use rewind_sim::Service::Rds;
use rewind_sim::{Address, RdsBackup, RdsInstance, Window, World};
use serde_json::{Value, json};

use crate::rds::INST;
use crate::util::{Harness, PID, assert_dbs_error, fixture, start, verbatim};

const BACKUP: &str = "2f4ddb93-b901-4b08-93d8-1d2e472f30fe";
const PG: &str = "0b1c2d3e4f5061728394a5b6c7d8e9f0in01";
const MSSQL: &str = "1c2d3e4f5061728394a5b6c7d8e9f0a1in01";
/// The password of the documented examples; it must appear nowhere the simulator writes.
const PASSWORD: &str = "Demo@12345678";

/// The fixture plus the documented example's backup, and PostgreSQL and SQL Server sources.
pub(crate) fn world() -> World {
    let mut w = fixture();
    w.rds.backups.insert(
        BACKUP.to_owned(),
        RdsBackup {
            instance_id: INST.to_owned(),
            name: "orders-manual".to_owned(),
            begin_time: 1_532_001_000_000,
            end_time: 1_532_001_300_000,
            ..RdsBackup::default()
        },
    );
    let window = vec![Window {
        start: 1_532_001_446_987,
        end: 1_532_742_139_000,
    }];
    for (id, engine, version, size) in [
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
    w
}

/// "Use backup files for restoration", verbatim from the page.
fn documented_backup_body() -> Value {
    verbatim(
        r#"{
    "name": "targetInst",
    "availability_zone": "eu-de-01,eu-de-02",
    "ha": {
        "mode": "ha",
        "replication_mode": "async"
    },
    "flavor_ref": "rds.mysql.n1.large",
    "volume": {
        "type": "CLOUDSSD",
        "size": 40
    },
    "disk_encryption_id": "2gfdsh-844a-4023-a776-fc5c5fb71fb4",
    "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
    "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
    "security_group_id": "2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5",
    "backup_strategy": {
        "keep_days": 2,
        "start_time": "19:00-20:00"
    },
    "password": "Demo@12345678",
    "configuration_id": "52e86e87445847a79bf807ceda213165pr01",
    "restore_point": {
        "instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01",
        "type": "backup",
        "backup_id": "2f4ddb93-b901-4b08-93d8-1d2e472f30fe"
    }
}"#,
    )
}

/// "Use PITR for restoration", verbatim from the page.
pub(crate) fn documented_pitr_body() -> Value {
    verbatim(
        r#"{
    "name": "targetInst",
    "availability_zone": "eu-de-01,eu-de-02",
    "ha": {
        "mode": "ha",
        "replication_mode": "async"
    },
    "flavor_ref": "rds.mysql.n1.large",
    "volume": {
        "type": "CLOUDSSD",
        "size": 40
    },
    "disk_encryption_id": "2gfdsh-844a-4023-a776-fc5c5fb71fb4",
    "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
    "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
    "security_group_id": "2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5",
    "backup_strategy": {
        "keep_days": 2,
        "start_time": "19:00-20:00"
    },
    "password": "Demo@12345678",
    "configuration_id": "52e86e87445847a79bf807ceda213165pr01",
    "restore_point": {
        "instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01",
        "type": "timestamp",
        "restore_time": 1532001446987
    }
}"#,
    )
}

fn instances() -> String {
    format!("/v3/{PID}/instances")
}

/// A minimal single-instance body for `source` and `flavor`.
fn body(name: &str, source: &str, flavor: &str, size: u32, password: &str) -> Value {
    json!({
        "name": name,
        "availability_zone": "eu-de-01",
        "flavor_ref": flavor,
        "volume": { "type": "CLOUDSSD", "size": size },
        "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
        "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
        "password": password,
        "restore_point": { "instance_id": source, "type": "timestamp", "restore_time": 1_532_001_446_987_i64 },
    })
}

async fn job(h: &Harness, id: &str) -> Value {
    let r = h.get(Rds, &format!("/v3/{PID}/jobs?id={id}")).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["job"].clone()
}

async fn by_name(h: &Harness, name: &str) -> Value {
    let r = h
        .get(Rds, &format!("/v3/{PID}/instances?name={name}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body
}

/// Nothing the simulator shows (request log, world, creations, errors) holds the password.
async fn assert_no_password(h: &Harness) {
    for path in ["requests", "world", "creations", "deletions", "submissions"] {
        let r = h.get(Rds, &format!("/_sim/{path}")).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(!r.raw.contains(PASSWORD), "/_sim/{path} shows the password");
    }
    let log = serde_json::to_string(&h.sim.requests()).expect("log serialises");
    assert!(!log.contains(PASSWORD));
}

#[tokio::test]
async fn the_documented_examples_are_accepted_and_answer_as_documented() {
    let h = start(world()).await;
    for example in [documented_backup_body(), documented_pitr_body()] {
        let r = h.post(Rds, &instances(), example).await;
        assert_eq!(r.status, 202, "{}", r.raw);
        let i = &r.body["instance"];
        assert_eq!(i["name"], "targetInst");
        assert_eq!(i["status"], "BUILD");
        assert_eq!(i["datastore"], json!({ "type": "MySQL", "version": "8.0" }));
        assert_eq!(i["port"], "3306");
        assert_eq!(i["volume"], json!({ "type": "CLOUDSSD", "size": "40" }));
        assert_eq!(
            i["backup_strategy"],
            json!({ "start_time": "19:00-20:00", "keep_days": "2" })
        );
        assert_eq!(i["ha"]["replication_mode"], "async");
        assert_eq!(i["flavor_ref"], "rds.mysql.n1.large");
        assert_eq!(i["availability_zone"], "eu-de-01,eu-de-02");
        let id = i["id"].as_str().expect("id");
        assert!(id.ends_with("in01") && id.len() == 36, "{id}");
        assert_eq!(r.body["job_id"].as_str().map(str::len), Some(36));
    }
    // Names may repeat (the page: "DB instances of the same type can have same names").
    let listed = by_name(&h, "targetInst").await;
    assert_eq!(listed["total_count"], 2);
    assert_eq!(h.sim.creations().len(), 2);
    // The request log shows the password as "(sensitive)".
    let post = h
        .sim
        .requests()
        .into_iter()
        .find(|e| e.method == "POST" && e.service == Rds)
        .expect("logged");
    assert_eq!(post.body.expect("body")["password"], json!("(sensitive)"));
    assert_no_password(&h).await;
}

#[tokio::test]
async fn a_create_runs_build_to_active_and_reports_the_mapped_address() {
    let mut world = world();
    world.new_instance_addresses.insert(
        "drill-node-a".to_owned(),
        Address {
            ip: "127.0.0.1".to_owned(),
            port: 3306,
        },
    );
    let h = start(world).await;
    let r = h
        .post(
            Rds,
            &instances(),
            body("drill-node-a", INST, "rds.mysql.n1.large", 40, PASSWORD),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.raw);
    let id = r.body["instance"]["id"].as_str().expect("id").to_owned();
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();

    let running = job(&h, &job_id).await;
    assert_eq!(running["status"], "Running");
    assert_eq!(running["name"], "CreateMysqlSingleHAInstance");
    assert_eq!(running["instance"]["id"], id.as_str());
    let listed = h
        .get(Rds, &format!("/v3/{PID}/instances?id={id}"))
        .await
        .body;
    assert_eq!(listed["total_count"], 1);
    let inst = &listed["instances"][0];
    assert_eq!(inst["status"], "BUILD");
    assert_eq!(inst["private_ips"], json!(["127.0.0.1"]));
    assert_eq!(inst["port"], 3306);
    assert_eq!(inst["type"], "Single");

    h.advance(600);
    assert_eq!(job(&h, &job_id).await["status"], "Completed");
    let inst = by_name(&h, "drill-node-a").await["instances"][0].clone();
    assert_eq!(inst["status"], "ACTIVE");
    assert_eq!(inst["id"], id.as_str());
    let last = h.sim.world_snapshot().rds.instances[&id]
        .last_restore
        .clone()
        .expect("the new instance records what it was restored to");
    assert_eq!(last.restore_time, Some(1_532_001_446_987));
    let created = &h.sim.creations()[0];
    assert_eq!(
        (created.name.as_str(), created.instance_id.as_str()),
        ("drill-node-a", id.as_str())
    );
    assert_eq!(created.source_instance_id, INST);
    assert_eq!(h.sim.submissions().get(&id), Some(&1));
}

#[tokio::test]
async fn a_failed_create_ends_in_create_fail() {
    let h = start(world()).await;
    h.fail_jobs("Creating the DB instance failed.");
    let r = h
        .post(
            Rds,
            &instances(),
            body("doomed", INST, "rds.mysql.n1.large", 40, PASSWORD),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.raw);
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();
    h.advance(600);
    let j = job(&h, &job_id).await;
    assert_eq!(j["status"], "Failed");
    assert_eq!(j["fail_reason"], "Creating the DB instance failed.");
    assert_eq!(
        by_name(&h, "doomed").await["instances"][0]["status"],
        "CREATE FAIL"
    );
}

#[tokio::test]
async fn postgresql_and_sql_server_follow_their_documented_differences() {
    let h = start(world()).await;
    // PostgreSQL: default port 5432, its own flavor, `=` allowed but not `(`.
    let pg = h
        .post(
            Rds,
            &instances(),
            body("pg-new", PG, "rds.pg.n1.large.2", 100, "Demo=12345678"),
        )
        .await;
    assert_eq!(pg.status, 202, "{}", pg.raw);
    assert_eq!(pg.body["instance"]["port"], "5432");
    assert_eq!(pg.body["instance"]["datastore"]["type"], "PostgreSQL");
    let r = h
        .post(
            Rds,
            &instances(),
            body("pg-bad", PG, "rds.pg.n1.large.2", 100, "Demo(12345678"),
        )
        .await;
    assert_dbs_error(&r, 400, "DBS.200052");
    let mut b = body("pg-port", PG, "rds.pg.n1.large.2", 100, "Demo=12345678");
    b["port"] = json!("1500");
    assert_dbs_error(&h.post(Rds, &instances(), b).await, 400, "DBS.200001");
    let mut b = body("pg-coll", PG, "rds.pg.n1.large.2", 100, "Demo=12345678");
    b["collation"] = json!("Latin1_General_CI_AS");
    assert_dbs_error(&h.post(Rds, &instances(), b).await, 400, "DBS.200001");

    // SQL Server: 1433, collation accepted and reported, `=` refused, replication only sync.
    let mut b = body(
        "mssql-new",
        MSSQL,
        "rds.mssql.n1.large.2",
        40,
        "Demo_12345678",
    );
    b["collation"] = json!("Latin1_General_CI_AS");
    let r = h.post(Rds, &instances(), b).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    assert_eq!(r.body["instance"]["port"], "1433");
    assert_eq!(r.body["instance"]["collation"], "Latin1_General_CI_AS");
    let id = r.body["instance"]["id"].as_str().expect("id").to_owned();
    let listed = h
        .get(Rds, &format!("/v3/{PID}/instances?id={id}"))
        .await
        .body;
    assert_eq!(listed["instances"][0]["collation"], "Latin1_General_CI_AS");
    assert_eq!(listed["instances"][0]["datastore"]["version"], "2019_SE");
    let r = h
        .post(
            Rds,
            &instances(),
            body(
                "mssql-bad",
                MSSQL,
                "rds.mssql.n1.large.2",
                40,
                "Demo=12345678",
            ),
        )
        .await;
    assert_dbs_error(&r, 400, "DBS.200052");
    let mut b = body(
        "mssql-ha",
        MSSQL,
        "rds.mssql.n1.large.2.ha",
        40,
        "Demo_12345678",
    );
    b["ha"] = json!({ "mode": "Ha", "replication_mode": "async" });
    assert_dbs_error(&h.post(Rds, &instances(), b).await, 400, "DBS.200043");
    let mut b = body(
        "mssql-port",
        MSSQL,
        "rds.mssql.n1.large.2",
        40,
        "Demo_12345678",
    );
    b["port"] = json!(5355);
    assert_dbs_error(&h.post(Rds, &instances(), b).await, 400, "DBS.200001");
    assert_no_password(&h).await;
}

#[tokio::test]
async fn every_precondition_has_its_documented_error() {
    let h = start(world()).await;
    let path = instances();
    let post = |b: Value| h.post(Rds, &path, b);
    // Wrong engine: a PostgreSQL flavor for a MySQL source.
    let r = post(body(
        "wrong-engine",
        INST,
        "rds.pg.n1.large.2",
        40,
        PASSWORD,
    ))
    .await;
    assert_dbs_error(&r, 400, "DBS.200040");
    // Wrong version: a world flavor that serves only 5.7, the source runs 8.0.
    // (covered by a custom catalog below)
    // Unknown flavor of the right engine.
    let r = post(body("no-flavor", INST, "rds.mysql.z9.huge", 40, PASSWORD)).await;
    assert_dbs_error(&r, 400, "DBS.200053");
    // Volume smaller than the source's (PostgreSQL source has 100 GB).
    let r = post(body("small", PG, "rds.pg.n1.large.2", 90, "Demo=12345678")).await;
    assert_dbs_error(&r, 400, "RDS.3030");
    let r = post(body("odd-size", INST, "rds.mysql.n1.large", 45, PASSWORD)).await;
    assert_dbs_error(&r, 400, "DBS.200027");
    let r = post(body(
        "huge-disk",
        INST,
        "rds.mysql.n1.large",
        5000,
        PASSWORD,
    ))
    .await;
    assert_dbs_error(&r, 400, "DBS.200023");
    let mut b = body("disk", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b["volume"]["type"] = json!("SATA");
    assert_dbs_error(&post(b).await, 400, "DBS.200026");
    // Outside the restorable window.
    let mut b = body("late-time", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b["restore_point"]["restore_time"] = json!(1_900_000_000_000_i64);
    assert_dbs_error(&post(b).await, 400, "RDS.3029");
    // Unknown backup, and a backup of another instance.
    let mut b = body("nobackup", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b["restore_point"] = json!({ "instance_id": INST, "type": "backup", "backup_id": "nope" });
    assert_dbs_error(&post(b).await, 404, "DBS.201010");
    let mut b = body("otherbackup", PG, "rds.pg.n1.large.2", 100, "Demo=12345678");
    b["restore_point"] = json!({ "instance_id": PG, "type": "backup", "backup_id": BACKUP });
    assert_dbs_error(&post(b).await, 400, "DBS.280214");
    // Unknown source.
    let r = post(body(
        "nosource",
        "0000in01",
        "rds.mysql.n1.large",
        40,
        PASSWORD,
    ))
    .await;
    assert_dbs_error(&r, 404, "DBS.200013");
    // Bad name, bad password, missing password, unknown field, restore point disagreement.
    let r = post(body("1bad", INST, "rds.mysql.n1.large", 40, PASSWORD)).await;
    assert_dbs_error(&r, 400, "DBS.200021");
    let r = post(body(
        "weakpw",
        INST,
        "rds.mysql.n1.large",
        40,
        "alllowercase1",
    ))
    .await;
    assert_dbs_error(&r, 400, "DBS.200052");
    assert!(!r.raw.contains("alllowercase1"), "{}", r.raw);
    let mut b = body("nopw", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b.as_object_mut().expect("object").remove("password");
    assert_dbs_error(&post(b).await, 400, "DBS.200001");
    let mut b = body("typo", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b["flavor"] = json!("rds.mysql.n1.large");
    let r = post(b).await;
    assert_dbs_error(&r, 400, "DBS.200001");
    assert!(r.raw.contains("flavor"), "{}", r.raw);
    let mut b = body("mixed", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b["restore_point"]["backup_id"] = json!(BACKUP);
    assert_dbs_error(&post(b).await, 400, "DBS.200001");
    let mut b = body("badha", INST, "rds.mysql.n1.large.ha", 40, PASSWORD);
    b["ha"] = json!({ "mode": "single", "replication_mode": "async" });
    assert_dbs_error(&post(b).await, 400, "DBS.200051");
    let mut b = body("badbackup", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b["backup_strategy"] = json!({ "start_time": "19:00-21:00" });
    assert_dbs_error(&post(b).await, 400, "DBS.201103");
    // A password that is not a string is refused without being quoted.
    let mut b = body("numpw", INST, "rds.mysql.n1.large", 40, PASSWORD);
    b["password"] = json!(987_654_321);
    let r = post(b).await;
    assert_dbs_error(&r, 400, "DBS.200001");
    assert!(!r.raw.contains("987654321"), "{}", r.raw);
    assert!(h.sim.creations().is_empty());
    assert_no_password(&h).await;
}

#[tokio::test]
async fn a_version_the_flavor_does_not_serve_is_refused() {
    let mut w = world();
    w.rds.flavors = vec![rewind_sim::RdsFlavor {
        spec_code: "rds.mysql.n1.large".to_owned(),
        version_name: vec!["5.7".to_owned()],
        instance_mode: "single".to_owned(),
        vcpus: 2,
        ram: 4,
    }];
    let h = start(w).await;
    let r = h
        .post(
            Rds,
            &instances(),
            body("v57-only", INST, "rds.mysql.n1.large", 40, PASSWORD),
        )
        .await;
    assert_dbs_error(&r, 400, "DBS.200040");
    let f = h
        .get(Rds, &format!("/v3/{PID}/flavors/MySQL?version_name=8.0"))
        .await;
    assert_eq!(f.body["flavors"], json!([]));
}

#[tokio::test]
async fn flavors_are_listed_per_engine_and_version() {
    let h = start(world()).await;
    let r = h
        .get(
            Rds,
            &format!("/v3/{PID}/flavors/mysql?version_name=5.7&spec_code=rds.mysql.n1.xlarge.4.rr"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let list = r.body["flavors"].as_array().expect("flavors");
    assert_eq!(list.len(), 1);
    let f = &list[0];
    assert_eq!(f["spec_code"], "rds.mysql.n1.xlarge.4.rr");
    assert_eq!(f["instance_mode"], "replica");
    assert_eq!(f["vcpus"], "4");
    assert_eq!(f["ram"], 16);
    assert_eq!(f["version_name"], json!(["5.7", "8.0"]));
    assert!(f["az_status"].is_object() && f["id"].is_string() && f["group_type"].is_string());
    let pg = h
        .get(
            Rds,
            &format!("/v3/{PID}/flavors/PostgreSQL?version_name=14"),
        )
        .await;
    let codes: Vec<&str> = pg.body["flavors"]
        .as_array()
        .expect("flavors")
        .iter()
        .filter_map(|f| f["spec_code"].as_str())
        .collect();
    assert!(codes.contains(&"rds.pg.n1.large.2.ha"), "{codes:?}");
    assert!(codes.iter().all(|c| c.starts_with("rds.pg.")));
    let r = h.get(Rds, &format!("/v3/{PID}/flavors/oracle")).await;
    assert_dbs_error(&r, 400, "DBS.200042");
}

#[tokio::test]
async fn a_delete_runs_a_job_and_the_instance_disappears() {
    let h = start(world()).await;
    let r = h
        .post(
            Rds,
            &instances(),
            body("scratch", INST, "rds.mysql.n1.large", 40, PASSWORD),
        )
        .await;
    let id = r.body["instance"]["id"].as_str().expect("id").to_owned();
    let path = format!("/v3/{PID}/instances/{id}");
    // Still being created: another operation is in progress.
    let r = h.call(Rds, Method::DELETE, &path, None).await;
    assert_dbs_error(&r, 409, "DBS.200019");
    h.advance(600);
    let r = h.call(Rds, Method::DELETE, &path, None).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    let job_id = r.body["job_id"].as_str().expect("job").to_owned();
    assert_eq!(r.body.as_object().map(serde_json::Map::len), Some(1));
    // A second delete while the first runs is refused, and counted nowhere.
    let again = h.call(Rds, Method::DELETE, &path, None).await;
    assert_dbs_error(&again, 409, "DBS.200019");
    assert_eq!(by_name(&h, "scratch").await["total_count"], 1);
    h.advance(60);
    assert_eq!(job(&h, &job_id).await["status"], "Completed");
    assert_eq!(by_name(&h, "scratch").await["total_count"], 0);
    assert!(!h.sim.world_snapshot().rds.instances.contains_key(&id));
    let d = h.sim.deletions();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].instance_id.as_str(), d[0].name.as_str()),
        (id.as_str(), "scratch")
    );
    let admin = h.get(Rds, "/_sim/deletions").await;
    assert_eq!(admin.body[0]["instance_id"], id.as_str());
    let gone = h.call(Rds, Method::DELETE, &path, None).await;
    assert_dbs_error(&gone, 404, "DBS.200002");
}

#[tokio::test]
async fn a_failed_delete_leaves_the_instance() {
    let h = start(world()).await;
    h.fail_jobs("Deleting the DB instance failed.");
    let r = h
        .call(
            Rds,
            Method::DELETE,
            &format!("/v3/{PID}/instances/{INST}"),
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.raw);
    h.advance(60);
    let w = h.sim.world_snapshot();
    assert!(!w.rds.instances[INST].deleting);
    assert_eq!(w.rds.instances[INST].status, "ACTIVE");
}

#[tokio::test]
async fn name_filters_match_exactly_or_after_a_star() {
    let h = start(world()).await;
    assert_eq!(by_name(&h, "orders").await["total_count"], 0);
    let fuzzy = h
        .get(Rds, &format!("/v3/{PID}/instances?name=*orders"))
        .await;
    assert!(
        fuzzy.body["total_count"].as_u64() >= Some(3),
        "{}",
        fuzzy.raw
    );
}

#[tokio::test]
async fn a_create_whose_response_is_dropped_exists_and_is_found_by_name() {
    let h = start(world()).await;
    h.sim.set_faults(rewind_sim::Faults {
        rules: vec![rewind_sim::FaultRule {
            method: Some("POST".into()),
            path: Some("/v3/*/instances".into()),
            drop_response_rate: 1.0,
            times: Some(1),
            ..rewind_sim::FaultRule::default()
        }],
        token_ttl_seconds: None,
    });
    let sent = h
        .client
        .post(format!("{}{}", h.sim.url(Rds), instances()))
        .header("X-Auth-Token", &h.token)
        .json(&body("ambiguous", INST, "rds.mysql.n1.large", 40, PASSWORD))
        .send()
        .await;
    assert!(sent.is_err(), "the client sees no response");
    // The create took effect: a client that lost the answer finds it by name and adopts it.
    let found = by_name(&h, "ambiguous").await;
    assert_eq!(found["total_count"], 1);
    assert_eq!(found["instances"][0]["status"], "BUILD");
    assert_eq!(h.sim.creations().len(), 1);
    let admin = h.get(Rds, "/_sim/creations").await;
    assert_eq!(admin.body[0]["name"], "ambiguous");
    assert_eq!(admin.body[0]["service"], "rds");
    assert_no_password(&h).await;
}
