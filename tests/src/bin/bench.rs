//! `bench`: rewind's performance figures (scheduling, API efficiency, plan scale, state cost).
//!
//! Run all sections: `cargo run --release -p rewind-tests --bin bench`
//! One section:      `cargo run --release -p rewind-tests --bin bench -- scheduling`
//! Sections: scheduling, api, plan, state, pgstate (also run by state), throttled. Everything runs in this process against the
//! simulator on loopback; nothing is timed against a network.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a test binary reports to whoever runs it"
)]

use rewind_cli::simulate::{Rehearsal, world_for};
use rewind_engine::apply::{self, ApplyOptions, PollPolicy};
use rewind_engine::compile::{Compiled, compile};
use rewind_engine::kinds::Service;
use rewind_engine::plan::{self, PlanOptions};
use rewind_engine::provider::Providers;
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::StateStore;
use rewind_sim::{Durations, SimConfig};
use rewind_state::{LockHolder, MemoryState, SledState};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

fn id(n: usize, suffix: &str) -> String {
    format!("{n:032x}{suffix}")
}

fn uuid(n: usize) -> String {
    format!("{:08x}-0000-4000-8000-{n:012x}", n >> 16)
}

/// A spec of about `ops` operations in groups shaped like real runbooks: three RDS PITRs
/// whose targets feed a DDM metadata restore (edges inferred), then a chain of restores
/// (`depends_on`) of varying length, and a fan-out of independent restores after the DDM.
pub fn dag_spec(ops: usize) -> String {
    let mut s = String::from("version: 1\nvars:\n  t: 2026-11-20T03:00:00Z\nrestores:\n");
    let mut n = 0usize;
    let mut group = 0usize;
    while n < ops {
        let g = group;
        let mut dns = Vec::new();
        for k in 0..3 {
            let target = id(1_000_000 + n, "in01");
            let _ = write!(
                s,
                "  g{g}-rds-{k}:\n    kind: rds.restore\n    source: {{ instance_id: {}, restore_time: \"${{var.t}}\" }}\n    target: {{ instance_id: {target} }}\n",
                id(2_000_000 + n, "in01")
            );
            dns.push(target);
            n += 1;
        }
        let _ = write!(
            s,
            "  g{g}-ddm:\n    kind: ddm.metadata_restore\n    instance_id: {}\n    source: {{ restore_time: \"${{var.t}}\" }}\n    target: {{ instance_id: {}, data_nodes: [{}] }}\n",
            id(3_000_000 + n, "in09"),
            id(4_000_000 + n, "in09"),
            dns.join(", ")
        );
        n += 1;
        let mut prev = format!("g{g}-ddm");
        for c in 0..=(g % 4) {
            let name = format!("g{g}-chain-{c}");
            let _ = write!(
                s,
                "  {name}:\n    kind: dcs.restore\n    depends_on: [{prev}]\n    instance_id: {}\n    backup_id: {}\n",
                uuid(5_000_000 + n),
                uuid(6_000_000 + n)
            );
            prev = name;
            n += 1;
        }
        for f in 0..2 {
            let _ = write!(
                s,
                "  g{g}-fan-{f}:\n    kind: cbr.restore\n    depends_on: [g{g}-ddm]\n    backup_id: {}\n    volume_id: {}\n",
                uuid(7_000_000 + n),
                uuid(8_000_000 + n)
            );
            n += 1;
        }
        group += 1;
    }
    s
}

#[path = "bench/shared.rs"]
mod shared;
#[path = "bench/throttled.rs"]
mod throttled;

fn compiled(text: &str) -> Compiled {
    compile("bench.yaml", text, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("bench spec: {}", r.plain()))
}

