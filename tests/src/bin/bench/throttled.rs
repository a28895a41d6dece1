//! The `throttled` section: 200 mixed restores against the simulator's default flow control.

use super::{Run, apply_throttled, compiled, id, uuid};
use rewind_cli::simulate::{Rehearsal, world_for};
use rewind_engine::apply::{ApplyOptions, Event, PollPolicy};
use rewind_engine::compile::Compiled;
use rewind_engine::kinds::Service;
use rewind_engine::plan::{self, PlanOptions};
use rewind_engine::provider::Providers;
use rewind_engine::state::StateStore;
use rewind_providers::RateLimits;
use rewind_sim::{Durations, SimConfig};
use rewind_state::MemoryState;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

const RESTORES: usize = 200;
/// Simulated seconds per real second: a 600 s job takes 6 s.
const SCALE: f64 = 100.0;
/// The simulator sets one duration per kind, so the ±20% spread is spread across kinds.
pub(super) const DURATIONS: Durations = Durations {
    rds_restore: 600.0,
    ddm_restore: 480.0,
    ddm_metadata_restore: 540.0,
    taurusdb_restore: 660.0,
    cbr_restore: 720.0,
    dcs_restore: 600.0,
};

/// `RESTORES` independent restores, the six kinds in turn.
fn mixed_spec() -> String {
    mixed_spec_of(0..RESTORES)
}

/// The restores numbered `range` of [`mixed_spec`] (the `shared` section splits it in four).
pub(super) fn mixed_spec_of(range: std::ops::Range<usize>) -> String {
    let mut s = String::from("version: 1\nvars:\n  t: 2026-11-20T03:00:00Z\nrestores:\n");
    for n in range {
        let _ = match n % 6 {
            0 => write!(
                s,
                "  r{n:03}-rds:\n    kind: rds.restore\n    source: {{ instance_id: {}, restore_time: \"${{var.t}}\" }}\n    target: {{ instance_id: {} }}\n",
                id(10_000 + n, "in01"),
                id(20_000 + n, "in01")
            ),
            1 => write!(
                s,
                "  r{n:03}-ddm:\n    kind: ddm.restore\n    source: {{ instance_id: {}, restore_time: \"${{var.t}}\" }}\n    target: {{ instance_id: {} }}\n    data_node_relations:\n      - {{ source_instance_id: {}, target_instance_id: {} }}\n",
                id(30_000 + n, "in09"),
                id(40_000 + n, "in09"),
                id(50_000 + n, "in01"),
                id(60_000 + n, "in01")
            ),
            2 => write!(
                s,
                "  r{n:03}-meta:\n    kind: ddm.metadata_restore\n    instance_id: {}\n    source: {{ restore_time: \"${{var.t}}\" }}\n    target: {{ instance_id: {}, data_nodes: [{}] }}\n",
                id(70_000 + n, "in09"),
                id(80_000 + n, "in09"),
                id(90_000 + n, "in01")
            ),
            3 => write!(
                s,
                "  r{n:03}-taurus:\n    kind: taurusdb.restore\n    source_instance_id: {}\n    target_instance_id: {}\n    type: backup\n    backup_id: {}\n",
                id(100_000 + n, "in07"),
                id(110_000 + n, "in07"),
                id(120_000 + n, "br07")
            ),
            4 => write!(
                s,
                "  r{n:03}-cbr:\n    kind: cbr.restore\n    backup_id: {}\n    volume_id: {}\n",
                uuid(130_000 + n),
                uuid(140_000 + n)
            ),
            _ => write!(
                s,
                "  r{n:03}-dcs:\n    kind: dcs.restore\n    instance_id: {}\n    backup_id: {}\n",
                uuid(150_000 + n),
                uuid(160_000 + n)
            ),
        };
    }
    s
}

pub(super) fn job_secs(kind_of: &str) -> f64 {
    match kind_of.rsplit('-').next() {
        Some("rds") => DURATIONS.rds_restore,
        Some("ddm") => DURATIONS.ddm_restore,
        Some("meta") => DURATIONS.ddm_metadata_restore,
        Some("taurus") => DURATIONS.taurusdb_restore,
        Some("cbr") => DURATIONS.cbr_restore,
        _ => DURATIONS.dcs_restore,
    }
}

/// rewind's budget for a rehearsal at `SCALE`: the default 60 per minute per API.
fn budget() -> RateLimits {
    RateLimits {
        time_scale: SCALE,
        ..RateLimits::default()
    }
}

struct Figures {
    throttled: usize,
    per_restore: f64,
    wall_sim: f64,
    late_pct: Vec<f64>,
    /// The worst lateness per kind (the suffix of the operation's name).
    late_max_by_kind: BTreeMap<String, f64>,
    ok: bool,
}

