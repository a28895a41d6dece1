//! `soak`: rounds of SIGKILLs, dropped responses, throttling, 5xx and token expiry, with a tally.
//!
//! Each round starts a fresh simulator with random faults, kills `rewind apply` two to six
//! times at random moments, then applies until it converges (acting as the operator where
//! rewind asks for a decision, and only where the cloud shows the restore never arrived).
//! Usage: soak [--rounds N] [--seed S] [--max-minutes M]
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a test binary reports to whoever runs it"
)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rewind_engine::kinds::KindDecl;
use rewind_sim::{FaultRule, Faults, Service};
use rewind_tests::{Harness, Options, repo_root, targets_with};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// An EVS rollback through the plugin (`plugins/evs`), beside the built-in kinds.
const EVS_OP: &str = "  data-disk:
    kind: evs.snapshot_rollback
    snapshot_id: b836dc3d-4e10-4ea4-a34c-8f6b0460a583
    volume_id: 5aa119a8-d25b-45a7-8d1b-88e127885635
";

/// The EVS plugin beside this binary, its kinds, and the `rewind.toml` lines that name it.
fn evs_plugin() -> (Vec<KindDecl>, String) {
    let exe = std::env::current_exe().expect("soak path");
    let name = format!("rewind-provider-evs-e2e{}", std::env::consts::EXE_SUFFIX);
    let path = exe.parent().map(|d| d.join(name)).expect("soak directory");
    let argv = vec![path.display().to_string()];
    let cmd = rewind_providers::external::PluginCommand {
        name: "evs".to_owned(),
        argv: argv.clone(),
        env: Vec::new(),
    };
    let kinds = rewind_providers::external::describe(&cmd, Duration::from_secs(20))
        .unwrap_or_else(|e| {
            panic!("{e} (build it with the soak: cargo build -p rewind-tests --bins)")
        })
        .kinds;
    (
        kinds,
        format!("[providers.evs]\ncommand = [{:?}]\n", argv[0]),
    )
}

/// Eight restores of six kinds (one a plugin's), with the DDM-after-RDS shape.
fn soak_spec() -> String {
    let read =
        |n: &str| std::fs::read_to_string(repo_root().join("examples").join(n)).expect("example");
    let mut spec = read("ddm-pitr.yaml");
    for extra in [
        "rds-restore.yaml",
        "dcs-restore.yaml",
        "cbr-restore.yaml",
        "taurusdb-restore.yaml",
    ] {
        let text = read(extra);
        let body = text.split("restores:\n").nth(1).expect("restores block");
        spec.push_str(body);
    }
    spec.push_str(EVS_OP);
    spec.replace("${var.point_in_time}", "2026-11-20T03:00:00Z")
}

fn random_faults(rng: &mut StdRng) -> Faults {
    let mut rules = Vec::new();
    for service in [
        Service::Rds,
        Service::Ddm,
        Service::Taurusdb,
        Service::Cbr,
        Service::Dcs,
        Service::Evs,
    ] {
        rules.push(FaultRule {
            service: Some(service),
            method: Some("POST".into()),
            drop_response_rate: rng.random_range(0.0..0.5),
            throttle_rate: rng.random_range(0.0..0.15),
            retry_after_seconds: 0,
            ..FaultRule::default()
        });
        rules.push(FaultRule {
            service: Some(service),
            method: Some("GET".into()),
            throttle_rate: rng.random_range(0.0..0.2),
            error_rate: rng.random_range(0.0..0.15),
            error_status: if rng.random_bool(0.5) { 500 } else { 503 },
            retry_after_seconds: 0,
            ..FaultRule::default()
        });
    }
    Faults {
        rules,
        token_ttl_seconds: Some(rng.random_range(60..600)),
    }
}

#[derive(Default)]
struct Tally {
    rounds: u32,
    kills: u32,
    faults: usize,
    rate_limited: usize,
    restores: usize,
    duplicates: u32,
    lost: usize,
    operator_resubmits: u32,
    unresolved_unknown: u32,
    converged: u32,
}

