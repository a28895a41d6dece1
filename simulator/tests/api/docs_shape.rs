//! The simulator's answers have the shape of the documentation's own examples: the same keys
//! at every level and the same JSON types (fixtures in `providers/tests/fixtures/docs/`).

use crate::util::{Harness, PID, fixture, start};
use rewind_sim::Service::{self, Cbr, Dcs, Ddm, Iam, Rds, Taurusdb};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn doc(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../providers/tests/fixtures/docs")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every element of an array, merged into one: the union of the keys of object elements.
fn merged(items: &[Value]) -> Option<Value> {
    let mut it = items.iter();
    let first = it.next()?.clone();
    Some(it.fold(first, |mut acc, v| {
        if let (Value::Object(a), Value::Object(b)) = (&mut acc, v) {
            for (k, x) in b {
                a.entry(k.clone()).or_insert_with(|| x.clone());
            }
        }
        acc
    }))
}

/// Where `sim` differs from `doc` in keys or types, as `path: what` lines.
pub(crate) fn diff(path: &str, doc: &Value, sim: &Value, out: &mut BTreeSet<String>) {
    match (doc, sim) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, dv) in d {
                match s.get(k) {
                    Some(sv) => diff(&format!("{path}.{k}"), dv, sv, out),
                    None => {
                        out.insert(format!("{path}.{k}: missing"));
                    }
                }
            }
            for k in s.keys().filter(|k| !d.contains_key(*k)) {
                out.insert(format!("{path}.{k}: not in the docs"));
            }
        }
        (Value::Array(d), Value::Array(s)) => {
            if let (Some(d), Some(s)) = (merged(d), merged(s)) {
                diff(&format!("{path}[]"), &d, &s, out);
            }
        }
        _ if kind(doc) != kind(sim) => {
            out.insert(format!(
                "{path}: {} in the docs, {} here",
                kind(doc),
                kind(sim)
            ));
        }
        _ => {}
    }
}

/// The differences `simulator/FIDELITY.md` lists as open, per fixture: pinned, so that a new
/// drift fails here and a fixed one must be struck from the list.
fn known_gaps(fixture: &str) -> BTreeSet<String> {
    include_str!("../fixtures/docs_shape_gaps.txt")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(f, _)| *f == fixture)
        .map(|(_, d)| d.to_owned())
        .collect()
}

struct Case {
    fixture: &'static str,
    service: Service,
    path: String,
}

async fn world_with_jobs() -> (Harness, [String; 4]) {
    let h = start(fixture()).await;
    let rds = h
        .post(
            Rds,
            &crate::rds::recovery("v3"),
            crate::rds::documented_body(),
        )
        .await;
    let ddm = h
        .post(
            Ddm,
            &crate::ddm::recovery_path(crate::ddm::PATH_ID),
            crate::ddm::recovery_body(),
        )
        .await;
    let [tdb, ..] = crate::taurusdb::documented_bodies();
    let tdb = h
        .post(Taurusdb, &crate::taurusdb::restore_path(), tdb)
        .await;
    let cbr = h
        .post(
            Cbr,
            &crate::cbr::restore_path(crate::cbr::BACKUP),
            crate::cbr::documented_body(),
        )
        .await;
    let dcs = h
        .post(
            Dcs,
            &crate::dcs::restores_path(),
            crate::dcs::documented_body(),
        )
        .await;
    for r in [&rds, &ddm, &tdb, &cbr, &dcs] {
        assert!(r.status < 300, "{}", r.raw);
    }
    let id = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    (
        h,
        [
            id(&rds.body, "job_id"),
            id(&ddm.body, "job_id"),
            id(&tdb.body, "job_id"),
            id(&dcs.body, "restore_id"),
        ],
    )
}

