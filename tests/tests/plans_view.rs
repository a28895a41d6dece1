//! Plans a reviewer can judge, renames that never restore again, outputs, and targeting:
//! the `rewind` binary against the simulator on loopback.
#![allow(
    clippy::print_stderr,
    reason = "a skipped check says so in the test output"
)]

use rewind_tests::{Harness, Options, repo_root};

fn example_text(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(name)).expect("example exists")
}

/// Every accepted restore POST the simulator counted.
fn total_submissions(h: &Harness) -> u32 {
    h.submissions().values().sum()
}

fn rewrite(h: &Harness, text: &str) {
    std::fs::write(&h.spec, text).expect("rewrite the spec");
}

/// Two RDS point-in-time restores (one written with an offset), a DCS restore and a CBR
/// restore.
const MIXED: &str = "version: 1
cloud:
  region: eu-de
  project_id: 619d3e78f61b4be68bc5aa0b59edcf7b
restores:
  orders-db:
    kind: rds.restore
    source:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      restore_time: 2026-11-20T03:00:00Z
    target:
      instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01
  billing-db:
    kind: rds.restore
    source:
      instance_id: 41c239a1e9bd4cd2aabd678bab45a886in01
      restore_time: 2026-11-20T04:30:00+01:00
    target:
      instance_id: 55c26c79139446868919c5b8b2cbb542in01
  sessions:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
  web-server:
    kind: cbr.restore
    backup_id: 6df2b54c-dd62-4059-a07c-1b8f24f2725d
    volume_id: 3e2b1c0d-9a8b-4c7d-8e6f-5a4b3c2d1e0f
";

#[test]
fn the_plan_shows_each_point_in_time_or_backup_and_its_source() {
    let h = Harness::new(MIXED, &Options::default());
    let plan = h.rewind(&["plan", "--offline"]);
    assert!(plan.ok(), "{}", plan.transcript());
    let out = &plan.stdout;
    // Each operation's block: its header and the indented lines under it.
    let block = |name: &str| -> String {
        let mut lines = out
            .lines()
            .skip_while(|l| !l.contains(&format!(" {name}  (")));
        let head = lines.next().unwrap_or_else(|| panic!("{name} in {out}"));
        let body: Vec<&str> = lines.take_while(|l| l.starts_with("      ")).collect();
        format!("{head}\n{}", body.join("\n"))
    };
    let orders = block("orders-db");
    assert!(
        orders.contains("point in time: 2026-11-20T03:00:00Z"),
        "{orders}"
    );
    assert!(
        orders.contains("source:        rds instance 7edae0250ebc464897bd92b8d3e8b769in01"),
        "{orders}"
    );
    assert!(
        orders.contains("target:        rds instance f4e2949e9b9b4d60b42c89ed39bfe34cin01"),
        "{orders}"
    );
    let billing = block("billing-db");
    assert!(
        billing.contains("point in time: 2026-11-20T03:30:00Z (written 2026-11-20T04:30:00+01:00)"),
        "UTC first, then the spec's own offset: {billing}"
    );
    assert!(
        billing.contains("rds instance 41c239a1e9bd4cd2aabd678bab45a886in01"),
        "{billing}"
    );
    let sessions = block("sessions");
    assert!(
        sessions.contains("backup:        8ba256cb-e5ac-44f6-a3da-c03d8f0e5029"),
        "{sessions}"
    );
    assert!(
        sessions.contains("source:        dcs instance 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77"),
        "{sessions}"
    );
    assert!(
        sessions.contains("(its own source: data newer than the restore point is lost)"),
        "a cache restored from its own backup is flagged like TaurusDB: {sessions}"
    );
    let web = block("web-server");
    assert!(
        web.contains("backup:        6df2b54c-dd62-4059-a07c-1b8f24f2725d"),
        "{web}"
    );
    assert!(
        web.contains("source:        cbr backup 6df2b54c-dd62-4059-a07c-1b8f24f2725d"),
        "{web}"
    );
    assert!(
        web.contains("target:        volume 3e2b1c0d-9a8b-4c7d-8e6f-5a4b3c2d1e0f"),
        "{web}"
    );

    let md = h.rewind(&["plan", "--offline", "--format", "markdown"]);
    assert!(md.ok(), "{}", md.transcript());
    let md = &md.stdout;
    let table = md
        .find("| | Operation | Kind | Point in time | Target |")
        .expect("a summary table");
    assert!(
        table < md.find("### ").unwrap_or(md.len()),
        "the table comes first: {md}"
    );
    for row in [
        "| + restore | orders-db | rds.restore | 2026-11-20T03:00:00Z | rds instance f4e2949e9b9b4d60b42c89ed39bfe34cin01 |",
        "| + restore | billing-db | rds.restore | 2026-11-20T03:30:00Z (written 2026-11-20T04:30:00+01:00) |",
        "| + restore | sessions | dcs.restore | backup 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029 |",
        "| + restore | web-server | cbr.restore | backup 6df2b54c-dd62-4059-a07c-1b8f24f2725d |",
    ] {
        assert!(md.contains(row), "{row} in {md}");
    }
    assert!(
        md.contains("- source: rds instance 7edae0250ebc464897bd92b8d3e8b769in01"),
        "{md}"
    );
    assert!(md.contains("- source: dcs instance 3c49d6b8"), "{md}");
    assert!(md.contains("- source: cbr backup 6df2b54c"), "{md}");

    // -v: the whole body the API receives.
    let verbose = h.rewind(&["plan", "--offline", "-v"]);
    assert!(verbose.ok(), "{}", verbose.transcript());
    assert!(
        verbose.stdout.contains("\"restore_time\": 1795145400000"),
        "{}",
        verbose.stdout
    );
}

