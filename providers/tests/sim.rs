//! The providers against the simulator: every kind end to end, reconcile, retries and auth.

mod harness;

use harness::fixtures::*;
use harness::{
    Harness, assert_all_passed, failed, now, operation, poll_to_end, provider, succeeded,
};
use rewind_engine::kinds::{MetadataSource, OpSpec, Service};
use rewind_engine::provider::{Handle, PollOutcome, SubmitError};
use rewind_sim::{FaultRule, Service as SimService};

/// Preflight passes, submit gives a handle, polls run to success; one accepted POST.
async fn run_to_success(h: &Harness, spec: OpSpec, target: &str) -> (Handle, PollOutcome) {
    let cloud = h.cloud();
    let op = operation("op", spec);
    let p = provider(&cloud, &op);
    assert_all_passed(&p.preflight(&op).await.expect("preflight"));
    let handle = p.submit(&op).await.expect("submit");
    let (outcome, handle, seen) = poll_to_end(h, p.as_ref(), &op, handle, 60).await;
    assert!(
        !seen.is_empty(),
        "{} finished before any poll saw it running",
        op.name
    );
    succeeded(&outcome);
    assert_eq!(h.sim.submissions().get(target), Some(&1));
    (handle, outcome)
}

#[tokio::test]
async fn rds_pitr_runs_to_success() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let (handle, outcome) = run_to_success(&h, rds_pitr(RDS_SRC, RDS_TGT, at), RDS_TGT).await;
    assert!(matches!(handle, Handle::Job { .. }));
    let outputs = succeeded(&outcome);
    assert_eq!(outputs["instance_id"], RDS_TGT);
    assert_eq!(outputs["job_id"], handle.id());
}

#[tokio::test]
async fn ddm_restore_runs_to_success() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let (_, outcome) = run_to_success(&h, ddm_restore(at), DDM_TGT).await;
    assert_eq!(succeeded(&outcome)["instance_id"], DDM_TGT);
}

#[tokio::test]
async fn ddm_metadata_restore_runs_after_the_data_node_pitr() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    run_to_success(&h, rds_pitr(RDS_SRC, RDS_TGT, at), RDS_TGT).await;
    run_to_success(&h, ddm_metadata(at), DDM_TGT).await;
}

#[tokio::test]
async fn taurusdb_backup_restore_runs_to_success() {
    let (w, _) = healthy_world();
    let h = Harness::start(w).await;
    run_to_success(&h, taurusdb_backup(), TDB_TGT).await;
}

#[tokio::test]
async fn cbr_restore_finds_its_operation_log_and_succeeds() {
    let (w, _) = healthy_world();
    let h = Harness::start(w).await;
    let (handle, outcome) = run_to_success(&h, cbr_server(), CBR_SERVER).await;
    let Handle::CbrRestore {
        backup_id,
        operation_log_id: Some(log_id),
        ..
    } = &handle
    else {
        panic!("the handle was not refined with the operation log: {handle:?}");
    };
    assert_eq!(backup_id, CBR_BACKUP);
    let outputs = succeeded(&outcome);
    assert_eq!(&outputs["operation_log_id"], log_id);
    assert_eq!(outputs["target_resource_id"], CBR_SERVER);
    // Once the log is known it is read directly.
    assert!(h.count("GET", &format!("/operation-logs/{log_id}")) > 0);
}

#[tokio::test]
async fn dcs_restore_runs_to_success() {
    let (w, _) = healthy_world();
    let h = Harness::start(w).await;
    let (handle, outcome) = run_to_success(&h, dcs(), DCS_INSTANCE).await;
    assert!(matches!(handle, Handle::Restore { .. }));
    assert_eq!(succeeded(&outcome)["restore_id"], handle.id());
}

