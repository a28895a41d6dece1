//! `backup_id: latest` on `ddm.metadata_restore`: the plan pins the source's newest `normal`
//! metadata backup (read from DDM's project-wide list), apply submits it, a drill records it
//! and measures the RPO from it.

use rewind_tests::{Harness, Options, repo_root};

const SOURCE: &str = "1f5c9fd6cd984056ba89c8c87cc03278in09";
const TARGET: &str = "2f0324a93859487eb5566d75951fcd2din09";

fn spec() -> String {
    let text = std::fs::read_to_string(repo_root().join("examples/ddm-metadata-restore.yaml"))
        .expect("examples/ddm-metadata-restore.yaml");
    let written = "backup_id: defa45b24d314e878fde930a61732e9dbr09";
    assert!(text.contains(written), "{text}");
    format!(
        "{}drills:\n  check:\n    scratch: [{TARGET}]\n",
        text.replace(written, "backup_id: latest")
    )
}

fn id(n: u8) -> String {
    format!("{:032x}br09", u128::from(n) + 0xd0)
}

/// A metadata backup of `instance` with `status`, finished (`updated`) at `at`.
fn add(w: &mut rewind_sim::World, instance: &str, id: &str, status: &str, at: i64) {
    w.ensure_ddm_backup(instance, id);
    if let Some(b) = w.ddm.backups.get_mut(id) {
        status.clone_into(&mut b.status);
        (b.created, b.updated) = (at - 20_000, Some(at));
    }
}

/// The source's backups: an old and a newest `normal` one, a newer one still `creating`, and
/// a newer `normal` one of another instance (the list is project-wide).
fn backups(h: &Harness) -> (String, i64) {
    let now = h.sim.clock().now_ms();
    let newest_at = now - 60_000;
    h.sim.edit_world(|w| {
        w.ddm.backups.clear();
        add(w, SOURCE, &id(1), "normal", now - 5 * 3_600_000);
        add(w, SOURCE, &id(2), "normal", newest_at);
        add(w, SOURCE, &id(3), "creating", now - 1_000);
        add(w, TARGET, &id(4), "normal", now - 2_000);
    });
    (id(2), newest_at)
}

/// The `backup_id` of every metadata restore the simulator received.
fn submitted(h: &Harness) -> Vec<String> {
    h.sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/backups/metadata-recovery"))
        .filter_map(|r| {
            r.body.as_ref()?["source"]["backup_id"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn the_plan_pins_the_newest_normal_backup_of_the_source_and_apply_restores_it() {
    let h = Harness::new(&spec(), &Options::default());
    let (newest, _) = backups(&h);
    let plan = h.rewind(&["plan", "--out", "p.plan"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stderr.contains(&format!(
            "recovery point of `catalog-metadata`: backup_id: latest = {newest}"
        )),
        "{}",
        plan.transcript()
    );
    assert!(
        plan.stdout.contains(&newest) && !plan.stdout.contains("\"latest\""),
        "the plan shows the resolved ID: {}",
        plan.transcript()
    );
    let saved = std::fs::read_to_string(h.dir.path().join("p.plan")).expect("plan file");
    assert!(saved.contains(&newest), "{saved}");

    // A backup that finishes after the plan is not what the reviewed plan restores.
    let later = h.sim.clock().now_ms() - 1;
    h.sim
        .edit_world(|w| add(w, SOURCE, &id(9), "normal", later));
    let apply = h.rewind(&["apply", "p.plan"]);
    assert!(apply.ok(), "{}", apply.transcript());
    assert_eq!(submitted(&h), [newest]);
}

#[test]
fn a_drill_records_the_backup_it_chose_and_measures_the_rpo_from_it() {
    let h = Harness::new(&spec(), &Options::default());
    let (newest, at) = backups(&h);
    let drill = h.rewind(&["drill", "check"]);
    assert!(drill.ok(), "{}", drill.transcript());
    assert_eq!(submitted(&h), std::slice::from_ref(&newest));

    let history = h.rewind(&["drill", "history", "--json"]);
    assert!(history.ok(), "{}", history.transcript());
    let v: serde_json::Value = serde_json::from_str(&history.stdout).expect("history JSON");
    let r = &v["drills"][0]["record"];
    let pick = &r["recovery"][0];
    assert_eq!(pick["operation"], "catalog-metadata", "{r:#}");
    assert_eq!(pick["choice"], "latest_backup", "{r:#}");
    assert_eq!(pick["source"], SOURCE, "{r:#}");
    assert_eq!(pick["backup_id"], newest.as_str(), "{r:#}");
    // The list writes whole seconds.
    let at = at - at.rem_euclid(1000);
    assert_eq!(pick["chosen"].as_i64(), Some(at), "{r:#}");
    assert_eq!(pick["newest_offered"].as_i64(), Some(at), "{r:#}");
    let started = r["started_at"].as_i64().expect("started_at");
    let rpo = u64::try_from(started - at).expect("the backup is older than the drill");
    assert_eq!(r["rpo_ms"].as_u64(), Some(rpo), "{r:#}");
    assert_eq!(r["rpo_offered_ms"].as_u64(), Some(rpo), "{r:#}");
}

#[test]
fn a_source_without_a_normal_backup_stops_the_plan_at_its_line_and_nothing_is_sent() {
    let h = Harness::new(&spec(), &Options::default());
    let now = h.sim.clock().now_ms();
    h.sim.edit_world(|w| {
        w.ddm.backups.clear();
        add(w, SOURCE, &id(1), "createfail", now - 60_000);
        add(w, TARGET, &id(2), "normal", now - 60_000);
    });
    for args in [&["plan"][..], &["drill", "check"]] {
        let run = h.rewind(args);
        assert_eq!(run.status, Some(1), "{args:?}: {}", run.transcript());
        assert!(
            run.stderr.contains("`restores.catalog-metadata` (line 5)")
                && run
                    .stderr
                    .contains(&format!("no finished backup of {SOURCE}"))
                && run.stderr.contains("write a backup ID"),
            "{args:?}: {}",
            run.transcript()
        );
    }
    let posts: Vec<String> = h
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && !r.path.contains("/auth/"))
        .map(|r| r.path.clone())
        .collect();
    assert!(posts.is_empty(), "nothing was submitted: {posts:?}");
}
