//! `bench-plan`: how long parsing, graph building and planning take for large specs, and how much memory.
//!
//! ```text
//! cargo run --release -p rewind-tests --bin bench-plan                      # 10,000 operations
//! cargo run --release -p rewind-tests --bin bench-plan -- --ops 1000,10000,50000 --runs 5
//! ```
//!
//! Each size runs in its own child process (this binary again, with `--one N`), so that each
//! row's peak memory is that size's own: the spec text is generated in memory, then parsed
//! and lowered (`spec::yaml::parse` + `spec::lower`), turned into a graph (`graph::build`) and
//! planned against an empty `MemoryState` (`plan::build`). Each stage is timed separately;
//! the median of `--runs` runs is reported. Peak memory is the kernel's high-water mark of
//! resident memory (`VmHWM` in /proc/self/status) of that child.
//!
//! Targets (issue 2), for 10,000 operations on the 2-core CI machine: the whole plan
//! (parse + graph + plan) in at most 0.5 s, graph + plan at most 3x the parse time, and a
//! peak of at most 150 MB.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use rewind_engine::graph;
use rewind_engine::plan::{self, PlanOptions};
use rewind_engine::spec::{self, LoadOptions};
use rewind_engine::state::StateStore;
use rewind_state::MemoryState;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const TARGET_OPS: usize = 10_000;
const TARGET_TOTAL: Duration = Duration::from_millis(500);
const TARGET_RATIO: f64 = 3.0;
const TARGET_PEAK_MB: f64 = 150.0;

fn rds_id(n: usize) -> String {
    format!("{n:032x}in01")
}

fn ddm_id(n: usize) -> String {
    format!("{n:032x}in09")
}

fn taurus_id(n: usize) -> String {
    format!("{n:032x}in07")
}

fn uuid(n: usize) -> String {
    format!("{:08x}-{:04x}-4000-8000-{:012x}", n >> 16, n & 0xffff, n)
}

/// A spec of exactly `ops` operations, in groups of 12 shaped like real runbooks:
///
/// - 4 RDS point-in-time restores of DDM data nodes; the first one restores from the
///   previous group's first node (a chain through the whole spec, inferred from footprints);
/// - 1 DDM metadata restore onto those 4 nodes: two by literal ID (inferred edges), two by
///   `${restores.X.target.instance_id}` (reference edges); fan-in;
/// - 1 DDM restore whose data node is then read by the next group's metadata restore;
/// - 1 TaurusDB restore chained (`depends_on`) to the previous group's TaurusDB restore;
/// - 2 CBR disk restores and 3 DCS restores, singletons that `depends_on` the metadata
///   restore (fan-out).
///
/// Any remainder is filled with independent DCS restores.
fn generate(ops: usize) -> String {
    let mut s = String::with_capacity(ops * 260);
    s.push_str(
        "version: 1\ncloud:\n  region: eu-de\nvars:\n  pit: 2026-11-20T03:00:00Z\nrestores:\n",
    );
    let groups = ops / 12;
    let mut ids = 0usize;
    let mut fresh = || {
        ids += 1;
        ids
    };
    let mut prev_node: Option<String> = None;
    let mut prev_ddm_node: Option<String> = None;
    for g in 0..groups {
        let mut nodes = Vec::new();
        for k in 0..4 {
            let source = match (k, &prev_node) {
                (0, Some(p)) => p.clone(),
                _ => rds_id(fresh()),
            };
            let target = rds_id(fresh());
            let _ = write!(
                s,
                "  g{g}-dn-{k}:\n    kind: rds.restore\n    source:\n      instance_id: {source}\n      type: timestamp\n      restore_time: \"${{var.pit}}\"\n    target:\n      instance_id: {target}\n"
            );
            nodes.push(target);
        }
        prev_node = Some(nodes[0].clone());
        let mut data_nodes = vec![
            nodes[0].clone(),
            nodes[1].clone(),
            format!("\"${{restores.g{g}-dn-2.target.instance_id}}\""),
            format!("\"${{restores.g{g}-dn-3.target.instance_id}}\""),
        ];
        if let Some(n) = prev_ddm_node.take() {
            data_nodes.push(n);
        }
        let _ = write!(
            s,
            "  g{g}-metadata:\n    kind: ddm.metadata_restore\n    instance_id: {}\n    source:\n      restore_time: \"${{var.pit}}\"\n    target:\n      instance_id: {}\n      data_nodes:\n",
            ddm_id(fresh()),
            ddm_id(fresh())
        );
        for n in &data_nodes {
            let _ = writeln!(s, "        - {n}");
        }
        let ddm_node = rds_id(fresh());
        let _ = write!(
            s,
            "  g{g}-ddm:\n    kind: ddm.restore\n    source:\n      instance_id: {}\n      restore_time: 1795143600000\n    target:\n      instance_id: {}\n    data_node_relations:\n      - source_instance_id: {}\n        target_instance_id: {ddm_node}\n",
            ddm_id(fresh()),
            ddm_id(fresh()),
            rds_id(fresh())
        );
        prev_ddm_node = Some(ddm_node);
        let depends = if g > 0 {
            format!("    depends_on: [g{}-ledger]\n", g - 1)
        } else {
            String::new()
        };
        let _ = write!(
            s,
            "  g{g}-ledger:\n    kind: taurusdb.restore\n{depends}    source_instance_id: {}\n    target_instance_id: {}\n    type: backup\n    backup_id: {:032x}br07\n",
            taurus_id(fresh()),
            taurus_id(fresh()),
            fresh()
        );
        for k in 0..2 {
            let _ = write!(
                s,
                "  g{g}-disk-{k}:\n    kind: cbr.restore\n    depends_on: [g{g}-metadata]\n    backup_id: {}\n    volume_id: {}\n    power_on: false\n",
                uuid(fresh()),
                uuid(fresh())
            );
        }
        for k in 0..3 {
            let _ = write!(
                s,
                "  g{g}-cache-{k}:\n    kind: dcs.restore\n    depends_on: [g{g}-metadata]\n    instance_id: {}\n    backup_id: {}\n    remark: group {g} cache {k}\n",
                uuid(fresh()),
                uuid(fresh())
            );
        }
    }
    for k in 0..ops - groups * 12 {
        let _ = write!(
            s,
            "  extra-{k}:\n    kind: dcs.restore\n    instance_id: {}\n    backup_id: {}\n",
            uuid(fresh()),
            uuid(fresh())
        );
    }
    s
}