#[tokio::test]
async fn preflight_failures_are_failed_checks_not_errors() {
    let (mut w, at) = healthy_world();
    let n = now(&w);
    w.rds.instances.get_mut(RDS_TGT).unwrap().status = "RESTORING".into();
    w.ddm.instances.get_mut(DDM_TGT).unwrap().schemas = vec!["orders".into()];
    w.taurusdb.backups.get_mut(TDB_BACKUP).unwrap().status = "BUILDING".into();
    w.cbr.backups.get_mut(CBR_BACKUP).unwrap().status = "error".into();
    w.dcs.instances.get_mut(DCS_INSTANCE).unwrap().status = "RESTORING".into();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let cases = [
        (
            rds_pitr(RDS_SRC, RDS_TGT, n + HOUR),
            vec![
                format!("target instance {RDS_TGT} is ACTIVE"),
                "restore_time is inside the source's restorable window".to_owned(),
            ],
        ),
        (
            rds_pitr("0000000000000000000000000000000fin01", RDS_TGT, at),
            vec![
                "source instance 0000000000000000000000000000000fin01 exists".to_owned(),
                format!("target instance {RDS_TGT} is ACTIVE"),
                "restore_time is inside the source's restorable window".to_owned(),
            ],
        ),
        (
            ddm_restore(at),
            vec![
                format!("target DDM instance {DDM_TGT} is available and empty"),
                // RDS_TGT, a target data node here, is RESTORING in this world.
                format!("target data node {RDS_TGT} is available"),
            ],
        ),
        (
            taurusdb_backup(),
            vec![format!("backup {TDB_BACKUP} exists and is COMPLETED")],
        ),
        (
            cbr_server(),
            vec![format!("backup {CBR_BACKUP} exists and is available")],
        ),
        (dcs(), vec![format!("instance {DCS_INSTANCE} is RUNNING")]),
    ];
    for (spec, expected) in cases {
        let op = operation("op", spec);
        let checks = provider(&cloud, &op)
            .preflight(&op)
            .await
            .expect("preflight reads");
        assert_eq!(failed(&checks), expected, "{checks:#?}");
    }
    let rds = operation("op", rds_pitr(RDS_SRC, RDS_TGT, n + HOUR));
    let checks = provider(&cloud, &rds).preflight(&rds).await.unwrap();
    let status = checks
        .iter()
        .find(|c| c.name.contains("is ACTIVE"))
        .unwrap();
    assert_eq!(status.observed, "RESTORING");
    // Nothing was submitted by a preflight.
    assert!(h.sim.submissions().is_empty());
}

#[tokio::test]
async fn ddm_preflight_checks_data_nodes_and_mapping() {
    let (mut w, at) = healthy_world();
    w.rds.instances.get_mut(RDS_TGT).unwrap().status = "RESTORING".into();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let mut spec = ddm_restore(at);
    if let OpSpec::Ddm(d) = &mut spec {
        d.data_node_relations[0].source_instance_id = "1111111111111111111111111111111fin01".into();
    }
    let op = operation("op", spec);
    let checks = provider(&cloud, &op).preflight(&op).await.unwrap();
    assert_eq!(
        failed(&checks),
        vec![
            "data_node_relations map every source data node once".to_owned(),
            format!("target data node {RDS_TGT} is available"),
        ],
        "{checks:#?}"
    );
}

/// The POST takes effect but its response is lost; reconcile finds what it started.
#[tokio::test]
async fn reconcile_adopts_a_restore_whose_response_was_dropped() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let specs = [
        (rds_pitr(RDS_SRC, RDS_TGT, at), RDS_TGT),
        (ddm_restore(at), DDM_TGT),
        (taurusdb_backup(), TDB_TGT),
        (cbr_server(), CBR_SERVER),
        (dcs(), DCS_INSTANCE),
    ];
    for (spec, target) in specs {
        let op = operation("op", spec);
        let p = provider(&cloud, &op);
        let submitted_at = h.clock.now_ms();
        assert_eq!(
            p.reconcile(&op, submitted_at).await.unwrap(),
            None,
            "{}: nothing yet",
            op.name
        );
        h.faults(vec![FaultRule {
            service: Some(harness::sim_service(op.spec.kind().service())),
            method: Some("POST".into()),
            drop_response_rate: 1.0,
            times: Some(1),
            ..FaultRule::default()
        }]);
        let err = p.submit(&op).await.expect_err("the response was dropped");
        assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
        h.advance(1);
        let handle = p
            .reconcile(&op, submitted_at)
            .await
            .unwrap()
            .expect("reconcile finds the restore");
        let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
        succeeded(&outcome);
        assert_eq!(
            h.sim.submissions().get(target),
            Some(&1),
            "{target}: exactly one POST took effect"
        );
    }
}

