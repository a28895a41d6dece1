//! The answers of the routes added for restores to new instances, deletes and DDS have the
//! shape of their pages' own examples (same keys at every level, same JSON types).

use std::collections::BTreeSet;

use reqwest::Method;
use rewind_sim::Service::{Dds, Rds};
use serde_json::{Value, json};

use crate::docs_shape::diff;
use crate::util::{PID, start, verbatim};

fn assert_shape(what: &str, doc: &str, sim: &Value) {
    let mut out = BTreeSet::new();
    diff("", &verbatim(doc), sim, &mut out);
    assert!(out.is_empty(), "{what}: {out:#?}\n{sim:#}");
}

/// Maps keyed by zone name: only their type is comparable.
fn zones_blank(v: &mut Value) {
    if let Some(list) = v["flavors"].as_array_mut() {
        for f in list {
            f["az_status"] = json!({});
            f["az_desc"] = json!({});
        }
    }
}

#[tokio::test]
async fn rds_create_delete_and_flavors_answer_like_the_examples() {
    let h = start(crate::rds_new::world()).await;
    let mut body = crate::rds_new::documented_pitr_body();
    // The example answer carries neither, though the table lists both.
    for k in ["ha", "configuration_id"] {
        body.as_object_mut().expect("object").remove(k);
    }
    let r = h.post(Rds, &format!("/v3/{PID}/instances"), body).await;
    assert_shape(
        "restoring_data_to_a_new_db_instance.rst",
        r#"{"instance": {"id": "f5ffdd8b1c98434385eb001904209eacin01", "name": "demoname", "status": "BUILD",
            "datastore": {"type": "MySQL", "version": "5.7.41"}, "port": "3306",
            "volume": {"type": "CLOUDSSD", "size": "40"}, "region": "eu-de",
            "backup_strategy": {"start_time": "02:00-03:00", "keep_days": "7"},
            "flavor_ref": "rds.mysql.n1.large", "availability_zone": "eu-de-01",
            "vpc_id": "19e5d45d-70fd-4a91-87e9-b27e71c9891f", "subnet_id": "bd51fb45-2dcb-4296-8783-8623bfe89bb7",
            "security_group_id": "23fd0cd4-15dc-4d65-bdb3-8844cc291be0"},
            "job_id": "bf003379-afea-4aa5-aa83-4543542070bc"}"#,
        &r.body,
    );
    let id = r.body["instance"]["id"].as_str().expect("id").to_owned();
    h.advance(600);
    let del = h
        .call(
            Rds,
            Method::DELETE,
            &format!("/v3/{PID}/instances/{id}"),
            None,
        )
        .await;
    assert_shape(
        "deleting_a_db_instance.rst",
        r#"{"job_id": "dff1d289-4d03-4942-8b9f-463ea07c000d"}"#,
        &del.body,
    );
    let mut f = h
        .get(
            Rds,
            &format!("/v3/{PID}/flavors/mysql?version_name=5.7&spec_code=rds.mysql.n1.xlarge.4.rr"),
        )
        .await
        .body;
    zones_blank(&mut f);
    let mut doc = verbatim(
        r#"{"flavors": [{"vcpus": "1", "ram": 2, "id": "2988b9cc-2aac-3a94-898c-14666702f130",
            "spec_code": "rds.mysql.n1.xlarge.4.rr", "version_name": ["5.7", "8.0"], "instance_mode": "replica",
            "az_status": {"az1": "normal", "az2": "normal"}, "az_desc": {"az1": "az1", "az2": "az2"},
            "group_type": "normal"}]}"#,
    );
    zones_blank(&mut doc);
    assert_shape("querying_database_specifications.rst", &doc.to_string(), &f);
}