/// Longest chain of the graph, in operations (every job lasts the same).
fn critical_path_len(c: &Compiled) -> usize {
    let order = c.graph.order();
    let mut depth: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for name in &order {
        let d = c
            .graph
            .predecessors(name)
            .iter()
            .map(|p| depth.get(p.as_str()).copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
            + 1;
        depth.insert(name.as_str(), d);
    }
    depth.values().copied().max().unwrap_or(0)
}

struct Run {
    wall: Duration,
    ok: bool,
    sim: rewind_sim::Simulator,
    timeline: Vec<(Duration, apply::Event)>,
}

/// Records every event with the time since apply started.
struct TimedHooks {
    start: Instant,
    events: Vec<(Duration, apply::Event)>,
}

impl apply::ApplyHooks for TimedHooks {
    fn on_event(&mut self, event: &apply::Event) {
        self.events.push((self.start.elapsed(), event.clone()));
    }
}

/// Mean seconds of: predecessor done -> started, started -> accepted, accepted -> seen done.
fn phases(compiled: &Compiled, timeline: &[(Duration, apply::Event)]) -> (f64, f64, f64) {
    use apply::Event;
    let mut at: std::collections::BTreeMap<(&str, u8), f64> = std::collections::BTreeMap::new();
    for (time, event) in timeline {
        let key = match event {
            Event::Started { name, .. } => (name.as_str(), 0),
            Event::Submitted { name, .. } => (name.as_str(), 1),
            Event::Succeeded { name, .. } => (name.as_str(), 2),
            _ => continue,
        };
        at.insert(key, time.as_secs_f64());
    }
    let (mut wait, mut submit, mut run, mut count) = (0.0, 0.0, 0.0, 0.0);
    for name in compiled.spec.ops.keys() {
        let (Some(started), Some(accepted), Some(done)) = (
            at.get(&(name.as_str(), 0)),
            at.get(&(name.as_str(), 1)),
            at.get(&(name.as_str(), 2)),
        ) else {
            continue;
        };
        let ready = compiled
            .graph
            .predecessors(name)
            .iter()
            .filter_map(|p| at.get(&(p.as_str(), 2)))
            .fold(0.0f64, |m, v| m.max(*v));
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            eprintln!(
                "{name}: started {started:.3} accepted {accepted:.3} done {done:.3} (run {:.3})",
                done - accepted
            );
        }
        wait += started - ready;
        submit += accepted - started;
        run += done - accepted;
        count += 1.0;
    }
    (wait / count, submit / count, run / count)
}

/// Applies `c` in this process against a fresh simulator, flow control and budget off: these
/// sections measure the scheduler, and their figures stay comparable with the recorded ones.
async fn apply_in_process(
    c: &Compiled,
    durations: Durations,
    time_scale: f64,
    opts: &ApplyOptions,
) -> Run {
    apply_throttled(
        c,
        durations,
        time_scale,
        opts,
        false,
        rewind_providers::RateLimits::off(),
    )
    .await
}

