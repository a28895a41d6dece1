//! The walker against a scripted fake provider that can fail, hang, lose a job and throttle:
//! timeouts, lost jobs, bounded polling, and critical-path-first launches.

use rewind_engine::apply::{self, ApplyOptions, ApplyOutcome, Event, PollPolicy, RecordingHooks};
use rewind_engine::compile::compile;
use rewind_engine::kinds::Service;
use rewind_engine::plan::{self, Action, Plan, PlanOptions};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, Percent, PollOutcome, Provider, ProviderError, Providers,
    SubmitError,
};
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::{StateStore, Status};
use rewind_state::MemoryState;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake does with one operation's job.
#[derive(Debug, Clone, Copy)]
enum Script {
    /// Running (with growing progress) for this many polls, then done.
    FinishAfter(u32),
    /// The job fails on its first poll.
    Fail,
    /// Running forever.
    Never,
    /// The service does not know the job: "not found" forever.
    Lose,
    /// Throttled (a transient error) this many times, then done.
    Throttle(u32),
    /// The poll never answers.
    Hang,
}

#[derive(Default)]
struct Counts {
    submits: BTreeMap<String, u32>,
    polls: BTreeMap<String, u32>,
    reconciles: BTreeMap<String, u32>,
    /// Order of the first call per operation (prepare happens before submit).
    started: Vec<String>,
}

struct Fake {
    scripts: BTreeMap<String, Script>,
    counts: Mutex<Counts>,
}

impl Fake {
    fn new(scripts: &[(&str, Script)]) -> Arc<Fake> {
        Arc::new(Fake {
            scripts: scripts.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect(),
            counts: Mutex::new(Counts::default()),
        })
    }
    fn script(&self, name: &str) -> Script {
        self.scripts
            .get(name)
            .copied()
            .unwrap_or(Script::FinishAfter(0))
    }
    fn submits(&self, name: &str) -> u32 {
        self.counts
            .lock()
            .unwrap()
            .submits
            .get(name)
            .copied()
            .unwrap_or(0)
    }
    fn polls(&self, name: &str) -> u32 {
        self.counts
            .lock()
            .unwrap()
            .polls
            .get(name)
            .copied()
            .unwrap_or(0)
    }
    fn reconciles(&self, name: &str) -> u32 {
        self.counts
            .lock()
            .unwrap()
            .reconciles
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

impl Provider for Fake {
    fn service(&self) -> Service {
        Service::Rds
    }
    fn preflight<'a>(
        &'a self,
        _op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            let mut c = self.counts.lock().unwrap();
            *c.submits.entry(op.name.clone()).or_default() += 1;
            c.started.push(op.name.clone());
            Ok(Handle::Job {
                job_id: format!("job-{}", op.name),
            })
        })
    }
    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        _h: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async move {
            let n = {
                let mut c = self.counts.lock().unwrap();
                let n = c.polls.entry(op.name.clone()).or_default();
                *n += 1;
                *n
            };
            let done = || {
                Ok(PollOutcome::Succeeded {
                    outputs: BTreeMap::new(),
                })
            };
            match self.script(&op.name) {
                Script::FinishAfter(k) if n > k => done(),
                Script::FinishAfter(k) => Ok(PollOutcome::Running {
                    percent: Percent::running(f64::from(n) * 100.0 / f64::from(k + 1)),
                    handle: None,
                }),
                Script::Never => Ok(PollOutcome::Running {
                    percent: Percent::running(50.0),
                    handle: None,
                }),
                Script::Fail => Ok(PollOutcome::Failed {
                    reason: "the job failed".to_owned(),
                }),
                Script::Lose => Ok(PollOutcome::NotFound {
                    detail: "DBS.200543: the job does not exist".to_owned(),
                }),
                Script::Throttle(k) if n <= k => Err(ProviderError {
                    message: "HTTP 429 APIG.0308: throttled".to_owned(),
                    transient: true,
                }),
                Script::Throttle(_) => done(),
                Script::Hang => std::future::pending().await,
            }
        })
    }
    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        _since: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            *self
                .counts
                .lock()
                .unwrap()
                .reconciles
                .entry(op.name.clone())
                .or_default() += 1;
            Ok(Some(Handle::Job {
                job_id: format!("job-{}", op.name),
            }))
        })
    }
}