/// `VmHWM` in MiB, from /proc/self/status.
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

struct Times {
    parse: Duration,
    graph: Duration,
    plan: Duration,
    edges: usize,
}

/// One full pass: parse + lower, graph, plan. Exits on a spec error (a generator bug).
fn pass(text: &str, ops: usize) -> Times {
    let state = MemoryState::with_lineage("bench");
    let t0 = Instant::now();
    let root = match spec::yaml::parse(text) {
        Ok(root) => root,
        Err(d) => panic!("generated spec does not parse: {d:?}"),
    };
    let (spec, diags) = spec::lower(&root, &LoadOptions::default());
    let t1 = Instant::now();
    let (graph, graph_diags) = graph::build(&spec);
    let t2 = Instant::now();
    let meta = state.meta().expect("memory state");
    let records = state.list().expect("memory state");
    let p = plan::build(
        "bench.yaml",
        &spec,
        &graph,
        &meta,
        &records,
        &PlanOptions::default(),
    );
    let t3 = Instant::now();
    if !diags.is_empty() || !graph_diags.is_empty() {
        let first = diags.iter().chain(&graph_diags).next();
        panic!(
            "generated spec has {} problem(s), first: {first:?}",
            diags.len() + graph_diags.len()
        );
    }
    assert_eq!(p.steps.len(), ops, "every operation is planned");
    let edges = p.edges.len();
    // Drop outside the timed region, but keep everything alive until here so the peak
    // includes the whole pipeline's data at once (as in `rewind plan`).
    drop((root, spec, graph, p));
    Times {
        parse: t1 - t0,
        graph: t2 - t1,
        plan: t3 - t2,
        edges,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Row {
    ops: usize,
    bytes: usize,
    edges: usize,
    parse: Duration,
    graph: Duration,
    plan: Duration,
    peak: Option<f64>,
}

/// Measures one size in this process and prints it as one machine-readable line.
fn measure_here(ops: usize, runs: usize) {
    let text = generate(ops);
    let mut all = Vec::new();
    for _ in 0..runs {
        all.push(pass(&text, ops));
    }
    let nanos = |f: fn(&Times) -> Duration| median(all.iter().map(f).collect()).as_nanos();
    println!(
        "ROW {ops} {} {} {} {} {} {}",
        text.len(),
        all[0].edges,
        nanos(|t| t.parse),
        nanos(|t| t.graph),
        nanos(|t| t.plan),
        peak_mb().map_or(-1.0, |m| m)
    );
}

/// Measures one size in a fresh child process, so its peak memory is its own.
fn measure(ops: usize, runs: usize) -> Result<Row, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .args(["--one", &ops.to_string(), "--runs", &runs.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ROW "))
        .ok_or_else(|| {
            format!(
                "the measurement of {ops} operations failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let f: Vec<&str> = line.split_whitespace().skip(1).collect();
    let num = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or(format!("bad line {line:?}"))
    };
    let peak: f64 = f
        .get(6)
        .and_then(|v| v.parse().ok())
        .ok_or(format!("bad line {line:?}"))?;
    Ok(Row {
        ops,
        bytes: num(1)? as usize,
        edges: num(2)? as usize,
        parse: Duration::from_nanos(num(3)?),
        graph: Duration::from_nanos(num(4)?),
        plan: Duration::from_nanos(num(5)?),
        peak: (peak >= 0.0).then_some(peak),
    })
}

struct Args {
    sizes: Vec<usize>,
    runs: usize,
    /// Internal: measure this one size here and print a `ROW` line.
    one: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut ops = vec![TARGET_OPS];
    let mut runs = 3;
    let mut one = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (a.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--ops" => {
                ops = value()?
                    .split(',')
                    .map(|n| {
                        n.trim()
                            .replace('_', "")
                            .parse::<usize>()
                            .map_err(|e| format!("--ops {n}: {e}"))
                    })
                    .collect::<Result<_, _>>()?;
                if ops.contains(&0) {
                    return Err("--ops: sizes must be at least 1".into());
                }
            }
            "--runs" => {
                runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?;
                if runs == 0 {
                    return Err("--runs must be at least 1".into());
                }
            }
            "--one" => one = Some(value()?.parse().map_err(|e| format!("--one: {e}"))?),
            "-h" | "--help" => {
                return Err("usage: bench-plan [--ops N[,N...]] [--runs R]   (default --ops 10000 --runs 3)".into());
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(Args {
        sizes: ops,
        runs,
        one,
    })
}

fn main() -> ExitCode {
    let Args { sizes, runs, one } = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if let Some(ops) = one {
        measure_here(ops, runs);
        return ExitCode::SUCCESS;
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; run with --release for meaningful figures");
    }
    println!(
        "rewind plan benchmark: parse+lower, graph build and plan (empty MemoryState), median of {runs} run(s)\n"
    );
    println!(
        "{:>8} {:>9} {:>8} {:>10} {:>10} {:>10} {:>10} {:>7} {:>7} {:>11} {:>9}",
        "ops",
        "spec KiB",
        "edges",
        "parse ms",
        "graph ms",
        "plan ms",
        "total ms",
        "graph/p",
        "plan/p",
        "(g+pl)/p",
        "peak MiB"
    );
    let mut rows = Vec::new();
    for &ops in &sizes {
        let r = match measure(ops, runs) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        };
        let p = ms(r.parse).max(f64::MIN_POSITIVE);
        println!(
            "{:>8} {:>9.0} {:>8} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>7.2} {:>7.2} {:>11.2} {:>9}",
            r.ops,
            r.bytes as f64 / 1024.0,
            r.edges,
            ms(r.parse),
            ms(r.graph),
            ms(r.plan),
            ms(r.parse + r.graph + r.plan),
            ms(r.graph) / p,
            ms(r.plan) / p,
            ms(r.graph + r.plan) / p,
            r.peak
                .map_or_else(|| "n/a".to_owned(), |m| format!("{m:.1}")),
        );
        rows.push(r);
    }

    let Some(r) = rows.iter().find(|r| r.ops == TARGET_OPS) else {
        println!(
            "\nTargets apply to {TARGET_OPS} operations; add {TARGET_OPS} to --ops to check them."
        );
        return ExitCode::SUCCESS;
    };
    let total = r.parse + r.graph + r.plan;
    let ratio = ms(r.graph + r.plan) / ms(r.parse).max(f64::MIN_POSITIVE);
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    println!("\nTargets for {TARGET_OPS} operations:");
    println!(
        "  whole plan (parse + graph + plan) <= {} ms: {:.1} ms  {}",
        TARGET_TOTAL.as_millis(),
        ms(total),
        mark(total <= TARGET_TOTAL)
    );
    println!(
        "  graph + plan <= {TARGET_RATIO}x parse:            {ratio:.2}x  {}",
        mark(ratio <= TARGET_RATIO)
    );
    match r.peak {
        Some(peak) => println!(
            "  peak memory <= {TARGET_PEAK_MB} MB:               {peak:.1} MiB  {}",
            mark(peak <= TARGET_PEAK_MB)
        ),
        None => println!(
            "  peak memory <= {TARGET_PEAK_MB} MB:               unknown (no /proc/self/status)"
        ),
    }
    ExitCode::SUCCESS
}