/// `flow` turns on the simulator's default flow control; `budget` is rewind's.
async fn apply_throttled(
    c: &Compiled,
    durations: Durations,
    time_scale: f64,
    opts: &ApplyOptions,
    flow: bool,
    budget: rewind_providers::RateLimits,
) -> Run {
    let now = jiff::Timestamp::now().as_millisecond();
    let mut world = world_for(&c.spec, now);
    world.durations = durations;
    if !flow {
        world.flow_control = rewind_sim::FlowControl::off();
    }
    let sim = rewind_sim::start(SimConfig {
        world,
        time_scale,
        seed: 1,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let rehearsal = Rehearsal::unkept(sim, time_scale);
    let mut config = rehearsal.cloud_config().expect("cloud config");
    config.rate_limits = budget;
    let cloud = rewind_providers::connect(config).expect("connect");
    let providers: Providers = Service::ALL
        .into_iter()
        .map(|s| (s, cloud.provider(s)))
        .collect();
    let mut state = MemoryState::with_lineage("bench");
    let meta = state.meta().expect("meta");
    let plan = plan::build(
        "bench.yaml",
        &c.spec,
        &c.graph,
        &meta,
        &[],
        &PlanOptions::default(),
    );
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let start = Instant::now();
    let mut hooks = TimedHooks {
        start,
        events: Vec::new(),
    };
    let outcome = apply::apply(&plan, &mut state, &providers, &mut hooks, opts, rx)
        .await
        .expect("apply");
    Run {
        wall: start.elapsed(),
        ok: outcome.ok(),
        sim: rehearsal.sim,
        timeline: hooks.events,
    }
}

fn uniform(secs: f64) -> Durations {
    Durations {
        rds_restore: secs,
        ddm_restore: secs,
        ddm_metadata_restore: secs,
        taurusdb_restore: secs,
        cbr_restore: secs,
        dcs_restore: secs,
    }
}

async fn scheduling(out: &mut String, op_count: usize) {
    let job = 2.0;
    let c = compiled(&dag_spec(op_count));
    let path = critical_path_len(&c);
    let critical = job * path as f64;
    // Polling for 2-second jobs: first look at half the expected time, then aim at the end.
    let poll = PollPolicy {
        first: Duration::from_secs_f64(job / 2.0),
        min: Duration::from_millis(50),
        ..PollPolicy::default()
    };
    let _ = writeln!(
        out,
        "## Scheduling: {} restores, jobs of {job} s, critical path {path} jobs = {critical:.1} s",
        c.spec.ops.len()
    );
    let _ = writeln!(
        out,
        "| parallelism | wall (s) | wall / critical path | all succeeded |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    let fixed = if std::env::var_os("BENCH_SKIP_FIXED").is_some() {
        vec![]
    } else {
        vec![("10 (Terraform-style)", 10)]
    };
    for (label, limit) in std::iter::once(("unlimited (rewind)", 0usize)).chain(fixed) {
        let opts = ApplyOptions {
            parallelism: limit,
            poll,
            ..ApplyOptions::default()
        };
        let run = apply_in_process(&c, uniform(job), 1.0, &opts).await;
        let ratio = run.wall.as_secs_f64() / critical;
        let _ = writeln!(
            out,
            "| {label} | {:.2} | {ratio:.3} | {} |",
            run.wall.as_secs_f64(),
            run.ok
        );
        let (wait, submit, running) = phases(&c, &run.timeline);
        let _ = writeln!(
            out,
            "|   mean per restore: ready -> started {wait:.3} s, started -> accepted {submit:.3} s, accepted -> seen done {running:.3} s | | | |"
        );
        run.sim.shutdown().await;
    }
    let _ = writeln!(out, "Target: ratio <= 1.05 with unlimited parallelism.\n");
}

async fn api_efficiency(out: &mut String) {
    let spec = "version: 1\nrestores:\n  db:\n    kind: rds.restore\n    source: { instance_id: 7edae0250ebc464897bd92b8d3e8b769in01, restore_time: 2026-11-20T03:00:00Z }\n    target: { instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01 }\n";
    let c = compiled(spec);
    let _ = writeln!(
        out,
        "## API efficiency: one RDS restore, default polling policy"
    );
    let _ = writeln!(
        out,
        "| job (simulated s) | POST | GET | completion seen after end (s) | late (% of job) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for job in [10.0, 60.0, 600.0] {
        // Simulated time runs 100x faster; the policy is scaled the same way, so request
        // counts and lateness (in simulated seconds) are those of a real-time run.
        let scale = 100.0;
        let opts = ApplyOptions {
            poll: PollPolicy::default().scaled(scale),
            ..ApplyOptions::default()
        };
        let run = apply_in_process(&c, uniform(job), scale, &opts).await;
        let log = run.sim.requests();
        let svc: Vec<_> = log
            .iter()
            .filter(|e| e.service != rewind_sim::Service::Iam)
            .collect();
        let posts = svc.iter().filter(|e| e.method == "POST").count();
        let gets = svc.iter().filter(|e| e.method == "GET").count();
        let world = run.sim.world_snapshot();
        let job_rec = world.rds.jobs.values().next().expect("one job");
        let due = job_rec.created + job_rec.duration_ms;
        let seen = svc
            .iter()
            .filter(|e| e.method == "GET")
            .map(|e| e.at_ms)
            .max()
            .unwrap_or(due);
        let late = (seen - due) as f64 / 1000.0;
        let _ = writeln!(
            out,
            "| {job:.0} | {posts} | {gets} | {late:.1} | {:.1}% |",
            late / job * 100.0
        );
        assert!(run.ok);
        run.sim.shutdown().await;
    }
    let _ = writeln!(
        out,
        "Targets: exactly 1 POST; at most 8 GETs for a 600 s job, seen within 10% of its end.\n"
    );
}

/// Durable `put`s per second: 2,000 writes cycling over 200 records, each flushed. The
/// `bench-` names match no generated operation: a later plan on the same store sees them only
/// as records to forget, never as operations in flight.
fn transitions_per_second(state: &mut dyn rewind_engine::state::StateStore) -> f64 {
    let mut record = bench_record(state);
    let n = 2000;
    let start = Instant::now();
    for i in 0..n {
        record.name = format!("bench-{}", i % 200);
        state.put(&record, "bench").expect("put");
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

/// Transitions written per tick of a walker that hands them over together: how many are
/// batched per commit.
const BATCH: usize = 50;

/// Durable transitions per second through `Backend::put_batch`, [`BATCH`] per commit: what
/// group commit across one scheduling tick would give.
fn batched_transitions_per_second(state: &mut dyn rewind_state::Backend) -> f64 {
    let template = bench_record(&*state);
    let batch: Vec<_> = (0..BATCH)
        .map(|i| {
            let mut r = template.clone();
            r.name = format!("bench-{i}");
            r
        })
        .collect();
    let writes: Vec<_> = batch.iter().map(|r| (r, "bench")).collect();
    let rounds = 40;
    let start = Instant::now();
    for _ in 0..rounds {
        state.put_batch(&writes).expect("put_batch");
    }
    (rounds * BATCH) as f64 / start.elapsed().as_secs_f64()
}

/// A realistic record (a generated operation's request) under a `bench-` name.
fn bench_record(state: &dyn rewind_engine::state::StateStore) -> rewind_engine::state::OpRecord {
    let c = compiled(&dag_spec(8));
    let meta = state.meta().expect("meta");
    let p = plan::build(
        "bench.yaml",
        &c.spec,
        &c.graph,
        &meta,
        &[],
        &PlanOptions::default(),
    );
    let step = &p.steps[0];
    rewind_engine::state::OpRecord {
        version: rewind_engine::state::RECORD_VERSION,
        name: String::new(),
        kind: step.kind,
        inputs_digest: step.inputs_digest.clone(),
        request: step.request.clone(),
        status: rewind_engine::state::Status::Submitting,
        handle: None,
        attempts: 1,
        submitted_at: Some(0),
        created_at: 0,
        updated_at: 0,
        outputs: std::collections::BTreeMap::default(),
        last_error: None,
    }
}

fn state_cost(out: &mut String, overhead_ms: f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut state = SledState::open(dir.path(), LockHolder::new("bench")).expect("open state");
    let per_sec = transitions_per_second(&mut state);
    let _ = writeln!(out, "## State cost");
    let _ = writeln!(out, "| measure | value |");
    let _ = writeln!(out, "|---|---|");
    let _ = writeln!(
        out,
        "| durable transitions per second (sled, flushed each) | {per_sec:.0} |"
    );
    let _ = writeln!(
        out,
        "| apply overhead per operation, instant jobs (1000 ops) | {overhead_ms:.2} ms |\n"
    );
}

async fn apply_overhead() -> f64 {
    let c = compiled(&dag_spec(1000));
    let poll = PollPolicy {
        first: Duration::ZERO,
        min: Duration::from_millis(1),
        ..PollPolicy::default()
    };
    let opts = ApplyOptions {
        parallelism: 0,
        poll,
        ..ApplyOptions::default()
    };
    let run = apply_in_process(&c, uniform(0.0), 1.0, &opts).await;
    assert!(run.ok, "instant-job apply failed");
    let ms = run.wall.as_secs_f64() * 1000.0 / c.spec.ops.len() as f64;
    run.sim.shutdown().await;
    ms
}

/// Durable transitions per second and apply overhead per operation on a store that `open`
/// makes, compared between sled and PostgreSQL.
fn team_state_row(
    label: &str,
    rt: &tokio::runtime::Runtime,
    open: &dyn Fn() -> Box<dyn rewind_state::Backend>,
) -> String {
    let c = compiled(&dag_spec(1000));
    let mut state = open();
    let per_sec = transitions_per_second(&mut *state);
    let batched = batched_transitions_per_second(&mut *state);
    drop(state);
    // Apply overhead: 1000 instant jobs, wall time per operation, this store doing the
    // recording (the in-memory figure above is the floor).
    let mut state = open();
    let meta = state.meta().expect("meta");
    let records = state.list().expect("list");
    let p = plan::build(
        "bench.yaml",
        &c.spec,
        &c.graph,
        &meta,
        &records,
        &PlanOptions::default(),
    );
    let ms = rt.block_on(async {
        let now = jiff::Timestamp::now().as_millisecond();
        let mut world = world_for(&c.spec, now);
        world.durations = uniform(0.0);
        // This row measures the store, not throttling: flow control and the budget stay off,
        // as in the other state section.
        world.flow_control = rewind_sim::FlowControl::off();
        let sim = rewind_sim::start(SimConfig {
            world,
            time_scale: 1.0,
            seed: 1,
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let rehearsal = Rehearsal::unkept(sim, 1.0);
        let mut config = rehearsal.cloud_config().expect("config");
        config.rate_limits.enabled = false;
        let cloud = rewind_providers::connect(config).expect("connect");
        let providers: Providers = Service::ALL
            .into_iter()
            .map(|s| (s, cloud.provider(s)))
            .collect();
        let opts = ApplyOptions {
            parallelism: 0,
            poll: PollPolicy {
                first: Duration::ZERO,
                min: Duration::from_millis(1),
                ..PollPolicy::default()
            },
            ..ApplyOptions::default()
        };
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let mut hooks = TimedHooks {
            start: Instant::now(),
            events: Vec::new(),
        };
        let start = Instant::now();
        let outcome = apply::apply(&p, &mut *state, &providers, &mut hooks, &opts, rx)
            .await
            .expect("apply");
        assert!(outcome.ok(), "instant-job apply failed on {label}");
        let ms = start.elapsed().as_secs_f64() * 1000.0 / c.spec.ops.len() as f64;
        rehearsal.sim.shutdown().await;
        ms
    });
    format!("| {label} | {per_sec:.0} | {batched:.0} | {ms:.2} ms |\n")
}

/// The `pgstate` section: PostgreSQL beside sled. Skipped when no server answers.
fn team_state(out: &mut String, rt: &tokio::runtime::Runtime) {
    let options = rewind_state::OpenOptions {
        holder: LockHolder::new("bench"),
        lock_timeout: Duration::ZERO,
        lease: rewind_state::postgres::DEFAULT_LEASE,
    };
    let _ = writeln!(out, "## Team state: sled beside PostgreSQL (loopback)");
    let _ = writeln!(
        out,
        "| backend | durable transitions per second | the same, {BATCH} per commit (`put_batch`) | apply overhead per operation (1000 instant jobs) |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    let dir = tempfile::tempdir().expect("temp dir");
    let sled = rewind_state::Location::Dir(dir.path().join("state"));
    out.push_str(&team_state_row("sled", rt, &|| {
        rewind_state::backend::open(&sled, &options).expect("sled")
    }));
    match rewind_state::testing::TestDb::create("bench") {
        Some(db) => {
            let pg = rewind_state::Location::Postgres {
                url: db.url.clone(),
                workspace: "bench".into(),
            };
            let floor = |when: &str| match rewind_state::testing::commit_floor(&db.url, 200) {
                Ok(d) => format!("{when}: {:.2} ms", d.as_secs_f64() * 1000.0),
                Err(e) => format!("{when}: not measured ({e})"),
            };
            let before = floor("before");
            out.push_str(&team_state_row("PostgreSQL", rt, &|| {
                rewind_state::backend::open(&pg, &options).expect("postgres")
            }));
            let after = floor("after");
            let _ = writeln!(
                out,
                "\nThe server's floor, one bare durable commit (a one-row UPDATE with \
                 synchronous_commit on), {before}, {after}. Each operation makes three \
                 transitions (submitting, running, succeeded); apply commits the transitions \
                 of one scheduling tick together (group commit).\n"
            );
        }
        None => out.push_str("| PostgreSQL | skipped: no server | | |\n"),
    }
    let _ = writeln!(
        out,
        "Target: apply overhead per operation at most 2 ms on PostgreSQL.\n"
    );
}

fn plan_scale(out: &mut String) {
    let _ = writeln!(out, "## Plan at scale (offline)");
    let _ = writeln!(
        out,
        "| operations | parse+lower (ms) | graph (ms) | plan (ms) | total (ms) | total / parse | peak RSS (MB) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for ops in [1_000, 10_000, 50_000] {
        let text = dag_spec(ops);
        let t0 = Instant::now();
        let root = rewind_engine::spec::yaml::parse(&text).expect("parses");
        let (spec, diags) = rewind_engine::spec::lower(&root, &LoadOptions::default());
        assert!(diags.is_empty(), "{diags:?}");
        let t1 = Instant::now();
        let (graph, gd) = rewind_engine::graph::build(&spec);
        assert!(gd.is_empty());
        let t2 = Instant::now();
        let state = MemoryState::with_lineage("bench");
        let meta = state.meta().expect("meta");
        let p = plan::build(
            "bench.yaml",
            &spec,
            &graph,
            &meta,
            &[],
            &PlanOptions::default(),
        );
        let t3 = Instant::now();
        assert_eq!(p.steps.len(), spec.ops.len());
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let (parse, g, pl) = (ms(t1 - t0), ms(t2 - t1), ms(t3 - t2));
        let _ = writeln!(
            out,
            "| {} | {parse:.0} | {g:.0} | {pl:.0} | {:.0} | {:.2} | {:.0} |",
            spec.ops.len(),
            parse + g + pl,
            (parse + g + pl) / parse,
            peak_rss_mb()
        );
    }
    let _ = writeln!(
        out,
        "Targets: 10,000 operations in <= 0.5 s and <= 150 MB (peak RSS is cumulative over the rows).\n"
    );
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "{cores} cores, {cpu}, {}",
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC")
    )
}

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let run = |s: &str| wanted.is_empty() || wanted.iter().any(|w| w == s);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut out = format!("# rewind benchmark\nMachine: {}\n\n", machine());
    if run("plan") {
        plan_scale(&mut out);
    }
    if run("scheduling") {
        let ops = std::env::var("BENCH_SCHEDULING_OPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        rt.block_on(scheduling(&mut out, ops));
    }
    if run("api") {
        rt.block_on(api_efficiency(&mut out));
    }
    if run("throttled") {
        rt.block_on(throttled::section(&mut out));
    }
    if run("shared") {
        rt.block_on(shared::section(&mut out));
    }
    if run("state") {
        let overhead = rt.block_on(apply_overhead());
        state_cost(&mut out, overhead);
    }
    if run("state") || run("pgstate") {
        team_state(&mut out, &rt);
    }
    print!("{out}");
}
