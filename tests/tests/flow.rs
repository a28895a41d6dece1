//! Flow control end to end: the simulator's per-API limits, rewind's shared budget, and URLs
//! whose passwords must never be printed.

use rewind_cli::simulate::{Rehearsal, world_for};
use rewind_engine::apply::{self, ApplyOptions, PollPolicy};
use rewind_engine::compile::compile;
use rewind_engine::kinds::Service;
use rewind_engine::plan::{self, PlanOptions};
use rewind_engine::provider::Providers;
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::StateStore;
use rewind_providers::RateLimits;
use rewind_sim::SimConfig;
use rewind_state::MemoryState;
use rewind_tests::{Harness, Options, repo_root, targets};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

fn examples() -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(repo_root().join("examples"))
        .expect("examples dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("yaml"))
        })
        .collect();
    names.sort();
    names
}

/// `count` RDS point-in-time restores from one source: every poll is the same API.
fn many_rds_restores(count: usize) -> String {
    let mut spec = String::from("version: 1\ncloud:\n  region: eu-de\nrestores:\n");
    for i in 0..count {
        let _ = write!(
            spec,
            "  r{i:02}:\n    kind: rds.restore\n    source:\n      instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01\n      type: timestamp\n      restore_time: 2026-11-20T03:00:00Z\n    target:\n      instance_id: {i:032x}in01\n"
        );
    }
    spec
}

#[test]
fn simulate_with_flow_control_and_default_rate_limits_meets_no_429_on_any_example() {
    let names = examples();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        // An empty `[rate_limits]` is the default budget (the harness would otherwise match
        // its own external simulator).
        let options = Options {
            settings: "[rate_limits]\n".into(),
            ..Options::default()
        };
        let h = Harness::example(&name, &options);
        let run = h
            .command(&["apply", "--auto-approve", "--simulate"])
            .env("REWIND_LOG", "rewind_providers=debug")
            .output()
            .expect("rewind runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{name}: {stderr}");
        assert!(
            stderr.contains("status=2"),
            "{name}: responses are logged: {stderr}"
        );
        assert!(
            !stderr.contains("status=429"),
            "{name}: a 429 was received:\n{stderr}"
        );
    }
}

struct NoHooks;

impl apply::ApplyHooks for NoHooks {
    fn on_event(&mut self, _: &apply::Event) {}
}

