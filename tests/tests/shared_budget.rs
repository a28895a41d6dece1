//! Issue 26 acceptance: one request budget for every rewind process of one cloud user
//! (PostgreSQL state), a dead process that held reservations, skewed machine clocks, and
//! `[rate_limits] share = N` with sled state.
//!
//! Rates are scaled down so that each test takes seconds: the simulator runs 60 simulated
//! seconds per real second, and its flow control allows `SIM_PER_MINUTE` calls per simulated
//! minute per user and API (so per real second).

use rewind_engine::kinds::Service;
use rewind_providers::budget::{Budget, Priority, RateLimits, Shared};
use rewind_sim::{Durations, World};
use rewind_state::postgres::PgBudget;
use rewind_state::testing::TestDb;
use rewind_tests::{FAST_POLLING, Harness, Options, Run};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Simulated seconds per real second: one simulated minute is one real second.
const SCALE: f64 = 60.0;
/// The simulator's limit per simulated minute (so per real second) for every API.
const SIM_PER_MINUTE: u32 = 20;
const PROCESSES: usize = 4;
const RESTORES_EACH: usize = 12;

fn id(n: usize, suffix: &str) -> String {
    format!("{n:032x}{suffix}")
}

fn uuid(n: usize) -> String {
    format!("{:08x}-0000-4000-8000-{n:012x}", n >> 16)
}

/// The restores of process `part` (RDS, DCS and CBR in turn, every target its own).
fn restores(part: usize) -> String {
    let mut s = String::new();
    for i in 0..RESTORES_EACH {
        let n = part * 1000 + i;
        let _ = match i % 3 {
            0 => write!(
                s,
                "  p{part}-r{i:02}-rds:\n    kind: rds.restore\n    source: {{ instance_id: {}, restore_time: \"${{var.t}}\" }}\n    target: {{ instance_id: {} }}\n",
                id(10_000 + n, "in01"),
                id(20_000 + n, "in01")
            ),
            1 => write!(
                s,
                "  p{part}-r{i:02}-dcs:\n    kind: dcs.restore\n    instance_id: {}\n    backup_id: {}\n",
                uuid(150_000 + n),
                uuid(160_000 + n)
            ),
            _ => write!(
                s,
                "  p{part}-r{i:02}-cbr:\n    kind: cbr.restore\n    backup_id: {}\n    volume_id: {}\n",
                uuid(130_000 + n),
                uuid(140_000 + n)
            ),
        };
    }
    s
}

fn spec(parts: impl IntoIterator<Item = usize>) -> String {
    let mut s = String::from("version: 1\nvars:\n  t: 2026-11-20T03:00:00Z\nrestores:\n");
    for part in parts {
        s.push_str(&restores(part));
    }
    s
}

/// Short jobs (half a real second) and the scaled-down flow control.
fn world(w: &mut World) {
    w.durations = Durations {
        rds_restore: 30.0,
        ddm_restore: 30.0,
        ddm_metadata_restore: 30.0,
        taurusdb_restore: 30.0,
        cbr_restore: 30.0,
        dcs_restore: 30.0,
    };
    w.flow_control.enabled = true;
    w.flow_control.per_minute = SIM_PER_MINUTE;
}

/// rewind's `[rate_limits]` matching the simulator: its minute is one real second.
fn rate_limits(extra: &str) -> String {
    format!("[rate_limits]\ndefault = {SIM_PER_MINUTE}\nwindow = 1\n{extra}")
}

fn harness(settings: String) -> Harness {
    Harness::new(
        &spec(0..PROCESSES),
        &Options {
            time_scale: SCALE,
            settings,
            world: Some(world),
            ..Options::default()
        },
    )
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind starts")
}

/// Runs the four applies at once, checks that each converged, and returns what they said.
fn run_all(children: Vec<Child>) -> Vec<Run> {
    children
        .into_iter()
        .map(|child| {
            let run: Run = child.wait_with_output().expect("apply ends").into();
            assert!(run.ok(), "{}", run.transcript());
            run
        })
        .collect()
}

