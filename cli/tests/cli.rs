//! The `rewind` binary end to end, offline: validate, plan, graph, state, schema, locking and unreadable files.

use rewind_engine::compile::compile;
use rewind_engine::plan::request_digest;
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::{OpRecord, RECORD_VERSION, StateStore, Status};
use rewind_state::{LockHolder, SledState};
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------------------------
// Harness

/// What one run of `rewind` did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A scratch directory holding specs; `rewind` runs inside it.
struct Sandbox {
    dir: tempfile::TempDir,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::Builder::new()
                .prefix("rewind-cli-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Copies `examples/NAME` in as NAME.
    fn example(&self, name: &str) -> &Sandbox {
        std::fs::copy(
            workspace().join("examples").join(name),
            self.path().join(name),
        )
        .expect("copy example");
        self
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> &Sandbox {
        std::fs::write(self.path().join(name), bytes).expect("write");
        self
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).expect("read")
    }

    /// Runs `rewind ARGS` in the sandbox with a clean environment: no credentials, no color.
    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_rewind"))
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .env("HOME", self.path())
            .output()
            .expect("run rewind");
        Run {
            code: out.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Snapshot settings that hide this sandbox's path.
    fn settings(&self) -> insta::Settings {
        let mut s = insta::Settings::clone_current();
        s.add_filter(&regex_escape(&self.path().display().to_string()), "[TMP]");
        s
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if ".+*?()|[]{}^$\\#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const MANY: &str = "many-mistakes.yaml";

fn many_mistakes_text() -> String {
    std::fs::read_to_string(workspace().join("engine/tests/fixtures").join(MANY)).expect("fixture")
}

/// Records for the operations of `spec` (as the engine renders them), all with `status`.
fn records_for(spec_text: &str, file: &str, status: Status) -> Vec<OpRecord> {
    let c = compile(file, spec_text, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    c.spec
        .ops
        .iter()
        .map(|(name, op)| {
            let request = op.spec.request();
            OpRecord {
                version: RECORD_VERSION,
                name: name.clone(),
                kind: op.spec.kind(),
                inputs_digest: request_digest(&request),
                request,
                status,
                handle: Some(rewind_engine::provider::Handle::Job {
                    job_id: format!("job-{name}"),
                }),
                attempts: 1,
                submitted_at: Some(1_795_143_700_000),
                created_at: 1_795_143_700_000,
                updated_at: 1_795_143_900_000,
                outputs: std::collections::BTreeMap::new(),
                last_error: None,
            }
        })
        .collect()
}

/// Writes records straight into the sandbox's `.rewind` state (no rewind process running).
fn put_records(dir: &Path, records: &[OpRecord]) -> u64 {
    let mut state = SledState::open(dir, LockHolder::new("cli test")).expect("open state");
    let mut serial = 0;
    for r in records {
        serial = state.put(r, "written by the CLI test").expect("put");
    }
    serial
}

// ---------------------------------------------------------------------------------------------
// validate

#[test]
fn validate_reports_every_mistake_located_and_exits_1() {
    let sb = Sandbox::new();
    sb.write(MANY, many_mistakes_text());
    let run = sb.run(&["validate", "-f", MANY]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");

    // Every diagnostic the engine finds is printed with its file:line:column and code.
    let report =
        compile(MANY, &many_mistakes_text(), &LoadOptions::default()).expect_err("mistakes");
    assert!(report.diagnostics.len() >= 6);
    for d in &report.diagnostics {
        let s = d.span.expect("located");
        let place = format!("{MANY}:{}:{}:", s.line, s.column);
        assert!(
            run.stderr.contains(&place),
            "{place} missing from\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("rewind::{}", d.code.as_str())),
            "{:?}",
            d.code
        );
    }
    assert!(run.stderr.contains(&format!(
        "{} problems found in {MANY}",
        report.diagnostics.len()
    )));
    sb.settings()
        .bind(|| insta::assert_snapshot!("validate_many_mistakes_stderr", run.stderr));
}

#[test]
fn validate_json_lists_every_diagnostic() {
    let sb = Sandbox::new();
    sb.write(MANY, many_mistakes_text());
    let run = sb.run(&["validate", "--json", "-f", MANY]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["valid"], false);
    let report =
        compile(MANY, &many_mistakes_text(), &LoadOptions::default()).expect_err("mistakes");
    let got: Vec<(String, u64, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64, u64)> = report
        .diagnostics
        .iter()
        .map(|d| {
            let s = d.span.unwrap();
            (
                d.code.as_str().to_owned(),
                u64::from(s.line),
                u64::from(s.column),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn every_example_validates() {
    let sb = Sandbox::new();
    let mut names: Vec<String> = std::fs::read_dir(workspace().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| Path::new(n).extension().is_some_and(|x| x == "yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 7);
    for name in &names {
        sb.example(name);
        let run = sb.run(&["validate", "-f", name]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert!(run.stderr.contains("is valid"), "{name}: {run:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Unreadable files

#[test]
fn binary_garbage_exits_1_with_a_located_error() {
    let sb = Sandbox::new();
    let garbage: Vec<u8> = (0u32..512)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    sb.write("garbage.yaml", &garbage);
    let run = sb.run(&["validate", "-f", "garbage.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("rewind::syntax"), "{}", run.stderr);
    assert!(
        run.stderr.contains("garbage.yaml:1:"),
        "located: {}",
        run.stderr
    );
}

#[test]
fn non_utf8_text_is_located_at_the_bad_byte() {
    let sb = Sandbox::new();
    let mut bytes = b"version: 1\nrestores:\n  cache:\n    remark: caf".to_vec();
    bytes.push(0xe9); // Latin-1 e-acute: not UTF-8
    bytes.extend_from_slice(b"\n");
    sb.write("latin1.yaml", &bytes);
    let run = sb.run(&["validate", "-f", "latin1.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("latin1.yaml:4:16: the file is not UTF-8"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("UTF-8"), "{}", run.stderr);
}

#[test]
fn tab_indentation_is_located_at_the_tab() {
    let sb = Sandbox::new();
    sb.write(
        "tabs.yaml",
        "version: 1\nrestores:\n  cache:\n  \tkind: dcs.restore\n",
    );
    let run = sb.run(&["validate", "-f", "tabs.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("tabs.yaml:4:3: a tab character is used for indentation"),
        "{}",
        run.stderr
    );
    let json = sb.run(&["validate", "--json", "-f", "tabs.yaml"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        (
            doc["diagnostics"][0]["line"].as_u64(),
            doc["diagnostics"][0]["column"].as_u64()
        ),
        (Some(4), Some(3))
    );
}

#[test]
fn a_missing_spec_exits_1_with_a_hint() {
    let sb = Sandbox::new();
    let run = sb.run(&["validate"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("restore.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    // In the user's terms, not the OS's "(os error 2)".
    assert!(
        run.stderr
            .contains("cannot read restore.yaml: the file does not exist"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_1_never_2() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["no-such-command"]).code, 1);
    assert_eq!(sb.run(&["plan", "--no-such-flag"]).code, 1);
}

#[test]
fn a_plan_file_in_a_missing_directory_says_so_in_the_users_terms() {
    let sb = Sandbox::new();
    sb.example("dcs-restore.yaml");
    let run = sb.run(&[
        "plan",
        "--offline",
        "-f",
        "dcs-restore.yaml",
        "--out",
        "no-such-dir/p.plan",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("cannot write the plan to no-such-dir/p.plan: its directory does not exist"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
}

const FLEET: &str = "version: 1
vars:
  nodes:
    a: { s: 7edae0250ebc464897bd92b8d3e8b769in01, t: f4e2949e9b9b4d60b42c89ed39bfe34cin01 }
    b: { s: 41c239a1e9bd4cd2aabd678bab45a886in01, t: 55c26c79139446868919c5b8b2cbb542in01 }
restores:
  orders-dn:
    kind: rds.restore
    for_each: ${var.nodes}
    source: { instance_id: \"${each.value.s}\", restore_time: 2026-11-20T03:00:00Z }
    target: { instance_id: \"${each.value.t}\" }
";

#[test]
fn output_of_a_fleet_name_lists_every_instance() {
    let sb = Sandbox::new();
    sb.write("restore.yaml", FLEET);
    let mut records = records_for(FLEET, "restore.yaml", Status::Succeeded);
    for r in &mut records {
        r.outputs
            .insert("instance_id".to_owned(), format!("id-of-{}", r.name));
    }
    put_records(&sb.path().join(".rewind"), &records);
    let run = sb.run(&["output", "orders-dn", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        doc["outputs"]["orders-dn[a]"]["instance_id"],
        "id-of-orders-dn[a]"
    );
    assert_eq!(
        doc["outputs"]["orders-dn[b]"]["instance_id"],
        "id-of-orders-dn[b]"
    );
    let one = sb.run(&["output", "orders-dn[b]", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&one.stdout).expect("JSON");
    assert_eq!(doc["name"], "orders-dn[b]", "{doc}");
    assert_eq!(sb.run(&["output", "orders-d"]).code, 1);
}

#[test]
fn a_mistyped_fleet_name_in_targeting_suggests_the_fleet() {
    let sb = Sandbox::new();
    sb.write(
        "restore.yaml",
        "version: 1
vars:
  nodes:
    a: { s: 7edae0250ebc464897bd92b8d3e8b769in01, t: f4e2949e9b9b4d60b42c89ed39bfe34cin01 }
    b: { s: 41c239a1e9bd4cd2aabd678bab45a886in01, t: 55c26c79139446868919c5b8b2cbb542in01 }
restores:
  orders-dn:
    kind: rds.restore
    for_each: ${var.nodes}
    source: { instance_id: \"${each.value.s}\", restore_time: 2026-11-20T03:00:00Z }
    target: { instance_id: \"${each.value.t}\" }
",
    );
    let run = sb.run(&["plan", "--offline", "--target", "orders-d"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("did you mean `orders-dn`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_numbers_and_durations_are_said_in_the_users_terms() {
    let sb = Sandbox::new();
    for (args, says) in [
        (
            &["apply", "--parallelism", "x"][..],
            "\"x\" is not a whole number",
        ),
        (&["apply", "--parallelism", "0"][..], "must be at least 1"),
        (
            &["history", "show", "1x"][..],
            "\"1x\" is not a whole number",
        ),
        (
            &["sim", "--port-base", "70000"][..],
            "70000 is too large (at most 65535)",
        ),
        (
            &["plan", "--simulate", "--time-scale", "fast"][..],
            "\"fast\" is not a number like 600 or 0.5",
        ),
        (
            &["plan", "--lock-timeout=-5s"][..],
            "\"-5s\": a duration cannot be negative",
        ),
        (
            &["plan", "--lock-timeout=1e400"][..],
            "is too long a duration",
        ),
    ] {
        let run = sb.run(args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        for raw in [
            "invalid digit",
            "float literal",
            "not in 1..",
            "Duration",
            "unsigned",
        ] {
            assert!(!run.stderr.contains(raw), "{args:?}: {}", run.stderr);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// plan

#[test]
fn plan_offline_human_output_for_ddm_pitr() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let run = sb.run(&["plan", "--offline", "-f", "ddm-pitr.yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !sb.path().join(".rewind").exists(),
        "a plan that is only looked at creates no state"
    );
    for name in ["orders-dn-1", "orders-dn-2", "orders-metadata"] {
        assert!(
            run.stdout.contains(&format!("+ restore   {name}")),
            "{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("after orders-dn-1, orders-dn-2"),
        "{}",
        run.stdout
    );
    sb.settings()
        .bind(|| insta::assert_snapshot!("plan_offline_ddm_pitr_human", run.stdout));
}

#[test]
fn plan_offline_json_for_ddm_pitr() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let run = sb.run(&["plan", "--offline", "--json", "-f", "ddm-pitr.yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["format_version"], 1);
    let steps: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(steps, vec!["orders-dn-1", "orders-dn-2", "orders-metadata"]);
    let pretty = serde_json::to_string_pretty(&doc).unwrap();
    sb.settings()
        .bind(|| insta::assert_snapshot!("plan_offline_ddm_pitr_json", pretty));
}

#[test]
fn detailed_exitcode_is_2_with_changes_and_0_without() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let run = sb.run(&[
        "plan",
        "--offline",
        "--detailed-exitcode",
        "-f",
        "ddm-pitr.yaml",
    ]);
    assert_eq!(run.code, 2, "{run:?}");

    let text = sb.read("ddm-pitr.yaml");
    put_records(
        &sb.path().join(".rewind"),
        &records_for(&text, "ddm-pitr.yaml", Status::Succeeded),
    );
    let run = sb.run(&[
        "plan",
        "--offline",
        "--detailed-exitcode",
        "-f",
        "ddm-pitr.yaml",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("No changes"), "{}", run.stdout);
    assert!(run.stdout.contains("3 unchanged"), "{}", run.stdout);
    let plain = sb.run(&["plan", "--offline", "-f", "ddm-pitr.yaml"]);
    assert_eq!(
        plain.code, 0,
        "without the flag, changes or not, success is 0"
    );
}

#[test]
fn a_changed_var_plans_a_rerun_with_the_field_diff() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let text = sb.read("ddm-pitr.yaml");
    put_records(
        &sb.path().join(".rewind"),
        &records_for(&text, "ddm-pitr.yaml", Status::Succeeded),
    );
    let run = sb.run(&[
        "plan",
        "--offline",
        "--detailed-exitcode",
        "-f",
        "ddm-pitr.yaml",
        "--var",
        "point_in_time=2026-11-20T02:30:00Z",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout.matches("~ rerun").count(), 3, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("~ source.restore_time: 1795143600000 -> 1795141800000"),
        "{}",
        run.stdout
    );
    sb.settings()
        .bind(|| insta::assert_snapshot!("plan_offline_rerun_human", run.stdout));
}

#[test]
fn plan_out_writes_a_saved_plan_with_digest_lineage_and_serial() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let run = sb.run(&[
        "plan",
        "--offline",
        "-f",
        "ddm-pitr.yaml",
        "--out",
        "saved.json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        sb.path().join(".rewind").is_dir(),
        "--out creates the state"
    );
    let saved: serde_json::Value = serde_json::from_str(&sb.read("saved.json")).expect("JSON plan");
    let digest = saved["spec_digest"].as_str().expect("spec_digest");
    assert_eq!(digest.len(), 64);
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(saved["serial"], 0);
    let lineage = saved["lineage"].as_str().expect("lineage");
    assert!(!lineage.is_empty());

    let export = sb.run(&["state", "export", "-f", "ddm-pitr.yaml"]);
    assert_eq!(export.code, 0, "{export:?}");
    let state: serde_json::Value = serde_json::from_str(&export.stdout).expect("JSON export");
    assert_eq!(state["lineage"], lineage, "the saved plan names this state");

    // The --json plan of the same spec and state carries the same identity.
    let again = sb.run(&["plan", "--offline", "--json", "-f", "ddm-pitr.yaml"]);
    let doc: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(
        (&doc["spec_digest"], &doc["lineage"], &doc["serial"]),
        (&saved["spec_digest"], &saved["lineage"], &saved["serial"])
    );

    // Once the state changes, a new saved plan shows the new serial.
    let text = sb.read("ddm-pitr.yaml");
    let serial = put_records(
        &sb.path().join(".rewind"),
        &records_for(&text, "ddm-pitr.yaml", Status::Failed)[..1],
    );
    assert_eq!(
        sb.run(&[
            "plan",
            "--offline",
            "-f",
            "ddm-pitr.yaml",
            "--out",
            "saved2.json"
        ])
        .code,
        0
    );
    let saved2: serde_json::Value = serde_json::from_str(&sb.read("saved2.json")).unwrap();
    assert_eq!(saved2["serial"], serial);
    assert_eq!(saved2["lineage"], lineage);
}

// ---------------------------------------------------------------------------------------------
// graph

#[test]
fn graph_shows_both_inferred_rds_to_ddm_edges_with_their_reason() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let run = sb.run(&["graph", "-f", "ddm-pitr.yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    for (node, id) in [
        ("orders-dn-1", "f4e2949e9b9b4d60b42c89ed39bfe34cin01"),
        ("orders-dn-2", "55c26c79139446868919c5b8b2cbb542in01"),
    ] {
        let edge = format!(
            "\"{node}\" -> \"orders-metadata\" [label=\"reads rds instance {id} written by {node}\"];"
        );
        assert!(
            run.stdout.contains(&edge),
            "{edge} missing from\n{}",
            run.stdout
        );
    }
    assert_eq!(
        run.stdout.matches(" -> ").count(),
        2,
        "exactly two edges:\n{}",
        run.stdout
    );
    sb.settings()
        .bind(|| insta::assert_snapshot!("graph_ddm_pitr_dot", run.stdout));

    let mermaid = sb.run(&["graph", "--format", "mermaid", "-f", "ddm-pitr.yaml"]);
    assert_eq!(mermaid.code, 0, "{mermaid:?}");
    assert_eq!(
        mermaid.stdout.matches("-->|\"reads rds instance").count(),
        2,
        "{}",
        mermaid.stdout
    );
    sb.settings()
        .bind(|| insta::assert_snapshot!("graph_ddm_pitr_mermaid", mermaid.stdout));
}

#[test]
fn state_mv_to_a_name_the_spec_lacks_warns_what_the_next_plan_does() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let text = sb.read("ddm-pitr.yaml");
    put_records(
        &sb.path().join(".rewind"),
        &records_for(&text, "ddm-pitr.yaml", Status::Succeeded)[..1],
    );
    let run = sb.run(&[
        "state",
        "mv",
        "orders-dn-1",
        "orders-dn-11",
        "-f",
        "ddm-pitr.yaml",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Warning: the spec has no operation named `orders-dn-11`"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("the next plan shows"),
        "{}",
        run.stderr
    );
    // Back to the spec's name: no warning, and the promise holds.
    let back = sb.run(&[
        "state",
        "mv",
        "orders-dn-11",
        "orders-dn-1",
        "-f",
        "ddm-pitr.yaml",
    ]);
    assert_eq!(back.code, 0, "{back:?}");
    assert!(!back.stderr.contains("Warning"), "{}", back.stderr);
    assert!(
        back.stderr
            .contains("the next plan shows orders-dn-1 as it showed orders-dn-11"),
        "{}",
        back.stderr
    );
}

#[test]
fn graph_nodes_show_the_action_from_state() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let text = sb.read("ddm-pitr.yaml");
    put_records(
        &sb.path().join(".rewind"),
        &records_for(&text, "ddm-pitr.yaml", Status::Succeeded)[..1],
    );
    let run = sb.run(&["graph", "-f", "ddm-pitr.yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("\"orders-dn-1\" [label=\"orders-dn-1\\n= unchanged rds.restore\"]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\"orders-dn-2\" [label=\"orders-dn-2\\n+ restore rds.restore\"]"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// state

#[test]
fn state_list_show_rm_export_on_a_state_made_by_plan_out() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    assert_eq!(
        sb.run(&[
            "plan",
            "--offline",
            "-f",
            "ddm-pitr.yaml",
            "--out",
            "p.json"
        ])
        .code,
        0
    );
    let state_dir = sb.path().join(".rewind");

    let empty = sb.run(&["state", "list", "-f", "ddm-pitr.yaml"]);
    assert_eq!(empty.code, 0, "{empty:?}");
    assert!(empty.stderr.contains("State is empty."), "{empty:?}");

    let text = sb.read("ddm-pitr.yaml");
    let mut records = records_for(&text, "ddm-pitr.yaml", Status::Succeeded);
    records[1].status = Status::Failed;
    records[1].last_error = Some("DBS.200019: the instance is busy".into());
    put_records(&state_dir, &records);

    let list = sb.run(&["state", "list", "-f", "ddm-pitr.yaml"]);
    assert_eq!(list.code, 0, "{list:?}");
    let rows: Vec<Vec<&str>> = list
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows.iter().map(|r| (r[0], r[1], r[2])).collect::<Vec<_>>(),
        vec![
            ("NAME", "KIND", "STATUS"),
            ("orders-dn-1", "rds.restore", "succeeded"),
            ("orders-dn-2", "rds.restore", "failed"),
            ("orders-metadata", "ddm.metadata_restore", "succeeded")
        ]
    );
    sb.settings()
        .bind(|| insta::assert_snapshot!("state_list", list.stdout));

    let show = sb.run(&[
        "state",
        "show",
        "orders-dn-2",
        "-f",
        "ddm-pitr.yaml",
        "--json",
    ]);
    assert_eq!(show.code, 0, "{show:?}");
    let shown: OpRecord = serde_json::from_str(&show.stdout).expect("a record as JSON");
    assert_eq!(shown, records[1]);
    // For people, times are RFC 3339 in UTC, not epoch milliseconds.
    let human = sb.run(&["state", "show", "orders-dn-2", "-f", "ddm-pitr.yaml"]);
    assert_eq!(human.code, 0, "{human:?}");
    let v: serde_json::Value = serde_json::from_str(&human.stdout).expect("still JSON");
    let updated = v["updated_at"].as_str().expect("a time as text");
    assert_eq!(
        updated
            .parse::<jiff::Timestamp>()
            .ok()
            .map(jiff::Timestamp::as_millisecond),
        Some(records[1].updated_at),
        "{updated}"
    );

    let missing = sb.run(&["state", "show", "orders-dn-9", "-f", "ddm-pitr.yaml"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(
        missing.stderr.contains("no record named \"orders-dn-9\""),
        "{}",
        missing.stderr
    );

    let rm = sb.run(&["state", "rm", "orders-dn-2", "-f", "ddm-pitr.yaml"]);
    assert_eq!(rm.code, 0, "{rm:?}");
    assert!(rm.stderr.contains("Removed orders-dn-2"), "{}", rm.stderr);
    assert!(
        rm.stderr.contains("Nothing in the cloud was touched"),
        "{}",
        rm.stderr
    );
    assert!(
        std::fs::read_dir(state_dir.join("backups")).map_or(0, Iterator::count) >= 1,
        "rm backs up first"
    );
    let after = sb.run(&["state", "list", "-f", "ddm-pitr.yaml"]);
    assert!(!after.stdout.contains("orders-dn-2"), "{}", after.stdout);
    assert_eq!(
        sb.run(&["state", "rm", "orders-dn-2", "-f", "ddm-pitr.yaml"])
            .code,
        1,
        "already gone"
    );

    let export = sb.run(&["state", "export", "-f", "ddm-pitr.yaml"]);
    assert_eq!(export.code, 0, "{export:?}");
    let doc: serde_json::Value = serde_json::from_str(&export.stdout).expect("JSON");
    let names: Vec<&str> = doc["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["orders-dn-1", "orders-metadata"]);
    let journal = doc["journal"].as_array().expect("journal");
    assert_eq!(journal.len(), 4, "three puts and one removal: {journal:?}");
    assert_eq!(journal[3]["name"], "orders-dn-2");
    assert_eq!(journal[3]["to"], serde_json::Value::Null);
    assert_eq!(doc["serial"], 4);

    // The plan now wants to restore the removed one again.
    let plan = sb.run(&["plan", "--offline", "-f", "ddm-pitr.yaml"]);
    assert!(
        plan.stdout.contains("+ restore   orders-dn-2"),
        "{}",
        plan.stdout
    );
}

#[test]
fn state_commands_without_a_state_say_where_they_looked() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let run = sb.run(&["state", "list", "-f", "ddm-pitr.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("no state at"), "{}", run.stderr);
    assert!(
        !sb.path().join(".rewind").exists(),
        "looking does not create state"
    );
}

#[test]
fn a_second_process_on_a_locked_state_is_told_who_holds_it() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    let dir = sb.path().join(".rewind");
    // This test process holds the lock, as a running `rewind apply` would.
    let holder = SledState::open(&dir, LockHolder::new("rewind apply (held by the CLI test)"))
        .expect("open");
    // Reads take the snapshot the holder keeps and never wait for the lock.
    for args in [
        &["state", "list", "-f", "ddm-pitr.yaml"][..],
        &[
            "plan",
            "--offline",
            "-f",
            "ddm-pitr.yaml",
            "--out",
            "p.json",
        ][..],
    ] {
        let run = sb.run(args);
        assert_eq!(run.code, 0, "{args:?} reads while locked: {run:?}");
    }
    assert!(
        sb.path().join("p.json").exists(),
        "a plan read from the snapshot"
    );
    std::fs::remove_file(sb.path().join("p.json")).expect("remove p.json");
    // A writer is still refused, and told who holds the lock.
    {
        let args = &["state", "rm", "orders-dn-1", "-f", "ddm-pitr.yaml"][..];
        let run = sb.run(args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains("locked by"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("pid {}", std::process::id())),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("rewind apply (held by the CLI test)"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("WouldBlock"), "{}", run.stderr);
    }
    drop(holder);
    assert_eq!(
        sb.run(&["state", "list", "-f", "ddm-pitr.yaml"]).code,
        0,
        "free again once released"
    );
}

// ---------------------------------------------------------------------------------------------
// schema and settings

#[test]
fn schema_output_equals_the_committed_file() {
    let sb = Sandbox::new();
    let run = sb.run(&["schema"]);
    assert_eq!(run.code, 0, "{run:?}");
    let committed = std::fs::read_to_string(workspace().join("schema/restore-spec.schema.json"))
        .expect("committed schema");
    assert!(
        run.stdout == committed,
        "schema/restore-spec.schema.json is stale; regenerate it with:\n  cargo run -p rewind-cli -- schema > schema/restore-spec.schema.json"
    );
}

#[test]
fn an_unknown_key_in_rewind_toml_is_located() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    sb.write("rewind.toml", "parallelism = 4\nparalelism = 5\n");
    let run = sb.run(&["plan", "--offline", "-f", "ddm-pitr.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("rewind.toml:2:1"), "{}", run.stderr);
    assert!(run.stderr.contains("rewind::config"), "{}", run.stderr);
}

#[test]
fn an_unknown_service_in_rewind_toml_is_located_at_its_key() {
    let sb = Sandbox::new();
    sb.example("ddm-pitr.yaml");
    sb.write("rewind.toml", "# keep rd small\n[limits]\nrd = 2\n");
    let run = sb.run(&["plan", "--offline", "-f", "ddm-pitr.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("unknown service `rd`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rewind.toml:3:1"), "{}", run.stderr);
}