fn rds(name: &str, n: u32, after: Option<&str>, extra: &str) -> String {
    let dep = after.map_or(String::new(), |a| format!("    depends_on: [{a}]\n"));
    format!(
        "  {name}:\n    kind: rds.restore\n{dep}{extra}    source: {{ instance_id: {:032x}in01, restore_time: 1747732352076 }}\n    target: {{ instance_id: {:032x}in01 }}\n",
        1000 + n,
        2000 + n
    )
}

fn dcs(name: &str, n: u32) -> String {
    format!(
        "  {name}:\n    kind: dcs.restore\n    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-{n:012x}\n    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029\n"
    )
}

fn plan_for(text: &str, state: &MemoryState) -> Plan {
    let c = compile("t.yaml", text, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    plan::build(
        "t.yaml",
        &c.spec,
        &c.graph,
        &state.meta().unwrap(),
        &state.list().unwrap(),
        &PlanOptions::default(),
    )
}

fn opts() -> ApplyOptions {
    ApplyOptions {
        poll: PollPolicy {
            first: Duration::from_secs(1),
            min: Duration::from_secs(1),
            max: Duration::from_secs(60),
            ..PollPolicy::default()
        },
        lost_grace: Duration::ZERO,
        lost_polls: 3,
        ..ApplyOptions::default()
    }
}

async fn run(
    plan: &Plan,
    state: &mut MemoryState,
    fake: &Arc<Fake>,
    opts: &ApplyOptions,
) -> (ApplyOutcome, Vec<Event>) {
    let providers: Providers = Service::ALL
        .into_iter()
        .map(|s| (s, fake.clone() as Arc<dyn Provider>))
        .collect();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut hooks = RecordingHooks::default();
    let outcome = apply::apply(plan, state, &providers, &mut hooks, opts, rx)
        .await
        .expect("apply");
    (outcome, hooks.events)
}

#[tokio::test(start_paused = true)]
async fn a_job_past_its_timeout_stays_running_and_the_next_apply_reattaches() {
    let text = format!(
        "restores:\n{}{}",
        rds("slow", 1, None, "    timeout: 10m\n"),
        rds("after-slow", 2, Some("slow"), "")
    );
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("slow", Script::Never)]);
    let p = plan_for(&text, &state);
    assert_eq!(p.step("slow").unwrap().timeout_ms, Some(600_000));
    let (outcome, events) = run(&p, &mut state, &fake, &opts()).await;
    assert!(!outcome.ok());
    assert_eq!(outcome.timed_out, vec!["slow"]);
    assert_eq!(outcome.in_flight, vec!["slow"]);
    assert_eq!(outcome.skipped, vec!["after-slow"]);
    let message = events
        .iter()
        .find_map(|e| match e {
            Event::TimedOut { name, message } if name == "slow" => Some(message.clone()),
            _ => None,
        })
        .expect("a timed-out event");
    assert!(
        message.starts_with("still running in the cloud after ")
            && message.ends_with("; `rewind apply` re-attaches"),
        "{message}"
    );
    // Bounded: polls stop at the deadline (a 1-60 s cadence over 10 minutes).
    assert!(
        (1..=600).contains(&fake.polls("slow")),
        "{}",
        fake.polls("slow")
    );
    let rec = state.get("slow").unwrap().unwrap();
    assert_eq!(rec.status, Status::Running);
    assert!(rec.handle.is_some());

    // The next plan resumes; the next apply re-attaches without a second POST.
    let p = plan_for(&text, &state);
    assert_eq!(p.step("slow").unwrap().action, Action::Resume);
    let fake2 = Fake::new(&[("slow", Script::FinishAfter(2))]);
    let (outcome, _) = run(&p, &mut state, &fake2, &opts()).await;
    assert!(outcome.ok(), "{outcome:?}");
    assert_eq!(fake.submits("slow") + fake2.submits("slow"), 1);
    assert_eq!(fake2.submits("after-slow"), 1);
}

#[tokio::test(start_paused = true)]
async fn the_default_timeout_applies_when_the_operation_sets_none() {
    let text = format!("restores:\n{}", rds("slow", 1, None, ""));
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("slow", Script::Never)]);
    let mut o = opts();
    o.timeouts.default = Duration::from_secs(120);
    let (outcome, _) = run(&plan_for(&text, &state), &mut state, &fake, &o).await;
    assert_eq!(outcome.timed_out, vec!["slow"]);
}

