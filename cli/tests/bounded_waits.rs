//! Bounded waits and safe settings, end to end: the `rewind` binary against an in-process
//! simulator. A bad setting stops before any request; a timeout leaves the job running for
//! the next apply; a job the service no longer knows is blocked, never resubmitted.

use rewind_engine::compile::compile;
use rewind_engine::spec::LoadOptions;
use rewind_sim::{FaultRule, Faults, SimConfig, Simulator};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const FAST_POLLING: &str =
    "[polling]\nfirst = 0.02\nmin = 0.01\nmax = 0.2\nreconcile_delay = 0.05\n";

struct Sim {
    sim: Simulator,
    /// Runs the simulator; dropped last.
    _runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

#[derive(Debug)]
struct Run {
    code: i32,
    out: String,
}

fn example(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf);
    std::fs::read_to_string(root.join("examples").join(name)).expect("example")
}

impl Sim {
    /// A simulator at real speed (so jobs outlast short timeouts) holding what `spec` needs.
    fn new(spec: &str, settings: &str, faults: Faults) -> Sim {
        Sim::scaled(spec, settings, faults, 1.0)
    }

    fn scaled(spec: &str, settings: &str, faults: Faults, time_scale: f64) -> Sim {
        let compiled = compile("restore.yaml", spec, &LoadOptions::default())
            .unwrap_or_else(|r| panic!("{}", r.plain()));
        let now = jiff::Timestamp::now().as_millisecond();
        let mut world = rewind_cli::simulate::world_for(&compiled.spec, now);
        world.faults = faults;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let sim = runtime
            .block_on(rewind_sim::start(SimConfig {
                world,
                time_scale,
                seed: 3,
                ..SimConfig::default()
            }))
            .expect("simulator");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("restore.yaml"), spec).expect("spec");
        std::fs::write(
            dir.path().join("rewind.toml"),
            format!("{FAST_POLLING}{settings}"),
        )
        .expect("settings");
        let env = sim
            .endpoints()
            .into_iter()
            .chain(sim.credentials_env())
            .collect();
        Sim {
            sim,
            _runtime: runtime,
            dir,
            env,
        }
    }

    fn settings(&self, text: impl AsRef<[u8]>) {
        std::fs::write(self.dir.path().join("rewind.toml"), text).expect("settings");
    }

    fn rewind(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_rewind"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("rewind runs");
        Run {
            code: out.status.code().expect("exited"),
            out: format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    fn posts(&self) -> u32 {
        self.sim.submissions().values().sum()
    }
}

#[test]
fn every_out_of_range_setting_is_a_located_error_before_any_request() {
    let sim = Sim::new(&example("rds-restore.yaml"), "", Faults::default());
    let cases = [
        ("[polling]\nmin = 300\n", "rewind.toml:2:7"),
        ("[polling]\nmin = 300\nmax = 1\n", "rewind.toml:2:7"),
        ("[polling]\nmax = nan\n", "rewind.toml:2:7"),
        ("[polling]\nfirst = 1e300\n", "rewind.toml:2:9"),
        ("[retry]\nbase = 10.0\ncap = 1.0\n", "rewind.toml:2:8"),
        ("[retry]\ncap = -1.0\n", "rewind.toml:2:7"),
        ("parallelism = 0\n", "rewind.toml:1:15"),
        ("[limits]\nrds = 100000\n", "rewind.toml:2:7"),
        ("[simulator]\ntime_scale = 0.0\n", "rewind.toml:2:14"),
        ("[timeouts]\ndefault = \"forever\"\n", "rewind.toml:2:11"),
        (
            "[timeouts]\n\"rds.restore\" = \"90 days\"\n",
            "rewind.toml:2:17",
        ),
        ("[timeouts]\nlost_polls = 0\n", "rewind.toml:2:14"),
    ];
    for (text, at) in cases {
        sim.settings(text);
        for args in [
            &["validate"][..],
            &["plan"][..],
            &["apply", "--auto-approve"][..],
        ] {
            let run = sim.rewind(args);
            assert_eq!(run.code, 1, "{args:?} with {text:?}: {run:?}");
            assert!(
                run.out.contains(at),
                "{args:?} with {text:?} not located at {at}: {}",
                run.out
            );
        }
    }
    assert!(
        sim.sim.requests().is_empty(),
        "a request was sent: {:?}",
        sim.sim.requests().first()
    );
}

#[test]
fn an_unreadable_or_non_utf8_rewind_toml_is_an_error_naming_it() {
    let sim = Sim::new(&example("rds-restore.yaml"), "", Faults::default());
    sim.settings(b"state = \"elsewhere\"\n# caf\xe9\n");
    for args in [&["validate"][..], &["plan", "--offline"][..]] {
        let run = sim.rewind(args);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.out.contains("rewind.toml is not UTF-8"), "{}", run.out);
    }
    // A directory where the file should be cannot be read: an error, not "no settings".
    std::fs::remove_file(sim.dir.path().join("rewind.toml")).expect("rm");
    std::fs::create_dir(sim.dir.path().join("rewind.toml")).expect("mkdir");
    let run = sim.rewind(&["validate"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.out.contains("cannot read") && run.out.contains("rewind.toml"),
        "{}",
        run.out
    );
    assert!(sim.sim.requests().is_empty());
}

#[test]
fn a_restore_past_its_timeout_exits_1_and_the_next_apply_reattaches_without_a_second_post() {
    let spec = example("rds-restore.yaml").replace(
        "  billing-pitr:\n    kind: rds.restore\n",
        "  billing-pitr:\n    kind: rds.restore\n    timeout: 2s\n",
    );
    let sim = Sim::new(&spec, "[timeouts]\ndefault = \"2s\"\n", Faults::default());
    let run = sim.rewind(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.out.contains("still running in the cloud after")
            && run.out.contains("`rewind apply` re-attaches"),
        "{}",
        run.out
    );
    assert_eq!(sim.posts(), 2);
    let plan = sim.rewind(&["plan", "--offline"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.out.contains("> resume    billing-pitr"),
        "{}",
        plan.out
    );
    assert!(
        plan.out.contains("> resume    billing-from-backup"),
        "{}",
        plan.out
    );
    // The jobs finish in the cloud; the next apply sees that and sends nothing new.
    sim.sim.clock().advance(Duration::from_secs(6 * 3600));
    sim.settings(FAST_POLLING);
    let run = sim.rewind(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sim.posts(), 2, "no second POST");
}

#[test]
fn a_job_the_service_forgot_is_blocked_and_never_resubmitted_or_polled_forever() {
    // The simulator answers "the job does not exist" (DBS.200543) for the job's lifetime.
    let faults = Faults {
        rules: vec![FaultRule {
            method: Some("POST".into()),
            job_invisible_seconds: 1e7,
            ..FaultRule::default()
        }],
        ..Faults::default()
    };
    let settings = "[timeouts]\nlost_grace = \"0s\"\nlost_polls = 3\n";
    let sim = Sim::new(&example("rds-restore.yaml"), settings, faults);
    let run = sim.rewind(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.out.contains("the service no longer knows job"),
        "{}",
        run.out
    );
    let polls = sim
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/jobs"))
        .count();
    assert!(
        (6..=12).contains(&polls),
        "{polls} job polls for 2 jobs with lost_polls = 3"
    );
    let plan = sim.rewind(&["plan", "--offline"]);
    assert!(
        plan.out.contains("? blocked   billing-pitr"),
        "{}",
        plan.out
    );
    let again = sim.rewind(&["apply", "--auto-approve"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(sim.posts(), 2, "never resubmitted on its own");
}

#[test]
fn json_progress_keeps_decimals_shows_an_eta_and_is_never_100_while_running() {
    // A 180 s DCS restore at 60x: about 3 s of real time, polled every 10-200 ms.
    let sim = Sim::scaled(&example("dcs-restore.yaml"), "", Faults::default(), 60.0);
    let out = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(["apply", "--auto-approve", "--json"])
        .current_dir(sim.dir.path())
        .env_clear()
        .env("HOME", sim.dir.path())
        .envs(sim.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("rewind runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let progress: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "progress")
        .collect();
    let with_eta: Vec<&serde_json::Value> = progress
        .iter()
        .filter(|v| v["percent"].is_f64() && v["eta_ms"].is_u64())
        .collect();
    assert!(!with_eta.is_empty(), "no progress with an ETA:\n{stdout}");
    for v in &progress {
        if let Some(p) = v["percent"].as_f64() {
            assert!(p < 100.0, "a running restore at 100%: {v}");
        }
    }
    // Decimals are kept: at 10-200 ms polls of a 3 s job, some sample is not a whole percent.
    assert!(
        progress
            .iter()
            .filter_map(|v| v["percent"].as_f64())
            .any(|p| p.fract() != 0.0),
        "{stdout}"
    );
}

#[test]
fn a_job_that_was_running_and_then_forgotten_is_blocked_with_exit_1() {
    let settings = "[timeouts]\nlost_grace = \"0s\"\nlost_polls = 3\n";
    let sim = Sim::new(&example("rds-restore.yaml"), settings, Faults::default());
    let child = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(["apply", "--auto-approve"])
        .current_dir(sim.dir.path())
        .env_clear()
        .env("HOME", sim.dir.path())
        .env("NO_COLOR", "1")
        .envs(sim.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rewind starts");
    // Wait (bounded) until both jobs were seen running, then make the service forget them.
    let seen = |sim: &Sim| {
        sim.sim
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with("/jobs") && r.status == 200)
            .count()
    };
    let start = std::time::Instant::now();
    while seen(&sim) < 2 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(seen(&sim) >= 2, "the jobs were never polled");
    sim.sim.set_faults(Faults {
        rules: vec![FaultRule {
            service: Some(rewind_sim::Service::Rds),
            method: Some("GET".into()),
            path: Some("/v3/*/jobs".into()),
            error_rate: 1.0,
            error_status: 404,
            ..FaultRule::default()
        }],
        ..Faults::default()
    });
    let out = child.wait_with_output().expect("rewind ends");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("the service no longer knows job"), "{text}");
    let plan = sim.rewind(&["plan", "--offline"]);
    assert!(
        plan.out.contains("? blocked   billing-pitr"),
        "{}",
        plan.out
    );
    assert!(
        plan.out.contains("? blocked   billing-from-backup"),
        "{}",
        plan.out
    );
    assert_eq!(sim.posts(), 2, "never resubmitted");
}
