//! Reads never wait for the lock: while an apply is in flight (a slow simulated job), every
//! read command exits 0 within seconds and `rewind status` shows the running operations, on
//! sled and on PostgreSQL.

use rewind_state::testing::TestDb;
use rewind_tests::{Harness, Options, Run, repo_root};
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Real seconds of simulated time per real second: slow enough that the RDS jobs run for
/// minutes, so the apply is still in flight while the reads run.
const SLOW: f64 = 2.0;
/// How long one read may take before the test calls it blocked.
const READ_DEADLINE: Duration = Duration::from_secs(10);

fn spec_text() -> String {
    std::fs::read_to_string(repo_root().join("examples").join("ddm-pitr.yaml"))
        .expect("example exists")
}

/// Runs `cmd` to completion, or kills it after [`READ_DEADLINE`] and fails.
fn bounded(mut cmd: Command, what: &str) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output").into();
        }
        if started.elapsed() > READ_DEADLINE {
            let _ = child.kill();
            let out: Run = child.wait_with_output().expect("output").into();
            panic!(
                "`{what}` was still running after {READ_DEADLINE:?} while an apply held the \
                 lock:\n{}",
                out.transcript()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills the apply when the test ends, passed or not.
struct Apply(Child);

impl Drop for Apply {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts an apply, waits (bounded) until `rewind status` reports an operation running, then
/// runs every read command against the held lock.
fn reads_succeed_while_an_apply_runs(cmd: &dyn Fn(&[&str]) -> Command) {
    let mut apply = Apply(
        cmd(&["apply", "--auto-approve"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("apply starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if apply.0.try_wait().expect("wait").is_some() {
            let mut out = String::new();
            for pipe in [
                apply.0.stdout.take().map(|p| Box::new(p) as Box<dyn Read>),
                apply.0.stderr.take().map(|p| Box::new(p) as Box<dyn Read>),
            ]
            .into_iter()
            .flatten()
            {
                let mut pipe = pipe;
                let _ = pipe.read_to_string(&mut out);
            }
            panic!("the apply ended before the reads ran:\n{out}");
        }
        let run = bounded(cmd(&["status", "--json"]), "rewind status --json");
        // Until the apply has created the state, there is none to report.
        if !run.ok() && run.stdout.contains("no state") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        assert!(run.ok(), "{}", run.transcript());
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("status is JSON");
        // The text view below names `orders-dn-1`: wait for that operation itself, since its
        // sibling may be submitted first (CI saw `orders-dn-1` still "submitting").
        let running = doc["operations"].as_array().is_some_and(|ops| {
            ops.iter()
                .any(|o| o["name"] == "orders-dn-1" && o["status"] == "running")
        });
        if running {
            break doc;
        }
        assert!(
            Instant::now() < deadline,
            "orders-dn-1 was not reported running within 30s: {doc}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status["live"], true, "{status}");
    assert_eq!(status["outcome"], "running", "{status}");
    let names: Vec<&str> = status["operations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["orders-dn-1", "orders-dn-2", "orders-metadata"],
        "{status}"
    );
    assert!(
        status["percent"].as_u64().is_some_and(|p| p < 100),
        "{status}"
    );

    let text = bounded(cmd(&["status"]), "rewind status");
    assert!(text.ok(), "{}", text.transcript());
    assert!(text.stdout.contains("running for"), "{}", text.stdout);
    assert!(
        text.stdout
            .lines()
            .any(|l| l.starts_with("orders-dn-1") && l.contains("running")),
        "{}",
        text.stdout
    );

    for args in [
        &["state", "list"][..],
        &["state", "show", "orders-dn-1"],
        &["history"],
        &["drill", "history"],
        &["graph"],
        &["plan", "--offline"],
        &["output"],
        &["output", "--json"],
    ] {
        let what = format!("rewind {}", args.join(" "));
        let run = bounded(cmd(args), &what);
        assert!(
            run.ok(),
            "`{what}` failed during the apply:\n{}",
            run.transcript()
        );
        assert!(!run.stderr.contains("locked"), "{what}: {}", run.stderr);
    }
    let list = bounded(cmd(&["state", "list"]), "rewind state list");
    assert!(list.stdout.contains("orders-dn-1"), "{}", list.stdout);
    let plan = bounded(cmd(&["plan", "--offline"]), "rewind plan --offline");
    // The snapshot shows the submitted restores as in flight: resumed, never restored again.
    assert!(plan.stdout.contains("orders-dn-1"), "{}", plan.stdout);
    // Its jobs are recorded when it ends: the table points to `rewind status`, not "0 job(s)".
    let table = bounded(cmd(&["history"]), "rewind history");
    assert!(
        table.stdout.contains("see status  running"),
        "{}",
        table.stdout
    );
    let history = bounded(cmd(&["history", "--json"]), "rewind history --json");
    let doc: serde_json::Value = serde_json::from_str(&history.stdout).expect("history JSON");
    assert_eq!(doc["runs"][0]["outcome"], "running", "{doc}");
    // The writer still holds the lock: a second writer is refused at once, as before.
    let second = bounded(cmd(&["state", "rm", "orders-dn-1"]), "rewind state rm");
    assert!(
        second.stderr.contains("locked"),
        "a write must still wait for the lock:\n{}",
        second.transcript()
    );
    drop(apply);
}

#[test]
fn on_sled_every_read_exits_0_while_an_apply_holds_the_lock() {
    let h = Harness::new(
        &spec_text(),
        &Options {
            time_scale: SLOW,
            ..Options::default()
        },
    );
    reads_succeed_while_an_apply_runs(&|args| h.command(args));
}

#[test]
fn on_postgres_every_read_exits_0_while_an_apply_holds_the_lock() {
    let Some(db) = TestDb::create("reads") else {
        return;
    };
    let h = Harness::new(
        &spec_text(),
        &Options {
            time_scale: SLOW,
            ..Options::default()
        },
    );
    let url = db.url.clone();
    reads_succeed_while_an_apply_runs(&|args| {
        let mut cmd = h.command(args);
        cmd.env("REWIND_STATE", &url);
        cmd
    });
}