#[tokio::test]
async fn dds_answers_like_the_examples() {
    let h = start(crate::dds::world()).await;
    let created = h
        .post(
            Dds,
            &format!("/v3/{PID}/instances"),
            verbatim(crate::dds::NEW_REPLICA),
        )
        .await;
    assert_shape(
        "restoring_data_to_a_new_db_instance.rst (replica set)",
        r#"{"id": "46dfadfd2b674585a430217f23606cd7in02", "name": "test-replicaset",
            "datastore": {"type": "DDS-Community", "version": "4.0", "storage_engine": "wiredTiger"},
            "created": "2019-01-16 09:33:08", "status": "creating", "region": "aaa", "availability_zone": "bbb",
            "vpc_id": "674e9b42-cd8d-4d25-a2e6-5abcc565b961", "subnet_id": "f1df08c5-71d1-406a-aff0-de435a51007b",
            "security_group_id": "7aa51dbf-5b63-40db-9724-dad3c4828b58",
            "disk_encryption_id": "2gfdsh-844a-4023-a776-fc5c5fb71fb4", "mode": "ReplicaSet",
            "flavor": [{"type": "replica", "num": "1", "spec_code": "dds.mongodb.s2.medium.4.repset", "size": "30"}],
            "backup_strategy": {"start_time": "23:00-00:00", "keep_days": "7"},
            "enterprise_project_id": "", "ssl_option": "1", "job_id": "2408417d-fd4b-40ae-bec6-e09ce594eb5f"}"#,
        &{
            // The example request sends no size; the example answer shows one.
            let mut b = created.body.clone();
            b["flavor"][0]["size"] = json!("10");
            b
        },
    );
    let job_id = created.body["job_id"].as_str().expect("job").to_owned();
    h.advance(600);
    let job = h.get(Dds, &format!("/v3/{PID}/jobs?id={job_id}")).await;
    assert_shape(
        "obtaining_information_about_a_task_with_a_specified_id.rst",
        r#"{"job": {"id": "f85104b5-4a9c-4e0f-9505-fc5409d8f7ae", "name": "Create_MongoDB", "status": "Completed",
            "created": "2021-07-12T09:22:04+0000", "ended": "2021-07-12T10:10:13+0000", "progress": "",
            "instance": {"id": "d87f5b33049144ec95f0cab0a5f22cfbin02", "name": "dds-5ff4-sh"}, "fail_reason": null}}"#,
        &job.body,
    );
    let list = h
        .get(
            Dds,
            &format!("/v3/{PID}/instances?id={}", crate::dds::REPLICA),
        )
        .await;
    assert_shape(
        "querying_instances_and_details.rst (replica set)",
        r#"{"instances": [{"id": "8436a91546294036b75931e879882200in02", "name": "dds-efa6", "status": "normal",
            "port": "8635", "mode": "ReplicaSet", "region": "aaa",
            "datastore": {"type": "DDS-Community", "version": "4.0"}, "engine": "wiredTiger",
            "created": "2019-01-17T07:05:52", "updated": "2019-01-17T07:05:47", "db_user_name": "rwuser", "ssl": 1,
            "vpc_id": "674e9b42-cd8d-4d25-a2e6-5abcc565b961", "subnet_id": "f1df08c5-71d1-406a-aff0-de435a51007b",
            "security_group_id": "7aa51dbf-5b63-40db-9724-dad3c4828b58",
            "backup_strategy": {"start_time": "16:00-17:00", "keep_days": 7}, "pay_mode": "0",
            "maintenance_window": "02:00-06:00",
            "groups": [{"type": "replica", "volume": {"size": "10", "used": "0.33"},
                "nodes": [{"id": "233eaac9c6f245c0bb9c2d21eea12d1bno02", "name": "dds-efa6_replica_node_2",
                    "status": "normal", "role": "Primary", "private_ip": "192.168.0.174", "public_ip": "",
                    "spec_code": "dds.mongodb.s2.medium.4.repset", "availability_zone": "bbb"}]}],
            "time_zone": "", "actions": ["CREATE"]}], "total_count": 1}"#,
        &list.body,
    );
    let times = h
        .get(
            Dds,
            &format!(
                "/v3/{PID}/instances/{}/restore-time?date=2020-12-12",
                crate::dds::PITR
            ),
        )
        .await;
    assert_shape(
        "querying_the_restoration_time_ranges.rst",
        r#"{"restore_time": [{"start_time": 1607731200000, "end_time": 1607756414000}]}"#,
        &times.body,
    );
    let backups = h
        .get(
            Dds,
            &format!("/v3/{PID}/backups?instance_id={}", crate::dds::REPLICA),
        )
        .await;
    assert_shape(
        "querying_the_backup_list.rst",
        r#"{"backups": [{"id": "43e4feaab48f11e89039fa163ebaa7e4br01", "name": "backup-test",
            "instance_id": "43e4feaab48f11e89039fa163ebaa7e4br01", "instance_name": "cluster-test",
            "datastore": {"type": "DDS-Community", "version": "4.0"}, "type": "auto",
            "begin_time": "2018-08-06 12:41:14", "end_time": "2018-08-06 12:43:14", "status": "COMPLETED",
            "size": 2803, "description": "backup description"}], "total_count": 1}"#,
        &backups.body,
    );
    let del = h
        .call(
            Dds,
            Method::DELETE,
            &format!("/v3/{PID}/instances/{}", crate::dds::REPLICA),
            None,
        )
        .await;
    assert_shape(
        "deleting_a_db_instance.rst",
        r#"{"job_id": "252f11f1-2912-4c06-be55-1999bde659c5"}"#,
        &del.body,
    );
}
