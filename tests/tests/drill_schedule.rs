//! `rewind drill --due`: exactly one run per slot across concurrent callers on one PostgreSQL
//! state, and missed slots caught up once with the older ones recorded as missed.
#![allow(
    clippy::print_stderr,
    reason = "a skipped check says so in the test output"
)]

use rewind_state::testing::TestDb;
use rewind_tests::{Harness, Options, Run};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A drill of one cache restore onto a scratch instance, due every day at midnight UTC with
/// a window longer than a day: with nothing recorded, today's slot is always due.
const SPEC: &str = r#"version: 1
restores:
  sessions:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: drill
drills:
  cache:
    scratch: [3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77]
    schedule: { cron: "0 0 * * *", time_zone: UTC, window: 25h }
"#;

const DEADLINE: Duration = Duration::from_secs(90);

fn finish(mut child: Child) -> Run {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output").into();
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let out: Run = child.wait_with_output().expect("output").into();
            panic!(
                "rewind drill --due still ran after {DEADLINE:?}:\n{}",
                out.transcript()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The drill records of the state: (run, outcome, slot).
fn records(run: &Run) -> Vec<(u64, String, Option<i64>)> {
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("drill history --json: {e}\n{}", run.transcript()));
    v["drills"]
        .as_array()
        .expect("drills")
        .iter()
        .map(|d| {
            (
                d["run"].as_u64().expect("run id"),
                d["record"]["outcome"].as_str().expect("outcome").to_owned(),
                d["record"]["slot"].as_i64(),
            )
        })
        .collect()
}

#[test]
fn two_due_callers_on_one_postgres_state_run_the_slot_once() {
    let Some(db) = TestDb::create("drill_due") else {
        return;
    };
    let h = Harness::new(SPEC, &Options::default());
    let day = || jiff::Timestamp::now().strftime("%F").to_string();
    let before = day();
    let spawn = || {
        let mut cmd = h.command(&["drill", "--due"]);
        cmd.env("REWIND_STATE", &db.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("rewind starts")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (finish(a), finish(b));
    if day() != before {
        eprintln!("skipped: the callers straddled midnight UTC, so each had its own slot");
        return;
    }
    assert!(a.ok(), "{}", a.transcript());
    assert!(b.ok(), "{}", b.transcript());

    let submitted: u32 = h.submissions().values().sum();
    assert_eq!(submitted, 1, "one restore in all: {:?}", h.submissions());
    let mut history = h.command(&["drill", "history", "--json"]);
    history.env("REWIND_STATE", &db.url);
    let history: Run = history.output().expect("history runs").into();
    assert!(history.ok(), "{}", history.transcript());
    let recs = records(&history);
    assert_eq!(recs.len(), 1, "{recs:?}");
    let (id, outcome, slot) = &recs[0];
    assert_eq!(outcome, "passed");
    let midnight = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .start_of_day()
        .expect("midnight")
        .timestamp()
        .as_millisecond();
    assert_eq!(*slot, Some(midnight));

    // One caller ran the drill; the other said which run holds the slot.
    let (ran, idle) = if a.stderr.contains("PASSED") {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert!(ran.stderr.contains("PASSED"), "{}", ran.transcript());
    let said = format!("{}{}", idle.stdout, idle.stderr);
    assert!(!said.contains("PASSED"), "{}", idle.transcript());
    assert!(
        said.contains(&format!("is run {id} (")),
        "the idle caller names run {id}:\n{}",
        idle.transcript()
    );
}

#[test]
fn three_missed_slots_run_once_on_catch_up_and_two_are_recorded_missed() {
    let h = Harness::new(SPEC, &Options::default());
    let due_at = |at: &str| -> Run {
        h.rewind(&["drill", "--due", "--simulate", "--state", "st", "--at", at])
    };
    let first = due_at("2026-12-03T00:30:00Z");
    assert!(first.ok(), "{}", first.transcript());
    // The 4th, 5th and 6th were missed; on the 6th at noon, the 6th runs, late.
    let plan = h.rewind(&[
        "drill",
        "--due",
        "--dry-run",
        "--state",
        "st",
        "--at",
        "2026-12-06T12:00:00Z",
    ]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout
            .contains("would run now for slot 2026-12-06T00:00:00+00:00[UTC];")
            && plan
                .stdout
                .contains("2 slot(s) would be recorded as missed")
            && plan
                .stdout
                .contains("next slot 2026-12-07T00:00:00+00:00[UTC]"),
        "{}",
        plan.transcript()
    );
    let caught_up = due_at("2026-12-06T12:00:00Z");
    assert!(caught_up.ok(), "{}", caught_up.transcript());
    let again = due_at("2026-12-06T12:00:00Z");
    assert!(again.ok(), "{}", again.transcript());
    assert!(!again.stderr.contains("PASSED"), "{}", again.transcript());

    let history = h.rewind(&["drill", "history", "--json", "--state", "st"]);
    assert!(history.ok(), "{}", history.transcript());
    let day = |d: &str| {
        format!("2026-12-{d}T00:00:00Z")
            .parse::<jiff::Timestamp>()
            .expect("ts")
            .as_millisecond()
    };
    let got: Vec<(String, Option<i64>)> = records(&history)
        .into_iter()
        .map(|(_, outcome, slot)| (outcome, slot))
        .collect();
    assert_eq!(
        got,
        vec![
            ("passed".to_owned(), Some(day("03"))),
            ("missed".to_owned(), Some(day("04"))),
            ("missed".to_owned(), Some(day("05"))),
            ("passed".to_owned(), Some(day("06"))),
        ],
        "{}",
        history.transcript()
    );
}
