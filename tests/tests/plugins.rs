//! External providers end to end: the EVS plugin (Rust and Python) against the simulator.
#![allow(
    clippy::print_stderr,
    reason = "a measured gap is reported in the test output"
)]

use rewind_engine::compile::compile;
use rewind_engine::kinds::{KindDecl, Service};
use rewind_engine::provider::{Handle, Operation, PollOutcome, Provider, SubmitError};
use rewind_engine::spec::LoadOptions;
use rewind_providers::external::{self, ExternalProvider, PluginCommand, Timeouts};
use rewind_sim::{FaultRule, Faults};
use rewind_tests::{Harness, Options, Run, repo_root};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const VOL: &str = "5aa119a8-d25b-45a7-8d1b-88e127885635";
const SNAP: &str = "b836dc3d-4e10-4ea4-a34c-8f6b0460a583";
const OTHER_SNAP: &str = "83be494d-329e-4a78-8ac5-9af900f48b95";
const SERVER: &str = "a1b2c3d4-0000-4000-8000-00000000c0de";
const CBR_BACKUP: &str = "6df2b54c-dd62-4059-a07c-1b8f24f2725d";
const CBR_CHILD: &str = "5d822633-2bbf-4af8-a16e-5ab1c7705235";
const BOOT_VOL: &str = "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376";

fn rust_plugin() -> Vec<String> {
    let exe = std::env::current_exe().expect("test executable path");
    let name = format!("rewind-provider-evs-e2e{}", std::env::consts::EXE_SUFFIX);
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target dir");
    vec![dir.join(name).display().to_string()]
}

fn python_plugin() -> Vec<String> {
    vec![
        "python3".to_owned(),
        repo_root()
            .join("tests/plugins/rewind-provider-evspy")
            .display()
            .to_string(),
    ]
}

fn cmd(name: &str, argv: Vec<String>, env: &[(String, String)]) -> PluginCommand {
    PluginCommand {
        name: name.to_owned(),
        argv,
        env: env.to_vec(),
    }
}

fn kinds_of(argv: &[String]) -> Vec<KindDecl> {
    external::describe(&cmd("evs", argv.to_vec(), &[]), Duration::from_secs(20))
        .expect("the plugin describes itself")
        .kinds
}

fn rollback_spec(volume: &str, snapshot: &str) -> String {
    format!(
        "version: 1\nrestores:\n  disk:\n    kind: evs.snapshot_rollback\n    snapshot_id: {snapshot}\n    volume_id: {volume}\n"
    )
}

fn operation(spec: &str, kinds: &[KindDecl], name: &str) -> Operation {
    let load = LoadOptions {
        kinds: kinds.to_vec(),
        ..LoadOptions::default()
    };
    let compiled = compile("restore.yaml", spec, &load).unwrap_or_else(|r| panic!("{}", r.plain()));
    let op = &compiled.spec.ops[name];
    Operation::new(name.to_owned(), op.spec.clone(), op.spec.request())
}

fn provider(argv: &[String], kinds: &[KindDecl], env: &[(String, String)]) -> ExternalProvider {
    ExternalProvider::new(
        Service::External("evs"),
        cmd("evs", argv.to_vec(), env),
        kinds.to_vec(),
        Timeouts {
            start: Duration::from_secs(20),
            call: Duration::from_secs(20),
            submit: Duration::from_secs(20),
        },
    )
}

