//! Restores into new instances, end to end: values known after apply, exactly-once creates
//! through a SIGKILL, and a password that never reaches disk or output.

use rewind_sim::{FaultRule, Faults, Service};
use rewind_tests::{EXAMPLE_SECRETS, Harness, Options};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const EXAMPLE: &str = "ddm-pitr-new.yaml";

fn node_password() -> &'static str {
    EXAMPLE_SECRETS
        .iter()
        .find(|(k, _)| *k == "REWIND_NODE_PASSWORD")
        .map(|(_, v)| *v)
        .expect("the harness sets the node password")
}

/// Creates per instance name, as the simulator recorded them.
fn creates(h: &Harness) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for c in h.sim.creations() {
        *out.entry(c.name).or_default() += 1;
    }
    out
}

#[test]
fn the_plan_shows_values_known_after_apply_and_the_inferred_edges() {
    let h = Harness::example(EXAMPLE, &Options::default());
    let plan = h.rewind(&["plan", "--offline"]);
    assert!(plan.ok(), "{}", plan.transcript());
    let out = &plan.stdout;
    assert!(
        out.contains("/target/data_nodes/0 = (known after apply) from ${restores.orders-dn-1.outputs.instance_id}"),
        "{out}"
    );
    assert!(out.contains("after orders-dn-1, orders-dn-2"), "{out}");
    assert!(
        out.contains("creates rds instance \"orders-dn-1-r202611200300\""),
        "{out}"
    );
    assert!(
        out.contains("/password = (sensitive) from ${secrets.node_password}"),
        "{out}"
    );

    let json = h.rewind(&["plan", "--offline", "--json"]);
    assert!(json.ok(), "{}", json.transcript());
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan --json");
    let meta = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == "orders-metadata")
        .expect("metadata step");
    assert_eq!(
        meta["unknown"],
        serde_json::json!(["/target/data_nodes/0", "/target/data_nodes/1"])
    );

    let graph = h.rewind(&["graph"]);
    assert!(graph.ok(), "{}", graph.transcript());
    assert!(
        graph.stdout.contains("orders-dn-1") && graph.stdout.contains("outputs.instance_id"),
        "{}",
        graph.stdout
    );
}

#[test]
fn new_data_nodes_then_metadata_onto_their_ids_once_both_creates_finished() {
    let h = Harness::example(EXAMPLE, &Options::default());
    let run = h.apply(&[]);
    assert!(run.ok(), "{}", run.transcript());

    let created = h.sim.creations();
    assert_eq!(created.len(), 2, "{created:?}");
    let log = h.sim.requests();
    let post = log
        .iter()
        .find(|e| e.method == "POST" && e.path.ends_with("/backups/metadata-recovery"))
        .expect("the metadata restore was submitted");
    let body = post.body.as_ref().expect("body logged");
    let mut sent: Vec<String> = body["target"]["data_nodes"]
        .as_array()
        .expect("data_nodes")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    sent.sort();
    let mut new_ids: Vec<String> = created.iter().map(|c| c.instance_id.clone()).collect();
    new_ids.sort();
    assert_eq!(sent, new_ids, "the metadata POST names the new instances");

    let world = h.sim.world_snapshot();
    for c in &created {
        let job = world.rds.jobs.get(&c.job_id).expect("the create's job");
        let ended = job.ended.expect("create job ended");
        assert_eq!(job.status, "Completed");
        assert!(
            post.at_ms >= ended,
            "metadata POST before {} finished",
            c.name
        );
        let seen = log.iter().any(|e| {
            e.method == "GET" && e.at_ms >= ended && e.seq < post.seq && e.query.contains(&c.job_id)
        });
        assert!(
            seen,
            "{} was not seen finished before the metadata POST",
            c.name
        );
    }

    let again = h.apply(&[]);
    assert!(again.ok(), "{}", again.transcript());
    assert!(
        again.stdout.contains("No changes"),
        "{}",
        again.transcript()
    );
    assert_eq!(h.sim.creations().len(), 2, "a second apply creates nothing");
}

#[test]
fn a_create_killed_mid_submit_is_adopted_by_name_never_created_twice() {
    // The create takes effect at once; its answer is held back long enough to kill rewind
    // while the record still says `submitting`.
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
    let h = Harness::example(
        EXAMPLE,
        &Options {
            faults,
            ..Options::default()
        },
    );
    let mut child = h.spawn(&["apply", "--auto-approve", "--parallelism", "1"]);
    let start = Instant::now();
    while h.sim.creations().is_empty() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        h.sim.creations().len(),
        1,
        "the first create reached the cloud"
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    h.set_faults(Faults::default());

    let run = h.apply(&[]);
    assert!(run.ok(), "{}", run.transcript());
    let per_name = creates(&h);
    assert_eq!(per_name.len(), 2, "{per_name:?}");
    assert!(
        per_name.values().all(|n| *n == 1),
        "no second instance: {per_name:?}"
    );
    assert!(
        run.stderr.contains("found") || run.stdout.contains("found"),
        "the interrupted create was adopted: {}",
        run.transcript()
    );
}

#[test]
fn the_password_reaches_neither_disk_nor_output_nor_the_request_log() {
    let h = Harness::example(EXAMPLE, &Options::default());
    let password = node_password();
    let plan = h.rewind(&["plan", "--out", "saved.plan"]);
    assert!(plan.ok(), "{}", plan.transcript());
    let run = h
        .command(&["apply", "saved.plan", "--json"])
        .env("REWIND_LOG", "trace")
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let history = h.rewind(&["history", "show", "1", "--json"]);
    let export = h.rewind(&["state", "export"]);
    let mut haystack: Vec<Vec<u8>> = vec![
        plan.stdout.into_bytes(),
        plan.stderr.into_bytes(),
        run.stdout,
        run.stderr,
        history.stdout.into_bytes(),
        export.stdout.into_bytes(),
        serde_json::to_vec(&h.sim.requests()).expect("log as JSON"),
        serde_json::to_vec(&h.sim.world_snapshot()).expect("world as JSON"),
    ];
    let mut stack = vec![h.dir.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                haystack.push(bytes);
            }
        }
    }
    let needle = password.as_bytes();
    for bytes in &haystack {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the password leaked into:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    // And it was sent: the simulator refuses a create whose password is the placeholder.
    assert_eq!(h.sim.creations().len(), 2);
}

#[test]
fn a_literal_password_is_a_located_error_that_does_not_repeat_it() {
    let text = std::fs::read_to_string(rewind_tests::repo_root().join("examples").join(EXAMPLE))
        .expect("example");
    let literal = "Lit3ral-Passw0rd";
    let broken = text.replacen(
        "password: ${secrets.node_password}",
        &format!("password: {literal}"),
        1,
    );
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("restore.yaml"), &broken).expect("write");
    let out = std::process::Command::new(rewind_tests::rewind_bin())
        .args(["validate"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("restore.yaml:35:"), "located: {text}");
    assert!(text.contains("is sensitive"), "{text}");
    assert!(
        !text.contains(literal),
        "the error repeats the password: {text}"
    );
}
