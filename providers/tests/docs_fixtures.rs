//! The documentation's own example responses (`fixtures/docs/`, see its SOURCES.md) parse in
//! the providers' readers, which find the status, progress, times and IDs rewind relies on.

use rewind_engine::provider::{Percent, PollOutcome};
use rewind_providers::check::{array, find, windows};
use rewind_providers::job::Job;
use rewind_providers::rds::is_restore_task;
use rewind_providers::wire_time::{parse_ms, value_ms};
use rewind_providers::{cbr, dcs};
use serde_json::Value;

fn doc(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docs")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ms(text: &str) -> Option<i64> {
    parse_ms(text)
}

#[test]
fn rds_jobs_and_the_instant_task_list() {
    let running = doc("rds.obtaining_information_about_a_task_with_a_specified_id.running.json");
    let job = Job::from_value(&running["job"]).expect("a job");
    assert_eq!(
        (job.status.as_str(), job.percent.map(Percent::whole)),
        ("Running", Some(60))
    );
    assert_eq!(job.created_ms, ms("2018-08-06T10:41:14+0000"));
    assert_eq!(
        job.instance_id.as_deref(),
        Some("a48e43ff268f4c0e879652d65e63d0fbin01")
    );

    let failed = doc("rds.obtaining_information_about_a_task_with_a_specified_id.failed.json");
    let job = Job::from_value(&failed["job"]).expect("a job");
    assert!(matches!(job.outcome("t"), PollOutcome::Failed { reason } if !reason.is_empty()));
    assert!(job.created_ms.is_some());

    let list = doc("rds.querying_instant_tasks.json");
    assert_eq!(list["total_count"], 1);
    let task = Job::from_value(&list["tasks"][0]).expect("a task");
    assert_eq!(task.id, "676e9f17f9b74289883a44a47b8101f5");
    assert!(is_restore_task(&task.name), "{}", task.name);
    assert_eq!(
        task.instance_id.as_deref(),
        Some("4d00c7e9d22145deb889937a72b59c8ein01")
    );
    assert_eq!(task.created_ms, ms("2020-07-15T07:46:10Z"));
    assert!(matches!(task.outcome("t"), PollOutcome::Succeeded { .. }));
}

#[test]
fn rds_instances_windows_and_backups() {
    let body = doc("rds.querying_db_instances.json");
    let inst = find(
        array(&body["instances"]),
        "id",
        "ed7cc6166ec24360a5ed5c5c9c2ed726in01",
    )
    .expect("instance");
    assert_eq!(inst["status"], "ACTIVE");
    assert!(inst["datastore"]["type"].is_string() && inst["volume"]["size"].is_u64());
    let w = doc("rds.querying_the_restoration_time_range.json");
    assert_eq!(
        windows(&w["restore_time"]),
        vec![(1_532_001_446_987, 1_532_742_139_000)]
    );
    let b = doc("rds.obtaining_details_about_backups.json");
    let backup = find(
        array(&b["backups"]),
        "id",
        "43e4feaab48f11e89039fa163ebaa7e4br01",
    )
    .expect("backup");
    assert_eq!(backup["status"], "COMPLETED");
    let r = doc("rds.restoring_data_to_an_existing_or_original_db_instance.json");
    assert!(r["job_id"].as_str().is_some_and(|s| !s.is_empty()));
}

#[test]
fn ddm_jobs_instances_windows_and_backups() {
    let list = doc("ddm.querying_information_about_tasks_a_v3_api.json");
    let jobs: Vec<Job> = array(&list["jobs"])
        .iter()
        .filter_map(Job::from_value)
        .collect();
    assert_eq!(jobs.len(), 3);
    assert!(jobs.iter().all(|j| j.created_ms.is_some()
        && j.instance_id.as_deref() == Some("733c7e8d73a54c27b8308ec784a8be8cin09")));
    assert_eq!(jobs[0].created_ms, ms("2025-05-20T15:05:13+0000"));
    let one = doc("ddm.obtaining_information_about_a_task_with_a_specified_id_a_v3_api.json");
    let job = Job::from_value(&one["job"]).expect("a job");
    assert_eq!(
        (job.percent.map(Percent::whole), job.created_ms),
        (Some(60), ms("2018-08-06T09:41:14Z"))
    );
    assert_eq!(
        job.instance_id.as_deref(),
        Some("a48e43ff268f4c0e879652d65e63d0fbin09")
    );
    for f in [
        "ddm.restoring_data_to_a_new_instancea_v3_api.json",
        "ddm.restoring_metadataa_v3_api.json",
    ] {
        assert!(
            doc(f)["job_id"].as_str().is_some_and(|s| !s.is_empty()),
            "{f}"
        );
    }
    assert_eq!(
        doc("ddm.querying_details_of_a_ddm_instance_a_v1_api.json")["status"],
        "RUNNING"
    );
    let b = doc("ddm.querying_backupsa_v3_api.json");
    assert!(
        array(&b["backups"])
            .iter()
            .all(|b| b["id"].is_string() && b["status"].is_string())
    );
    let r = doc("ddm.querying_instances_available_for_restorationa_v3_api.json");
    let cand = find(
        array(&r["instances"]),
        "instance_id",
        "3b65c609427c4b20bc0ae93e161dc7adin09",
    )
    .expect("candidate");
    assert_eq!(cand["available"], true);
    let w = doc("ddm.querying_the_restoration_time_rangea_v3_api.json");
    assert_eq!(
        windows(&w["restorable_time_intervals"]),
        vec![(
            ms("2025-05-20T09:40:40Z").unwrap_or(0),
            ms("2025-05-21T11:15:43Z").unwrap_or(0)
        )]
    );
    let dn = doc(
        "ddm.querying_data_nodes_associated_with_an_instance_at_a_restoration_time_pointa_v3_api.json",
    );
    assert!(!array(&dn["related_data_nodes"]).is_empty());
    let t =
        doc("ddm.querying_data_nodes_available_to_restore_data_to_a_point_in_timea_v3_api.json");
    assert!(!array(&t["target_data_nodes"]).is_empty());
}

