//! SIGTERM and SIGHUP stop apply as Ctrl-C does (sled and PostgreSQL), and a damaged sled
//! state is refused before any request.

use rewind_sim::{FaultRule, Faults, Service};
use rewind_state::testing::TestDb;
use rewind_tests::{Harness, Options, Run, repo_root, targets};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn example_text(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(name)).expect("example exists")
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

/// RDS restores take 3 s here, so a signal lands while they run.
fn slow_harness(text: &str) -> Harness {
    Harness::new(
        text,
        &Options {
            time_scale: 100.0,
            ..Options::default()
        },
    )
}

fn with_state(mut cmd: Command, url: Option<&str>) -> Command {
    if let Some(url) = url {
        cmd.env("REWIND_STATE", url);
    }
    cmd
}

fn spawn_apply(h: &Harness, url: Option<&str>) -> Child {
    with_state(h.command(&["apply", "--auto-approve"]), url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind starts")
}

fn rewind(h: &Harness, url: Option<&str>, args: &[&str]) -> Run {
    with_state(h.command(args), url)
        .output()
        .expect("rewind runs")
        .into()
}

fn signal(pid: u32, sig: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// Waits (bounded: 20 s) until the simulator has accepted `n` restore POSTs.
fn wait_for_submissions(h: &Harness, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.submissions().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(h.submissions().len(), n, "{n} restores were submitted");
}

/// Waits (bounded: 30 s) until the state records both RDS restores as running: the
/// simulator counts a POST before rewind has its answer and writes the transition.
fn wait_for_recorded_running(h: &Harness, url: Option<&str>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = rewind(h, url, &["state", "list", "--json"]);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
        let running = doc["records"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["status"] == "running")
            .count();
        if running == 2 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the state never recorded both restores running: {}",
            run.transcript()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn last_run_outcome(h: &Harness, url: Option<&str>) -> String {
    let run = rewind(h, url, &["history", "--json"]);
    assert!(run.ok(), "{}", run.transcript());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("history is JSON");
    v["runs"]
        .as_array()
        .and_then(|r| r.last())
        .and_then(|r| r["outcome"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// One signal mid-apply: exit 1 with the hint, nothing new launched, the run `incomplete`
/// in history, and the very next apply (no lock wait) re-attaches without a second POST.
fn one_signal_stops_cleanly(sig: &str, url: Option<&str>) {
    let text = example_text("ddm-pitr.yaml");
    let h = slow_harness(&text);
    let child = spawn_apply(&h, url);
    let pid = child.id();
    wait_for_submissions(&h, 2);
    signal(pid, sig);
    let run: Run = child.wait_with_output().expect("apply exits").into();
    assert_eq!(run.status, Some(1), "{sig}: {}", run.transcript());
    let name = if sig == "TERM" { "SIGTERM" } else { "SIGHUP" };
    assert!(
        run.stderr.contains(&format!("Stopping ({name})")),
        "{sig}: {}",
        run.transcript()
    );
    assert!(
        // The result, on stdout (progress and the stop are on stderr).
        run.stdout.contains("still running in the cloud") && run.stdout.contains("re-attaches"),
        "{sig}: the hint: {}",
        run.transcript()
    );
    assert_eq!(h.submissions().len(), 2, "nothing new was launched");
    assert_eq!(last_run_outcome(&h, url), "incomplete", "{sig}");
    // At once: a PostgreSQL lock that was not released would refuse this for its lease.
    let again = rewind(&h, url, &["apply", "--auto-approve"]);
    assert!(again.ok(), "{sig}: {}", again.transcript());
    assert!(again.stdout.contains("> resume"), "{}", again.transcript());
    assert_one_submit_per_operation(&h, &text);
}

#[test]
fn sigterm_and_sighup_stop_apply_as_ctrl_c_does() {
    for sig in ["TERM", "HUP"] {
        one_signal_stops_cleanly(sig, None);
    }
}

#[test]
fn sigterm_on_postgres_releases_the_lock_at_once() {
    let Some(db) = TestDb::create("sigterm") else {
        return;
    };
    one_signal_stops_cleanly("TERM", Some(&db.url));
}

#[test]
fn a_second_signal_exits_at_once() {
    let text = example_text("ddm-pitr.yaml");
    // Each RDS POST takes effect, then its answer waits 30 s: apply must wait for the
    // handles after a first signal, which leaves time for a second.
    let faults = Faults {
        rules: vec![FaultRule {
            service: Some(Service::Rds),
            method: Some("POST".into()),
            latency_ms: 30_000,
            ..FaultRule::default()
        }],
        ..Faults::default()
    };
    let h = Harness::new(
        &text,
        &Options {
            time_scale: 100.0,
            faults,
            ..Options::default()
        },
    );
    let mut child = spawn_apply(&h, None);
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    wait_for_submissions(&h, 2);
    let started = Instant::now();
    signal(child.id(), "TERM");
    let stopping = loop {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.contains("Stopping (SIGTERM)") => break true,
            Ok(_) => {}
            Err(_) => break false,
        }
    };
    assert!(stopping, "the first signal is acknowledged");
    signal(child.id(), "TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        assert!(Instant::now() < deadline, "a second signal exits at once");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(143));
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "exited before the POSTs answered"
    );
    // The next apply adopts what the interrupted one sent, with no second POST.
    h.set_faults(Faults::default());
    let again = h.apply(&[]);
    assert!(again.ok(), "{}", again.transcript());
    assert_one_submit_per_operation(&h, &text);
}

// ------------------------------------------------------------------ damaged sled state

fn newest_backup(h: &Harness) -> std::path::PathBuf {
    std::fs::read_dir(h.state_dir().join("backups"))
        .expect("backups")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .max_by_key(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            name.trim_end_matches(".json")
                .rsplit('-')
                .next()
                .and_then(|ms| ms.parse::<i64>().ok())
                .unwrap_or(0)
        })
        .expect("a backup")
}

fn damaged_state_is_refused(damage: impl Fn(&std::path::Path)) {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    let first = h.apply(&[]);
    assert!(first.ok(), "{}", first.transcript());
    let subs = h.submissions();
    let requests = h.sim.requests().len();
    let backup = newest_backup(&h);
    let backup_name = backup
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    damage(&h.state_dir().join("db").join("db"));
    for command in [&["plan"][..], &["apply", "--auto-approve"][..]] {
        let run = h.rewind(command);
        assert_eq!(run.status, Some(1), "{command:?}: {}", run.transcript());
        assert!(
            run.stderr.contains(&backup_name) && run.stderr.contains("rewind state restore"),
            "{command:?} names the backup and the way back: {}",
            run.transcript()
        );
        assert!(
            !run.stderr.contains("sled version") && !run.stderr.contains("Read corrupted data"),
            "never a bare sled message: {}",
            run.transcript()
        );
    }
    assert_eq!(h.sim.requests().len(), requests, "not one request was sent");
    let backup_arg = backup.display().to_string();
    let restore = h.rewind(&["state", "restore", &backup_arg]);
    assert!(restore.ok(), "{}", restore.transcript());
    let again = h.apply(&[]);
    assert!(again.ok(), "{}", again.transcript());
    assert_eq!(
        h.submissions(),
        subs,
        "the restored state knows every restore"
    );
}

#[test]
fn a_truncated_sled_state_is_refused_naming_the_backup() {
    damaged_state_is_refused(|db| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(db)
            .expect("db file");
        f.set_len(0).expect("truncate");
    });
}

#[test]
fn a_garbled_sled_state_is_refused_naming_the_backup() {
    damaged_state_is_refused(|db| {
        let mut bytes = std::fs::read(db).expect("db file");
        let len = bytes.len();
        for b in &mut bytes[len / 3..] {
            *b ^= 0xa5;
        }
        std::fs::write(db, bytes).expect("garble");
    });
}

#[test]
fn state_restore_refuses_to_roll_a_healthy_state_back_without_force() {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    let first = h.apply(&[]);
    assert!(first.ok(), "{}", first.transcript());
    // The backup taken before the apply knows of no restore.
    let oldest = std::fs::read_dir(h.state_dir().join("backups"))
        .expect("backups")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("state-0-"))
        })
        .expect("the backup before the apply");
    let arg = oldest.display().to_string();
    let refused = h.rewind(&["state", "restore", &arg]);
    assert_eq!(refused.status, Some(1), "{}", refused.transcript());
    assert!(
        refused.stderr.contains("healthy and newer"),
        "{}",
        refused.transcript()
    );
    let plan = h.rewind(&["plan"]);
    assert!(
        plan.ok() && !plan.stdout.contains("+ restore"),
        "{}",
        plan.transcript()
    );
    let forced = h.rewind(&["state", "restore", &arg, "--force"]);
    assert!(forced.ok(), "{}", forced.transcript());
    let plan = h.rewind(&["plan"]);
    assert!(
        plan.stdout.contains("+ restore"),
        "rolled back on purpose: {}",
        plan.transcript()
    );
}