#[tokio::test]
async fn every_route_answers_in_the_documented_shape() {
    let (h, [rds_job, ddm_job, tdb_job, _]) = world_with_jobs().await;
    h.advance(30);
    let running = vec![
        Case {
            fixture: "rds.obtaining_information_about_a_task_with_a_specified_id.running.json",
            service: Rds,
            path: format!("/v3/{PID}/jobs?id={rds_job}"),
        },
        Case {
            fixture: "ddm.obtaining_information_about_a_task_with_a_specified_id_a_v3_api.json",
            service: Ddm,
            path: format!("/v3/{PID}/jobs/{ddm_job}"),
        },
    ];
    let mut failures = Vec::new();
    check(&h, &running, &mut failures).await;
    h.advance(3600);
    let cbr_log = h.get(Cbr, &crate::cbr::logs_path()).await.body["operation_logs"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let now = h.get(Rds, "/_sim/health").await.body["now_ms"]
        .as_i64()
        .unwrap_or_default();
    let ddm = crate::ddm::SOURCE;
    let rds_inst = crate::rds::INST;
    let tdb_src = crate::taurusdb::SOURCE;
    let dcs = crate::dcs::INST;
    let done = vec![
        Case {
            fixture: "rds.obtaining_information_about_a_task_with_a_specified_id.failed.json",
            service: Rds,
            path: format!("/v3/{PID}/jobs?id={rds_job}"),
        },
        Case {
            fixture: "rds.querying_instant_tasks.json",
            service: Rds,
            path: format!(
                "/v3/{PID}/tasklist?offset=0&limit=3&start_time={}&end_time={now}",
                now - 86_400_000
            ),
        },
        Case {
            fixture: "rds.querying_db_instances.json",
            service: Rds,
            path: format!("/v3/{PID}/instances?id={rds_inst}"),
        },
        Case {
            fixture: "rds.querying_the_restoration_time_range.json",
            service: Rds,
            path: format!("/v3/{PID}/instances/{rds_inst}/restore-time"),
        },
        Case {
            fixture: "rds.obtaining_details_about_backups.json",
            service: Rds,
            path: format!("/v3/{PID}/backups?instance_id=7edae0250ebc464897bd92b8d3e8b769in01"),
        },
        Case {
            fixture: "ddm.querying_information_about_tasks_a_v3_api.json",
            service: Ddm,
            path: format!(
                "/v3/{PID}/jobs?start_time={}&end_time={now}",
                now - 86_400_000
            ),
        },
        Case {
            fixture: "ddm.querying_details_of_a_ddm_instance_a_v1_api.json",
            service: Ddm,
            path: format!("/v1/{PID}/instances/{ddm}"),
        },
        Case {
            fixture: "ddm.querying_backupsa_v3_api.json",
            service: Ddm,
            path: format!("/v3/{PID}/backups?instance_id={ddm}"),
        },
        Case {
            fixture: "ddm.querying_details_about_a_backupa_v3_api.json",
            service: Ddm,
            path: format!(
                "/v3/{PID}/instances/{}/backups/defa45b24d314e878fde930a61732e9dbr09",
                crate::ddm::PATH_ID
            ),
        },
        Case {
            fixture: "ddm.querying_instances_available_for_restorationa_v3_api.json",
            service: Ddm,
            path: format!("/v3/{PID}/instances/{ddm}/backups/restorable-instances"),
        },
        Case {
            fixture: "ddm.querying_the_restoration_time_rangea_v3_api.json",
            service: Ddm,
            path: format!("/v3/{PID}/instances/{ddm}/backups/restorable-time-interval"),
        },
        Case {
            fixture: "ddm.querying_data_nodes_associated_with_an_instance_at_a_restoration_time_pointa_v3_api.json",
            service: Ddm,
            path: format!(
                "/v3/{PID}/instances/{ddm}/backups/related-dn?restore_time={}",
                now - 7_200_000
            ),
        },
        Case {
            fixture: "ddm.querying_data_nodes_available_to_restore_data_to_a_point_in_timea_v3_api.json",
            service: Ddm,
            path: format!(
                "/v3/{PID}/instances/{ddm}/backups/restorable-data-node?source_dn_instance_id={}&target_instance_id={}&restore_time={}",
                crate::ddm::SOURCE_DN,
                crate::ddm::TARGET,
                now - 7_200_000
            ),
        },
        Case {
            fixture: "taurusdb.obtaining_information_about_a_task_with_a_specified_id.json",
            service: Taurusdb,
            path: format!("/v3/{PID}/jobs?id={tdb_job}"),
        },
        Case {
            fixture: "taurusdb.querying_db_instances.json",
            service: Taurusdb,
            path: format!("/v3/{PID}/instances?id={tdb_src}"),
        },
        Case {
            fixture: "taurusdb.querying_details_of_a_db_instance.json",
            service: Taurusdb,
            path: format!("/v3/{PID}/instances/{tdb_src}"),
        },
        Case {
            fixture: "taurusdb.querying_backups.json",
            service: Taurusdb,
            path: format!("/v3/{PID}/backups?instance_id={tdb_src}"),
        },
        Case {
            fixture: "cbr.querying_the_task_list.json",
            service: Cbr,
            path: crate::cbr::logs_path(),
        },
        Case {
            fixture: "cbr.querying_a_single_task.json",
            service: Cbr,
            path: format!("/v3/{PID}/operation-logs/{cbr_log}"),
        },
        Case {
            fixture: "cbr.querying_a_specified_backup.json",
            service: Cbr,
            path: format!("/v3/{PID}/backups/{}", crate::cbr::BACKUP),
        },
        Case {
            fixture: "cbr.querying_all_backups.json",
            service: Cbr,
            path: format!("/v3/{PID}/backups?resource_id={}", crate::cbr::SERVER),
        },
        Case {
            fixture: "dcs.querying_dcs_instance_restoration_records.json",
            service: Dcs,
            path: crate::dcs::restores_path(),
        },
        Case {
            fixture: "dcs.listing_dcs_instance_backup_records.json",
            service: Dcs,
            path: format!("/v2/{PID}/instances/{dcs}/backups"),
        },
        Case {
            fixture: "dcs.querying_a_dcs_instance.repaired.json",
            service: Dcs,
            path: format!("/v2/{PID}/instances/{dcs}"),
        },
        Case {
            fixture: "iam.querying_project_information_based_on_the_specified_criteria.json",
            service: Iam,
            path: "/v3/projects?name=eu-de".to_owned(),
        },
        Case {
            fixture: "iam.querying_the_service_catalog.json",
            service: Iam,
            path: "/v3/auth/catalog".to_owned(),
        },
    ];
    check(&h, &done, &mut failures).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn check(h: &Harness, cases: &[Case], failures: &mut Vec<String>) {
    for case in cases {
        let got = h.get(case.service, &case.path).await;
        if got.status != 200 {
            failures.push(format!(
                "{}: GET {} answered {}: {}",
                case.fixture, case.path, got.status, got.raw
            ));
            continue;
        }
        let mut found = BTreeSet::new();
        diff("", &doc(case.fixture), &got.body, &mut found);
        let allowed = known_gaps(case.fixture);
        let new: Vec<_> = found.difference(&allowed).cloned().collect();
        let gone: Vec<_> = allowed.difference(&found).cloned().collect();
        if !new.is_empty() || !gone.is_empty() {
            failures.push(format!(
                "{} (GET {}):\n  new: {}\n  fixed (drop from docs_shape_gaps.txt): {}",
                case.fixture,
                case.path,
                new.join("\n       "),
                gone.join(", ")
            ));
        }
    }
}

#[tokio::test]
async fn submit_and_token_answers_have_the_documented_shape() {
    let h = start(fixture()).await;
    let posts = [
        (
            "rds.restoring_data_to_an_existing_or_original_db_instance.json",
            Rds,
            crate::rds::recovery("v3"),
            crate::rds::documented_body(),
        ),
        (
            "ddm.restoring_data_to_a_new_instancea_v3_api.json",
            Ddm,
            crate::ddm::recovery_path(crate::ddm::PATH_ID),
            crate::ddm::recovery_body(),
        ),
        (
            "dcs.restoring_a_dcs_instance.json",
            Dcs,
            crate::dcs::restores_path(),
            crate::dcs::documented_body(),
        ),
        (
            "iam.obtaining_a_user_token_through_password_authentication.repaired.json",
            Iam,
            "/v3/auth/tokens".to_owned(),
            crate::util::password_body(
                "rewind",
                "rewind-sim-password",
                &serde_json::json!({ "project": { "name": "eu-de" } }),
            ),
        ),
    ];
    let mut failures = Vec::new();
    for (fixture, service, path, body) in posts {
        let got = h.post(service, &path, body).await;
        if got.status >= 300 {
            failures.push(format!(
                "{fixture}: POST {path} answered {}: {}",
                got.status, got.raw
            ));
            continue;
        }
        let mut found = BTreeSet::new();
        diff("", &doc(fixture), &got.body, &mut found);
        let allowed = known_gaps(fixture);
        if found != allowed {
            failures.push(format!(
                "{fixture}:\n  new: {}\n  fixed: {}",
                found
                    .difference(&allowed)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n       "),
                allowed
                    .difference(&found)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