fn assert_no_429_and_one_post_each(h: &Harness) {
    let log = h.sim.requests();
    let refused: Vec<String> = log
        .iter()
        .filter(|e| e.status == 429)
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(
        refused.is_empty(),
        "{} 429s among {} requests: {refused:?}",
        refused.len(),
        log.len()
    );
    let subs = h.submissions();
    for (name, target) in rewind_tests::targets(&spec(0..PROCESSES)) {
        assert_eq!(
            subs.get(&target).copied(),
            Some(1),
            "{name} ({target}) must be submitted exactly once; all: {subs:?}"
        );
    }
}

#[test]
fn four_processes_on_one_postgres_state_share_the_budget_with_no_429() {
    let Some(db) = TestDb::create("budget_four") else {
        return;
    };
    let h = harness(rate_limits(""));
    let mut children = Vec::new();
    for part in 0..PROCESSES {
        // Each its own spec, so its own workspace (named after the spec file).
        let file = format!("p{part}.yaml");
        std::fs::write(h.dir.path().join(&file), spec([part])).expect("write spec");
        let mut cmd = h.command(&["apply", "-v", "--auto-approve", "-f", &file]);
        cmd.env("REWIND_STATE", &db.url);
        children.push(spawn(cmd));
    }
    let runs = run_all(children);
    assert_no_429_and_one_post_each(&h);
    // Sixteen RDS POSTs leave at once against one slot per 50 ms: with `-v`, processes that
    // waited for the others' calls say so (the README's promise).
    let said = runs
        .iter()
        .filter(|r| {
            r.stderr
                .contains("for other rewind processes of this cloud user (shared budget)")
        })
        .count();
    assert!(
        said >= 1,
        "no process logged a wait caused by the others: {}",
        runs.iter()
            .map(Run::transcript)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every process drew from the same rows: `rewind status` names all four on the POST API.
    let lines = rewind_state::postgres::budget::report(&db.url, Duration::from_secs(600))
        .expect("budget report");
    let post = lines
        .iter()
        .find(|l| l.service == "rds" && l.api.starts_with("POST "))
        .unwrap_or_else(|| panic!("no RDS POST budget in {lines:?}"));
    assert_eq!(post.users.len(), PROCESSES, "{post:?}");
    let mut status = h.command(&["status", "-f", "p0.yaml"]);
    status.env("REWIND_STATE", &db.url);
    let run: Run = status.output().expect("status runs").into();
    assert!(run.ok(), "{}", run.transcript());
    assert!(
        run.stdout.contains("Request budget (shared")
            && run.stdout.contains("rds POST /v3/{project_id}/instances")
            && run.stdout.matches("(rewind apply)").count() >= PROCESSES,
        "{}",
        run.transcript()
    );
}

#[test]
fn four_processes_with_sled_state_and_share_4_stay_under_the_limit() {
    let h = harness(rate_limits("share = 4\n"));
    let settings = std::fs::read_to_string(h.dir.path().join("rewind.toml")).expect("settings");
    assert!(settings.starts_with(FAST_POLLING) && settings.contains("share = 4"));
    let mut children = Vec::new();
    for part in 0..PROCESSES {
        // Each in its own directory: its own sled state and the same settings.
        let dir = h.dir.path().join(format!("p{part}"));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("rewind.toml"), &settings).expect("settings");
        std::fs::write(dir.join("restore.yaml"), spec([part])).expect("spec");
        let mut cmd = h.command(&["apply", "--auto-approve", "-f", "restore.yaml"]);
        cmd.current_dir(&dir);
        children.push(spawn(cmd));
    }
    run_all(children);
    assert_no_429_and_one_post_each(&h);
    assert!(Path::new(&h.dir.path().join("p3").join(".rewind")).exists());
}

/// A budget of `per_minute` calls per `60 / time_scale` real seconds, shared through `pg`.
fn shared_budget(pg: PgBudget, per_minute: u32, time_scale: f64) -> Budget {
    let limits = RateLimits {
        per_minute,
        time_scale,
        shared: Some(Shared(Arc::new(pg))),
        ..RateLimits::default()
    };
    Budget::for_user(limits, "one-cloud-user")
}