#[test]
fn a_budget_above_the_simulators_limit_still_converges_with_one_post_per_restore() {
    // 40 RDS restores in a rehearsal (600 simulated seconds per real second) whose budget
    // allows a million calls a minute, against the simulator's limits.
    // (In process, so that the simulator's own log and submissions can be read.)
    let spec = many_rds_restores(40);
    let compiled = compile("flow.yaml", &spec, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    let scale = 600.0;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (ok, sim) = rt.block_on(async {
        let now = jiff::Timestamp::now().as_millisecond();
        // The jobs API allows 10 calls a simulated minute; submits keep the default 60.
        let mut world = world_for(&compiled.spec, now);
        world.flow_control.services.insert(
            rewind_sim::Service::Rds,
            rewind_sim::ServiceFlow {
                per_minute: None,
                // The task list too, tighter: with many jobs in flight, one read of it answers the
                // polls of every job (batch polling), so it is asked far less often.
                apis: BTreeMap::from([
                    ("GET /v3/{pid}/jobs".to_owned(), 10),
                    ("GET /v3/{pid}/tasklist".to_owned(), 2),
                ]),
            },
        );
        let sim = rewind_sim::start(SimConfig {
            world,
            time_scale: scale,
            seed: 3,
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let rehearsal = Rehearsal::unkept(sim, scale);
        let mut config = rehearsal.cloud_config().expect("config");
        config.rate_limits = RateLimits {
            per_minute: 1_000_000,
            time_scale: scale,
            ..RateLimits::default()
        };
        let cloud = rewind_providers::connect(config).expect("connect");
        let providers: Providers = Service::ALL
            .into_iter()
            .map(|s| (s, cloud.provider(s)))
            .collect();
        let mut state = MemoryState::with_lineage("flow");
        let meta = state.meta().expect("meta");
        let plan = plan::build(
            "flow.yaml",
            &compiled.spec,
            &compiled.graph,
            &meta,
            &[],
            &PlanOptions::default(),
        );
        // Polls every 6 to 12 simulated seconds: 40 jobs ask far more than 60 times a minute.
        let opts = ApplyOptions {
            poll: PollPolicy {
                first: Duration::from_millis(10),
                min: Duration::from_millis(10),
                max: Duration::from_millis(20),
                ..PollPolicy::default()
            },
            ..ApplyOptions::default()
        };
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let outcome = apply::apply(&plan, &mut state, &providers, &mut NoHooks, &opts, rx)
            .await
            .expect("apply");
        (outcome.ok(), rehearsal.sim)
    });
    assert!(ok, "apply converges");
    let subs = sim.submissions();
    for (name, target) in targets(&spec) {
        assert_eq!(subs.get(&target).copied(), Some(1), "{name}: {subs:?}");
    }
    let log = sim.requests();
    let limited: Vec<_> = log.iter().filter(|e| e.rate_limited).collect();
    assert!(
        !limited.is_empty(),
        "the budget was meant to overrun the simulator"
    );
    // Every 429 pauses the API for all 40 workers until its `Retry-After` has passed (the
    // pause itself is tested on a paused clock in providers' budget.rs), so refusals stay
    // a minority even though the budget would send far more.
    let accepted = log
        .iter()
        .filter(|e| {
            (e.api == "GET /v3/{pid}/jobs" || e.api == "GET /v3/{pid}/tasklist") && e.status == 200
        })
        .count();
    assert!(
        limited.len() < accepted,
        "{} refused, {accepted} answered",
        limited.len()
    );
    assert!(
        limited
            .iter()
            .all(|e| e.retry_after.is_some_and(|s| s >= 1))
    );
    rt.block_on(sim.shutdown());
}

#[test]
fn no_password_from_a_url_appears_in_any_output() {
    let text = std::fs::read_to_string(repo_root().join("examples").join("rds-restore.yaml"))
        .expect("example");
    let h = Harness::new(&text, &Options::default());
    let secret = "hunter2-in-the-url";
    let iam = format!("https://admin:{secret}@iam.example.test/v3");
    let rds = format!("https://admin:{secret}@rds.example.test");
    let mut outputs = Vec::new();
    for (var, value) in [("OS_AUTH_URL", &iam), ("REWIND_ENDPOINT_RDS", &rds)] {
        for args in [&["plan"][..], &["apply", "--auto-approve"], &["validate"]] {
            let out = h
                .command(args)
                .env(var, value)
                .env("REWIND_LOG", "trace")
                .output()
                .expect("rewind runs");
            if args[0] != "validate" {
                assert_eq!(out.status.code(), Some(1), "{args:?} with {var} must fail");
            }
            outputs.push(String::from_utf8_lossy(&out.stdout).into_owned());
            outputs.push(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("must not carry a user name or password")),
        "the refusal says why: {outputs:?}"
    );
    for o in &outputs {
        assert!(!o.contains(secret), "a URL password leaked into:\n{o}");
    }
}

#[test]
fn a_zero_rate_limit_is_a_located_error_before_any_request() {
    let text = std::fs::read_to_string(repo_root().join("examples").join("rds-restore.yaml"))
        .expect("example");
    let options = Options {
        settings: "[rate_limits]\nrds = 0\n".into(),
        ..Options::default()
    };
    let h = Harness::new(&text, &options);
    let run = h.rewind(&["plan"]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(run.stderr.contains("rewind.toml"), "{}", run.transcript());
    assert!(run.stderr.contains("nonzero"), "{}", run.transcript());
    assert!(h.sim.requests().is_empty(), "nothing is sent");
}
