//! The shell-facing surface of the binary: completion scripts and their dynamic answers, the man page, the version.
#![allow(
    clippy::print_stderr,
    reason = "a skipped check says so in the test output"
)]

use rewind_engine::kinds::{ApiRequest, Kind};
use rewind_engine::state::{OpRecord, RECORD_VERSION, StateStore, Status};
use rewind_state::{LockHolder, SledState};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHELLS: [&str; 4] = ["bash", "zsh", "fish", "powershell"];
const DDM_PITR_OPS: [&str; 3] = ["orders-dn-1", "orders-dn-2", "orders-metadata"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `rewind ARGS` in `dir` with a clean environment plus `env`.
fn rewind(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .envs(env.iter().copied())
        .output()
        .expect("run rewind");
    Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A scratch directory holding a copy of examples/ddm-pitr.yaml as restore.yaml.
fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("rewind-shell-test-")
        .tempdir()
        .expect("temp dir");
    std::fs::copy(
        workspace().join("examples/ddm-pitr.yaml"),
        dir.path().join("restore.yaml"),
    )
    .expect("copy example");
    dir
}

/// What the fish protocol answers for the command line `words` (the last one being
/// completed): one `value<TAB>help` per line, as fish reads it.
fn fish_candidates(dir: &Path, words: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["--"];
    args.extend_from_slice(words);
    let out = rewind(dir, &args, &[("REWIND_COMPLETE", "fish")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .map(|l| {
            let (value, help) = l.split_once('\t').unwrap_or((l, ""));
            (value.to_owned(), help.to_owned())
        })
        .collect()
}

fn values(candidates: &[(String, String)]) -> Vec<&str> {
    candidates.iter().map(|(v, _)| v.as_str()).collect()
}

#[test]
fn a_completion_script_is_generated_for_each_shell() {
    let dir = sandbox();
    // A marker of each shell's own completion API, so a script for the wrong shell fails.
    let markers = [
        ("bash", "complete -o nospace"),
        ("zsh", "#compdef rewind"),
        ("fish", "complete --keep-order --exclusive --command rewind"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName rewind",
        ),
    ];
    for (shell, marker) in markers {
        let out = rewind(dir.path(), &["completions", shell], &[]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(out.stdout.contains(marker), "{shell}:\n{}", out.stdout);
        // The script calls this binary back through REWIND_COMPLETE.
        assert!(
            out.stdout.contains(&format!("REWIND_COMPLETE=\"{shell}\""))
                || out.stdout.contains(&format!("REWIND_COMPLETE={shell}"))
                || out
                    .stdout
                    .contains(&format!("$env:REWIND_COMPLETE = \"{shell}\"")),
            "{shell}:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.contains(env!("CARGO_BIN_EXE_rewind")),
            "{shell}:\n{}",
            out.stdout
        );
    }
    let out = rewind(dir.path(), &["completions", "tcsh"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("bash"), "{}", out.stderr);
    assert_eq!(SHELLS.len(), markers.len());
}

#[test]
fn restore_names_after_resubmit_and_state_show_rm_come_from_the_spec() {
    let dir = sandbox();
    for words in [
        &["rewind", "apply", "--resubmit", ""][..],
        &["rewind", "plan", "--resubmit", ""],
        &["rewind", "state", "show", ""],
        &["rewind", "state", "rm", ""],
    ] {
        let got = fish_candidates(dir.path(), words);
        let names: Vec<&str> = values(&got)
            .into_iter()
            .filter(|v| !v.starts_with('-'))
            .collect();
        assert_eq!(names, DDM_PITR_OPS, "{words:?}: {got:?}");
        assert!(
            got.iter()
                .any(|(v, h)| v == "orders-metadata" && h.contains("ddm.metadata_restore")),
            "{got:?}"
        );
    }
    // The typed prefix filters.
    let got = fish_candidates(dir.path(), &["rewind", "apply", "--resubmit", "orders-dn"]);
    assert_eq!(values(&got), ["orders-dn-1", "orders-dn-2"]);
    // Pressing TAB never creates a state directory.
    assert!(!dir.path().join(".rewind").exists());
}

#[test]
fn names_follow_the_spec_given_with_f_in_another_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = workspace().join("examples/ddm-pitr.yaml");
    let spec = spec.to_str().expect("UTF-8 path");
    let got = fish_candidates(
        dir.path(),
        &["rewind", "-f", spec, "state", "show", "orders-"],
    );
    assert_eq!(values(&got), DDM_PITR_OPS);
    // -f after the subcommand counts too (it is a global flag).
    let got = fish_candidates(
        dir.path(),
        &["rewind", "apply", "-f", spec, "--resubmit", ""],
    );
    assert!(values(&got).starts_with(&DDM_PITR_OPS), "{got:?}");
    // No spec, no state: nothing to offer, and no error.
    let got = fish_candidates(dir.path(), &["rewind", "state", "show", "o"]);
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn drill_names_and_targeting_flags_complete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let drill = workspace().join("examples/drill.yaml");
    let drill = drill.to_str().expect("UTF-8 path");
    let got = fish_candidates(dir.path(), &["rewind", "-f", drill, "drill", "n"]);
    assert_eq!(values(&got), ["nightly"], "{got:?}");
    let got = fish_candidates(dir.path(), &["rewind", "-f", drill, "drill", "history", ""]);
    let names: Vec<&str> = values(&got)
        .into_iter()
        .filter(|v| !v.starts_with('-'))
        .collect();
    assert_eq!(names, ["nightly"], "{got:?}");
    let spec = workspace().join("examples/ddm-pitr.yaml");
    let spec = spec.to_str().expect("UTF-8 path");
    for flag in ["--target", "--exclude", "--replace"] {
        let got = fish_candidates(dir.path(), &["rewind", "-f", spec, "plan", flag, "orders-"]);
        assert_eq!(values(&got), DDM_PITR_OPS, "{flag}: {got:?}");
    }
    let got = fish_candidates(dir.path(), &["rewind", "-f", spec, "output", "orders-"]);
    assert_eq!(values(&got), DDM_PITR_OPS, "{got:?}");

    // A fleet's own name is offered to targeting, beside its instances.
    std::fs::write(
        dir.path().join("fleet.yaml"),
        "version: 1
restores:
  dn:
    kind: rds.restore
    for_each:
      a: 7edae0250ebc464897bd92b8d3e8b769in01
      b: 41c239a1e9bd4cd2aabd678bab45a886in01
    source: { instance_id: \"${each.value}\", restore_time: 2026-11-20T03:00:00Z }
    target: { instance_id: \"${each.value}\" }
    allow_overwrite_source: true
",
    )
    .expect("write");
    let got = fish_candidates(
        dir.path(),
        &["rewind", "-f", "fleet.yaml", "plan", "--target", "d"],
    );
    assert_eq!(values(&got), ["dn", "dn[a]", "dn[b]"], "{got:?}");
    assert_eq!(got[0].1, "fleet of 2", "{got:?}");
}

fn record(name: &str, kind: Kind, status: Status) -> OpRecord {
    OpRecord {
        version: RECORD_VERSION,
        name: name.to_owned(),
        kind,
        inputs_digest: "0".repeat(64),
        request: ApiRequest {
            service: kind.service(),
            method: "POST".into(),
            path: "/v3/{project_id}/instances/recovery".into(),
            body: serde_json::json!({}),
        },
        status,
        handle: None,
        attempts: 1,
        submitted_at: Some(1),
        created_at: 1,
        updated_at: 1,
        outputs: BTreeMap::new(),
        last_error: None,
    }
}

#[test]
fn names_from_the_state_are_offered_with_their_status() {
    let dir = sandbox();
    {
        let mut state =
            SledState::open(&dir.path().join(".rewind"), LockHolder::new("test")).expect("state");
        state
            .put(
                &record("orders-dn-1", Kind::RdsRestore, Status::Unknown),
                "test",
            )
            .expect("put");
        // Recorded by an older version of the spec: still completable, e.g. for `state rm`.
        state
            .put(
                &record("retired-restore", Kind::DcsRestore, Status::Succeeded),
                "test",
            )
            .expect("put");
    }
    let got = fish_candidates(dir.path(), &["rewind", "state", "rm", ""]);
    let names: Vec<&str> = values(&got)
        .into_iter()
        .filter(|v| !v.starts_with('-'))
        .collect();
    assert_eq!(
        names,
        [
            "orders-dn-1",
            "orders-dn-2",
            "orders-metadata",
            "retired-restore"
        ]
    );
    let help: BTreeMap<&str, &str> = got.iter().map(|(v, h)| (v.as_str(), h.as_str())).collect();
    assert_eq!(help["orders-dn-1"], "rds.restore, unknown");
    assert_eq!(help["orders-dn-2"], "rds.restore, not in state");
    assert_eq!(help["retired-restore"], "dcs.restore, succeeded");
    // The lock was held only for the lookup.
    SledState::open(&dir.path().join(".rewind"), LockHolder::new("test")).expect("unlocked");
}

#[test]
fn the_bash_script_completes_restore_names_in_a_real_bash() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("skipped: no bash on this machine");
        return;
    }
    let dir = sandbox();
    let script = rewind(dir.path(), &["completions", "bash"], &[]).stdout;
    std::fs::write(dir.path().join("rewind.bash"), script).expect("write script");
    // What bash does on `rewind apply --resubmit orders-<TAB>`.
    let driver = r#"
source ./rewind.bash
COMP_WORDS=(rewind apply --resubmit orders-)
COMP_CWORD=3
COMP_TYPE=9
_clap_complete_rewind rewind orders- --resubmit
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new("bash")
        .arg("-c")
        .arg(driver)
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", dir.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        got,
        DDM_PITR_OPS,
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn complete_set_to_0_or_empty_is_an_ordinary_run() {
    let dir = sandbox();
    for value in ["0", ""] {
        let out = rewind(dir.path(), &["validate"], &[("REWIND_COMPLETE", value)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
}

/// Every (nested) subcommand, as `--help` lists them, e.g. `state show`.
fn subcommands(dir: &Path, path: &[&str]) -> Vec<String> {
    let mut args = path.to_vec();
    args.push("--help");
    let help = rewind(dir, &args, &[]).stdout;
    let mut out = Vec::new();
    let Some((_, list)) = help.split_once("Commands:\n") else {
        return out;
    };
    for line in list.lines().take_while(|l| l.starts_with("  ")) {
        // Deeper indentation is a wrapped description.
        let Some(name) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) else {
            continue;
        };
        let name = name.split_whitespace().next().unwrap_or_default();
        if name == "help" {
            continue;
        }
        let mut sub = path.to_vec();
        sub.push(name);
        out.push(sub.join(" "));
        out.extend(subcommands(dir, &sub));
    }
    out
}

#[test]
fn rewind_man_prints_roff_naming_every_subcommand() {
    let dir = sandbox();
    let out = rewind(dir.path(), &["man"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout;
    assert!(page.contains(".TH rewind 1"), "{page}");
    assert!(page.contains(".SH SYNOPSIS") && page.contains(".SH COMMANDS"));
    let all = subcommands(dir.path(), &[]);
    for expected in [
        "plan",
        "apply",
        "state show",
        "state rm",
        "completions",
        "man",
        "version",
    ] {
        assert!(
            all.iter().any(|s| s == expected),
            "{expected} missing from --help: {all:?}"
        );
    }
    for sub in &all {
        let heading = format!(".SS \"rewind {sub}\"");
        assert!(page.contains(&heading), "no {heading} in:\n{page}");
    }
    // Options of subcommands are documented under them, roff-escaped.
    assert!(page.contains("\\-\\-resubmit"), "{page}");
    // groff, where installed, reads the page without a warning.
    if let Ok(groff) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        let mut groff = groff;
        groff
            .stdin
            .take()
            .expect("stdin")
            .write_all(page.as_bytes())
            .expect("write to groff");
        let done = groff.wait_with_output().expect("groff ran");
        assert!(done.status.success());
        let warnings = String::from_utf8_lossy(&done.stderr);
        assert!(warnings.trim().is_empty(), "groff: {warnings}");
    } else {
        eprintln!("skipped the groff check: no groff on this machine");
    }
}

/// `0.1.0 (commit abc, built 2026-12-01)` -> (version, commit, date).
fn version_fields(line: &str) -> (String, String, String) {
    let rest = line.strip_prefix("rewind ").expect("starts with the name");
    let (version, rest) = rest.split_once(" (commit ").expect("names a commit");
    let (commit, rest) = rest.split_once(", built ").expect("names a build date");
    let date = rest.strip_suffix(')').expect("closes");
    (version.to_owned(), commit.to_owned(), date.to_owned())
}

#[test]
fn version_names_the_commit_and_build_date_in_text_and_json() {
    let dir = sandbox();
    let out = rewind(dir.path(), &["--version"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (version, commit, date) = version_fields(out.stdout.trim());
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    // Built from a git checkout with git installed, it is exactly HEAD.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match head {
        Ok(o) if o.status.success() => {
            assert_eq!(commit, String::from_utf8_lossy(&o.stdout).trim());
        }
        _ => eprintln!("skipped the HEAD comparison: no git checkout"),
    }
    assert!(
        jiff::civil::Date::strptime("%Y-%m-%d", &date).is_ok(),
        "{date}"
    );
    // -V and `rewind version` say the same.
    assert_eq!(rewind(dir.path(), &["-V"], &[]).stdout, out.stdout);
    assert_eq!(rewind(dir.path(), &["version"], &[]).stdout, out.stdout);
    for args in [
        &["--version", "--json"][..],
        &["--json", "--version"],
        &["version", "--json"],
    ] {
        let out = rewind(dir.path(), args, &[]);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
        assert_eq!(doc["version"], version.as_str(), "{args:?}");
        assert_eq!(doc["commit"], commit.as_str());
        assert_eq!(doc["build_date"], date.as_str());
    }
}

#[test]
fn the_man_page_has_an_environment_section_and_unjustified_examples() {
    let dir = sandbox();
    let out = rewind(dir.path(), &["man"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout;
    assert!(page.contains(".SH ENVIRONMENT"), "{page}");
    for var in ["REWIND_STATE", "REWIND_LOG", "OS_CLOUD", "NO_COLOR", "_EVS"] {
        assert!(page.contains(var), "{var} in the ENVIRONMENT section");
    }
    assert!(page.contains(".ad l"), "ragged right, never justified");
    // Each example is kept as typed: inside a no-fill block, its words one space apart.
    let example = page
        .lines()
        .position(|l| l.trim_start().starts_with("rewind init ddm \\-\\-instance"))
        .expect("an init example");
    let before: Vec<&str> = page.lines().take(example).collect();
    let last_fill = before.iter().rposition(|l| *l == ".nf" || *l == ".fi");
    assert_eq!(last_fill.map(|i| before[i]), Some(".nf"), "{page}");
    if let Ok(mut groff) = Command::new("groff")
        .args(["-man", "-Tutf8"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        if let Some(mut stdin) = groff.stdin.take() {
            stdin
                .write_all(page.as_bytes())
                .expect("groff reads the page");
        }
        let shown = groff.wait_with_output().expect("groff runs");
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(text.contains("rewind init ddm --instance"), "{text}");
        assert!(!text.contains("rewind  "), "justified: {text}");
    }
}