#[test]
fn taurusdb_job_instances_and_backups() {
    let job = doc("taurusdb.obtaining_information_about_a_task_with_a_specified_id.json");
    let job = Job::from_value(&job["job"]).expect("a job");
    assert!(matches!(job.outcome("t"), PollOutcome::Succeeded { .. }));
    assert_eq!(job.created_ms, ms("2018-08-06T02:41:14Z"));
    let d = doc("taurusdb.querying_details_of_a_db_instance.json");
    assert_eq!(d["instance"]["status"], "ACTIVE");
    let l = doc("taurusdb.querying_db_instances.json");
    assert!(
        array(&l["instances"])
            .iter()
            .all(|i| i["id"].is_string() && i["status"].is_string())
    );
    let b = doc("taurusdb.querying_backups.json");
    assert!(
        array(&b["backups"])
            .iter()
            .any(|b| b["status"] == "COMPLETED")
    );
}

#[test]
fn cbr_operation_logs_and_backups() {
    for (f, log) in [
        (
            "cbr.querying_the_task_list.json",
            doc("cbr.querying_the_task_list.json")["operation_logs"][0].clone(),
        ),
        (
            "cbr.querying_a_single_task.json",
            doc("cbr.querying_a_single_task.json")["operation_log"].clone(),
        ),
    ] {
        assert_eq!(log["id"], "4827f2da-b008-4507-ab7d-42d0df5ed912", "{f}");
        assert_eq!(
            value_ms(&log["created_at"]),
            ms("2019-05-23T14:31:36.039Z"),
            "{f}"
        );
        assert!(
            matches!(cbr::outcome(&log, None), PollOutcome::Succeeded { .. }),
            "{f}"
        );
        assert_eq!(log["extra_info"]["common"]["progress"], 100, "{f}");
    }
    let b = doc("cbr.querying_a_specified_backup.json");
    assert!(b["backup"]["id"].is_string() && b["backup"]["status"].is_string());
    let l = doc("cbr.querying_all_backups.json");
    assert!(!array(&l["backups"]).is_empty());
}

#[test]
fn dcs_restore_records_backups_and_instance() {
    let r = doc("dcs.querying_dcs_instance_restoration_records.json");
    let rec = &array(&r["restore_record_response"])[0];
    assert_eq!(value_ms(&rec["created_at"]), ms("2017-07-18T21:41:20.721Z"));
    let PollOutcome::Succeeded { outputs } = dcs::outcome(rec, "i") else {
        panic!("a succeeded record")
    };
    assert_eq!(
        outputs["restore_id"],
        "a6155972-800c-4170-a479-3231e907d2f6"
    );
    assert!(doc("dcs.restoring_a_dcs_instance.json")["restore_id"].is_string());
    let b = doc("dcs.listing_dcs_instance_backup_records.json");
    assert_eq!(
        array(&b["backup_record_response"])[0]["is_support_restore"],
        "TRUE"
    );
    assert!(doc("dcs.querying_a_dcs_instance.repaired.json")["status"].is_string());
}

#[test]
fn iam_token_projects_and_catalog() {
    let t = doc("iam.obtaining_a_user_token_through_password_authentication.repaired.json");
    assert!(value_ms(&t["token"]["expires_at"]).is_some());
    let p = doc("iam.querying_project_information_based_on_the_specified_criteria.json");
    assert!(array(&p["projects"]).iter().all(|p| p["id"].is_string()));
    let c = doc("iam.querying_the_service_catalog.json");
    assert!(array(&c["catalog"]).iter().all(|e| e["type"].is_string()));
}