#[tokio::test]
async fn reads_are_retried_on_429_and_5xx() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    let handle = p.submit(&op).await.unwrap();
    // Every matching rule counts a request, even when an earlier one already answered it:
    // the error fires first, then the throttle twice.
    let get = || FaultRule {
        service: Some(SimService::Rds),
        method: Some("GET".into()),
        ..FaultRule::default()
    };
    h.faults(vec![
        FaultRule {
            error_rate: 1.0,
            error_status: 503,
            times: Some(1),
            ..get()
        },
        FaultRule {
            throttle_rate: 1.0,
            times: Some(3),
            ..get()
        },
    ]);
    let outcome = p
        .poll(&op, &handle)
        .await
        .expect("the poll got through after retries");
    assert!(
        matches!(outcome, PollOutcome::Running { .. }),
        "{outcome:?}"
    );
    let faulted: Vec<String> = h
        .sim
        .requests()
        .iter()
        .filter_map(|r| r.fault.clone())
        .collect();
    assert_eq!(faulted, ["error", "throttle", "throttle"]);
}

#[tokio::test]
async fn reads_give_up_after_the_attempt_budget() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    let handle = p.submit(&op).await.unwrap();
    h.faults(vec![FaultRule {
        service: Some(SimService::Rds),
        method: Some("GET".into()),
        throttle_rate: 1.0,
        ..FaultRule::default()
    }]);
    let err = p.poll(&op, &handle).await.expect_err("throttled forever");
    assert!(err.transient, "{err:?}");
    assert!(err.message.contains("APIG.0308"), "{}", err.message);
    assert_eq!(
        h.count("GET", "/jobs"),
        harness::fast_retries().read_attempts as usize
    );
}

#[tokio::test]
async fn a_throttled_post_is_sent_again_and_takes_effect_once() {
    let (w, _) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = operation("op", dcs());
    let p = provider(&cloud, &op);
    h.faults(vec![FaultRule {
        service: Some(SimService::Dcs),
        method: Some("POST".into()),
        throttle_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    p.submit(&op).await.expect("accepted on the second try");
    assert_eq!(h.count("POST", "/restores"), 2);
    assert_eq!(h.sim.submissions().get(DCS_INSTANCE), Some(&1));
}

#[tokio::test]
async fn a_5xx_on_post_is_ambiguous_and_not_resent() {
    let (w, _) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = operation("op", taurusdb_backup());
    let p = provider(&cloud, &op);
    h.faults(vec![FaultRule {
        service: Some(SimService::Taurusdb),
        method: Some("POST".into()),
        error_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    let err = p.submit(&op).await.expect_err("5xx");
    assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
    assert_eq!(h.count("POST", "/instances/restore"), 1);
}

#[tokio::test]
async fn a_busy_target_is_retried_then_rejected_with_its_code() {
    let (mut w, at) = healthy_world();
    w.rds.instances.get_mut(RDS_TGT).unwrap().status = "BACKING UP".into();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let err = provider(&cloud, &op).submit(&op).await.expect_err("busy");
    let SubmitError::Rejected { status, code, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*status, code.as_str()), (409, "DBS.200019"));
    assert_eq!(
        h.count("POST", "/instances/recovery"),
        harness::fast_retries().submit_attempts as usize
    );
}

#[tokio::test]
async fn a_definite_4xx_is_rejected_with_the_parsed_error() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    // Outside the window: RDS refuses with RDS.3029.
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at + 10 * HOUR));
    let err = provider(&cloud, &op)
        .submit(&op)
        .await
        .expect_err("refused");
    assert_eq!(
        err,
        SubmitError::Rejected {
            status: 400,
            code: "RDS.3029".into(),
            message: "No backup files are available for restoration to this time point.".into()
        }
    );
    assert_eq!(h.count("POST", "/instances/recovery"), 1);
}

#[tokio::test]
async fn an_invisible_job_reads_as_running() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    h.faults(vec![FaultRule {
        service: Some(SimService::Rds),
        method: Some("POST".into()),
        job_invisible_seconds: 30.0,
        ..FaultRule::default()
    }]);
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    let handle = p.submit(&op).await.unwrap();
    assert!(matches!(
        p.poll(&op, &handle).await.unwrap(),
        PollOutcome::NotFound { .. }
    ));
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    succeeded(&outcome);
}

#[tokio::test]
async fn a_failed_job_reports_its_reason() {
    let (w, _) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    // Every restore POST (IAM's token POST creates no job, so it is unaffected).
    h.faults(vec![FaultRule {
        method: Some("POST".into()),
        fail_job_rate: 1.0,
        fail_reason: Some("disk exploded".into()),
        ..FaultRule::default()
    }]);
    for spec in [ddm_restore(window(h.clock.now_ms()).1), dcs(), cbr_server()] {
        let op = operation("op", spec);
        let p = provider(&cloud, &op);
        let handle = p.submit(&op).await.unwrap();
        let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
        assert!(
            matches!(outcome, PollOutcome::Failed { .. }),
            "{}: {outcome:?}",
            op.spec.kind()
        );
    }
}

#[tokio::test]
async fn an_expired_token_is_renewed_once() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    h.sim.set_faults(rewind_sim::Faults {
        rules: vec![],
        token_ttl_seconds: Some(600),
    });
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    let handle = p.submit(&op).await.unwrap();
    assert_eq!(h.count("POST", "/auth/tokens"), 1);
    // The token lapses in simulated time only; the client learns of it from the 401.
    h.advance(3_600);
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    succeeded(&outcome);
    assert_eq!(
        h.count("POST", "/auth/tokens"),
        2,
        "exactly one re-authentication"
    );
    let unauthorized = h.sim.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(unauthorized, 1);
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_and_nothing_is_sent() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let mut creds = h.sim.credentials_env();
    for (k, v) in &mut creds {
        if k == "OS_PASSWORD" {
            *v = "not-the-password".into();
        }
    }
    let cloud = harness::cloud_from(&h.env(&creds));
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    let err = p.submit(&op).await.expect_err("no token");
    let SubmitError::Rejected {
        status, message, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 401);
    assert!(!message.contains("not-the-password"), "{message}");
    assert_eq!(h.count("POST", "/instances/recovery"), 0);
    let err = p
        .preflight(&op)
        .await
        .expect_err("preflight cannot authenticate");
    assert!(!err.transient);
    assert!(!err.message.contains("not-the-password"));
}

