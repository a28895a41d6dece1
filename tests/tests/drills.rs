//! `rewind drill` end to end: scratch restores, probes against a real MariaDB and Redis
//! seeded here, RTO/RPO, clean-up in the simulator's world, crash recovery and the forecast.

use mysql_async::prelude::Queryable;
use rewind_drills::testing::{self, Addr};
use rewind_sim::{Address, FaultRule, Faults, Service};
use rewind_tests::{Harness, Options, Run, repo_root};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const PROBE_PASSWORD: &str = "Probe-Pw-5e9c1d2a";
const SCRATCH_CACHE: &str = "3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77";
const CREATED: [&str; 2] = ["orders-dn-1-drill", "orders-dn-2-drill"];

fn example() -> String {
    std::fs::read_to_string(repo_root().join("examples/drill.yaml")).expect("examples/drill.yaml")
}

/// A database, a login and a Redis key made for one test, removed when it ends.
struct Seeded {
    mysql: Addr,
    redis: Addr,
    db: String,
    user: String,
    marker: String,
    checksum: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn mysql_conn(a: &Addr) -> Result<mysql_async::Conn, String> {
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(a.host.clone())
        .tcp_port(a.port)
        .prefer_socket(false)
        .user(a.user.clone())
        .pass(a.password.clone());
    tokio::time::timeout(Duration::from_secs(5), mysql_async::Conn::new(opts))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| e.to_string())
}

async fn redis_conn(a: &Addr) -> Result<redis::aio::MultiplexedConnection, String> {
    let url = format!("redis://{}:{}/", a.host, a.port);
    let client = redis::Client::open(url.as_str()).map_err(|e| e.to_string())?;
    tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .map_err(|_| "connect timed out".to_owned())?
    .map_err(|e| e.to_string())
}

/// Seeds MariaDB (orders, order lines, a probe login) and Redis (the marker key); `None` when a
/// service does not answer and the test may skip.
fn seed(tag: &str) -> Option<Seeded> {
    let mysql = testing::mysql_addr();
    let redis_addr = testing::redis_addr();
    let rt = runtime();
    let mut conn = match rt.block_on(mysql_conn(&mysql)) {
        Ok(c) => c,
        Err(e) => {
            testing::skip_or_fail(&format!("MariaDB at {}:{}", mysql.host, mysql.port), &e);
            return None;
        }
    };
    let mut cache = match rt.block_on(redis_conn(&redis_addr)) {
        Ok(c) => c,
        Err(e) => {
            testing::skip_or_fail(
                &format!("Redis at {}:{}", redis_addr.host, redis_addr.port),
                &e,
            );
            return None;
        }
    };
    let db = testing::unique(tag);
    let user = format!("p{}", &db[db.len().saturating_sub(20)..]);
    let marker = format!("{db}:sessions-marker");
    let checksum = rt.block_on(async {
        conn.query_drop(format!(
            "CREATE DATABASE {db}; \
             CREATE TABLE {db}.orders (id INT PRIMARY KEY, item VARCHAR(40)); \
             INSERT INTO {db}.orders VALUES (1,'disk'),(2,'cache'),(3,'node'),(4,'ddm'),(5,'dcs'); \
             CREATE TABLE {db}.order_lines (id INT PRIMARY KEY, order_id INT); \
             INSERT INTO {db}.order_lines VALUES (1,1),(2,1),(3,4); \
             CREATE USER '{user}'@'%' IDENTIFIED BY '{PROBE_PASSWORD}'; \
             CREATE USER '{user}'@'localhost' IDENTIFIED BY '{PROBE_PASSWORD}'; \
             GRANT SELECT ON {db}.* TO '{user}'@'%'; \
             GRANT SELECT ON {db}.* TO '{user}'@'localhost';"
        ))
        .await
        .expect("seed MariaDB");
        let row: Option<(String, Option<u64>)> = conn
            .query_first(format!("CHECKSUM TABLE {db}.orders"))
            .await
            .expect("checksum");
        let _: () = redis::cmd("SET")
            .arg(&marker)
            .arg("1")
            .query_async(&mut cache)
            .await
            .expect("seed Redis");
        row.and_then(|(_, c)| c).expect("a checksum").to_string()
    });
    Some(Seeded {
        mysql,
        redis: redis_addr,
        db,
        user,
        marker,
        checksum,
    })
}