fn figures(run: &Run) -> Figures {
    let log = run.sim.requests();
    let services = log
        .iter()
        .filter(|e| e.service != rewind_sim::Service::Iam)
        .count();
    let mut submitted = BTreeMap::new();
    let mut late_pct = Vec::new();
    let mut late_max_by_kind: BTreeMap<String, f64> = BTreeMap::new();
    for (at, event) in &run.timeline {
        match event {
            Event::Submitted { name, .. } => {
                submitted.insert(name.clone(), at.as_secs_f64());
            }
            Event::Succeeded { name, .. } => {
                if let Some(accepted) = submitted.get(name) {
                    let job = job_secs(name);
                    // From the accepted answer, so the figure includes the POST's latency.
                    let late = (at.as_secs_f64() - accepted) * SCALE - job;
                    let pct = late.max(0.0) / job * 100.0;
                    late_pct.push(pct);
                    let kind = name.rsplit('-').next().unwrap_or_default().to_owned();
                    let worst = late_max_by_kind.entry(kind).or_default();
                    *worst = worst.max(pct);
                }
            }
            _ => {}
        }
    }
    late_pct.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)] // counts in the thousands
    Figures {
        throttled: log.iter().filter(|e| e.status == 429).count(),
        per_restore: services as f64 / RESTORES as f64,
        wall_sim: run.wall.as_secs_f64() * SCALE,
        late_pct,
        late_max_by_kind,
        ok: run.ok,
    }
}

pub(super) fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn section(out: &mut String) {
    let c = compiled(&mixed_spec());
    let critical = DURATIONS
        .rds_restore
        .max(DURATIONS.cbr_restore)
        .max(DURATIONS.taurusdb_restore);
    let total: f64 = c.spec.ops.keys().map(|n| job_secs(n)).sum();
    let _ = writeln!(
        out,
        "## Throttled: {RESTORES} restores of all six kinds, jobs 480-720 simulated s, simulator flow control on (60/min per user and API), time scale {SCALE}"
    );
    let _ = writeln!(
        out,
        "Critical path {critical:.0} s; total job time {total:.0} s. Batch polling follows the shared budget: on with it (one list read per round observes every RDS, DDM and CBR job in flight), off with it."
    );
    let _ = writeln!(
        out,
        "| run | 429s | requests / restore | wall (sim s) | wall / bound | late p50 | late p95 | late max | all succeeded |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    let poll = PollPolicy::default().scaled(SCALE);
    let runs = [
        ("shared budget on, unlimited parallelism", budget(), 0usize),
        (
            "shared budget and batch polling off, unlimited parallelism",
            RateLimits::off(),
            0,
        ),
        ("shared budget on, --parallelism 10", budget(), 10),
    ];
    for (label, limits, parallelism) in runs {
        let opts = ApplyOptions {
            parallelism,
            poll,
            ..ApplyOptions::default()
        };
        let run = apply_throttled(&c, DURATIONS, SCALE, &opts, true, limits).await;
        let f = figures(&run);
        #[allow(clippy::cast_precision_loss)]
        let bound = if parallelism == 0 {
            critical
        } else {
            critical.max(total / parallelism as f64)
        };
        let _ = writeln!(
            out,
            "| {label} | {} | {:.1} | {:.0} | {:.3} | {:.2}% | {:.2}% | {:.2}% | {} |",
            f.throttled,
            f.per_restore,
            f.wall_sim,
            f.wall_sim / bound,
            pct(&f.late_pct, 0.5),
            pct(&f.late_pct, 0.95),
            pct(&f.late_pct, 1.0),
            f.ok
        );
        let by_kind: Vec<String> = f
            .late_max_by_kind
            .iter()
            .map(|(kind, worst)| format!("{kind} {worst:.2}%"))
            .collect();
        let _ = writeln!(
            out,
            "|   late max by kind: {} | | | | | | | | |",
            by_kind.join(", ")
        );
        run.sim.shutdown().await;
    }
    let _ = writeln!(
        out,
        "Bound: the critical path, or max(critical path, total job time / parallelism). Lateness: how long after its end a job was seen done, in % of its duration."
    );
    let _ = writeln!(
        out,
        "Targets: 0 429s; late p95 <= 2%, max <= 10%; wall <= 1.10x the critical path (unlimited), <= 1.15x the bound (--parallelism 10).\n"
    );
    preflight(out, &c).await;
}

/// `plan` with preflight for every operation, under flow control and the shared budget.
async fn preflight(out: &mut String, c: &Compiled) {
    let now = jiff::Timestamp::now().as_millisecond();
    let mut world = world_for(&c.spec, now);
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
    let mut config = rehearsal.cloud_config().expect("cloud config");
    config.rate_limits = budget();
    let cloud = rewind_providers::connect(config).expect("connect");
    let providers: Providers = Service::ALL
        .into_iter()
        .map(|s| (s, cloud.provider(s)))
        .collect();
    let state = MemoryState::with_lineage("bench");
    let meta = state.meta().expect("meta");
    let mut p = plan::build(
        "bench.yaml",
        &c.spec,
        &c.graph,
        &meta,
        &[],
        &PlanOptions::default(),
    );
    let start = Instant::now();
    rewind_engine::preflight::run(&mut p, &providers, 10).await;
    let wall = start.elapsed().as_secs_f64();
    let log = rehearsal.sim.requests();
    let sent = log
        .iter()
        .filter(|e| e.service != rewind_sim::Service::Iam)
        .count();
    let throttled = log.iter().filter(|e| e.status == 429).count();
    let _ = writeln!(
        out,
        "Preflight of the {RESTORES} operations (parallelism 10, shared budget on): {sent} requests, {throttled} 429s, {wall:.2} s wall ({:.0} simulated s). RDS instances and CBR backups are read from one paged list each; DDM instances too where the service lists them.\n",
        wall * SCALE
    );
    rehearsal.sim.shutdown().await;
}
