//! Honest rehearsal (issue 21): the world kept beside a `--state`, Ctrl-C and saved plans,
//! `drill cleanup --simulate`, every artefact marked, plugins without the caller's
//! credentials, `rewind sim -f`, and drill times in simulated time.

use rewind_sim::World;
use rewind_tests::{FAST_POLLING, Run, repo_root, rewind_bin};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Real-looking credentials of the caller: no rehearsal may pass them on.
const CALLER_CLOUD: &[(&str, &str)] = &[
    ("OS_AUTH_URL", "https://iam.eu-de.otc.t-systems.com/v3"),
    ("OS_AUTH_TOKEN", "caller-real-token-must-not-leak"),
    ("OS_ACCESS_KEY", "CALLERREALACCESSKEY0"),
    ("OS_SECRET_KEY", "caller-real-secret-key-must-not-leak"),
    ("OS_PROJECT_ID", "caller0project0id0must0not0leak0"),
    ("REWIND_ENDPOINT_RDS", "https://rds.eu-de.otc.t-systems.com"),
];

/// A directory with the spec, fast polling, and a kept state directory beside it.
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new(spec: &str) -> Place {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("restore.yaml"), spec).expect("spec");
        std::fs::write(dir.path().join("rewind.toml"), FAST_POLLING).expect("settings");
        Place { dir }
    }

    fn example(name: &str) -> Place {
        Place::new(
            &std::fs::read_to_string(repo_root().join("examples").join(name)).expect("example"),
        )
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> String {
        self.path("state").display().to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(rewind_bin());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .envs(CALLER_CLOUD.iter().copied())
            .stdin(Stdio::null());
        cmd
    }

    fn rewind(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("rewind runs").into()
    }

    /// The world kept beside the state.
    fn world(&self) -> World {
        let text = std::fs::read_to_string(self.path("state/rehearsal/world.yaml"))
            .expect("the rehearsal world is kept beside the state");
        World::from_yaml(&text).expect("the kept world reads back")
    }
}

/// Accepted restore jobs per target instance, in the kept world.
fn jobs_per_instance(world: &World) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for job in world
        .rds
        .jobs
        .values()
        .chain(world.ddm.jobs.values())
        .filter(|j| j.name.contains("estore"))
    {
        *out.entry(job.instance_id.clone()).or_default() += 1;
    }
    out
}

