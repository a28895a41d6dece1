//! Batch polling against the simulator: one list read per round observes every job in flight.

#[allow(dead_code)]
mod harness;

use harness::fixtures::*;
use harness::{Harness, fast_retries, operation, provider, world};
use rewind_engine::kinds::{CbrRestore, OpSpec};
use rewind_engine::provider::{Handle, Operation, PollOutcome, Provider};
use rewind_providers::{Cloud, CloudConfig, CloudSettings, RateLimits, connect};
use std::sync::Arc;

const JOBS: usize = 6;
/// Rounds at most before every job must have ended (each round moves the clock a minute).
const MAX_ROUNDS: usize = 40;

fn rds_target(i: usize) -> String {
    format!("{i:032x}in01")
}

fn cbr_backup(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

fn cbr_volume_of(i: usize) -> String {
    format!("11111111-0000-4000-8000-{i:012x}")
}

/// The harness's cloud, with the budget on a clock a million times faster than the wall: the
/// tests move the simulated clock by hand between rounds, microseconds apart, so an answer
/// may serve only the polls of its own round (the ones that arrive while it is in flight).
fn cloud(h: &Harness) -> Cloud {
    let env = h.env(&h.sim.credentials_env());
    let mut config = CloudConfig::resolve(&CloudSettings::default(), |name| env.get(name).cloned())
        .expect("configuration resolves");
    config.retry = fast_retries();
    config.rate_limits = RateLimits {
        time_scale: 1e6,
        ..RateLimits::default()
    };
    connect(config).expect("connects")
}

/// GETs the simulator saw whose path (without query) satisfies `wanted`.
fn gets(h: &Harness, wanted: impl Fn(&str) -> bool) -> usize {
    h.sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && wanted(r.path.split('?').next().unwrap_or_default()))
        .count()
}

/// Polls every job at one moment (as jobs started together are), folding refined handles
/// in, and returns how many ended in this round.
async fn round(
    p: &Arc<dyn Provider>,
    jobs: &mut [(Operation, Handle, Option<PollOutcome>)],
) -> usize {
    let mut tasks = Vec::new();
    for (i, (op, handle, outcome)) in jobs.iter().enumerate() {
        if outcome.is_some() {
            continue;
        }
        let (p, op, handle) = (Arc::clone(p), op.clone(), handle.clone());
        tasks.push((i, tokio::spawn(async move { p.poll(&op, &handle).await })));
    }
    let mut ended = 0;
    for (i, task) in tasks {
        match task.await.expect("poll task").expect("poll") {
            PollOutcome::Running {
                handle: Some(refined),
                ..
            } => jobs[i].1 = refined,
            PollOutcome::Running { .. } | PollOutcome::NotFound { .. } => {}
            done => {
                jobs[i].2 = Some(done);
                ended += 1;
            }
        }
    }
    ended
}

/// Runs rounds until every job ended; returns the per-round counts of `listed` and `single`
/// GETs (after the first round, which registers the jobs).
async fn run_rounds(
    h: &Harness,
    p: &Arc<dyn Provider>,
    jobs: &mut [(Operation, Handle, Option<PollOutcome>)],
    listed: &dyn Fn(&str) -> bool,
    single: &dyn Fn(&str) -> bool,
) -> Vec<(usize, usize)> {
    let mut per_round = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let before = (gets(h, listed), gets(h, single));
        round(p, jobs).await;
        per_round.push((gets(h, listed) - before.0, gets(h, single) - before.1));
        if jobs.iter().all(|j| j.2.is_some()) {
            return per_round;
        }
        h.advance(60);
    }
    panic!("jobs still running after {MAX_ROUNDS} rounds: {per_round:?}");
}

#[tokio::test]
async fn rds_jobs_in_flight_share_one_task_list_read_per_round() {
    let mut w = world();
    let (win, at) = window(harness::now(&w));
    w.ensure_rds_instance(RDS_SRC, win);
    for i in 0..JOBS {
        w.ensure_rds_instance(&rds_target(i), win);
    }
    let h = Harness::start(w).await;
    let cloud = cloud(&h);
    let mut jobs = Vec::new();
    let mut p = None;
    for i in 0..JOBS {
        let op = operation(&format!("r{i}"), rds_pitr(RDS_SRC, &rds_target(i), at));
        let prov = provider(&cloud, &op);
        let handle = prov.submit(&op).await.expect("submit");
        jobs.push((op, handle, None));
        p = Some(prov);
    }
    let p = p.expect("a provider");
    // A fresh job id becomes visible a few seconds after the POST.
    h.advance(30);
    let per_round = run_rounds(
        &h,
        &p,
        &mut jobs,
        &|path| path.ends_with("/tasklist"),
        &|path| path.ends_with("/jobs"),
    )
    .await;
    assert!(per_round.len() >= 3, "{per_round:?}");
    // The first round registers the jobs: the first two are too few and ask on their own.
    let (first_list, first_single) = per_round[0];
    assert!(first_list <= 1 && first_single >= 1, "{per_round:?}");
    for (listed, single) in &per_round[1..] {
        assert_eq!(
            (*listed, *single),
            (1, 0),
            "one task-list read per round, no job GETs: {per_round:?}"
        );
    }
    for (op, handle, outcome) in &jobs {
        let Some(PollOutcome::Succeeded { outputs }) = outcome else {
            panic!("{} ended {outcome:?}", op.name);
        };
        assert_eq!(outputs["job_id"], handle.id());
    }
    let polls_without_batch = per_round.len() * JOBS;
    let sent = gets(&h, |path| {
        path.ends_with("/tasklist") || path.ends_with("/jobs")
    });
    assert!(
        sent * 2 < polls_without_batch,
        "{sent} GETs for {polls_without_batch} polls"
    );
}