#[tokio::test(start_paused = true)]
async fn a_poll_that_never_answers_ends_at_the_timeout() {
    let text = format!("restores:\n{}", rds("stuck", 1, None, "    timeout: 5m\n"));
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("stuck", Script::Hang)]);
    let (outcome, _) = run(&plan_for(&text, &state), &mut state, &fake, &opts()).await;
    assert_eq!(outcome.in_flight, vec!["stuck"]);
    assert_eq!(state.get("stuck").unwrap().unwrap().status, Status::Running);
}

#[tokio::test(start_paused = true)]
async fn a_lost_job_becomes_unknown_is_blocked_and_never_resubmitted() {
    let text = format!(
        "restores:\n{}{}",
        rds("lost", 1, None, ""),
        rds("after-lost", 2, Some("lost"), "")
    );
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("lost", Script::Lose)]);
    let (outcome, events) = run(&plan_for(&text, &state), &mut state, &fake, &opts()).await;
    assert_eq!(outcome.unknown, vec!["lost"]);
    assert_eq!(outcome.skipped, vec!["after-lost"]);
    assert_eq!(
        fake.polls("lost"),
        3,
        "exactly lost_polls polls, then it stops"
    );
    let rec = state.get("lost").unwrap().unwrap();
    assert_eq!(rec.status, Status::Unknown);
    assert!(
        rec.last_error
            .as_deref()
            .is_some_and(|e| e.contains("the service no longer knows job job-lost")),
        "{rec:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Unknown { name, .. } if name == "lost"))
    );
    // The next plan blocks it; apply submits nothing and polls nothing.
    let p = plan_for(&text, &state);
    assert_eq!(p.step("lost").unwrap().action, Action::Blocked);
    let fake2 = Fake::new(&[]);
    let (outcome, _) = run(&p, &mut state, &fake2, &opts()).await;
    assert!(!outcome.ok());
    assert_eq!(outcome.unknown, vec!["lost"]);
    assert_eq!((fake2.submits("lost"), fake2.polls("lost")), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn not_found_within_the_grace_period_is_not_lost() {
    // The grace period has not passed (wall time does not move here), so "not found" is
    // read as "not yet visible" until the timeout ends the wait.
    let text = format!("restores:\n{}", rds("young", 1, None, "    timeout: 10m\n"));
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("young", Script::Lose)]);
    let mut o = opts();
    o.lost_grace = Duration::from_secs(3600);
    let (outcome, _) = run(&plan_for(&text, &state), &mut state, &fake, &o).await;
    assert_eq!(outcome.timed_out, vec!["young"]);
    assert!(outcome.unknown.is_empty());
    assert_eq!(state.get("young").unwrap().unwrap().status, Status::Running);
}

#[tokio::test(start_paused = true)]
async fn throttled_polls_are_retried_and_failures_skip_dependents() {
    let text = format!(
        "restores:\n{}{}{}",
        rds("throttled", 1, None, ""),
        rds("broken", 2, None, ""),
        rds("after-broken", 3, Some("broken"), "")
    );
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("throttled", Script::Throttle(4)), ("broken", Script::Fail)]);
    let (outcome, _) = run(&plan_for(&text, &state), &mut state, &fake, &opts()).await;
    assert_eq!(outcome.succeeded, vec!["throttled"]);
    assert_eq!(outcome.failed, vec!["broken"]);
    assert_eq!(outcome.skipped, vec!["after-broken"]);
    assert_eq!(fake.polls("throttled"), 5);
    assert_eq!(fake.submits("throttled"), 1);
    assert_eq!(state.get("broken").unwrap().unwrap().status, Status::Failed);
}