#[test]
fn ctrl_c_during_a_kept_rehearsal_then_apply_again_converges_with_one_submission_each() {
    let p = Place::example("ddm-pitr.yaml");
    let state = p.state();
    // RDS restores take 300 simulated s: 2 real s at 150x, time to interrupt one.
    let child = p
        .command(&[
            "apply",
            "--auto-approve",
            "--simulate",
            "--time-scale",
            "150",
            "--state",
            &state,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("apply starts");
    let world_file = p.path("state/rehearsal/world.yaml");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&world_file).unwrap_or_default();
        if text.contains("Running") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no restore was running in the kept world"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    sigint(&child);
    let first: Run = child.wait_with_output().expect("apply ends").into();
    assert!(
        first.stderr.contains("Stopping") || first.stdout.contains("Stopping"),
        "{}",
        first.transcript()
    );

    let again = p.rewind(&[
        "apply",
        "--auto-approve",
        "--simulate",
        "--time-scale",
        "150",
        "--state",
        &state,
    ]);
    assert!(again.ok(), "{}", again.transcript());
    // The interrupted restores were still running in the kept world: re-attached, not re-sent.
    assert_eq!(
        again.stdout.matches("> resume").count(),
        2,
        "{}",
        again.transcript()
    );
    assert!(
        !again.stdout.contains("outcome unknown") && !again.stderr.contains("outcome unknown"),
        "{}",
        again.transcript()
    );
    let jobs = jobs_per_instance(&p.world());
    for target in [
        "f4e2949e9b9b4d60b42c89ed39bfe34cin01",
        "55c26c79139446868919c5b8b2cbb542in01",
    ] {
        assert_eq!(jobs.get(target), Some(&1), "{target}: {jobs:?}");
    }
    assert_eq!(jobs.values().sum::<usize>(), 3, "{jobs:?}");
    let list = p.rewind(&["state", "list", "--state", &state, "--json"]);
    assert!(list.ok(), "{}", list.transcript());
    assert_eq!(
        list.stdout.matches("\"succeeded\"").count(),
        3,
        "{}",
        list.stdout
    );

    let status = p.rewind(&["status", "--state", &state]);
    assert!(
        status.ok() && status.stdout.starts_with("REHEARSAL"),
        "{}",
        status.transcript()
    );
    let status = p.rewind(&["status", "--state", &state, "--json"]);
    let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("status json");
    assert_eq!(value["simulated"], true, "{}", status.stdout);

    let history = p.rewind(&["history", "--state", &state]);
    assert!(history.ok(), "{}", history.transcript());
    assert_eq!(
        history.stdout.matches("(rehearsal)").count(),
        2,
        "{}",
        history.stdout
    );
}

/// What an apply rehearsal interrupted by Ctrl-C once both RDS restores were submitted said,
/// with `extra` arguments; it must exit 1.
fn interrupted_rehearsal_says(extra: &[&str]) -> String {
    let p = Place::example("ddm-pitr.yaml");
    // RDS restores take 300 simulated s: 2 real s at 150x.
    let mut args = vec![
        "apply",
        "--auto-approve",
        "--simulate",
        "--time-scale",
        "150",
    ];
    args.extend_from_slice(extra);
    let mut child = p
        .command(&args)
        // The result (and its advice) goes to stdout, progress to stderr.
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("apply starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut said = String::new();
    let mut submitted = 0;
    for line in lines.by_ref().map_while(Result::ok).take(200) {
        submitted += usize::from(line.contains("submitted, following"));
        said.push_str(&line);
        said.push('\n');
        if submitted == 2 {
            break;
        }
    }
    assert_eq!(submitted, 2, "{said}");
    sigint(&child);
    for line in lines.map_while(Result::ok).take(200) {
        said.push_str(&line);
        said.push('\n');
    }
    let out = child.wait_with_output().expect("apply ends");
    said.push_str(&String::from_utf8_lossy(&out.stdout));
    let status = out.status;
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(!said.contains("re-attaches to them"), "{said}");
    said
}

#[test]
fn ctrl_c_during_a_throw_away_rehearsal_promises_no_re_attach() {
    let said = interrupted_rehearsal_says(&[]);
    assert!(
        said.contains("whose simulated world ends now") && said.contains("starts afresh"),
        "{said}"
    );
}

#[test]
fn ctrl_c_during_a_rehearsal_on_postgresql_promises_no_re_attach() {
    let Some(db) = rewind_state::testing::TestDb::create("rehearsal_stop") else {
        return;
    };
    let said = interrupted_rehearsal_says(&["--state", &db.url]);
    assert!(
        said.contains("keeps no simulated world")
            && said.contains("whose simulated world ends now")
            && said.contains("state rm NAME"),
        "{said}"
    );
}

#[test]
fn a_rehearsal_is_marked_everywhere_and_its_saved_plan_applies_only_as_a_rehearsal() {
    let p = Place::example("ddm-pitr.yaml");
    let state = p.state();
    let plan_file = p.path("p.plan").display().to_string();
    let plan = p.rewind(&["plan", "--simulate", "--state", &state, "--out", &plan_file]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout.starts_with("REHEARSAL (--simulate)"),
        "{}",
        plan.stdout
    );
    // Everything the spec names was invented, so no check on it checked anything real.
    assert!(plan.stdout.contains("[assumed]"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("[ok  ]"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("The rehearsal invented")
            && plan.stdout.contains("7edae0250ebc464897bd92b8d3e8b769in01"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stderr.contains(&format!("--simulate --state {state}")),
        "{}",
        plan.transcript()
    );

    let json = p.rewind(&["plan", "--simulate", "--state", &state, "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan json");
    assert_eq!(value["simulated"], true, "{}", json.stdout);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).expect("plan file"))
            .expect("plan file json");
    assert_eq!(saved["simulated"], true);
    assert!(!saved["invented"].as_array().expect("invented").is_empty());

    let show = p.rewind(&["show", &plan_file]);
    assert!(
        show.stdout.starts_with("REHEARSAL (--simulate)"),
        "{}",
        show.stdout
    );
    let md = p.rewind(&["show", &plan_file, "--format", "markdown"]);
    assert!(
        md.stdout.starts_with("> **REHEARSAL (--simulate)"),
        "{}",
        md.stdout
    );
    let md_plan = p.rewind(&["plan", "--simulate", "--format", "markdown"]);
    assert!(md_plan.stdout.contains("REHEARSAL"), "{}", md_plan.stdout);

    // Against the real cloud (here: the caller's unreachable OTC), a rehearsal plan is refused
    // before anything is read.
    let real = p.rewind(&[
        "apply",
        &plan_file,
        "--state",
        &p.path("real").display().to_string(),
    ]);
    assert_eq!(real.status, Some(1), "{}", real.transcript());
    assert!(
        real.stderr.contains("is a rehearsal plan"),
        "{}",
        real.transcript()
    );

    let applied = p.rewind(&["apply", &plan_file, "--simulate", "--state", &state]);
    assert!(applied.ok(), "{}", applied.transcript());
    assert!(applied.stdout.contains("REHEARSAL"), "{}", applied.stdout);
    // Applied once, the saved rehearsal plan is stale, and the hint makes a rehearsal plan.
    let again = p.rewind(&["apply", &plan_file, "--simulate", "--state", &state]);
    assert_eq!(again.status, Some(1), "{}", again.transcript());
    assert!(
        again.stderr.contains("is stale") && again.stderr.contains("plan --simulate --out"),
        "{}",
        again.transcript()
    );
    // Durations are in the simulator's time: an RDS restore takes 300 simulated seconds.
    let said = format!("{}{}", applied.stdout, applied.stderr);
    assert!(said.contains("s simulated)"), "{said}");

    let history = p.rewind(&["history", "--state", &state, "--json"]);
    let runs: serde_json::Value = serde_json::from_str(&history.stdout).expect("history json");
    assert_eq!(runs["runs"][0]["simulated"], true, "{}", history.stdout);
    let shown = p.rewind(&["history", "show", "1", "--state", &state]);
    assert!(shown.stdout.contains("REHEARSAL"), "{}", shown.stdout);

    // Without --state, a saved rehearsal plan keeps its rehearsal beside the plan file.
    let loose = p.path("loose.plan").display().to_string();
    let saved = p.rewind(&["plan", "--simulate", "--out", &loose]);
    assert!(saved.ok(), "{}", saved.transcript());
    assert!(p.path("loose.rehearsal/rehearsal/world.yaml").exists());
    let applied = p.rewind(&["apply", &loose, "--simulate"]);
    assert!(applied.ok(), "{}", applied.transcript());

    // And the reverse: a plan made for the cloud does not run in a rehearsal.
    let offline = p.path("real.plan").display().to_string();
    let real_plan = p.rewind(&[
        "plan",
        "--offline",
        "--state",
        &p.path("real").display().to_string(),
        "--out",
        &offline,
    ]);
    assert!(real_plan.ok(), "{}", real_plan.transcript());
    let refused = p.rewind(&["apply", &offline, "--simulate", "--state", &state]);
    assert_eq!(refused.status, Some(1), "{}", refused.transcript());
    assert!(
        refused.stderr.contains("planned against the real cloud"),
        "{}",
        refused.transcript()
    );
}

#[test]
fn drill_cleanup_simulate_deletes_what_a_kept_rehearsal_drill_left() {
    let p = Place::example("drill.yaml");
    let state = p.state();
    // No REWIND_NODE_PASSWORD: the rehearsal stands in for it, and says so.
    let drill = p.rewind(&[
        "drill",
        "nightly",
        "--simulate",
        "--keep",
        "--state",
        &state,
    ]);
    assert_eq!(drill.status, Some(1), "{}", drill.transcript());
    assert!(
        drill.stderr.contains("REWIND_NODE_PASSWORD") && drill.stderr.contains("throwaway"),
        "{}",
        drill.transcript()
    );
    // The simulator made the scratch instances' addresses up: no probe ran, none passed.
    assert!(
        drill.stderr.contains("INCOMPLETE"),
        "{}",
        drill.transcript()
    );
    assert!(!drill.stderr.contains("✓ probe"), "{}", drill.transcript());
    // Its history says so too: an RTO that no probe confirmed is not "within budget".
    let history = p.rewind(&["drill", "history", "--state", &state]);
    let row = history
        .stdout
        .lines()
        .find(|l| l.contains("nightly"))
        .unwrap_or_default();
    assert!(row.contains("unverified"), "{}", history.transcript());
    let left: Vec<String> = p
        .world()
        .rds
        .instances
        .iter()
        .filter(|(_, i)| i.name.ends_with("-drill"))
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(left.len(), 2, "the kept drill left its two new instances");

    let refused = p.rewind(&["drill", "nightly", "--simulate", "--state", &state]);
    assert_eq!(refused.status, Some(1), "{}", refused.transcript());
    // Every command on the kept world extended it: still one restorable window per
    // instance, and no instance under a `${restores...}` reference's text.
    for (id, i) in &p.world().rds.instances {
        assert!(
            !id.contains("${"),
            "an output reference became an instance: {id}"
        );
        assert!(
            i.restore_windows.len() <= 1,
            "{id}: {:?}",
            i.restore_windows
        );
    }

    let real = p.rewind(&["drill", "cleanup", "--all", "--state", &state]);
    assert!(real.ok(), "{}", real.transcript());
    assert!(
        real.stderr.contains("Nothing to clean up in the cloud")
            && real
                .stderr
                .contains("1 rehearsal drill run(s) left instances")
            && real.stderr.contains("--simulate"),
        "a real clean-up leaves a rehearsal's instances alone, and says they are there: {}",
        real.transcript()
    );

    let cleanup = p.rewind(&["drill", "cleanup", "--all", "--simulate", "--state", &state]);
    assert!(cleanup.ok(), "{}", cleanup.transcript());
    assert!(
        cleanup.stderr.contains("Clean-up: 2 deleted"),
        "{}",
        cleanup.transcript()
    );
    let world = p.world();
    for id in &left {
        assert!(!world.rds.instances.contains_key(id), "{id} is still there");
    }
    let history = p.rewind(&["drill", "history", "--state", &state]);
    assert!(history.stdout.contains("(sim)"), "{}", history.transcript());
}

#[test]
fn a_throw_away_rehearsal_drill_does_not_promise_kept_instances() {
    let p = Place::example("drill.yaml");
    // No --state: the world ends with the command, whatever the policy kept in it.
    let drill = p.rewind(&["drill", "nightly", "--simulate", "--keep"]);
    assert_eq!(drill.status, Some(1), "{}", drill.transcript());
    assert!(
        drill.stderr.contains(": kept")
            && drill
                .stderr
                .contains("throw-away rehearsal's world, which ends now"),
        "{}",
        drill.transcript()
    );
    let cleanup = p.rewind(&["drill", "cleanup", "--all", "--simulate"]);
    assert!(cleanup.ok(), "{}", cleanup.transcript());
    assert!(
        cleanup.stderr.contains("left nothing to clean up"),
        "{}",
        cleanup.transcript()
    );
}

#[test]
fn a_throw_away_rehearsal_drill_stopped_by_sigint_sends_nobody_to_drill_cleanup() {
    let p = Place::example("drill.yaml");
    // Creates take 600 simulated s: 10 real s at 60x, time to interrupt.
    let mut child = p
        .command(&["drill", "nightly", "--simulate", "--time-scale", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("drill starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut said = String::new();
    for line in lines.by_ref().map_while(Result::ok).take(400) {
        let submitted = line.contains("submitted, following");
        said.push_str(&line);
        said.push('\n');
        if submitted {
            break;
        }
    }
    assert!(said.contains("submitted, following"), "{said}");
    sigint(&child);
    for line in lines.map_while(Result::ok).take(400) {
        said.push_str(&line);
        said.push('\n');
    }
    let status = child.wait().expect("drill ends");
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(
        said.contains("Stopping the drill") && said.contains("ends with this throw-away rehearsal"),
        "{said}"
    );
    assert!(!said.contains("`rewind drill cleanup` removes"), "{said}");
}

/// Lines `KEY=VALUE` a `rewind sim` printed before `ready`; `None` if it ended first.
fn read_env(child: &mut Child) -> Option<Vec<(String, String)>> {
    let out = child.stdout.take()?;
    let mut env = Vec::new();
    for line in BufReader::new(out).lines().map_while(Result::ok).take(40) {
        if line == "ready" {
            return Some(env);
        }
        if let Some((k, v)) = line.split_once('=') {
            env.push((k.to_owned(), v.to_owned()));
        }
    }
    None
}

/// Ctrl-C, as a terminal would send it, to our own child by its id.
fn sigint(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn stop(mut child: Child) {
    sigint(&child);
    let _ = child.wait();
}

#[test]
fn sim_f_builds_the_world_simulate_would_and_plan_passes_every_check_against_it() {
    let p = Place::example("ddm-pitr.yaml");
    let spec = repo_root()
        .join("examples/ddm-pitr.yaml")
        .display()
        .to_string();
    // Below Linux's ephemeral range (32768-60999), where the other tests' simulators bind
    // port 0; a few tries in case another program holds one of the eight.
    let mut started = None;
    for attempt in 0..5u32 {
        let base =
            20_000 + u16::try_from((std::process::id() * 7 + attempt * 977) % 9_000).unwrap_or(0);
        let base_arg = base.to_string();
        let mut sim = Command::new(rewind_bin())
            .args(["sim", "-f", &spec, "--port-base", &base_arg])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rewind sim starts");
        if let Some(env) = read_env(&mut sim) {
            started = Some((sim, env, base));
            break;
        }
        let _ = sim.wait();
    }
    let (sim, env, base) = started.expect("rewind sim --port-base started in 5 tries");
    let rds = env
        .iter()
        .find(|(k, _)| k == "REWIND_ENDPOINT_RDS")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert_eq!(
        rds,
        format!("http://127.0.0.1:{}", base + 1),
        "stable ports"
    );
    let plan: Run = Command::new(rewind_bin())
        .args(["plan", "-f", &spec])
        .current_dir(p.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", p.dir.path())
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .output()
        .expect("plan runs")
        .into();
    stop(sim);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout.matches("[ok  ]").count() >= 6,
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("FAIL"), "{}", plan.stdout);

    let file = p.path("world.yaml");
    let written = p.rewind(&[
        "sim",
        "-f",
        &spec,
        "--write-world",
        &file.display().to_string(),
    ]);
    assert!(written.ok(), "{}", written.transcript());
    let world = World::from_yaml(&std::fs::read_to_string(&file).expect("world file"))
        .expect("a world file rewind sim reads");
    assert!(
        world
            .ddm
            .instances
            .contains_key("1f5c9fd6cd984056ba89c8c87cc03278in09")
    );
    assert!(
        world
            .rds
            .instances
            .contains_key("7edae0250ebc464897bd92b8d3e8b769in01")
    );
}

const QUICK_DRILL: &str = "\
version: 1
restores:
  cache:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
drills:
  quick:
    scratch: [3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77]
    rto: 2h
";

#[test]
fn a_drill_rehearsal_at_time_scale_60_reports_its_rto_in_simulated_time() {
    let p = Place::new(QUICK_DRILL);
    let world_file = p.path("world.yaml").display().to_string();
    let wrote = p.rewind(&["sim", "--write-world", &world_file]);
    assert!(wrote.ok(), "{}", wrote.transcript());
    // 180 simulated seconds: 3 real seconds at 60x (10% of it is 300 ms of real slack).
    let text = std::fs::read_to_string(&world_file).expect("world");
    let mut world = World::from_yaml(&text).expect("world");
    world.durations.dcs_restore = 180.0;
    std::fs::write(&world_file, world.to_yaml().expect("yaml")).expect("write world");
    let reports = p.path("reports").display().to_string();
    let run = p.rewind(&[
        "drill",
        "quick",
        "--simulate",
        "--world",
        &world_file,
        "--time-scale",
        "60",
        "--report-dir",
        &reports,
    ]);
    assert!(run.ok(), "{}", run.transcript());
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&reports).join("report.json")).expect("report.json"),
    )
    .expect("report json");
    assert_eq!(report["simulated"], true);
    let rto_ms = report["rto"]["measured_ms"].as_f64().expect("measured RTO");
    assert!(
        (162_000.0..=198_000.0).contains(&rto_ms),
        "RTO {rto_ms} ms is not the simulated job's 180 s (±10%): {report:#}"
    );
    assert!(
        run.stderr.contains("of simulated time"),
        "{}",
        run.transcript()
    );
}

#[test]
fn a_plugin_under_simulate_sees_no_caller_credential_and_is_told_it_rehearses() {
    const VOL: &str = "5aa119a8-d25b-45a7-8d1b-88e127885635";
    const SNAP: &str = "b836dc3d-4e10-4ea4-a34c-8f6b0460a583";
    let p = Place::new(&format!(
        "version: 1\nrestores:\n  disk:\n    kind: evs.snapshot_rollback\n    snapshot_id: {SNAP}\n    volume_id: {VOL}\n"
    ));
    let dumps = p.path("dumps");
    std::fs::create_dir_all(&dumps).expect("dumps dir");
    let wrapper = p.path("envspy.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nenv > \"{}/env.$$\"\nexec python3 {:?}\n",
            dumps.display(),
            repo_root().join("tests/plugins/rewind-provider-evspy")
        ),
    )
    .expect("wrapper");
    let settings = format!(
        "{FAST_POLLING}\n[providers.evs]\ncommand = [\"sh\", {:?}]\n",
        wrapper.display().to_string()
    );
    std::fs::write(p.path("rewind.toml"), settings).expect("settings");
    let run = p.rewind(&["apply", "--auto-approve", "--simulate"]);
    assert!(run.ok(), "{}", run.transcript());
    let mut seen = 0;
    for entry in std::fs::read_dir(&dumps).expect("dumps") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("dump");
        seen += 1;
        assert!(text.lines().any(|l| l == "REWIND_SIMULATE=1"), "{text}");
        for (key, value) in CALLER_CLOUD {
            assert!(
                !text.lines().any(|l| l == format!("{key}={value}")),
                "{key} of the caller reached the plugin"
            );
        }
        for line in text.lines().filter(|l| l.starts_with("OS_AUTH_URL=")) {
            assert!(line.starts_with("OS_AUTH_URL=http://127.0.0.1:"), "{line}");
        }
    }
    assert!(seen > 0, "the plugin never started");
}