#[test]
fn an_apply_that_loses_its_postgres_lock_stops_and_says_so() {
    let Some(db) = TestDb::create("lostlock") else {
        return;
    };
    let text = example_text("ddm-pitr.yaml");
    // RDS restores take 10 s here: the lease (0.6 s) runs out, and the apply notices, well
    // before a restore ends and its transition would be written on the cut connection.
    let h = Harness::new(
        &text,
        &Options {
            time_scale: 30.0,
            ..Options::default()
        },
    );
    let mut cmd = with_state(h.command(&["apply", "--auto-approve"]), Some(&db.url));
    cmd.env("REWIND_LOCK_LEASE", "0.6")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("rewind starts");
    wait_for_submissions(&h, 2);
    // Cut only once both transitions are written: a write on the cut connection would stop
    // the apply before the lease runs out ("state could not be written"), which is not the
    // path under test. The next write (a restore ending) is seconds away.
    wait_for_recorded_running(&h, Some(&db.url));
    // Every connection of the test database dropped, as a restarted server or a cut network
    // would: the lease can no longer be renewed.
    rewind_state::testing::execute(
        &rewind_state::testing::base_url(),
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
            db.name
        ),
    )
    .expect("terminate the connections");
    let run: Run = child.wait_with_output().expect("apply exits").into();
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(
        run.stderr.contains("the state lock was lost"),
        "it stopped because of the lock: {}",
        run.transcript()
    );
    assert!(
        !run.stderr.contains("full or read-only"),
        "no talk of disks: {}",
        run.transcript()
    );
    assert_eq!(h.submissions().len(), 2, "nothing new was launched");
    let again = rewind(
        &h,
        Some(&db.url),
        &["apply", "--auto-approve", "--lock-timeout", "10s"],
    );
    assert!(again.ok(), "{}", again.transcript());
    assert_one_submit_per_operation(&h, &text);
}