impl Drop for Seeded {
    fn drop(&mut self) {
        let rt = runtime();
        rt.block_on(async {
            if let Ok(mut c) = mysql_conn(&self.mysql).await {
                let _ = c
                    .query_drop(format!(
                        "DROP DATABASE IF EXISTS {}; DROP USER IF EXISTS '{u}'@'%'; DROP USER IF EXISTS '{u}'@'localhost';",
                        self.db,
                        u = self.user
                    ))
                    .await;
            }
            if let Ok(mut c) = redis_conn(&self.redis).await {
                let _: redis::RedisResult<i64> =
                    redis::cmd("DEL").arg(&self.marker).query_async(&mut c).await;
            }
        });
    }
}

impl Seeded {
    fn vars(&self, orders_min: u32) -> Vec<String> {
        [
            format!("orders_db={}", self.db),
            format!("probe_user={}", self.user),
            format!("orders_min={orders_min}"),
            format!("orders_checksum={}", self.checksum),
            format!("session_marker={}", self.marker),
        ]
        .into_iter()
        .flat_map(|v| ["--var".to_owned(), v])
        .collect()
    }

    /// The scratch instances answer at the real servers.
    fn addresses(&self) -> BTreeMap<String, Address> {
        let at = |a: &Addr| Address {
            ip: a.host.clone(),
            port: a.port,
        };
        let mut out: BTreeMap<String, Address> = CREATED
            .iter()
            .map(|n| ((*n).to_owned(), at(&self.mysql)))
            .collect();
        out.insert(SCRATCH_CACHE.to_owned(), at(&self.redis));
        out
    }
}

fn harness(spec: &str, seeded: Option<&Seeded>, faults: Faults) -> Harness {
    Harness::new(
        spec,
        &Options {
            faults,
            addresses: seeded.map(Seeded::addresses).unwrap_or_default(),
            ..Options::default()
        },
    )
}

fn drill(h: &Harness, args: &[&str], vars: &[String]) -> Run {
    let mut cmd = h.command(&["drill"]);
    cmd.args(args)
        .args(vars)
        .env("REWIND_PROBE_PASSWORD", PROBE_PASSWORD);
    cmd.output().expect("rewind runs").into()
}

fn report_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// Instances of the world whose name is one the drill creates.
fn scratch_left(h: &Harness) -> Vec<String> {
    h.sim
        .world_snapshot()
        .rds
        .instances
        .values()
        .filter(|i| CREATED.contains(&i.name.as_str()))
        .map(|i| i.name.clone())
        .collect()
}

fn creates_per_name(h: &Harness) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for c in h.sim.creations() {
        *out.entry(c.name).or_insert(0) += 1;
    }
    out
}