async fn call(budget: &Budget, api: &str, priority: Priority) {
    if let Some(p) = budget
        .acquire("rds", Some(Service::Rds), api, priority)
        .await
    {
        p.answered(false);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_holding_reservations_stalls_no_one_beyond_one_interval() {
    let Some(db) = TestDb::create("budget_kill") else {
        return;
    };
    // 4 calls per 8 s: one interval is 2 s, long enough that a loaded machine's scheduling
    // delays stay small beside it.
    let interval = Duration::from_secs(2);
    let slack = Duration::from_millis(500);
    let connect = |who: &str| PgBudget::connect(&db.url, who.to_owned());
    let a = shared_budget(connect("a").await.expect("a connects"), 4, 7.5);
    let b = shared_budget(connect("b").await.expect("b connects"), 4, 7.5);
    let api = "POST /v3/{project_id}/instances/{id}/recovery";
    let start = Instant::now();
    call(&a, api, Priority::Submit).await;
    // A's second submit reserves the next slot and sleeps until it; its third finds no slot
    // within one interval and claims the one after (reads of every process wait for it).
    let reserving = {
        let a = a.clone();
        tokio::spawn(async move { call(&a, api, Priority::Submit).await })
    };
    let claiming = {
        let a = a.clone();
        tokio::spawn(async move { call(&a, api, Priority::Submit).await })
    };
    // The claim in the row is what the kill must leave behind: wait until it is there.
    let (watch, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("the test connects");
    tokio::spawn(connection);
    let claimed_by = Instant::now() + interval;
    loop {
        let row = watch
            .query_opt(
                "SELECT submit_until > 0 FROM rewind_budget WHERE api = $1",
                &[&api],
            )
            .await
            .expect("the budget row reads");
        if row.is_some_and(|r| r.get::<_, bool>(0)) {
            break;
        }
        assert!(
            Instant::now() < claimed_by,
            "A's third submit left no claim within one interval"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!reserving.is_finished() && !claiming.is_finished());
    // Killed: its tasks end mid-wait and its connection closes.
    reserving.abort();
    claiming.abort();
    let _ = reserving.await;
    let _ = claiming.await;
    drop(a);
    call(&b, api, Priority::Read).await;
    let waited = start.elapsed();
    // A's two slots (its first and its reservation) count; its claim costs at most one more
    // interval; nothing else holds B back.
    assert!(
        waited + Duration::from_millis(50) >= 2 * interval,
        "B went at {waited:?}, inside A's reserved slots"
    );
    assert!(
        waited <= 3 * interval + slack,
        "B waited {waited:?}, more than one interval past A's slots"
    );
    // And then B keeps the pace of the limit.
    let before = Instant::now();
    call(&b, api, Priority::Read).await;
    assert!(
        before.elapsed() <= interval + slack,
        "{:?}",
        before.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machines_with_clocks_minutes_apart_keep_the_shared_rate_within_5_percent() {
    let Some(db) = TestDb::create("budget_skew") else {
        return;
    };
    // 10 calls per real second (a minute at time scale 60).
    let per_second = 10.0;
    let ahead = PgBudget::connect(&db.url, "machine-ahead".to_owned())
        .await
        .expect("connects")
        .with_clock_offset(180.0);
    let behind = PgBudget::connect(&db.url, "machine-behind".to_owned())
        .await
        .expect("connects")
        .with_clock_offset(-240.0);
    let machines = [
        shared_budget(ahead, 10, 60.0),
        shared_budget(behind, 10, 60.0),
    ];
    let sent: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let run_for = Duration::from_secs(3);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (m, budget) in machines.iter().enumerate() {
        for _ in 0..3 {
            let (budget, sent) = (budget.clone(), Arc::clone(&sent));
            tasks.push(tokio::spawn(async move {
                // Bounded: at most the limit's calls in `run_for`, and never past it.
                for _ in 0..100 {
                    if start.elapsed() >= run_for {
                        break;
                    }
                    call(&budget, "GET /v3/{project_id}/jobs", Priority::Read).await;
                    sent.lock().expect("lock").push((m, Instant::now()));
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("task");
    }
    let sent = sent.lock().expect("lock").clone();
    let times: Vec<Instant> = {
        let mut t: Vec<Instant> = sent.iter().map(|(_, at)| *at).collect();
        t.sort();
        t
    };
    let (Some(first), Some(last)) = (times.first(), times.last()) else {
        panic!("no call was sent");
    };
    let span = last.duration_since(*first).as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = (times.len() - 1) as f64 / span;
    assert!(
        (rate - per_second).abs() <= per_second * 0.05,
        "{} calls in {span:.2} s: {rate:.2} per second, limit {per_second}",
        times.len()
    );
    for m in 0..2 {
        assert!(
            sent.iter().filter(|(w, _)| *w == m).count() >= 5,
            "machine {m} was starved: {sent:?}"
        );
    }
    // Each machine's clock is reported against the database's (the budget never reads it).
    let lines =
        rewind_state::postgres::budget::report(&db.url, Duration::from_secs(600)).expect("report");
    let users = &lines.first().expect("one API").users;
    let skew = |who: &str| {
        users
            .iter()
            .find(|u| u.who == who)
            .map_or(f64::NAN, |u| u.clock_skew_s)
    };
    assert!((skew("machine-ahead") - 180.0).abs() < 5.0, "{users:?}");
    assert!((skew("machine-behind") + 240.0).abs() < 5.0, "{users:?}");
}

/// Waits (bounded) until the database has no connection left but this one.
async fn terminate_others(admin: &tokio_postgres::Client) {
    for _ in 0..100 {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
                &[],
            )
            .await
            .expect("terminate")
            .get(0);
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the budget's connection outlived pg_terminate_backend");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_whose_connection_drops_reconnects_and_shares_again() {
    use rewind_engine::budget::{BudgetAnswer, BudgetAsk, SharedBudget};
    let Some(db) = TestDb::create("budget_reconnect") else {
        return;
    };
    let (admin, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("admin connects");
    tokio::spawn(connection);
    let budget = PgBudget::connect(&db.url, "reconnecting".to_owned())
        .await
        .expect("connects");
    let ask = BudgetAsk {
        key: "k-reconnect",
        service: "rds",
        api: "GET /v3/{project_id}/jobs",
        limit: 600,
        window: Duration::from_secs(60),
        submit: false,
        due: false,
    };
    assert!(matches!(
        budget.take(ask).await,
        Ok(BudgetAnswer::Go { .. })
    ));
    // The database drops the budget's connection (a restart, a failover, an idle timeout).
    terminate_others(&admin).await;
    // The next take finds the connection closed, reconnects and is answered by the database.
    let answer = budget.take(ask).await;
    assert!(matches!(answer, Ok(BudgetAnswer::Go { .. })), "{answer:?}");
    let calls: i64 = admin
        .query_one(
            "SELECT calls FROM rewind_budget_users WHERE key = $1 AND who = 'reconnecting'",
            &[&ask.key],
        )
        .await
        .expect("user row")
        .get(0);
    assert_eq!(calls, 2, "both takes were counted in the shared row");
    // And again after a second drop: the back-off was reset by the reconnect.
    terminate_others(&admin).await;
    assert!(budget.throttled(ask, Duration::from_secs(1)).await.is_ok());
    let throttles: i64 = admin
        .query_one(
            "SELECT throttles FROM rewind_budget WHERE key = $1",
            &[&ask.key],
        )
        .await
        .expect("budget row")
        .get(0);
    assert_eq!(throttles, 1);
}

#[test]
fn a_drill_draws_from_the_shared_budget_of_a_postgres_state() {
    const CACHE: &str = "3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77";
    const BACKUP: &str = "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029";
    let Some(db) = TestDb::create("budget_drill") else {
        return;
    };
    let spec = format!(
        "version: 1\nrestores:\n  sessions:\n    kind: dcs.restore\n    instance_id: {CACHE}\n    backup_id: {BACKUP}\n    remark: drill\ndrills:\n  check:\n    scratch: [{CACHE}]\n"
    );
    let h = Harness::new(&spec, &Options::default());
    let mut drill = h.command(&["drill", "check"]);
    drill.env("REWIND_STATE", &db.url);
    let run: Run = drill.output().expect("drill runs").into();
    assert!(run.ok(), "{}", run.transcript());
    let lines = rewind_state::postgres::budget::report(&db.url, Duration::from_secs(600))
        .expect("budget report");
    let users: Vec<&str> = lines
        .iter()
        .flat_map(|l| l.users.iter().map(|u| u.who.as_str()))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.service == "dcs" && l.api.starts_with("POST "))
            && users.iter().all(|w| w.ends_with("(rewind drill)"))
            && !users.is_empty(),
        "{lines:?}"
    );
    // A workspace that never ran still shows the cloud user's shared budget in `status`.
    std::fs::write(h.dir.path().join("other.yaml"), &spec).expect("write spec");
    for json in [false, true] {
        let mut args = vec!["status", "-f", "other.yaml"];
        if json {
            args.push("--json");
        }
        let mut status = h.command(&args);
        status.env("REWIND_STATE", &db.url);
        let run: Run = status.output().expect("status runs").into();
        assert!(run.ok(), "{}", run.transcript());
        if json {
            let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
            assert!(doc["run"].is_null(), "{doc}");
            let budgets = doc["budgets"].as_array().expect("budgets");
            assert!(
                budgets
                    .iter()
                    .any(|b| b["users"]
                        .as_array()
                        .is_some_and(|u| u.iter().any(|u| u["who"]
                            .as_str()
                            .is_some_and(|w| w.ends_with("(rewind drill)"))))),
                "{doc}"
            );
        } else {
            assert!(
                run.stdout.contains("Request budget (shared")
                    && run.stdout.contains("(rewind drill)"),
                "{}",
                run.transcript()
            );
        }
    }
}

/// One ask of the priority tests: 10 calls per 600 s, so one interval is a minute and no slot
/// opens while the test runs: every answer follows from the row alone, not from timing.
fn ask(submit: bool, due: bool) -> rewind_engine::budget::BudgetAsk<'static> {
    rewind_engine::budget::BudgetAsk {
        key: "k-priority",
        service: "rds",
        api: "GET /v3/{project_id}/jobs",
        limit: 10,
        window: Duration::from_secs(600),
        submit,
        due,
    }
}

fn waits_for(answer: &Result<rewind_engine::budget::BudgetAnswer, String>) -> Option<&'static str> {
    match answer {
        Ok(rewind_engine::budget::BudgetAnswer::Wait { cause, .. }) => Some(cause.as_str()),
        _ => None,
    }
}

/// Across processes: a due poll (its job's expected end has passed) goes before reads that are
/// not due, and a submit before both, so no poll, due or not, can starve a submit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_polls_go_before_other_processes_reads_and_submits_before_both() {
    use rewind_engine::budget::{BudgetAnswer, SharedBudget, WaitCause};
    let Some(db) = TestDb::create("budget_priority") else {
        return;
    };
    let connect = |who: &str| PgBudget::connect(&db.url, who.to_owned());
    let a = connect("a").await.expect("a connects");
    let b = connect("b").await.expect("b connects");
    let c = connect("c").await.expect("c connects");
    // A takes the slot now and reserves the next one (a minute ahead).
    assert!(matches!(
        a.take(ask(false, false)).await,
        Ok(BudgetAnswer::Go { .. })
    ));
    assert!(matches!(
        a.take(ask(false, false)).await,
        Ok(BudgetAnswer::Go { .. })
    ));
    // B's due poll finds no slot and claims the next one.
    let due = b.take(ask(false, true)).await;
    assert_eq!(waits_for(&due), Some(WaitCause::Rate.as_str()), "{due:?}");
    // Reads that are not due wait for it, whichever process sends them.
    for (who, budget) in [("a", &a), ("c", &c)] {
        let read = budget.take(ask(false, false)).await;
        assert_eq!(
            waits_for(&read),
            Some(WaitCause::Due.as_str()),
            "{who}: {read:?}"
        );
    }
    // Another due poll and a submit are not held off by the claim: they wait for the rate.
    let other_due = c.take(ask(false, true)).await;
    assert_eq!(
        waits_for(&other_due),
        Some(WaitCause::Rate.as_str()),
        "{other_due:?}"
    );
    let submit = a.take(ask(true, false)).await;
    assert_eq!(
        waits_for(&submit),
        Some(WaitCause::Rate.as_str()),
        "{submit:?}"
    );
    // Now A's submit has claimed the slot: every poll, due or not, waits for it.
    for (who, budget) in [("b", &b), ("c", &c)] {
        let poll = budget.take(ask(false, true)).await;
        assert_eq!(
            waits_for(&poll),
            Some(WaitCause::Submit.as_str()),
            "{who}: {poll:?}"
        );
    }
    let (due_until, submit_until): (f64, f64) = {
        let (admin, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .expect("admin connects");
        tokio::spawn(connection);
        let row = admin
            .query_one(
                "SELECT due_until, submit_until FROM rewind_budget WHERE key = 'k-priority'",
                &[],
            )
            .await
            .expect("budget row");
        (row.get(0), row.get(1))
    };
    // Each claim ends one interval after the slot it waits for (the due polls held off by
    // the submit wait for the slot after it), so a claimant that never comes back holds no
    // one off for longer.
    assert!(
        submit_until > 0.0 && (due_until - submit_until - 60.0).abs() < 1.0,
        "{due_until} {submit_until}"
    );
}

/// A database that hangs (here: a row lock never released) does not hang the cloud call: the
/// statement is cut off, the call is paced by the local budget, and the budget is shared
/// again once the database answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_budget_database_falls_back_to_local_pacing() {
    use rewind_engine::budget::{BudgetAnswer, SharedBudget};
    let Some(db) = TestDb::create("budget_hung") else {
        return;
    };
    let timeout = Duration::from_millis(500);
    let pg = PgBudget::connect_with_timeout(&db.url, "hung".to_owned(), timeout)
        .await
        .expect("connects");
    let pg = Arc::new(pg);
    let ask = rewind_engine::budget::BudgetAsk {
        key: "k-hung",
        ..ask(false, false)
    };
    assert!(matches!(pg.take(ask).await, Ok(BudgetAnswer::Go { .. })));
    let (admin, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("admin connects");
    tokio::spawn(connection);
    admin.batch_execute("BEGIN").await.expect("begin");
    admin
        .execute(
            "SELECT 1 FROM rewind_budget WHERE key = 'k-hung' FOR UPDATE",
            &[],
        )
        .await
        .expect("lock the row");
    let deadline = Duration::from_secs(30);
    let answer = tokio::time::timeout(deadline, pg.take(ask))
        .await
        .expect("a take on a locked row returns");
    assert!(answer.is_err(), "{answer:?}");
    // Through the providers' budget: the call goes, paced locally.
    let budget = Budget::for_user(
        RateLimits {
            per_minute: 10,
            time_scale: 1.0,
            shared: Some(Shared(pg.clone())),
            ..RateLimits::default()
        },
        "one-cloud-user",
    );
    tokio::time::timeout(
        deadline,
        call(&budget, "GET /v3/{project_id}/hung", Priority::Read),
    )
    .await
    .expect("the call goes without the shared budget");
    admin.batch_execute("ROLLBACK").await.expect("release");
    let again = tokio::time::timeout(deadline, pg.take(ask))
        .await
        .expect("answers again");
    assert!(
        matches!(
            again,
            Ok(BudgetAnswer::Wait { .. } | BudgetAnswer::Go { .. })
        ),
        "{again:?}"
    );
    // A server that accepts the connection and never answers: connecting gives up too.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let url = format!("postgres://rewind@127.0.0.1:{port}/rewind");
    let connect = tokio::time::timeout(
        deadline,
        PgBudget::connect_with_timeout(&url, "silent".to_owned(), timeout),
    )
    .await
    .expect("connecting to a silent server returns");
    assert!(connect.is_err());
    drop(silent);
}
