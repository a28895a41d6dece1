//! One read per command: `rewind.toml`, the plugins and the spec are each read once, counted
//! from the session's debug log and from a plugin that logs every start.
#![allow(clippy::print_stderr, reason = "a skipped test says so in its output")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

/// Runs `rewind ARGS` in `dir` with the session's reads logged; returns (exit code, stderr).
fn run_logged(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        // python3 for the plugin; nothing named rewind-provider-* is on it.
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REWIND_LOG", "rewind::session=debug")
        .output()
        .expect("run rewind");
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn count(log: &str, event: &str) -> usize {
    log.lines().filter(|l| l.contains(event)).count()
}

/// A spec of a plugin kind, with the Python EVS plugin behind a shell wrapper that appends a
/// line to `starts.log` each time rewind starts it.
fn plugin_sandbox() -> Option<tempfile::TempDir> {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: python3 is not installed (the plugin is a Python script)");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let plugin = workspace().join("tests/plugins/rewind-provider-evspy");
    let log = dir.path().join("starts.log");
    let wrapper = format!(
        "echo start >> '{}'; exec python3 '{}'",
        log.display(),
        plugin.display()
    );
    let toml = format!(
        "parallelism = 4\n[limits]\nevs = 1\n[providers.evspy]\ncommand = [\"/bin/sh\", \"-c\", {}]\n",
        toml_string(&wrapper)
    );
    std::fs::write(dir.path().join("rewind.toml"), toml).expect("write rewind.toml");
    std::fs::write(
        dir.path().join("restore.yaml"),
        "version: 1\nrestores:\n  disk:\n    kind: evs.snapshot_rollback\n    snapshot_id: b836dc3d-4e10-4ea4-a34c-8f6b0460a583\n    volume_id: 5aa119a8-d25b-45a7-8d1b-88e127885635\n",
    )
    .expect("write spec");
    Some(dir)
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn starts(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("starts.log")).map_or(0, |t| t.lines().count())
}

#[test]
fn a_command_with_a_plugin_kind_reads_each_input_once() {
    let Some(sb) = plugin_sandbox() else { return };
    for (args, plugin_starts) in [
        // Described once, then asked once to `validate` the spec's operation.
        (&["validate"][..], 2),
        // The same, and the (absent) state looked at without creating it.
        (&["plan", "--offline"][..], 2),
    ] {
        let _ = std::fs::remove_file(sb.path().join("starts.log"));
        let (code, log) = run_logged(sb.path(), args);
        assert_eq!(code, 0, "rewind {args:?}:\n{log}");
        assert_eq!(
            count(&log, "read rewind.toml"),
            1,
            "rewind {args:?}:\n{log}"
        );
        assert_eq!(
            count(&log, "compile the spec"),
            1,
            "rewind {args:?}:\n{log}"
        );
        assert_eq!(
            count(&log, "described plugins"),
            1,
            "rewind {args:?}:\n{log}"
        );
        assert_eq!(starts(sb.path()), plugin_starts, "rewind {args:?}:\n{log}");
    }
}

#[test]
fn a_spec_of_built_in_kinds_starts_no_plugin() {
    let Some(sb) = plugin_sandbox() else { return };
    std::fs::copy(
        workspace().join("examples/rds-restore.yaml"),
        sb.path().join("rds.yaml"),
    )
    .expect("copy example");
    // `[limits] evs` names a plugin service, so the plugins are described once to check it,
    // but nothing else starts them.
    let (code, log) = run_logged(sb.path(), &["validate", "-f", "rds.yaml"]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(count(&log, "read rewind.toml"), 1, "{log}");
    assert_eq!(count(&log, "compile the spec"), 1, "{log}");
    assert_eq!(count(&log, "described plugins"), 1, "{log}");
    assert_eq!(starts(sb.path()), 1, "{log}");
    // Without plugin limits, a built-in spec never starts a plugin.
    std::fs::write(
        sb.path().join("rewind.toml"),
        "parallelism = 4\n[providers.evspy]\ncommand = [\"/bin/false\"]\n",
    )
    .expect("rewrite rewind.toml");
    let (code, log) = run_logged(sb.path(), &["validate", "-f", "rds.yaml"]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(count(&log, "read rewind.toml"), 1, "{log}");
    assert_eq!(count(&log, "described plugins"), 0, "{log}");
}

#[test]
fn a_read_command_never_prints_the_state_url_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        workspace().join("examples/rds-restore.yaml"),
        dir.path().join("restore.yaml"),
    )
    .expect("copy example");
    // Port 1 on loopback: nothing answers, so the read fails and says where it looked.
    let url = "postgres://rewind:hunter2secret@127.0.0.1:1/rewind?connect_timeout=2";
    let (code, log) = run_logged(dir.path(), &["history", "--state", url]);
    assert_ne!(code, 0, "{log}");
    assert!(!log.contains("hunter2secret"), "{log}");
}