#[tokio::test(start_paused = true)]
async fn a_running_record_without_a_handle_is_reconciled_never_submitted() {
    let text = format!("restores:\n{}", rds("odd", 1, None, ""));
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("odd", Script::Never)]);
    let mut o = opts();
    o.timeouts.default = Duration::from_secs(30);
    run(&plan_for(&text, &state), &mut state, &fake, &o).await;
    let mut rec = state.get("odd").unwrap().unwrap();
    rec.handle = None;
    state.put(&rec, "test: drop the handle").unwrap();
    let p = plan_for(&text, &state);
    assert_eq!(p.step("odd").unwrap().action, Action::Resume);
    let fake2 = Fake::new(&[]);
    let (outcome, _) = run(&p, &mut state, &fake2, &opts()).await;
    assert!(outcome.ok(), "{outcome:?}");
    assert_eq!((fake2.submits("odd"), fake2.reconciles("odd")), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn with_one_slot_the_longest_remaining_path_starts_first() {
    // By name, `a-cache` (a short DCS restore) would start first; the RDS chain is longer.
    let text = format!(
        "restores:\n{}{}{}{}",
        dcs("a-cache", 1),
        dcs("b-cache", 2),
        rds("z-data", 1, None, ""),
        rds("z-data-2", 2, Some("z-data"), "")
    );
    let mut state = MemoryState::with_lineage("t");
    let p = plan_for(&text, &state);
    assert_eq!(p.critical_path.names, vec!["z-data", "z-data-2"]);
    assert_eq!(
        p.critical_path.duration_ms,
        p.step("z-data").unwrap().expected_ms * 2
    );
    let fake = Fake::new(&[]);
    let mut o = opts();
    o.parallelism = 1;
    let (outcome, _) = run(&p, &mut state, &fake, &o).await;
    assert!(outcome.ok(), "{outcome:?}");
    let started = fake.counts.lock().unwrap().started.clone();
    // The chain's head first; then ties by name among the rest.
    assert_eq!(started[0], "z-data");
    assert_eq!(started.len(), 4);
    let caches: Vec<&String> = started.iter().filter(|n| n.ends_with("cache")).collect();
    assert_eq!(caches, ["a-cache", "b-cache"]);
}

#[tokio::test(start_paused = true)]
async fn recorded_durations_outweigh_the_built_in_defaults() {
    // After one run in which the DCS restore was recorded as taking far longer than the
    // RDS one, a rerun weighs it by that record.
    let text = format!("restores:\n{}{}", dcs("cache", 1), rds("db", 1, None, ""));
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[]);
    run(&plan_for(&text, &state), &mut state, &fake, &opts()).await;
    for (name, took) in [("cache", 7_200_000), ("db", 60_000)] {
        let mut rec = state.get(name).unwrap().unwrap();
        rec.status = Status::Failed;
        let at = rec.submitted_at.unwrap();
        rec.updated_at = at + took;
        state.put(&rec, "test").unwrap();
    }
    // Failed records carry no duration: the built-in defaults (RDS longer) decide.
    let p = plan_for(&text, &state);
    assert_eq!(p.critical_path.names, vec!["db"]);
    for name in ["cache", "db"] {
        let mut rec = state.get(name).unwrap().unwrap();
        rec.status = Status::Succeeded;
        rec.inputs_digest = "changed".to_owned();
        state.put(&rec, "test").unwrap();
    }
    let p = plan_for(&text, &state);
    assert_eq!(p.step("cache").unwrap().action, Action::Rerun);
    assert_eq!(p.step("cache").unwrap().expected_ms, 7_200_000);
    assert_eq!(p.critical_path.names, vec!["cache"]);
}

#[tokio::test(start_paused = true)]
async fn work_with_nothing_in_flight_is_an_internal_error_not_a_hang() {
    // A plan that resumes a record the state no longer holds: the job is found, but there
    // is no record to follow it under. The loop must say so instead of waiting forever.
    let text = format!("restores:\n{}", rds("gone", 1, None, ""));
    let mut state = MemoryState::with_lineage("t");
    let fake = Fake::new(&[("gone", Script::Never)]);
    let mut o = opts();
    o.timeouts.default = Duration::from_secs(30);
    run(&plan_for(&text, &state), &mut state, &fake, &o).await;
    let p = plan_for(&text, &state);
    assert_eq!(p.step("gone").unwrap().action, Action::Resume);
    let mut empty = MemoryState::with_lineage("t");
    let providers: Providers = Service::ALL
        .into_iter()
        .map(|s| (s, fake.clone() as Arc<dyn Provider>))
        .collect();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut hooks = RecordingHooks::default();
    let r = tokio::time::timeout(
        Duration::from_secs(3600),
        apply::apply(&p, &mut empty, &providers, &mut hooks, &o, rx),
    )
    .await
    .expect("apply returned instead of hanging");
    let err = r.expect_err("an internal error");
    assert!(err.to_string().contains("no call in flight"), "{err}");
    assert_eq!(fake.submits("gone"), 1, "never submitted again");
}