async fn poll_until_done(p: &ExternalProvider, op: &Operation, handle: &Handle) -> PollOutcome {
    for _ in 0..500 {
        let out = p.poll(op, handle).await.expect("poll answers");
        if !matches!(out, PollOutcome::Running { .. }) {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the rollback never finished");
}

/// One protocol conversation, the same for every implementation of the plugin.
fn conformance(argv: &[String]) {
    let kinds = kinds_of(argv);
    assert_eq!(kinds.len(), 1, "{kinds:?}");
    let decl = &kinds[0];
    assert_eq!(decl.name, "evs.snapshot_rollback");
    assert_eq!(decl.problem(), None);
    assert!(
        decl.footprint
            .iter()
            .any(|r| r.pointer == "/volume_id" && r.resource == "volume")
    );
    let spec = format!(
        "{}  other:\n    kind: evs.snapshot_rollback\n    depends_on: [disk]\n    snapshot_id: {OTHER_SNAP}\n    volume_id: {VOL}\n",
        rollback_spec(VOL, SNAP)
    );
    let options = Options {
        kinds: kinds.clone(),
        ..Options::default()
    };
    let h = Harness::new(&rollback_spec(VOL, SNAP), &options);
    let p = provider(argv, &kinds, h.env());
    let op = operation(&spec, &kinds, "disk");
    h.runtime.block_on(async {
        let checks = p.preflight(&op).await.expect("preflight answers");
        assert_eq!(checks.len(), 3, "{checks:?}");
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");

        // A snapshot of another disk: EVS refuses, and the plugin says it provably did not run.
        let wrong = operation(&spec, &kinds, "other");
        let refused = p.submit(&wrong).await;
        assert!(
            matches!(refused, Err(SubmitError::Rejected { .. })),
            "{refused:?}"
        );

        let before = jiff::Timestamp::now().as_millisecond() - 1000;
        let handle = p.submit(&op).await.expect("submit gives a handle");
        assert!(matches!(handle, Handle::External { .. }), "{handle:?}");
        assert_eq!(h.submissions().get(VOL).copied(), Some(1));
        let found = p.reconcile(&op, before).await.expect("reconcile answers");
        assert!(found.is_some(), "reconcile finds the rollback it made");

        // A fresh process re-attaches through the stored handle alone.
        let fresh = provider(argv, &kinds, h.env());
        match poll_until_done(&fresh, &op, &handle).await {
            PollOutcome::Succeeded { outputs } => {
                assert_eq!(outputs.get("volume_id").map(String::as_str), Some(VOL));
                assert_eq!(outputs.get("status").map(String::as_str), Some("available"));
            }
            other => panic!("expected success, got {other:?}"),
        }
    });
    assert_eq!(
        h.submissions().get(VOL).copied(),
        Some(1),
        "one POST in all"
    );
}

#[test]
fn rust_plugin_passes_conformance() {
    conformance(&rust_plugin());
}

#[test]
fn python_plugin_passes_conformance() {
    conformance(&python_plugin());
}

// ------------------------------------------------------------------ the CLI with a plugin

fn mixed_spec() -> String {
    format!(
        "version: 1
restores:
  server:
    kind: cbr.restore
    backup_id: {CBR_BACKUP}
    server_id: {SERVER}
    mappings:
      - backup_id: {CBR_CHILD}
        volume_id: {BOOT_VOL}
  data-disk:
    kind: evs.snapshot_rollback
    snapshot_id: {SNAP}
    volume_id: {VOL}
    server_id: {SERVER}
"
    )
}

fn plugin_settings(argv: &[String]) -> String {
    let quoted: Vec<String> = argv.iter().map(|a| format!("{a:?}")).collect();
    format!("[providers.evs]\ncommand = [{}]\n", quoted.join(", "))
}

fn mixed_harness(faults: Faults) -> Harness {
    let argv = rust_plugin();
    let options = Options {
        kinds: kinds_of(&argv),
        settings: plugin_settings(&argv),
        faults,
        ..Options::default()
    };
    Harness::new(&mixed_spec(), &options)
}

/// Waits for a child with a deadline, so that a hang fails the test instead of stalling it.
fn wait_bounded(mut child: Child, limit: Duration) -> Run {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("output").into();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("rewind hung: {}", Run::from(out).transcript());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn mixed_spec_validates_graphs_plans_and_applies_once() {
    let h = mixed_harness(Faults::default());
    let v = h.rewind(&["validate"]);
    assert!(v.ok(), "{}", v.transcript());

    let g = h.rewind(&["graph"]);
    assert!(g.ok(), "{}", g.transcript());
    let edge = g
        .stdout
        .lines()
        .find(|l| l.contains("\"server\" -> \"data-disk\""))
        .unwrap_or_else(|| panic!("an inferred edge server -> data-disk: {}", g.transcript()));
    assert!(
        edge.contains(SERVER),
        "the edge names the server it orders on: {edge}"
    );

    let plan = h.rewind(&["plan"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout.contains("disk status"),
        "preflight of the plugin kind: {}",
        plan.transcript()
    );

    let first = h.apply(&[]);
    assert!(first.ok(), "{}", first.transcript());
    let subs = h.submissions();
    assert_eq!(subs.get(VOL).copied(), Some(1), "{subs:?}");
    assert_eq!(subs.get(SERVER).copied(), Some(1), "{subs:?}");
    let second = h.apply(&[]);
    assert!(second.ok(), "{}", second.transcript());
    assert_eq!(h.submissions(), subs, "a second apply changes nothing");
}

#[test]
fn a_bad_plugin_body_is_a_located_error() {
    let h = mixed_harness(Faults::default());
    let bad = mixed_spec().replace(
        &format!("    volume_id: {VOL}\n"),
        "    volume_id: 12\n    snapshot: x\n",
    );
    std::fs::write(&h.spec, bad).expect("write spec");
    let v = h.rewind(&["validate"]);
    assert_eq!(v.status, Some(1), "{}", v.transcript());
    assert!(
        v.stderr.contains("restore.yaml:13:16"),
        "volume_id located: {}",
        v.transcript()
    );
    assert!(
        v.stderr.contains("restore.yaml:14:5"),
        "unknown key located: {}",
        v.transcript()
    );
    assert!(!v.stderr.contains("panicked"), "{}", v.transcript());
}

#[test]
fn two_writers_of_one_disk_across_kinds_conflict() {
    let h = mixed_harness(Faults::default());
    let spec = format!(
        "version: 1\nrestores:\n  disk-backup:\n    kind: cbr.restore\n    backup_id: {CBR_CHILD}\n    volume_id: {VOL}\n{}",
        rollback_spec(VOL, SNAP).trim_start_matches("version: 1\nrestores:\n")
    );
    std::fs::write(&h.spec, spec).expect("write spec");
    let v = h.rewind(&["validate"]);
    assert_eq!(v.status, Some(1), "{}", v.transcript());
    assert!(
        v.stderr.contains("conflicting_writers")
            && v.stderr.contains("`disk-backup`")
            && v.stderr.contains(VOL),
        "{}",
        v.transcript()
    );
}

// ------------------------------------------------------------------ crashes

fn pids_of_children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Field 4 (after the parenthesised name) is the parent pid.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
            == Some(parent)
        {
            out.push(pid);
        }
    }
    out
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill9(pid: u32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn sigkill_of_rewind_during_a_plugin_submit_then_apply_converges_once() {
    let slow_post = FaultRule {
        method: Some("POST".to_owned()),
        path: Some("/v3/*/os-vendor-snapshots/*/rollback".to_owned()),
        latency_ms: 1500,
        ..FaultRule::default()
    };
    let h = mixed_harness(Faults {
        rules: vec![slow_post],
        ..Faults::default()
    });
    let child = h.spawn(&["apply", "--auto-approve"]);
    let pid = child.id();
    wait_for("the rollback POST", || h.submissions().contains_key(VOL));
    kill9(pid);
    let killed = wait_bounded(child, Duration::from_secs(30));
    assert_ne!(killed.status, Some(0));
    let again = h.apply(&[]);
    assert!(again.ok(), "{}", again.transcript());
    assert_eq!(
        h.submissions().get(VOL).copied(),
        Some(1),
        "no duplicate POST: {:?}",
        h.submissions()
    );
    let third = h.apply(&[]);
    assert!(third.ok(), "{}", third.transcript());
    assert_eq!(h.submissions().get(VOL).copied(), Some(1));
}

#[test]
fn sigkill_of_the_plugin_during_a_poll_then_apply_converges_once() {
    let argv = rust_plugin();
    // Slow simulated time keeps the rollback running (120 simulated s = 3 real s) while the
    // plugin is killed.
    let options = Options {
        kinds: kinds_of(&argv),
        settings: plugin_settings(&argv),
        time_scale: 40.0,
        ..Options::default()
    };
    let h = Harness::new(&rollback_spec(VOL, SNAP), &options);
    let child = h.spawn(&["apply", "--auto-approve"]);
    let rewind_pid = child.id();
    wait_for("the rollback POST", || h.submissions().contains_key(VOL));
    let mut plugin = Vec::new();
    wait_for("the plugin process", || {
        plugin = pids_of_children(rewind_pid);
        !plugin.is_empty()
    });
    for pid in plugin {
        kill9(pid);
    }
    let run = wait_bounded(child, Duration::from_secs(60));
    assert!(
        run.ok(),
        "the run re-attaches through a fresh plugin: {}",
        run.transcript()
    );
    let again = h.apply(&[]);
    assert!(again.ok(), "{}", again.transcript());
    assert_eq!(
        h.submissions().get(VOL).copied(),
        Some(1),
        "no duplicate POST: {:?}",
        h.submissions()
    );
}

// ------------------------------------------------------------------ misbehaving plugins

fn misbehaving(name: &str, body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("plugin.py");
    std::fs::write(&script, format!("import sys, time\n{body}\n")).expect("write plugin");
    let spec = dir.path().join("restore.yaml");
    std::fs::write(
        &spec,
        "version: 1\nrestores:\n  x:\n    kind: broken.thing\n    id: abc\n",
    )
    .expect("write spec");
    std::fs::write(
        dir.path().join("rewind.toml"),
        format!(
            "[providers.{name}]\ncommand = [\"python3\", {:?}]\n",
            script.display().to_string()
        ),
    )
    .expect("write settings");
    (dir, spec)
}

/// How long a plugin may take to answer where the test expects an answer (or an exit): a
/// loaded machine can take seconds to start `python3`.
const ANSWERS_WITHIN: &str = "20";
/// Where the test expects no answer at all: short, so that the test is.
const HANGS_FOR: &str = "2";

fn run_validate(dir: &std::path::Path, plugin_timeout: &str) -> Run {
    let child = Command::new(rewind_tests::rewind_bin())
        .args(["validate"])
        .current_dir(dir)
        .env("REWIND_PLUGIN_TIMEOUT", plugin_timeout)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind starts");
    wait_bounded(child, Duration::from_secs(60))
}

fn assert_clear_failure(name: &str, body: &str, expect: &str, plugin_timeout: &str) {
    let (dir, _) = misbehaving(name, body);
    let run = run_validate(dir.path(), plugin_timeout);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(
        run.stderr.contains(&format!("plugin `{name}`")),
        "names the plugin: {}",
        run.transcript()
    );
    assert!(
        run.stderr.contains(expect),
        "says what went wrong ({expect}): {}",
        run.transcript()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
}

#[test]
fn a_plugin_writing_garbage_is_a_clear_error() {
    assert_clear_failure(
        "noisy",
        "sys.stdin.readline()\nprint('Hello! I am not JSON', flush=True)\ntime.sleep(30)",
        "not JSON",
        ANSWERS_WITHIN,
    );
}

#[test]
fn a_plugin_that_hangs_is_a_clear_error() {
    assert_clear_failure(
        "sleepy",
        "time.sleep(60)",
        "did not answer `hello`",
        HANGS_FOR,
    );
}

#[test]
fn a_plugin_exiting_during_hello_is_a_clear_error() {
    assert_clear_failure(
        "quitter",
        "sys.stdin.readline()\nsys.exit(3)",
        "exited during `hello`",
        ANSWERS_WITHIN,
    );
}

// ------------------------------------------------------------------ discovery

#[test]
fn rewind_providers_lists_configured_and_path_plugins() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("rewind.toml"),
        plugin_settings(&rust_plugin()),
    )
    .expect("settings");
    let path = format!(
        "{}:{}",
        repo_root().join("tests/plugins").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let child = Command::new(rewind_tests::rewind_bin())
        .args(["providers", "--json"])
        .current_dir(dir.path())
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind starts");
    let run = wait_bounded(child, Duration::from_secs(60));
    // Both declare evs.snapshot_rollback: listed, and flagged (exit 1).
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("providers --json");
    assert_eq!(
        doc["clashes"],
        serde_json::json!(["kind `evs.snapshot_rollback` is declared by plugins `evs`, `evspy`"]),
        "{}",
        run.transcript()
    );
    let found: Vec<(&str, u64, &str)> = doc["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default(),
                p["protocol_version"].as_u64().unwrap_or_default(),
                p["kinds"][0]["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("evs", 1, "evs.snapshot_rollback"),
            ("evspy", 1, "evs.snapshot_rollback"),
        ],
        "the configured plugin and the one on PATH: {}",
        run.transcript()
    );
}

#[test]
fn rewind_schema_includes_plugin_kinds() {
    let h = mixed_harness(Faults::default());
    let run = h.rewind(&["schema"]);
    assert!(run.ok(), "{}", run.transcript());
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("schema is JSON");
    let variants = schema
        .pointer("/$defs/Operation/oneOf")
        .and_then(serde_json::Value::as_array)
        .expect("operation variants");
    let evs = variants
        .iter()
        .find(|v| {
            v.pointer("/properties/kind/const") == Some(&serde_json::json!("evs.snapshot_rollback"))
        })
        .expect("the plugin kind is a variant");
    assert!(evs.pointer("/properties/volume_id").is_some(), "{evs}");
    assert!(variants.iter().any(|v| v.pointer("/properties/kind/const") == Some(&serde_json::json!("rds.restore"))));
}

// ------------------------------------------------------------------ submit outcomes

/// A plugin that answers `hello` properly, then does `on_submit` when asked to submit.
fn scripted_plugin(dir: &std::path::Path, on_submit: &str) -> Vec<String> {
    let script = dir.join("plugin.py");
    std::fs::write(
        &script,
        format!(
            "import json, sys\nfor line in sys.stdin:\n    m = json.loads(line)\n    if m['method'] == 'submit':\n        {on_submit}\n    print(json.dumps({{'jsonrpc': '2.0', 'id': m['id'], 'result': {{'protocol_version': 1}}}}), flush=True)\n"
        ),
    )
    .expect("write plugin");
    vec!["python3".to_owned(), script.display().to_string()]
}

fn submit_with(on_submit: &str) -> Result<Handle, SubmitError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let argv = scripted_plugin(dir.path(), on_submit);
    let kinds = kinds_of(&rust_plugin());
    let op = operation(&rollback_spec(VOL, SNAP), &kinds, "disk");
    let p = ExternalProvider::new(
        Service::External("evs"),
        cmd("scripted", argv, &[]),
        kinds,
        Timeouts {
            start: Duration::from_secs(10),
            call: Duration::from_secs(2),
            submit: Duration::from_secs(2),
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        p.prepare().await.expect("hello works");
        p.submit(&op).await
    })
}

#[test]
fn a_plugin_dying_or_babbling_mid_submit_makes_the_outcome_ambiguous() {
    for (case, on_submit) in [
        ("exits", "sys.exit(9)"),
        ("garbage", "print('{not json', flush=True); continue"),
        ("hangs", "import time; time.sleep(30)"),
    ] {
        match submit_with(on_submit) {
            Err(SubmitError::Ambiguous { message }) => {
                assert!(message.contains("plugin `scripted`"), "{case}: {message}");
            }
            other => panic!("{case}: a submit that may have run is ambiguous, got {other:?}"),
        }
    }
}

#[test]
fn a_plugin_that_cannot_start_has_provably_not_submitted() {
    let kinds = kinds_of(&rust_plugin());
    let op = operation(&rollback_spec(VOL, SNAP), &kinds, "disk");
    let p = provider(&["/nonexistent/rewind-provider-x".to_owned()], &kinds, &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let out = rt.block_on(p.submit(&op));
    assert!(matches!(out, Err(SubmitError::NotSent { .. })), "{out:?}");
}

#[test]
fn a_limit_may_name_a_plugin_service_and_an_unknown_one_is_located() {
    let h = mixed_harness(Faults::default());
    let toml = h.dir.path().join("rewind.toml");
    let base = std::fs::read_to_string(&toml).expect("read rewind.toml");
    std::fs::write(&toml, format!("{base}\n[limits]\nevs = 1\n")).expect("write rewind.toml");
    let v = h.rewind(&["validate"]);
    assert!(
        v.ok(),
        "a plugin service is a valid limit: {}",
        v.transcript()
    );
    let first = h.apply(&[]);
    assert!(first.ok(), "{}", first.transcript());
    assert_eq!(h.submissions().get(VOL).copied(), Some(1));

    let with_bad = format!("{base}\n[limits]\nevz = 1\n");
    let line = with_bad.lines().count();
    std::fs::write(&toml, &with_bad).expect("write rewind.toml");
    for command in ["validate", "plan"] {
        let run = h.rewind(&[command]);
        assert_eq!(run.status, Some(1), "{command}: {}", run.transcript());
        assert!(
            run.stderr.contains(&format!("rewind.toml:{line}:1"))
                && run.stderr.contains("unknown service `evz`")
                && run.stderr.contains("evs"),
            "{command}: located, with the known plugin service as a hint: {}",
            run.transcript()
        );
    }
}

// ------------------------------------------------------------------ validate

fn harness_with(argv: &[String]) -> Harness {
    let options = Options {
        kinds: kinds_of(argv),
        settings: plugin_settings(argv),
        ..Options::default()
    };
    Harness::new(&mixed_spec(), &options)
}

/// `rewind validate` and `plan` ask the plugin's `validate`: an error at the body field it
/// names (exit 1), a warning with its place (exit 0).
fn plugin_validate_is_called_and_located(argv: &[String]) {
    let h = harness_with(argv);
    let same = mixed_spec().replace(
        &format!("snapshot_id: {SNAP}"),
        &format!("snapshot_id: {VOL}"),
    );
    std::fs::write(&h.spec, same).expect("write spec");
    for command in ["validate", "plan"] {
        let run = h.rewind(&[command]);
        assert_eq!(run.status, Some(1), "{command}: {}", run.transcript());
        assert!(
            run.stderr.contains("restore.yaml:12:18")
                && run
                    .stderr
                    .contains("snapshot_id names a snapshot, not the disk itself"),
            "{command}: the plugin's finding, at snapshot_id: {}",
            run.transcript()
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    }
    // The plugin op's server_id is the spec's last line (the CBR op names the server too).
    let spec = mixed_spec();
    let last = spec
        .rfind("server_id:")
        .expect("the plugin op names its server");
    let odd = format!("{}server_id: web-1\n", &spec[..last]);
    std::fs::write(&h.spec, odd).expect("write spec");
    let run = h.rewind(&["validate"]);
    assert!(run.ok(), "a warning does not fail: {}", run.transcript());
    assert!(
        run.stderr.contains("warning:")
            && run.stderr.contains("restore.yaml:14:16")
            && run.stderr.contains("server_id is a UUID"),
        "the warning, located: {}",
        run.transcript()
    );
}

#[test]
fn rust_plugin_validate_findings_are_located() {
    plugin_validate_is_called_and_located(&rust_plugin());
}

#[test]
fn python_plugin_validate_findings_are_located() {
    plugin_validate_is_called_and_located(&python_plugin());
}

#[test]
fn a_plugin_without_the_validate_capability_is_not_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("plugin.py");
    std::fs::write(
        &script,
        r#"import json, sys
KIND = {"name": "quiet.thing", "description": "x", "schema": {"type": "object", "properties": {"id": {"type": "string"}}},
        "footprint": [], "outputs": []}
for line in sys.stdin:
    m = json.loads(line)
    if m["method"] == "validate":
        sys.exit(3)
    result = {"protocol_version": 1, "name": "quiet", "capabilities": ["preflight"]}
    if m["method"] == "describe":
        result = {"kinds": [KIND]}
    print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}), flush=True)
"#,
    )
    .expect("write plugin");
    std::fs::write(
        dir.path().join("restore.yaml"),
        "version: 1\nrestores:\n  x:\n    kind: quiet.thing\n    id: abc\n",
    )
    .expect("write spec");
    std::fs::write(
        dir.path().join("rewind.toml"),
        format!(
            "[providers.quiet]\ncommand = [\"python3\", {:?}]\n",
            script.display().to_string()
        ),
    )
    .expect("write settings");
    let run = run_validate(dir.path(), ANSWERS_WITHIN);
    assert!(run.ok(), "validate is not called: {}", run.transcript());
}

#[test]
fn apply_runs_the_plugins_validate_before_any_submit() {
    let h = harness_with(&rust_plugin());
    let same = mixed_spec().replace(
        &format!("snapshot_id: {SNAP}"),
        &format!("snapshot_id: {VOL}"),
    );
    std::fs::write(&h.spec, same).expect("write spec");
    let run = h.apply(&[]);
    assert_eq!(run.status, Some(1), "{}", run.transcript());
    assert!(
        run.stderr.contains("restore.yaml:12:18")
            && run
                .stderr
                .contains("snapshot_id names a snapshot, not the disk itself"),
        "the plugin's finding, located: {}",
        run.transcript()
    );
    assert!(
        h.submissions().is_empty(),
        "nothing was submitted: {:?}",
        h.submissions()
    );
}

// ------------------------------------------------------------------ many calls in flight

/// A plugin that answers each request on a thread of its own: `poll` only once a `submit`
/// has arrived (at most 5 s), `submit` at once with the time it arrived and a
/// `poll_after_ms`. With requests queued one at a time, the submit would wait behind the
/// poll and the poll would give up.
fn concurrent_plugin(dir: &std::path::Path) -> Vec<String> {
    let script = dir.join("plugin.py");
    std::fs::write(
        &script,
        r#"import json, sys, threading, time
lock = threading.Lock()
submitted = threading.Event()
def answer(m, result):
    with lock:
        print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}), flush=True)
