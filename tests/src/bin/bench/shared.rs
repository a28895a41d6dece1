//! The `shared` section (issue 26): four rewind applies of one cloud user, each its own PostgreSQL workspace, against one simulator with flow control on.

use super::throttled::{DURATIONS, job_secs, mixed_spec_of, pct};
use super::{TimedHooks, compiled};
use rewind_cli::simulate::{Rehearsal, world_for};
use rewind_engine::apply::{self, ApplyOptions, Event, PollPolicy};
use rewind_engine::kinds::Service;
use rewind_engine::plan::{self, PlanOptions};
use rewind_engine::provider::Providers;
use rewind_engine::state::StateStore;
use rewind_providers::CloudConfig;
use rewind_providers::budget::{Budget, Priority, RateLimits, Shared};
use rewind_sim::SimConfig;
use rewind_state::LockHolder;
use rewind_state::postgres::{PgBudget, PgOptions, PgState};
use rewind_state::testing::TestDb;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROCESSES: usize = 4;
const EACH: usize = 50;
/// Simulated seconds per real second: lower than the `throttled` section's 100, where one
/// emission interval (10 ms) is as short as a database round trip on a loaded machine.
const SCALE: f64 = 20.0;

/// What one apply saw: its events since the common start, and whether it converged.
struct Outcome {
    events: Vec<(Duration, Event)>,
    ok: bool,
}

fn limits() -> RateLimits {
    RateLimits {
        time_scale: SCALE,
        ..RateLimits::default()
    }
}

/// One rewind process as far as the budget can tell: its own thread and runtime, its own
/// client (so its own local budget), its own state connection and workspace, and its own
/// connection to the shared budget. Nothing is shared with the others but the database and
/// the simulator.
fn process(
    spec: String,
    url: String,
    workspace: String,
    mut config: CloudConfig,
    shared: bool,
    start: Instant,
) -> std::thread::JoinHandle<Outcome> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let c = compiled(&spec);
            config.rate_limits = limits();
            if shared {
                let budget = PgBudget::connect(&url, format!("bench {workspace}"))
                    .await
                    .expect("budget connects");
                config.rate_limits.shared = Some(Shared(Arc::new(budget)));
            }
            let cloud = rewind_providers::connect(config).expect("connect");
            let providers: Providers = Service::ALL
                .into_iter()
                .map(|s| (s, cloud.provider(s)))
                .collect();
            let options = PgOptions {
                holder: LockHolder::new("bench"),
                lease: rewind_state::postgres::DEFAULT_LEASE,
            };
            let mut state = PgState::open(&url, &workspace, &options).expect("state opens");
            let meta = state.meta().expect("meta");
            let p = plan::build(
                "bench.yaml",
                &c.spec,
                &c.graph,
                &meta,
                &[],
                &PlanOptions::default(),
            );
            let opts = ApplyOptions {
                parallelism: 0,
                poll: PollPolicy::default().scaled(SCALE),
                ..ApplyOptions::default()
            };
            let (_tx, rx) = tokio::sync::watch::channel(false);
            let mut hooks = TimedHooks {
                start,
                events: Vec::new(),
            };
            let outcome = apply::apply(&p, &mut state, &providers, &mut hooks, &opts, rx)
                .await
                .expect("apply");
            Outcome {
                events: hooks.events,
                ok: outcome.ok(),
            }
        })
    })
}

struct Figures {
    throttled: usize,
    wall_sim: f64,
    late_pct: Vec<f64>,
    ok: bool,
}