#[test]
fn the_drill_restores_probes_real_data_measures_and_deletes_its_instances() {
    let Some(seeded) = seed("pass") else { return };
    let h = harness(&example(), Some(&seeded), Faults::default());
    let run = drill(&h, &["nightly"], &seeded.vars(3));
    assert!(run.ok(), "{}", run.transcript());
    let all = format!("{}{}", run.stdout, run.stderr);
    // Progress: each restore, then each probe.
    let restored = all.find("orders-dn-1").expect("restore progress");
    let first_probe = all
        .find("probe mysql `orders rows`")
        .expect("probe progress");
    assert!(restored < first_probe, "{}", run.transcript());
    assert!(all.contains("PASSED"), "{}", run.transcript());

    let dir = h.state_dir().join("drills/nightly/run-0001");
    for f in ["report.md", "report.json", "junit.xml", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} written in {}", dir.display());
    }
    let report = report_json(&dir);
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["passed"], true, "{report:#}");
    assert!(
        report["rto"]["measured_ms"]
            .as_u64()
            .is_some_and(|ms| ms > 0)
    );
    assert_eq!(report["rto"]["met"], true);
    assert!(
        report["rpo"]["measured_ms"]
            .as_u64()
            .is_some_and(|ms| ms > 0)
    );
    let probes = report["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), 6, "{report:#}");
    assert!(probes.iter().all(|p| p["passed"] == true), "{report:#}");
    let path: Vec<&str> = report["rto"]["critical_path"]
        .as_array()
        .expect("critical path")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(!path.is_empty(), "{report:#}");

    // Every instance the drill created is deleted, in the simulator's world, once each.
    assert!(scratch_left(&h).is_empty(), "{:?}", scratch_left(&h));
    let created: Vec<String> = h
        .sim
        .creations()
        .into_iter()
        .map(|c| c.instance_id)
        .collect();
    let mut deleted: Vec<String> = h
        .sim
        .deletions()
        .into_iter()
        .map(|d| d.instance_id)
        .collect();
    deleted.sort();
    let mut expected = created.clone();
    expected.sort();
    assert_eq!(
        deleted, expected,
        "each created instance deleted exactly once"
    );
    // The scratch DCS instance existed before the drill: restored, never deleted.
    assert!(
        h.sim
            .world_snapshot()
            .dcs
            .instances
            .contains_key(SCRATCH_CACHE)
    );
    // The password of the probes reaches neither the reports nor the output.
    for f in ["report.md", "report.json", "junit.xml", "report.html"] {
        let text = std::fs::read_to_string(dir.join(f)).expect("report");
        assert!(!text.contains(PROBE_PASSWORD), "{f} holds the password");
    }
    assert!(!all.contains(PROBE_PASSWORD));

    let history = h.rewind(&["drill", "history"]);
    assert!(history.ok(), "{}", history.transcript());
    assert!(
        history.stdout.contains("nightly") && history.stdout.contains("passed"),
        "{}",
        history.transcript()
    );
}

#[test]
fn the_example_passes_under_simulate_with_a_world_file_mapping_real_servers() {
    let Some(seeded) = seed("sim") else { return };
    let spec = example();
    let compiled = rewind_engine::compile::compile(
        "drill.yaml",
        &spec,
        &rewind_engine::spec::LoadOptions::default(),
    )
    .unwrap_or_else(|r| panic!("{}", r.plain()));
    let mut world =
        rewind_cli::simulate::world_for(&compiled.spec, jiff::Timestamp::now().as_millisecond());
    rewind_tests::map_addresses(&mut world, &seeded.addresses());
    let tmp = tempfile::tempdir().expect("tmp");
    let world_file = tmp.path().join("world.yaml");
    std::fs::write(
        &world_file,
        serde_json::to_string(&world).expect("world as JSON"),
    )
    .expect("write world");
    let reports = tmp.path().join("reports");
    let h = harness(&spec, None, Faults::default());
    let world_arg = world_file.display().to_string();
    let reports_arg = reports.display().to_string();
    let run = drill(
        &h,
        &[
            "nightly",
            "--simulate",
            "--world",
            &world_arg,
            "--report-dir",
            &reports_arg,
        ],
        &seeded.vars(3),
    );
    assert!(run.ok(), "{}", run.transcript());
    assert!(
        h.sim.creations().is_empty(),
        "the harness simulator was not used"
    );
    let report = report_json(&reports);
    assert_eq!(report["passed"], true, "{report:#}");
    assert_eq!(report["simulated"], true);
    let cleanup = report["cleanup"].as_array().expect("cleanup");
    assert_eq!(cleanup.len(), 2, "{report:#}");
    assert!(
        cleanup.iter().all(|c| c["action"] == "deleted"),
        "{report:#}"
    );
}

#[test]
fn a_wrong_row_count_fails_the_drill_keeps_its_instances_and_reports_the_probe() {
    let Some(seeded) = seed("fail") else { return };
    let h = harness(&example(), Some(&seeded), Faults::default());
    let run = drill(&h, &["nightly", "--json"], &seeded.vars(999));
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "probe" && e["probe"] == "orders rows" && e["passed"] == false)
    );
    let last = events.last().expect("events");
    assert_eq!(last["event"], "drill_finished");
    assert_eq!(last["passed"], false);

    let dir = h.state_dir().join("drills/nightly/run-0001");
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert!(md.len() < 65_536);
    assert!(md.contains("orders rows"), "{md}");
    assert!(md.contains("999"), "the expectation is shown: {md}");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).expect("junit.xml");
    assert!(junit.contains("<failure"), "{junit}");
    // The failure policy (`keep 4h`): nothing deleted, both kept with an end time.
    assert!(h.sim.deletions().is_empty());
    assert_eq!(scratch_left(&h).len(), 2);
    let report = report_json(&dir);
    let cleanup = report["cleanup"].as_array().expect("cleanup");
    assert!(
        cleanup.iter().all(|c| c["action"] == "kept_until"),
        "{report:#}"
    );

    // A later drill refuses while they are left; cleanup keeps them until their time is up.
    let again = drill(&h, &["nightly"], &seeded.vars(3));
    assert_eq!(again.status, Some(1), "{}", again.transcript());
    assert!(
        again.stderr.contains("rewind drill cleanup"),
        "{}",
        again.transcript()
    );
    let kept = h.rewind(&["drill", "cleanup"]);
    assert!(kept.ok(), "{}", kept.transcript());
    assert_eq!(scratch_left(&h).len(), 2, "{}", kept.transcript());
    let all = h.rewind(&["drill", "cleanup", "--all"]);
    assert!(all.ok(), "{}", all.transcript());
    assert!(scratch_left(&h).is_empty(), "{}", all.transcript());
    assert_eq!(h.sim.deletions().len(), 2);
}