#[test]
fn the_body_shows_secrets_as_sensitive() {
    let h = Harness::new(&example_text("ddm-pitr-new.yaml"), &Options::default());
    let verbose = h.rewind(&["plan", "--offline", "-v"]);
    assert!(verbose.ok(), "{}", verbose.transcript());
    assert!(
        verbose.stdout.contains("\"password\": \"(sensitive)\""),
        "{}",
        verbose.stdout
    );
    assert!(!verbose.stdout.contains("Node-Pw-4c1e7a9b"));
}

#[test]
fn a_renamed_operation_is_moved_and_never_restored_again() {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    assert!(h.apply(&[]).ok());
    let before = total_submissions(&h);
    assert_eq!(before, 3);
    // Only the name changes; its body, and the metadata restore's, stay the same.
    rewrite(
        &h,
        &text.replace("  orders-dn-1:\n", "  orders-node-one:\n"),
    );
    let plan = h.rewind(&["plan", "--offline"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout.contains("→ moved     orders-node-one"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("from orders-dn-1"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("Plan: 0 to restore, 0 to rerun"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("- forget"), "{}", plan.stdout);
    let apply = h.apply(&[]);
    assert!(apply.ok(), "{}", apply.transcript());
    assert_eq!(total_submissions(&h), before, "{}", apply.transcript());
    let again = h.rewind(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(again.status, Some(0), "{}", again.transcript());
}

#[test]
fn a_rename_that_dependents_reference_moves_them_all() {
    let text = example_text("ddm-pitr-new.yaml");
    let h = Harness::new(&text, &Options::default());
    assert!(h.apply(&[]).ok());
    let before = total_submissions(&h);
    // The metadata restore reads the renamed node's outputs by name.
    rewrite(
        &h,
        &text
            .replace("  orders-dn-1:\n", "  node-a:\n")
            .replace("restores.orders-dn-1.", "restores.node-a."),
    );
    let plan = h.rewind(&["plan", "--offline"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout.contains("→ moved     node-a"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to restore, 0 to rerun"),
        "{}",
        plan.stdout
    );
    let apply = h.apply(&[]);
    assert!(apply.ok(), "{}", apply.transcript());
    assert_eq!(total_submissions(&h), before, "{}", apply.transcript());
    let again = h.rewind(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(again.status, Some(0), "{}", again.transcript());
}

#[test]
fn a_moved_section_moves_the_record() {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    assert!(h.apply(&[]).ok());
    let before = total_submissions(&h);
    rewrite(
        &h,
        &format!(
            "{}moved:\n  - from: orders-dn-2\n    to: second-node\n",
            text.replace("  orders-dn-2:\n", "  second-node:\n")
        ),
    );
    let json = h.rewind(&["plan", "--offline", "--json"]);
    assert!(json.ok(), "{}", json.transcript());
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan --json");
    assert_eq!(
        v["moved"],
        serde_json::json!([{"from": "orders-dn-2", "to": "second-node", "detected": false}])
    );
    assert_eq!(v["summary"]["restore"], 0);
    assert_eq!(v["summary"]["moved"], 1);
    let apply = h.apply(&[]);
    assert!(apply.ok(), "{}", apply.transcript());
    assert_eq!(total_submissions(&h), before, "{}", apply.transcript());

    // A `moved:` entry naming no operation is an error at its place.
    rewrite(
        &h,
        &format!("{text}moved:\n  - from: gone\n    to: nowhere\n"),
    );
    let bad = h.rewind(&["validate"]);
    assert_eq!(bad.status, Some(1), "{}", bad.transcript());
    assert!(
        bad.stderr.contains("no operation named `nowhere`"),
        "{}",
        bad.transcript()
    );
}

#[test]
fn state_mv_moves_a_record_by_hand() {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    assert!(h.apply(&[]).ok());
    let before = total_submissions(&h);
    rewrite(&h, &text.replace("  orders-metadata:\n", "  metadata:\n"));
    let mv = h.rewind(&["state", "mv", "orders-metadata", "metadata"]);
    assert!(mv.ok(), "{}", mv.transcript());
    assert!(
        mv.stderr.contains("Moved orders-metadata to metadata"),
        "{}",
        mv.transcript()
    );
    let list = h.rewind(&["state", "list"]);
    assert!(list.stdout.contains("metadata "), "{}", list.stdout);
    assert!(!list.stdout.contains("orders-metadata"), "{}", list.stdout);
    let plan = h.rewind(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(plan.status, Some(0), "{}", plan.transcript());
    let apply = h.apply(&[]);
    assert!(apply.ok(), "{}", apply.transcript());
    assert_eq!(total_submissions(&h), before, "{}", apply.transcript());
    // Neither name twice, nor a name state does not know.
    let again = h.rewind(&["state", "mv", "orders-metadata", "metadata"]);
    assert_eq!(again.status, Some(1), "{}", again.transcript());
    let clash = h.rewind(&["state", "mv", "orders-dn-1", "orders-dn-2"]);
    assert_eq!(clash.status, Some(1), "{}", clash.transcript());
    assert!(
        clash.stderr.contains("already has a record"),
        "{}",
        clash.transcript()
    );
}

#[test]
fn a_new_instance_is_listed_after_apply_and_by_rewind_output() {
    let h = Harness::new(&example_text("ddm-pitr-new.yaml"), &Options::default());
    let apply = h.apply(&["--json"]);
    assert!(apply.ok(), "{}", apply.transcript());
    let output = h.rewind(&["output", "orders-dn-1", "--json"]);
    assert!(output.ok(), "{}", output.transcript());
    let v: serde_json::Value = serde_json::from_str(&output.stdout).expect("output --json");
    let id = v["outputs"]["instance_id"]
        .as_str()
        .expect("an instance ID")
        .to_owned();
    assert!(id.ends_with("in01"), "{v}");
    assert!(v["outputs"]["port"].as_str().is_some(), "{v}");
    // The --json `succeeded` event carries the same outputs.
    let succeeded = apply
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "succeeded" && e["name"] == "orders-dn-1")
        .expect("a succeeded event");
    assert_eq!(succeeded["outputs"]["instance_id"], id.as_str());

    // A person's apply prints what it created. A fresh harness: the same names again.
    let h = Harness::new(&example_text("ddm-pitr-new.yaml"), &Options::default());
    let apply = h.apply(&[]);
    assert!(apply.ok(), "{}", apply.transcript());
    let output = h.rewind(&["output", "orders-dn-2", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&output.stdout).expect("output --json");
    let id = v["outputs"]["instance_id"]
        .as_str()
        .expect("an instance ID");
    // On stdout with the plan, so `apply | tee apply.log` keeps how the run ended.
    assert!(apply.stdout.contains("Created"), "{}", apply.transcript());
    assert!(
        apply.stdout.contains("Apply complete: 3 restored"),
        "{}",
        apply.transcript()
    );
    assert!(
        apply.stdout.contains(&format!("orders-dn-2: {id}")),
        "{}",
        apply.transcript()
    );
    let all = h.rewind(&["output"]);
    assert!(all.ok(), "{}", all.transcript());
    assert!(all.stdout.contains(id), "{}", all.stdout);
}

const DCS_SIDE_BRANCH: &str = "
  sessions:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
";

const DN1: &str = "f4e2949e9b9b4d60b42c89ed39bfe34cin01";
const DN2: &str = "55c26c79139446868919c5b8b2cbb542in01";
const META: &str = "2f0324a93859487eb5566d75951fcd2din09";
const CACHE: &str = "3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77";

#[test]
fn target_runs_an_operation_and_what_it_waits_for_only() {
    let text = format!("{}{DCS_SIDE_BRANCH}", example_text("ddm-pitr.yaml"));
    let h = Harness::new(&text, &Options::default());
    let plan = h.rewind(&["plan", "--offline", "--target", "orders-metadata"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout.contains("Plan: 3 to restore"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("left out 1 operation(s): sessions"),
        "{}",
        plan.stdout
    );
    let apply = h.apply(&["--target", "orders-metadata"]);
    assert!(apply.ok(), "{}", apply.transcript());
    let subs = h.submissions();
    for id in [DN1, DN2, META] {
        assert_eq!(subs.get(id).copied(), Some(1), "{id}: {subs:?}");
    }
    assert_eq!(
        subs.get(CACHE),
        None,
        "the DCS restore is not targeted: {subs:?}"
    );
    // The rest later: only the DCS restore is left.
    let rest = h.rewind(&["plan", "--offline"]);
    assert!(
        rest.stdout.contains("Plan: 1 to restore"),
        "{}",
        rest.stdout
    );

    let unknown = h.rewind(&["plan", "--offline", "--target", "orders-metadat"]);
    assert_eq!(unknown.status, Some(1), "{}", unknown.transcript());
    assert!(
        unknown.stderr.contains("did you mean `orders-metadata`"),
        "{}",
        unknown.transcript()
    );
}

#[test]
fn exclude_leaves_out_an_operation_and_its_dependents() {
    let text = format!("{}{DCS_SIDE_BRANCH}", example_text("ddm-pitr.yaml"));
    let h = Harness::new(&text, &Options::default());
    let apply = h.apply(&["--exclude", "orders-dn-1"]);
    assert!(apply.ok(), "{}", apply.transcript());
    let subs = h.submissions();
    assert_eq!(subs.get(DN2).copied(), Some(1), "{subs:?}");
    assert_eq!(subs.get(CACHE).copied(), Some(1), "{subs:?}");
    assert_eq!(subs.get(DN1), None, "excluded: {subs:?}");
    assert_eq!(subs.get(META), None, "waits for the excluded one: {subs:?}");
}

#[test]
fn replace_reruns_a_succeeded_restore_with_the_overwrite_warning() {
    let text = example_text("ddm-pitr.yaml");
    let h = Harness::new(&text, &Options::default());
    assert!(h.apply(&[]).ok());
    let plan = h.rewind(&["plan", "--offline", "--replace", "orders-dn-1"]);
    assert!(plan.ok(), "{}", plan.transcript());
    let out = &plan.stdout;
    assert!(out.contains("~ rerun     orders-dn-1"), "{out}");
    assert!(
        out.contains(&format!("overwrites rds instance {DN1}")),
        "{out}"
    );
    assert!(out.contains("--replace: runs again"), "{out}");
    assert!(out.contains("Plan: 0 to restore, 1 to rerun"), "{out}");
    let apply = h.apply(&["--replace", "orders-dn-1"]);
    assert!(apply.ok(), "{}", apply.transcript());
    let subs = h.submissions();
    assert_eq!(subs.get(DN1).copied(), Some(2), "{subs:?}");
    assert_eq!(subs.get(DN2).copied(), Some(1), "{subs:?}");
}

#[test]
fn a_backup_shows_when_it_ended_once_the_preflight_has_read_it() {
    let text = "version: 1
cloud:
  region: eu-de
  project_id: 619d3e78f61b4be68bc5aa0b59edcf7b
restores:
  from-backup:
    kind: rds.restore
    source:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      backup_id: 43e4feaab48f11e89039fa163ebaa7e4br01
    target:
      instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01
";
    let h = Harness::new(text, &Options::default());
    let offline = h.rewind(&["plan", "--offline"]);
    assert!(
        offline
            .stdout
            .contains("backup:        43e4feaab48f11e89039fa163ebaa7e4br01\n"),
        "offline, the end is not known: {}",
        offline.stdout
    );
    let plan = h.rewind(&["plan", "--json"]);
    assert!(plan.ok(), "{}", plan.transcript());
    let v: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan --json");
    let end = v["steps"][0]["facts"]["backup_end"]
        .as_i64()
        .expect("the backup's end time");
    let shown = h.rewind(&["plan"]);
    assert!(
        shown.stdout.contains(&format!(
            "backup:        43e4feaab48f11e89039fa163ebaa7e4br01 (ended {})",
            rewind_engine::plan::rfc3339(end)
        )),
        "{}",
        shown.stdout
    );
}

#[test]
fn apply_asks_on_the_terminal_when_its_output_goes_to_tee() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    // script(1) gives rewind a terminal of its own, as a person's shell would.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: script(1) is not installed");
        return;
    }
    let h = Harness::new(&example_text("dcs-restore.yaml"), &Options::default());
    let log = h.dir.path().join("apply.log");
    let inner = format!(
        "'{}' apply | cat > '{}'",
        rewind_tests::rewind_bin().display(),
        log.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .current_dir(h.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", h.dir.path())
        .env("NO_COLOR", "1")
        .envs(h.env().iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("script runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(b"yes\n").expect("answer");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "apply did not finish: {status:?}"
    );
    let text = std::fs::read_to_string(&log).expect("the log");
    assert!(
        text.contains("Do you want to run these restores? Only 'yes' is accepted: yes"),
        "the question and its answer are in the log: {text}"
    );
    assert_eq!(total_submissions(&h), 1, "{text}");
}

#[test]
fn a_missing_secret_file_and_history_read_in_plain_words() {
    let text = example_text("ddm-pitr-new.yaml").replace(
        "{ env: REWIND_NODE_PASSWORD }",
        "{ file: secrets/node-password }",
    );
    let h = Harness::new(&text, &Options::default());
    let apply = h.apply(&[]);
    assert_eq!(apply.status, Some(1), "{}", apply.transcript());
    assert!(
        apply
            .stderr
            .contains("node-password: the file does not exist"),
        "{}",
        apply.transcript()
    );
    assert!(
        !apply.stderr.contains("entity not found"),
        "{}",
        apply.transcript()
    );
    assert_eq!(total_submissions(&h), 0);

    std::fs::create_dir_all(h.dir.path().join("secrets")).expect("mkdir");
    std::fs::write(
        h.dir.path().join("secrets/node-password"),
        "Node-Pw-4c1e7a9b\n",
    )
    .expect("write the secret");
    assert!(h.apply(&[]).ok());
    let history = h.rewind(&["history"]);
    assert!(history.ok(), "{}", history.transcript());
    let header = history.stdout.lines().next().unwrap_or_default();
    for column in ["RUN", "STARTED", "COMMIT", "APPROVER", "JOBS", "OUTCOME"] {
        assert!(header.contains(column), "{column} in {header:?}");
    }
}

#[test]
fn a_saved_targeted_plan_runs_exactly_its_part() {
    let text = format!("{}{DCS_SIDE_BRANCH}", example_text("ddm-pitr.yaml"));
    let h = Harness::new(&text, &Options::default());
    let plan = h.rewind(&[
        "plan",
        "--offline",
        "--target",
        "sessions",
        "--out",
        "p.json",
    ]);
    assert!(plan.ok(), "{}", plan.transcript());
    let refused = h.rewind(&["apply", "p.json", "--target", "orders-dn-1"]);
    assert_eq!(refused.status, Some(1), "{}", refused.transcript());
    assert!(
        refused.stderr.contains("cannot change a saved plan"),
        "{}",
        refused.transcript()
    );
    let apply = h.rewind(&["apply", "p.json", "--offline"]);
    assert!(apply.ok(), "{}", apply.transcript());
    let subs = h.submissions();
    assert_eq!(subs.get(CACHE).copied(), Some(1), "{subs:?}");
    assert_eq!(subs.len(), 1, "only the targeted restore: {subs:?}");
}