#[tokio::test]
async fn a_job_the_list_lacks_is_asked_for_on_its_own() {
    let mut w = world();
    let (win, at) = window(harness::now(&w));
    w.ensure_rds_instance(RDS_SRC, win);
    w.ensure_rds_instance(&rds_target(0), win);
    w.ensure_rds_instance(&rds_target(1), win);
    let h = Harness::start(w).await;
    let cloud = cloud(&h);
    let ops: Vec<Operation> = (0..2)
        .map(|i| operation(&format!("real{i}"), rds_pitr(RDS_SRC, &rds_target(i), at)))
        .collect();
    let p = provider(&cloud, &ops[0]);
    let mut jobs = Vec::new();
    for op in &ops {
        let handle = p.submit(op).await.expect("submit");
        jobs.push((op.clone(), handle, None));
    }
    h.advance(30);
    let lost = Handle::Job {
        job_id: "0000dead".to_owned(),
    };
    jobs.push((operation("lost", ops[0].spec.clone()), lost, None));
    for _ in 0..3 {
        round(&p, &mut jobs).await;
    }
    // Every round, the lost job was looked up by id after the list lacked it, and the
    // per-job query's "not found" is what the poll reports.
    let by_id = h
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.query.contains("0000dead"))
        .count();
    assert!(by_id >= 3, "{by_id}");
    let outcome = p.poll(&jobs[2].0, &jobs[2].1).await.expect("poll");
    assert!(
        matches!(outcome, PollOutcome::NotFound { .. }),
        "{outcome:?}"
    );
    assert!(gets(&h, |path| path.ends_with("/tasklist")) >= 2);
}

#[tokio::test]
async fn cbr_restores_in_flight_share_one_operation_log_read_per_round() {
    let mut w = world();
    for i in 0..JOBS {
        w.ensure_cbr_backup(&cbr_backup(i), None, Some(&cbr_volume_of(i)), &[]);
    }
    let h = Harness::start(w).await;
    let cloud = cloud(&h);
    let mut jobs = Vec::new();
    let mut p = None;
    for i in 0..JOBS {
        let spec = OpSpec::Cbr(CbrRestore {
            backup_id: cbr_backup(i),
            server_id: None,
            volume_id: Some(cbr_volume_of(i)),
            mappings: vec![],
            power_on: false,
            resource_id: None,
            details: None,
        });
        let op = operation(&format!("c{i}"), spec);
        let prov = provider(&cloud, &op);
        let handle = prov.submit(&op).await.expect("submit");
        jobs.push((op, handle, None));
        p = Some(prov);
    }
    let p = p.expect("a provider");
    h.advance(5);
    let per_round = run_rounds(
        &h,
        &p,
        &mut jobs,
        &|path| path.ends_with("/operation-logs"),
        &|path| path.contains("/operation-logs/"),
    )
    .await;
    assert!(per_round.len() >= 3, "{per_round:?}");
    for (listed, single) in &per_round[1..] {
        assert_eq!(
            (*listed, *single),
            (1, 0),
            "one operation-log read per round: {per_round:?}"
        );
    }
    for (op, handle, outcome) in &jobs {
        assert!(
            matches!(outcome, Some(PollOutcome::Succeeded { .. })),
            "{} ended {outcome:?}",
            op.name
        );
        assert!(
            matches!(
                handle,
                Handle::CbrRestore {
                    operation_log_id: Some(_),
                    ..
                }
            ),
            "the handle was refined from the shared answer: {handle:?}"
        );
    }
}

#[tokio::test]
async fn ddm_jobs_in_flight_share_one_job_list_read_per_round() {
    let ddm_target = |i: usize| format!("{i:032x}in09");
    let mut w = world();
    let (win, at) = window(harness::now(&w));
    w.ensure_rds_instance(RDS_SRC, win);
    w.ensure_ddm_instance(DDM_SRC, &[RDS_SRC.to_owned()], win);
    for i in 0..JOBS {
        w.ensure_ddm_instance(&ddm_target(i), &[], win);
        w.ensure_rds_instance(&rds_target(i), win);
    }
    let h = Harness::start(w).await;
    let cloud = cloud(&h);
    let mut jobs = Vec::new();
    let mut p = None;
    for i in 0..JOBS {
        let OpSpec::Ddm(mut spec) = ddm_restore(at) else {
            panic!("ddm_restore builds a ddm.restore");
        };
        spec.target.instance_id = ddm_target(i);
        spec.data_node_relations[0].target_instance_id = rds_target(i);
        let op = operation(&format!("d{i}"), OpSpec::Ddm(spec));
        let prov = provider(&cloud, &op);
        let handle = prov.submit(&op).await.expect("submit");
        jobs.push((op, handle, None));
        p = Some(prov);
    }
    let p = p.expect("a provider");
    h.advance(30);
    let per_round = run_rounds(
        &h,
        &p,
        &mut jobs,
        &|path| path.ends_with("/jobs"),
        &|path| path.contains("/jobs/"),
    )
    .await;
    assert!(per_round.len() >= 3, "{per_round:?}");
    for (listed, single) in &per_round[1..] {
        assert_eq!(
            (*listed, *single),
            (1, 0),
            "one job-list read per round: {per_round:?}"
        );
    }
    for (op, _, outcome) in &jobs {
        assert!(
            matches!(outcome, Some(PollOutcome::Succeeded { .. })),
            "{} ended {outcome:?}",
            op.name
        );
    }
}
