//! End to end: the `rewind` binary against the simulator on loopback, through faults and kills.

use rand::{Rng, SeedableRng};
use rewind_sim::{FaultRule, Faults, Service};
use rewind_tests::{Harness, Options, repo_root, targets};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn example_text(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(name)).expect("example exists")
}

/// `rewind state list --json` as name -> status.
fn statuses(h: &Harness) -> BTreeMap<String, String> {
    let run = h.rewind(&["state", "list", "--json"]);
    assert!(run.ok(), "{}", run.transcript());
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("state list --json is JSON");
    v["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or("").to_owned(),
                r["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn assert_one_submit_per_operation(h: &Harness, spec: &str) {
    let subs = h.submissions();
    for (name, target) in targets(spec) {
        assert_eq!(
            subs.get(&target).copied(),
            Some(1),
            "{name} ({target}) must be submitted exactly once; all: {subs:?}"
        );
    }
}

const DCS_SIDE_BRANCH: &str = "
  sessions:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
";

fn pitr_with_side_branch() -> String {
    format!("{}{DCS_SIDE_BRANCH}", example_text("ddm-pitr.yaml"))
}

#[test]
fn every_example_applies_once_and_is_then_unchanged() {
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
    assert!(
        names.len() >= 7,
        "one example per kind plus ddm-pitr: {names:?}"
    );
    for name in names {
        let text = example_text(&name);
        let h = Harness::new(&text, &Options::default());
        let first = h.apply(&[]);
        assert!(first.ok(), "{name}: {}", first.transcript());
        assert!(
            statuses(&h).values().all(|s| s == "succeeded"),
            "{name}: {:?}",
            statuses(&h)
        );
        assert_one_submit_per_operation(&h, &text);
        let again = h.apply(&[]);
        assert!(again.ok(), "{name}: {}", again.transcript());
        assert!(
            again.stdout.contains("No changes"),
            "{name}: {}",
            again.transcript()
        );
        assert_one_submit_per_operation(&h, &text);
    }
}

#[test]
fn ddm_metadata_restore_is_submitted_only_after_both_rds_jobs_completed() {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    let run = h.apply(&[]);
    assert!(run.ok(), "{}", run.transcript());
    let log = h.sim.requests();
    let world = h.sim.world_snapshot();
    let metadata_post = log
        .iter()
        .find(|e| e.method == "POST" && e.path.ends_with("/backups/metadata-recovery"))
        .expect("metadata restore was submitted");
    let rds_jobs: Vec<_> = world.rds.jobs.iter().collect();
    assert_eq!(rds_jobs.len(), 2, "two RDS jobs: {rds_jobs:?}");
    for (job_id, job) in rds_jobs {
        let ended = job.ended.expect("RDS job ended");
        assert_eq!(job.status, "Completed");
        // The engine saw the completion: a poll of this job after it ended, logged before
        // the metadata POST.
        let seen = log.iter().any(|e| {
            e.method == "GET"
                && e.query.contains(job_id.as_str())
                && e.at_ms >= ended
                && e.seq < metadata_post.seq
        });
        assert!(
            seen,
            "job {job_id} (ended {ended}) was not seen completed before the metadata POST at {}",
            metadata_post.at_ms
        );
        assert!(metadata_post.at_ms >= ended);
    }
}

#[test]
fn a_failed_job_skips_its_dependents_while_independent_branches_finish() {
    let text = pitr_with_side_branch();
    let faults = Faults {
        rules: vec![FaultRule {
            method: Some("POST".into()),
            path: Some("/v3/*/instances/recovery".into()),
            fail_job_rate: 1.0,
            fail_reason: Some("injected: restore failed".into()),
            times: Some(1),
            ..FaultRule::default()
        }],
        ..Faults::default()
    };
    let h = Harness::new(
        &text,
        &Options {
            faults,
            ..Options::default()
        },
    );
    let run = h.apply(&[]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    let st = statuses(&h);
    assert_eq!(
        st.get("sessions").map(String::as_str),
        Some("succeeded"),
        "{st:?}"
    );
    let rds: Vec<&str> = ["orders-dn-1", "orders-dn-2"]
        .iter()
        .filter_map(|n| st.get(*n).map(String::as_str))
        .collect();
    assert!(rds.contains(&"failed"), "one RDS restore failed: {st:?}");
    assert!(
        !st.contains_key("orders-metadata"),
        "the dependent never started: {st:?}"
    );
    assert!(
        run.stderr.contains("orders-metadata: skipped"),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.contains("injected: restore failed"),
        "{}",
        run.transcript()
    );
}

#[test]
fn a_dropped_response_is_adopted_by_reconcile_without_a_second_submit() {
    let text = pitr_with_side_branch();
    // Every restore submit loses its response once, after the restore took effect.
    let drop = |service, times| FaultRule {
        service: Some(service),
        method: Some("POST".into()),
        drop_response_rate: 1.0,
        times: Some(times),
        ..FaultRule::default()
    };
    let faults = Faults {
        rules: vec![
            drop(Service::Rds, 2),
            drop(Service::Ddm, 1),
            drop(Service::Dcs, 1),
        ],
        ..Faults::default()
    };
    let h = Harness::new(
        &text,
        &Options {
            faults,
            ..Options::default()
        },
    );
    let run = h.apply(&[]);
    assert!(run.ok(), "{}", run.transcript());
    let adopted = run.stderr.matches("found its job").count();
    assert_eq!(
        adopted,
        4,
        "reconcile adopted every job: {}",
        run.transcript()
    );
    assert!(statuses(&h).values().all(|s| s == "succeeded"));
    assert_one_submit_per_operation(&h, &text);
}

#[test]
fn throttling_and_server_errors_converge_without_duplicate_restores() {
    let text = pitr_with_side_branch();
    let faults = Faults {
        rules: vec![
            FaultRule {
                method: Some("GET".into()),
                throttle_rate: 0.15,
                retry_after_seconds: 0,
                ..FaultRule::default()
            },
            FaultRule {
                method: Some("GET".into()),
                error_rate: 0.15,
                error_status: 503,
                ..FaultRule::default()
            },
            FaultRule {
                method: Some("POST".into()),
                throttle_rate: 0.10,
                retry_after_seconds: 0,
                ..FaultRule::default()
            },
        ],
        ..Faults::default()
    };
    let h = Harness::new(
        &text,
        &Options {
            faults,
            ..Options::default()
        },
    );
    let run = h.apply(&[]);
    assert!(run.ok(), "{}", run.transcript());
    let faulted = h
        .sim
        .requests()
        .iter()
        .filter(|e| e.fault.is_some())
        .count();
    assert!(faulted > 0, "faults were injected");
    assert_one_submit_per_operation(&h, &text);
}

#[test]
fn a_token_that_expires_mid_apply_is_renewed_once() {
    let text = example_text("ddm-pitr.yaml");
    // Tokens live 100 simulated seconds; the RDS jobs alone take longer than that.
    let faults = Faults {
        token_ttl_seconds: Some(100),
        ..Faults::default()
    };
    let h = Harness::new(
        &text,
        &Options {
            faults,
            time_scale: 200.0,
            ..Options::default()
        },
    );
    let run = h.apply(&[]);
    assert!(run.ok(), "{}", run.transcript());
    let log = h.sim.requests();
    let tokens = log
        .iter()
        .filter(|e| e.method == "POST" && e.path == "/v3/auth/tokens")
        .count();
    let rejected = log.iter().filter(|e| e.status == 401).count();
    assert!(rejected >= 1, "a request met an expired token");
    assert!(
        tokens >= 2,
        "a new token was fetched after expiry ({tokens} token requests)"
    );
    assert!(
        tokens <= rejected + 1,
        "one re-authentication per expiry, not per request: {tokens} tokens, {rejected} 401s"
    );
}

#[test]
fn no_password_or_token_reaches_state_plan_files_or_output() {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    let password = h
        .env()
        .iter()
        .find(|(k, _)| k == "OS_PASSWORD")
        .map(|(_, v)| v.clone())
        .expect("password");
    let plan = h.rewind(&["plan", "--out", "saved.plan"]);
    assert!(plan.ok(), "{}", plan.transcript());
    let run = h.rewind(&["apply", "saved.plan"]);
    assert!(run.ok(), "{}", run.transcript());
    let export = h.rewind(&["state", "export"]);
    let logs = h
        .command(&["plan", "--offline"])
        .env("REWIND_LOG", "trace")
        .output()
        .expect("runs");
    let logged = String::from_utf8_lossy(&logs.stderr).into_owned();
    // Tokens the simulator issued, from its request log (the X-Subject-Token values are not
    // logged, so collect what clients sent).
    let mut haystack = vec![
        plan.stdout,
        plan.stderr,
        run.stdout,
        run.stderr,
        export.stdout,
        logged,
    ];
    for entry in walk(h.dir.path()) {
        if let Ok(bytes) = std::fs::read(&entry) {
            haystack.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    for text in &haystack {
        assert!(
            !text.contains(&password),
            "the password leaked into:\n{text}"
        );
        assert!(
            !text.to_lowercase().contains("x-subject-token"),
            "a token header leaked into:\n{text}"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "rewind.toml") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_stale_saved_plan_is_refused_with_the_reason() {
    let text = example_text("dcs-restore.yaml");
    let h = Harness::new(&text, &Options::default());
    assert!(h.rewind(&["plan", "--out", "saved.plan"]).ok());
    let edited = text.replace("remark: restore instance", "remark: another remark");
    std::fs::write(&h.spec, edited).expect("edit spec");
    let run = h.rewind(&["apply", "saved.plan"]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(
        run.stderr.contains("stale") && run.stderr.contains("sessions inputs differ"),
        "{}",
        run.transcript()
    );
    assert!(h.submissions().is_empty(), "nothing was submitted");
}

#[test]
fn apply_without_a_terminal_refuses_unless_auto_approved() {
    let text = example_text("dcs-restore.yaml");
    let h = Harness::new(&text, &Options::default());
    let run = h.rewind(&["apply"]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(
        run.stderr.contains("--auto-approve"),
        "{}",
        run.transcript()
    );
    assert!(h.submissions().is_empty());
}

#[test]
fn preflight_failures_stop_apply_before_anything_is_submitted() {
    // A restore time a year before the simulated window.
    let text = example_text("rds-restore.yaml");
    let h = Harness::new(&text, &Options::default());
    let run = h.rewind(&["plan", "--var", "point_in_time=2025-01-01T00:00:00Z"]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(
        run.stdout.contains("FAIL"),
        "the failed check is listed: {}",
        run.transcript()
    );
    let run = h.apply(&["--var", "point_in_time=2025-01-01T00:00:00Z"]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(h.submissions().is_empty(), "nothing was submitted");
}

/// Kills `rewind apply` at random moments, then applies again (acting as the operator where
/// rewind asks for a decision) until it converges. Every run must end with every restore
/// succeeded and exactly one accepted POST per operation.
fn crash_runs(runs: u32, seed: u64) {
    let text = pitr_with_side_branch();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for run_no in 0..runs {
        let h = Harness::new(
            &text,
            &Options {
                time_scale: 400.0,
                seed: seed + u64::from(run_no),
                ..Options::default()
            },
        );
        let kills = rng.random_range(1..=3);
        for _ in 0..kills {
            let mut child = h.spawn(&["apply", "--auto-approve"]);
            let wait = Duration::from_millis(rng.random_range(0..900));
            let deadline = Instant::now() + wait;
            // Kill at the chosen moment unless the run already finished by itself.
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let mut converged = false;
        for _ in 0..6 {
            let run = h.apply(&[]);
            if run.ok() {
                converged = true;
                break;
            }
            // Where rewind cannot know whether a killed submit reached the cloud, it stops and
            // asks. Do what the operator would: look at the cloud, then decide.
            let subs = h.submissions();
            let mut resubmit = Vec::new();
            for (name, status) in statuses(&h) {
                if status == "unknown" {
                    let target = &targets(&text)[&name];
                    assert_eq!(
                        subs.get(target),
                        None,
                        "run {run_no}: {name} was submitted but reconcile did not find it:\n{}",
                        run.transcript()
                    );
                    resubmit.push(name);
                }
            }
            assert!(
                !resubmit.is_empty(),
                "run {run_no}: apply failed for another reason:\n{}",
                run.transcript()
            );
            for name in resubmit {
                let r = h.apply(&["--resubmit", &name]);
                assert!(r.ok() || r.status == Some(1), "{}", r.transcript());
            }
        }
        assert!(converged, "run {run_no} did not converge");
        let st = statuses(&h);
        assert!(
            st.values().all(|s| s == "succeeded"),
            "run {run_no}: {st:?}"
        );
        assert_one_submit_per_operation(&h, &text);
    }
}

#[test]
fn sigkill_at_random_moments_never_loses_or_duplicates_a_restore() {
    let runs = std::env::var("REWIND_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    crash_runs(runs, 20_261_122);
}

/// Runs `rewind apply`; once its stderr says "found its job" `found` times (bounded: 60 s),
/// moves the simulated clock a day on so that every restore ends.
fn apply_ending_jobs_once_found(h: &Harness, found: usize) -> rewind_tests::Run {
    let mut child = h.spawn(&["apply", "--auto-approve"]);
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    let mut seen = 0;
    while seen < found {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                seen += usize::from(line.contains("found its job"));
                lines.push(line);
            }
            // Ended (or hung): the assertions on the run say which.
            Err(_) => break,
        }
    }
    h.sim.clock().advance(Duration::from_secs(24 * 3600));
    let out = child.wait_with_output().expect("apply ends");
    let _ = reader.join();
    lines.extend(rx.try_iter());
    rewind_tests::Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: lines.join("\n"),
    }
}

#[test]
fn dropped_cbr_and_taurusdb_responses_are_adopted_too() {
    for (example, service, expected) in [
        ("cbr-restore.yaml", Service::Cbr, 2),
        ("taurusdb-restore.yaml", Service::Taurusdb, 1),
    ] {
        let text = example_text(example);
        let faults = Faults {
            rules: vec![FaultRule {
                service: Some(service),
                method: Some("POST".into()),
                drop_response_rate: 1.0,
                ..FaultRule::default()
            }],
            ..Faults::default()
        };
        // Slow enough that no restore ends by itself: TaurusDB keeps no record of a finished
        // restore, so reconcile must find the job while it runs, and on a loaded machine its
        // looks came after a 30-minute restore at the default 1000x (1.8 s) had ended. The
        // clock moves on once every job was found.
        let h = Harness::new(
            &text,
            &Options {
                faults,
                time_scale: 10.0,
                ..Options::default()
            },
        );
        let run = apply_ending_jobs_once_found(&h, expected);
        assert!(run.ok(), "{example}: {}", run.transcript());
        assert_eq!(
            run.stderr.matches("found its job").count(),
            expected,
            "{example}: {}",
            run.transcript()
        );
        assert_one_submit_per_operation(&h, &text);
    }
}

#[test]
fn ctrl_c_stops_launching_keeps_running_restores_and_the_next_apply_reattaches() {
    let text = example_text("ddm-pitr.yaml");
    // RDS restores take 3 s here, so the interrupt lands while they run.
    let h = Harness::new(
        &text,
        &Options {
            time_scale: 100.0,
            ..Options::default()
        },
    );
    let child = h.spawn(&["apply", "--auto-approve"]);
    let pid = child.id().to_string();
    // Wait until both RDS restores were accepted, then interrupt (bounded: 20 s).
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.submissions().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(h.submissions().len(), 2, "both RDS restores were submitted");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let run: rewind_tests::Run = child.wait_with_output().expect("apply exits").into();
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    // The result, on stdout with the plan.
    assert!(
        run.stdout.contains("still running in the cloud"),
        "{}",
        run.transcript()
    );
    assert!(run.stdout.contains("re-attaches"), "{}", run.transcript());
    let st = statuses(&h);
    assert_eq!(
        st.get("orders-dn-1").map(String::as_str),
        Some("running"),
        "{st:?}"
    );
    assert!(
        !st.contains_key("orders-metadata"),
        "nothing new was launched: {st:?}"
    );
    let again = h.apply(&[]);
    assert!(again.ok(), "{}", again.transcript());
    assert!(again.stdout.contains("> resume"), "{}", again.transcript());
    assert_one_submit_per_operation(&h, &text);
}