#[tokio::test]
async fn aksk_signing_is_accepted_and_the_project_comes_from_iam() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    // No OS_PROJECT_ID: the project is looked up by name, with a signed request.
    let mut creds = h.sim.access_key_env();
    creds.push(("OS_PROJECT_NAME".into(), "eu-de".into()));
    let cloud = harness::cloud_from(&h.env(&creds));
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    assert_all_passed(&p.preflight(&op).await.unwrap());
    let handle = p.submit(&op).await.unwrap();
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    succeeded(&outcome);
    let requests = h.sim.requests();
    assert!(requests.iter().all(|r| r.auth == "aksk"), "{requests:#?}");
    assert!(requests.iter().all(|r| r.status != 401));
    assert_eq!(h.count("GET", "/v3/projects"), 1);
}

#[tokio::test]
async fn endpoints_come_from_the_token_catalog() {
    let (w, _) = healthy_world();
    let h = Harness::start(w).await;
    // Only IAM is given; every service endpoint comes from the catalog.
    let mut env: std::collections::BTreeMap<String, String> =
        h.sim.credentials_env().into_iter().collect();
    env.insert(
        "OS_AUTH_URL".into(),
        format!("{}/v3", h.sim.url(SimService::Iam)),
    );
    let cloud = harness::cloud_from(&env);
    assert_eq!(
        cloud
            .client()
            .endpoint(Service::Dcs)
            .await
            .unwrap()
            .as_str(),
        h.sim.url(SimService::Dcs)
    );
    let op = operation("op", dcs());
    assert_all_passed(&provider(&cloud, &op).preflight(&op).await.unwrap());
}