/// `processes` applies splitting the 200 restores, at once, on a fresh simulator and database.
async fn run(processes: usize, shared: bool) -> Option<Figures> {
    let db = TestDb::create("bench_shared")?;
    let all = compiled(&mixed_spec_of(0..PROCESSES * EACH));
    let mut world = world_for(&all.spec, jiff::Timestamp::now().as_millisecond());
    world.durations = DURATIONS;
    let sim = rewind_sim::start(SimConfig {
        world,
        time_scale: SCALE,
        seed: 1,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let rehearsal = Rehearsal::unkept(sim, SCALE);
    let config = rehearsal.cloud_config().expect("cloud config");
    let per = PROCESSES * EACH / processes;
    let start = Instant::now();
    let handles: Vec<_> = (0..processes)
        .map(|i| {
            process(
                mixed_spec_of(i * per..(i + 1) * per),
                db.url.clone(),
                format!("p{i}"),
                config.clone(),
                shared,
                start,
            )
        })
        .collect();
    let outcomes: Vec<Outcome> = handles
        .into_iter()
        .map(|h| h.join().expect("apply thread"))
        .collect();
    let wall = start.elapsed();
    let mut late_pct = Vec::new();
    for o in &outcomes {
        let mut submitted = std::collections::BTreeMap::new();
        for (at, event) in &o.events {
            match event {
                Event::Submitted { name, .. } => {
                    submitted.insert(name.clone(), at.as_secs_f64());
                }
                Event::Succeeded { name, .. } => {
                    if let Some(accepted) = submitted.get(name) {
                        let job = job_secs(name);
                        let late = (at.as_secs_f64() - accepted) * SCALE - job;
                        late_pct.push(late.max(0.0) / job * 100.0);
                    }
                }
                _ => {}
            }
        }
    }
    late_pct.sort_by(f64::total_cmp);
    let throttled = rehearsal
        .sim
        .requests()
        .iter()
        .filter(|e| e.status == 429)
        .count();
    rehearsal.sim.shutdown().await;
    Some(Figures {
        throttled,
        wall_sim: wall.as_secs_f64() * SCALE,
        late_pct,
        ok: outcomes.iter().all(|o| o.ok),
    })
}

/// The cost of sharing: one take's round trip, and what it adds to a submit's wait for a
/// slot when the budget has room (the common case).
async fn overhead(out: &mut String) {
    let Some(db) = TestDb::create("bench_budget_cost") else {
        return;
    };
    let Ok(pg) = PgBudget::connect(&db.url, "bench".to_owned()).await else {
        return;
    };
    // A limit far above what is sent: every take is granted at once.
    let roomy = RateLimits {
        per_minute: 1_000_000,
        ..RateLimits::default()
    };
    let shared = Budget::for_user(
        RateLimits {
            shared: Some(Shared(Arc::new(pg))),
            ..roomy.clone()
        },
        "bench",
    );
    let local = Budget::for_user(roomy, "bench");
    let timed = |n: usize, budget: Budget| async move {
        let mut took = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let permit = budget
                .acquire(
                    "rds",
                    Some(Service::Rds),
                    "POST /v3/{project_id}/instances",
                    Priority::Submit,
                )
                .await;
            took.push(t.elapsed().as_secs_f64() * 1000.0);
            if let Some(p) = permit {
                p.answered(false);
            }
        }
        took.sort_by(f64::total_cmp);
        took
    };
    let with = timed(500, shared).await;
    let without = timed(500, local).await;
    #[allow(clippy::cast_precision_loss)]
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let _ = writeln!(
        out,
        "Cost per request (500 submits with room in the budget, one connection): with the shared budget mean {:.3} ms, p95 {:.3} ms; local budget only mean {:.3} ms. A submit's added latency is the difference: {:.3} ms (one database round trip).\n",
        mean(&with),
        pct(&with, 0.95),
        mean(&without),
        mean(&with) - mean(&without)
    );
}

pub async fn section(out: &mut String) {
    let _ = writeln!(
        out,
        "## Shared budget (issue 26): {PROCESSES} applies x {EACH} mixed restores, one simulator credential, flow control on (60/min per user and API), time scale {SCALE}"
    );
    let _ = writeln!(
        out,
        "Each apply has its own thread, runtime, client, PostgreSQL workspace and budget connection (nothing shared but the database and the simulator). Bound: the same 200 restores applied by one process under one budget."
    );
    let Some(bound) = run(1, true).await else {
        let _ = writeln!(
            out,
            "Skipped: no PostgreSQL answers (set REWIND_TEST_PG).\n"
        );
        return;
    };
    let _ = writeln!(
        out,
        "| run | 429s | wall (sim s) | wall / one-budget bound | late p50 | late p95 | late max | all succeeded |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let row = |out: &mut String, label: &str, f: &Figures| {
        let _ = writeln!(
            out,
            "| {label} | {} | {:.0} | {:.3} | {:.2}% | {:.2}% | {:.2}% | {} |",
            f.throttled,
            f.wall_sim,
            f.wall_sim / bound.wall_sim,
            pct(&f.late_pct, 0.5),
            pct(&f.late_pct, 0.95),
            pct(&f.late_pct, 1.0),
            f.ok
        );
    };
    row(out, "one process, 200 restores (the bound)", &bound);
    for (label, shared) in [
        ("4 processes, shared budget on", true),
        ("4 processes, shared budget off (each its own)", false),
    ] {
        if let Some(f) = run(PROCESSES, shared).await {
            row(out, label, &f);
        }
    }
    let _ = writeln!(
        out,
        "Targets (shared on): 0 429s; late p95 <= 2%; wall <= 1.15x the one-budget bound.\n"
    );
    overhead(out).await;
}