#[test]
fn a_drill_that_would_overwrite_a_non_scratch_instance_is_refused_before_any_request() {
    let spec = example().replace("      - ${var.scratch_cache}\n", "");
    assert_ne!(spec, example(), "the scratch entry was removed");
    let h = harness(&example(), None, Faults::default());
    std::fs::write(&h.spec, &spec).expect("write the refused spec");
    let run = drill(&h, &["nightly"], &[]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(
        run.stderr.contains("drill_touches_production"),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.contains("`sessions-cache`"),
        "{}",
        run.transcript()
    );
    assert!(run.stderr.contains("scratch"), "{}", run.transcript());
    assert!(
        run.stderr.contains("drill.yaml") || run.stderr.contains("restore.yaml:"),
        "located: {}",
        run.transcript()
    );
    assert!(
        h.sim.requests().is_empty(),
        "no request was sent: {:?}",
        h.sim.requests()
    );
    assert!(!h.state_dir().join("drills").exists());
}

#[test]
fn sigkill_mid_drill_then_cleanup_leaves_no_instance_and_no_second_create() {
    // The first create takes effect at once, but its answer is held back: the drill is killed
    // while that create's outcome is unknown to it, and the other create is running.
    let faults = Faults {
        rules: vec![FaultRule {
            service: Some(Service::Rds),
            method: Some("POST".into()),
            path: Some("/v3/*/instances".into()),
            latency_ms: 60_000,
            times: Some(1),
            ..FaultRule::default()
        }],
        ..Faults::default()
    };
    let h = harness(&example(), None, faults);
    let mut child = h.command(&["drill", "nightly"]);
    child
        .env("REWIND_PROBE_PASSWORD", PROBE_PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = child.spawn().expect("rewind starts");
    let start = Instant::now();
    while h.sim.creations().len() < 2 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(h.sim.creations().len(), 2, "both creates reached the cloud");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    h.set_faults(Faults::default());
    assert_eq!(scratch_left(&h).len(), 2);

    let run = h.rewind(&["drill", "cleanup"]);
    assert!(run.ok(), "{}", run.transcript());
    assert!(scratch_left(&h).is_empty(), "{}", run.transcript());
    let per_name = creates_per_name(&h);
    assert!(
        per_name.values().all(|n| *n == 1),
        "no duplicate create: {per_name:?}"
    );
    assert_eq!(h.sim.deletions().len(), 2);
    let history = h.rewind(&["drill", "history", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&history.stdout).expect("history JSON");
    let record = &doc["drills"][0]["record"];
    assert_eq!(record["outcome"], "failed", "{doc:#}");
    assert!(
        record["scratch"]
            .as_array()
            .expect("scratch")
            .iter()
            .all(|s| s["status"] == "deleted"),
        "{doc:#}"
    );
    // Nothing left: a second clean-up has nothing to do.
    let again = h.rewind(&["drill", "cleanup"]);
    assert!(
        again.ok() && again.stderr.contains("Nothing to clean up"),
        "{}",
        again.transcript()
    );
}

#[test]
fn after_three_drills_plan_forecasts_the_rto_and_warns_over_budget() {
    let Some(seeded) = seed("forecast") else {
        return;
    };
    // A scratch DDM keeps the schemas a metadata restore gave it, so a repeated drill needs it
    // emptied first; this drill leaves the metadata out.
    let text = example();
    let (head, rest) = text
        .split_once("  orders-metadata:\n")
        .expect("the metadata restore");
    let (_, tail) = rest
        .split_once("  sessions-cache:\n")
        .expect("the cache restore");
    let spec = format!("{head}  sessions-cache:\n{tail}");
    // Slow enough that a restore outlasts the tightest budget a spec may set (1s).
    let h = Harness::new(
        &spec,
        &Options {
            time_scale: 300.0,
            addresses: seeded.addresses(),
            ..Options::default()
        },
    );
    let before = h.rewind(&["plan", "--offline"]);
    assert!(before.ok(), "{}", before.transcript());
    assert!(
        !before.stderr.contains("RTO forecast"),
        "{}",
        before.transcript()
    );
    for i in 1..=3 {
        let run = drill(&h, &["nightly"], &seeded.vars(3));
        assert!(run.ok(), "drill {i}: {}", run.transcript());
        if i < 3 {
            let plan = h.rewind(&["plan", "--offline"]);
            assert!(
                plan.stderr.contains("RTO forecast: not yet"),
                "{}",
                plan.transcript()
            );
        }
    }
    let plan = h.rewind(&["plan", "--offline"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stderr.contains("RTO forecast from 3 drill(s): p50"),
        "{}",
        plan.transcript()
    );
    assert!(
        !plan.stderr.contains("exceeds its budget"),
        "{}",
        plan.transcript()
    );

    let tight = spec.replace("    rto: 2h\n", "    rto: 1s\n");
    std::fs::write(&h.spec, tight).expect("rewrite spec");
    let plan = h.rewind(&["plan", "--offline"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stderr
            .contains("Warning: drill `nightly`: the forecast RTO"),
        "{}",
        plan.transcript()
    );
}

#[test]
fn an_exec_probe_on_a_new_instance_without_logins_runs_as_its_administrator() {
    let spec = "version: 1
secrets:
  node_password: { env: REWIND_NODE_PASSWORD }
restores:
  orders-dn-1:
    kind: rds.restore_new
    name: orders-dn-1-drill
    restore_point:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      restore_time: \"2026-11-20T03:00:00Z\"
    flavor_ref: rds.mysql.n1.large
    volume: { type: CLOUDSSD, size: 40 }
    availability_zone: eu-de-01
    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce
    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f
    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5
    password: ${secrets.node_password}
drills:
  nightly:
    rto: 2h
    rpo: 720h
    probes:
      orders-dn-1:
        - name: who
          exec:
            command: 'test \"$REWIND_TARGET_USER\" = root && test -n \"$REWIND_TARGET_PASSWORD\"'
          timeout: 10s
";
    let h = harness(spec, None, Faults::default());
    let reports = h.dir.path().join("reports");
    let reports_arg = reports.display().to_string();
    let run = drill(&h, &["nightly", "--report-dir", &reports_arg], &[]);
    assert!(run.ok(), "{}", run.transcript());
    let report = report_json(&reports);
    assert_eq!(report["passed"], true, "{report:#}");
}