def handle(m):
    if m["method"] == "submit":
        submitted.set()
        answer(m, {"handle": {"received_ns": time.time_ns()}, "poll_after_ms": 60000})
    elif m["method"] == "poll":
        ok = submitted.wait(5)
        answer(m, {"state": "running", "percent": 1} if ok else {"state": "failed", "reason": "no submit arrived"})
    else:
        answer(m, {"protocol_version": 1, "name": "scripted", "capabilities": []})
for line in sys.stdin:
    threading.Thread(target=handle, args=(json.loads(line),), daemon=True).start()
"#,
    )
    .expect("write plugin");
    vec!["python3".to_owned(), script.display().to_string()]
}

#[test]
fn a_submit_is_written_while_earlier_calls_still_wait_and_poll_after_is_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kinds = kinds_of(&rust_plugin());
    let op = operation(&rollback_spec(VOL, SNAP), &kinds, "disk");
    let p = std::sync::Arc::new(ExternalProvider::new(
        Service::External("evs"),
        cmd("scripted", concurrent_plugin(dir.path()), &[]),
        kinds,
        Timeouts {
            start: Duration::from_secs(10),
            call: Duration::from_secs(10),
            submit: Duration::from_secs(10),
        },
    ));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        p.prepare().await.expect("hello works");
        let old = Handle::External {
            handle: "{}".to_owned(),
        };
        // Eight polls wait inside the plugin for a submit.
        let polls: Vec<_> = (0..8)
            .map(|_| {
                let (p, op, old) = (p.clone(), op.clone(), old.clone());
                tokio::spawn(async move { p.poll(&op, &old).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Where apply journals `submitting`.
        let journaled = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos();
        let handle = p.submit(&op).await.expect("the submit is answered");
        let Handle::External { handle: text } = &handle else {
            panic!("{handle:?}");
        };
        let received: serde_json::Value = serde_json::from_str(text).expect("handle JSON");
        let received = u128::from(received["received_ns"].as_u64().expect("received_ns"));
        let gap = Duration::from_nanos(
            u64::try_from(received.saturating_sub(journaled)).unwrap_or(u64::MAX),
        );
        eprintln!("journal-to-plugin gap with 8 calls in flight: {gap:?}");
        // Queued behind the polls, it would arrive only when they give up waiting (5 s); a
        // loaded machine can take a second or two to hand a line to a Python thread.
        assert!(
            gap < Duration::from_secs(4),
            "the submit reached the plugin without waiting for the polls: {gap:?}"
        );
        for poll in polls {
            let out = poll.await.expect("joins").expect("poll answers");
            assert!(
                matches!(out, PollOutcome::Running { .. }),
                "every poll saw the submit arrive: {out:?}"
            );
        }
        assert_eq!(
            p.first_poll_after(&handle),
            Some(Duration::from_secs(60)),
            "the plugin's poll_after_ms is handed to apply"
        );
        assert_eq!(p.first_poll_after(&handle), None, "once");
    });
}

#[test]
fn a_plugin_rejection_reads_as_a_refusal_not_as_http() {
    let refused = submit_with(
        "print(json.dumps({'jsonrpc': '2.0', 'id': m['id'], 'error': {'code': -32001, 'message': 'the snapshot is still being created'}}), flush=True); continue",
    );
    let Err(err) = refused else {
        panic!("a -32001 answer is a rejection, got {refused:?}");
    };
    assert!(matches!(err, SubmitError::Rejected { .. }), "{err:?}");
    let text = err.to_string();
    assert_eq!(
        text,
        "rejected: plugin `scripted` refused it, nothing ran: the snapshot is still being created"
    );
    assert!(!text.contains("HTTP") && !text.contains("-32001"), "{text}");
}