#[tokio::test]
async fn a_token_from_the_environment_is_used_as_is() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    // A real token from the simulator's IAM, as a user would paste it.
    let token = reqwest::Client::new()
        .post(format!("{}/v3/auth/tokens", h.sim.url(SimService::Iam)))
        .json(&rewind_providers::iam::password_body(
            "rewind",
            &rewind_providers::Secret::new("rewind-sim-password"),
            "OTC00000000001000000001",
            &rewind_providers::iam::Scope::ProjectName("eu-de".into()),
        ))
        .send()
        .await
        .unwrap()
        .headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let env = h.env(&[
        ("OS_AUTH_TOKEN".into(), token),
        (
            "OS_PROJECT_ID".into(),
            "619d3e78f61b4be68bc5aa0b59edcf7b".into(),
        ),
    ]);
    let cloud = harness::cloud_from(&env);
    let before = h.count("POST", "/auth/tokens");
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    assert_all_passed(&provider(&cloud, &op).preflight(&op).await.unwrap());
    assert_eq!(
        h.count("POST", "/auth/tokens"),
        before,
        "a given token needs no IAM call"
    );
}

#[tokio::test]
async fn ddm_metadata_restore_preflight_fails_and_reconcile_adopts() {
    let (mut w, at) = healthy_world();
    w.ensure_ddm_backup(DDM_SRC, "defa45b24d314e878fde930a61732e9dbr09");
    w.ddm
        .backups
        .get_mut("defa45b24d314e878fde930a61732e9dbr09")
        .unwrap()
        .status = "creating".into();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let mut by_backup = ddm_metadata(at);
    if let OpSpec::DdmMetadata(m) = &mut by_backup {
        m.source = MetadataSource {
            restore_time: None,
            backup_id: Some("defa45b24d314e878fde930a61732e9dbr09".into()),
        };
    }
    let op = operation("op", by_backup);
    let checks = provider(&cloud, &op).preflight(&op).await.unwrap();
    assert_eq!(
        failed(&checks),
        ["metadata backup defa45b24d314e878fde930a61732e9dbr09 exists and is normal"],
        "{checks:#?}"
    );

    run_to_success(&h, rds_pitr(RDS_SRC, RDS_TGT, at), RDS_TGT).await;
    let op = operation("op", ddm_metadata(at));
    let p = provider(&cloud, &op);
    let submitted_at = h.clock.now_ms();
    h.faults(vec![FaultRule {
        service: Some(SimService::Ddm),
        method: Some("POST".into()),
        drop_response_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    let err = p.submit(&op).await.expect_err("dropped");
    assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
    let handle = p
        .reconcile(&op, submitted_at)
        .await
        .unwrap()
        .expect("found");
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    succeeded(&outcome);
    assert_eq!(h.sim.submissions().get(DDM_TGT), Some(&1));
}

#[tokio::test]
async fn rds_reconcile_finds_a_restore_that_already_finished() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    let submitted_at = h.clock.now_ms();
    h.faults(vec![FaultRule {
        service: Some(SimService::Rds),
        method: Some("POST".into()),
        drop_response_rate: 1.0,
        times: Some(1),
        ..FaultRule::default()
    }]);
    let err = p.submit(&op).await.expect_err("the response was dropped");
    assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
    // Long enough for the job to end: the instance is ACTIVE again, so only the task list
    // can tell that this restore happened.
    h.advance(24 * 3600);
    let handle = p
        .reconcile(&op, submitted_at)
        .await
        .unwrap()
        .expect("the finished restore is found");
    assert!(
        matches!(&handle, Handle::Job { job_id } if !job_id.starts_with("instance-status:")),
        "{handle:?}"
    );
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 5).await;
    succeeded(&outcome);
    assert_eq!(h.sim.submissions().get(RDS_TGT), Some(&1));
    // And a restore submitted before the window is not adopted.
    assert_eq!(
        p.reconcile(&op, h.clock.now_ms() + 3_600_000)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn one_instance_list_read_answers_every_rds_preflight_of_a_run() {
    let (world, at) = healthy_world();
    let h = Harness::start(world).await;
    let cloud = h.cloud();
    let rds = cloud.provider(Service::Rds);
    let first = operation("a", rds_pitr(RDS_SRC, RDS_TGT, at));
    let second = operation("b", rds_pitr(RDS_SRC, RDS_SRC, at));
    let (checks_a, checks_b) = tokio::join!(rds.preflight(&first), rds.preflight(&second));
    assert_all_passed(&checks_a.expect("preflight a"));
    assert_all_passed(&checks_b.expect("preflight b"));
    let lists = h
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/instances"))
        .count();
    assert_eq!(lists, 1, "four instance lookups, one list read");
}