fn statuses(h: &Harness) -> BTreeMap<String, String> {
    let run = h.rewind(&["state", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    v["records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or("").to_owned(),
                r["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn round(spec: &str, plugin: &(Vec<KindDecl>, String), rng: &mut StdRng, seed: u64, t: &mut Tally) {
    let targets = targets_with(spec, &plugin.0);
    let options = Options {
        faults: random_faults(rng),
        time_scale: 300.0,
        // Dense faults with production backoff would spend the soak asleep.
        settings: format!("[retry]\nbase = 0.01\ncap = 0.2\n{}", plugin.1),
        seed,
        kinds: plugin.0.clone(),
        addresses: std::collections::BTreeMap::new(),
        world: None,
    };
    let h = Harness::new(spec, &options);
    for _ in 0..rng.random_range(2..=6) {
        let mut child = h.spawn(&["apply", "--auto-approve"]);
        let deadline = Instant::now() + Duration::from_millis(rng.random_range(0..1500));
        while Instant::now() < deadline && child.try_wait().ok().flatten().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().ok().flatten().is_none() {
            t.kills += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut converged = false;
    let mut last = String::new();
    for _ in 0..8 {
        let run = h.apply(&[]);
        if run.ok() {
            converged = true;
            break;
        }
        last = run.transcript();
        let subs = h.submissions();
        for (name, status) in statuses(&h) {
            if status != "unknown" {
                continue;
            }
            if subs.contains_key(&targets[&name]) {
                t.unresolved_unknown += 1;
            } else {
                // The cloud never saw it: the operator's call is to submit again.
                t.operator_resubmits += 1;
                let _ = h.apply(&["--resubmit", &name]);
            }
        }
    }
    let subs = h.submissions();
    let st = statuses(&h);
    t.rounds += 1;
    t.restores += targets.len();
    t.faults += h
        .sim
        .requests()
        .iter()
        .filter(|e| e.fault.is_some())
        .count();
    t.rate_limited += h.sim.requests().iter().filter(|e| e.rate_limited).count();
    t.duplicates += subs.values().map(|n| n.saturating_sub(1)).sum::<u32>();
    t.lost += targets
        .keys()
        .filter(|n| st.get(*n).map(String::as_str) != Some("succeeded"))
        .count();
    if converged {
        t.converged += 1;
    } else if std::env::var_os("SOAK_VERBOSE").is_some() {
        // The last apply, and the journal of every operation that did not finish.
        eprintln!("\n--- round did not converge; last apply:\n{last}");
        let export = h.rewind(&["state", "export"]);
        let v: serde_json::Value = serde_json::from_str(&export.stdout).unwrap_or_default();
        for j in v["journal"].as_array().into_iter().flatten() {
            let name = j["name"].as_str().unwrap_or_default();
            if st.get(name).map(String::as_str) != Some("succeeded") {
                eprintln!(
                    "journal {} {name}: {} -> {} ({})",
                    j["serial"], j["from"], j["to"], j["note"]
                );
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rounds = flag("--rounds", 100);
    let seed = flag("--seed", 1);
    let limit = Duration::from_secs(flag("--max-minutes", 9) * 60);
    let spec = soak_spec();
    let plugin = evs_plugin();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut t = Tally::default();
    let start = Instant::now();
    for r in 0..rounds {
        if start.elapsed() > limit {
            eprintln!("time limit reached after {r} rounds");
            break;
        }
        round(&spec, &plugin, &mut rng, seed * 1000 + r, &mut t);
        eprint!("\rround {}/{rounds}: {} kills so far", r + 1, t.kills);
    }
    eprintln!();
    let yes = |ok: bool| if ok { "yes" } else { "NO" };
    println!("| measure | value |");
    println!("|---|---|");
    println!("| rounds | {} |", t.rounds);
    println!("| SIGKILLs of rewind apply | {} |", t.kills);
    println!(
        "| faults injected (429, 5xx, dropped responses) | {} |",
        t.faults
    );
    println!(
        "| refused by the simulator's flow control (on: 60/min per API) | {} |",
        t.rate_limited
    );
    println!("| restores | {} |", t.restores);
    println!("| duplicate submissions (must be 0) | {} |", t.duplicates);
    println!("| lost restores (must be 0) | {} |", t.lost);
    println!(
        "| unknown outcomes resubmitted by the operator (the cloud had not seen them) | {} |",
        t.operator_resubmits
    );
    println!(
        "| unknown outcomes the cloud had seen (must be 0) | {} |",
        t.unresolved_unknown
    );
    println!(
        "| converged (must be yes) | {} ({}/{}) |",
        yes(t.converged == t.rounds),
        t.converged,
        t.rounds
    );
    println!("| wall time | {:.0} s |", start.elapsed().as_secs_f64());
    let ok =
        t.duplicates == 0 && t.lost == 0 && t.unresolved_unknown == 0 && t.converged == t.rounds;
    std::process::exit(i32::from(!ok));
}
