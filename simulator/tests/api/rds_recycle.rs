//! The RDS recycle bin: a deleted instance is listed as the page documents it, and is rebuilt
//! from its recycle backup by a restore to a new instance.

use std::collections::BTreeSet;
use std::path::PathBuf;

use reqwest::Method;
use rewind_sim::Service::Rds;
use rewind_sim::{RecycleBackup, RecycledInstance};
use serde_json::{Value, json};

use crate::rds::INST;
use crate::util::{PID, assert_dbs_error, fixture, start};

fn doc(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../providers/tests/fixtures/docs")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rebuild_body(source: &str, backup: &str) -> Value {
    json!({
        "name": "orders-rebuilt",
        "availability_zone": "eu-de-01",
        "flavor_ref": "rds.mysql.n1.large",
        "volume": { "type": "CLOUDSSD", "size": 40 },
        "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
        "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
        "security_group_id": "2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5",
        "password": "Demo@12345678",
        "restore_point": { "instance_id": source, "type": "backup", "backup_id": backup },
    })
}

#[tokio::test]
async fn a_deleted_instance_is_listed_like_the_page_and_rebuilt_from_its_backup() {
    let h = start(fixture()).await;
    let del = h
        .call(
            Rds,
            Method::DELETE,
            &format!("/v3/{PID}/instances/{INST}"),
            None,
        )
        .await;
    assert_eq!(del.status, 202, "{}", del.raw);
    h.advance(600);
    let list = h
        .get(
            Rds,
            &format!("/v3/{PID}/recycle-instances?offset=0&limit=10"),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.raw);
    let mut gaps = BTreeSet::new();
    crate::docs_shape::diff(
        "",
        &doc("rds.querying_instances_in_the_recycle_bin.json"),
        &list.body,
        &mut gaps,
    );
    assert!(gaps.is_empty(), "{gaps:?}");
    let entry = &list.body["instances"][0];
    assert_eq!(entry["id"], INST);
    assert_eq!(entry["recycle_status"], "COMPLETED");
    let backup = entry["recycle_backup_id"].as_str().unwrap().to_owned();

    let created = h
        .post(
            Rds,
            &format!("/v3/{PID}/instances"),
            rebuild_body(INST, &backup),
        )
        .await;
    assert_eq!(created.status, 202, "{}", created.raw);
    let job = created.body["job_id"].as_str().unwrap().to_owned();
    h.advance(3600);
    let done = h.get(Rds, &format!("/v3/{PID}/jobs?id={job}")).await;
    assert_eq!(done.body["job"]["status"], "Completed", "{}", done.raw);
}

#[tokio::test]
async fn a_bin_entry_still_building_expired_or_with_a_foreign_backup_is_refused() {
    let mut w = fixture();
    let now = w.now.unwrap();
    let backup = RecycleBackup::default();
    for (id, status, until) in [
        (
            "a0000000000000000000000000000001in01",
            "BUILDING",
            now + 86_400_000,
        ),
        ("a0000000000000000000000000000002in01", "COMPLETED", now - 1),
        (
            "a0000000000000000000000000000003in01",
            "COMPLETED",
            now + 86_400_000,
        ),
    ] {
        w.rds.recycle_bin.insert(
            id.to_owned(),
            RecycledInstance {
                name: format!("gone-{}", &id[31..32]),
                retained_until: until,
                deleted_at: now - 3_600_000,
                recycle_status: status.to_owned(),
                recycle_backup_id: format!("{}br01", &id[..32]),
                recycle_backups: [(format!("{}br01", &id[..32]), backup.clone())].into(),
                ..RecycledInstance::default()
            },
        );
    }
    let h = start(w).await;
    let path = format!("/v3/{PID}/instances");
    let building = h
        .post(
            Rds,
            &path,
            rebuild_body(
                "a0000000000000000000000000000001in01",
                "a0000000000000000000000000000001br01",
            ),
        )
        .await;
    assert_dbs_error(&building, 400, "DBS.280214");
    let expired = h
        .post(
            Rds,
            &path,
            rebuild_body(
                "a0000000000000000000000000000002in01",
                "a0000000000000000000000000000002br01",
            ),
        )
        .await;
    assert_dbs_error(&expired, 404, "DBS.200013");
    let foreign = h
        .post(
            Rds,
            &path,
            rebuild_body(
                "a0000000000000000000000000000003in01",
                "43e4feaab48f11e89039fa163ebaa7e4br01",
            ),
        )
        .await;
    assert_dbs_error(&foreign, 400, "DBS.280214");
    // The expired one is no longer listed; offset and limit are mandatory.
    let list = h
        .get(
            Rds,
            &format!("/v3/{PID}/recycle-instances?offset=0&limit=50"),
        )
        .await;
    assert_eq!(list.body["total_count"], 2, "{}", list.raw);
    assert_dbs_error(
        &h.get(Rds, &format!("/v3/{PID}/recycle-instances")).await,
        400,
        "DBS.200001",
    );
}
