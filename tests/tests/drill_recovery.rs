//! `restore_time: latest` in a drill: the newest point the simulator's world can restore is
//! chosen when the plan is made, restored, recorded, and the RPO is measured from it.

use rewind_tests::{Harness, Options};

const SOURCE: &str = "7edae0250ebc464897bd92b8d3e8b769in01";

fn spec(restore_time: &str) -> String {
    format!(
        r"version: 1
secrets:
  node_password: {{ env: REWIND_NODE_PASSWORD }}
restores:
  orders-dn-1:
    kind: rds.restore_new
    name: orders-dn-1-drill
    restore_point:
      instance_id: {SOURCE}
      restore_time: {restore_time}
    flavor_ref: rds.mysql.n1.large
    volume: {{ type: CLOUDSSD, size: 40 }}
    availability_zone: eu-de-01
    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce
    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f
    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5
    password: ${{secrets.node_password}}
drills:
  newest:
    rpo: 1h
"
    )
}

fn record(h: &Harness) -> serde_json::Value {
    let history = h.rewind(&["drill", "history", "--json"]);
    assert!(history.ok(), "{}", history.transcript());
    let v: serde_json::Value = serde_json::from_str(&history.stdout).expect("history JSON");
    let drills = v["drills"].as_array().expect("drills");
    assert_eq!(drills.len(), 1, "{v:#}");
    drills[0]["record"].clone()
}

#[test]
fn latest_restores_the_newest_restorable_point_and_records_it_with_the_rpo() {
    let h = Harness::new(&spec("latest"), &Options::default());
    let newest = h.sim.world_snapshot().rds.instances[SOURCE]
        .restore_windows
        .iter()
        .map(|w| w.end)
        .max()
        .expect("the world offers a window");
    let run = h.rewind(&["drill", "newest"]);
    assert!(run.ok(), "{}", run.transcript());
    assert!(
        run.stderr
            .contains("recovery point of `orders-dn-1`: latest"),
        "{}",
        run.transcript()
    );

    // The simulator accepted the create, which it refuses outside the source's window.
    let created: Vec<_> = h
        .sim
        .creations()
        .into_iter()
        .filter(|c| c.source_instance_id == SOURCE)
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");

    let r = record(&h);
    let pick = &r["recovery"][0];
    assert_eq!(pick["operation"], "orders-dn-1");
    assert_eq!(pick["choice"], "latest");
    assert_eq!(pick["source"], SOURCE);
    assert_eq!(pick["chosen"].as_i64(), Some(newest), "{r:#}");
    assert_eq!(pick["newest_offered"].as_i64(), Some(newest), "{r:#}");

    // Both RPOs are the drill's start minus the world's newest point.
    let started = r["started_at"].as_i64().expect("started_at");
    let expected = u64::try_from(started - newest).expect("the point is before the start");
    assert_eq!(r["rpo_ms"].as_u64(), Some(expected), "{r:#}");
    assert_eq!(r["rpo_offered_ms"].as_u64(), Some(expected), "{r:#}");

    // The report restored the same point.
    let dir = h.state_dir().join("drills/newest/run-0001");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json")).expect("report.json"),
    )
    .expect("report JSON");
    let point: jiff::Timestamp = report["rpo"]["recovery_point"]
        .as_str()
        .expect("recovery point")
        .parse()
        .expect("a time");
    assert_eq!(point.as_millisecond(), newest, "{report:#}");
}

#[test]
fn random_within_picks_inside_the_window_with_a_recorded_seed() {
    // A random point of the last week is older than an hour: this drill's budget allows it.
    let text = spec("random_within 7d").replace("rpo: 1h", "rpo: 200h");
    let h = Harness::new(&text, &Options::default());
    let windows = h.sim.world_snapshot().rds.instances[SOURCE]
        .restore_windows
        .clone();
    let run = h.rewind(&["drill", "newest"]);
    assert!(run.ok(), "{}", run.transcript());
    let r = record(&h);
    let pick = &r["recovery"][0];
    let chosen = pick["chosen"].as_i64().expect("chosen");
    let newest = windows.iter().map(|w| w.end).max().expect("a window");
    assert!(
        windows.iter().any(|w| (w.start..=w.end).contains(&chosen))
            && chosen >= newest - 7 * 86_400_000,
        "{chosen} inside {windows:?}"
    );
    assert!(pick["seed"].as_u64().is_some(), "{r:#}");
}

#[test]
fn backup_id_latest_restores_the_newest_succeeded_backup_and_records_it() {
    const CACHE: &str = "3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77";
    const BACKUP: &str = "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029";
    let fixed = format!(
        "version: 1\nrestores:\n  sessions:\n    kind: dcs.restore\n    instance_id: {CACHE}\n    backup_id: {BACKUP}\n    remark: drill\ndrills:\n  newest:\n    scratch: [{CACHE}]\n"
    );
    // The world holds the backup the fixed spec names; the drill then asks for the newest.
    let h = Harness::new(&fixed, &Options::default());
    std::fs::write(&h.spec, fixed.replace(BACKUP, "latest")).expect("rewrite spec");
    let run = h.rewind(&["drill", "newest"]);
    assert!(run.ok(), "{}", run.transcript());
    let r = record(&h);
    let pick = &r["recovery"][0];
    assert_eq!(pick["choice"], "latest_backup", "{r:#}");
    assert_eq!(pick["backup_id"], BACKUP, "{r:#}");
    let started = r["started_at"].as_i64().expect("started_at");
    let chosen = pick["chosen"].as_i64().expect("chosen");
    assert_eq!(
        r["rpo_ms"].as_u64(),
        u64::try_from(started - chosen).ok(),
        "{r:#}"
    );
}

/// The restore time the record of `name` holds, as the request sent it.
fn recorded_restore_time(h: &Harness, name: &str) -> i64 {
    let show = h.rewind(&["state", "show", name, "--json"]);
    assert!(show.ok(), "{}", show.transcript());
    let v: serde_json::Value = serde_json::from_str(&show.stdout).expect("record JSON");
    let text = v.to_string();
    let at = text
        .split("\"restore_time\":")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .find(|p| !p.is_empty())
        })
        .and_then(|digits| digits.parse().ok());
    at.unwrap_or_else(|| panic!("no restore_time in the record: {v:#}"))
}

#[test]
fn plan_and_apply_pin_latest_and_a_later_plan_does_not_restore_again() {
    let h = Harness::new(&spec("latest"), &Options::default());
    let newest = h.sim.world_snapshot().rds.instances[SOURCE]
        .restore_windows
        .iter()
        .map(|w| w.end)
        .max()
        .expect("the world offers a window");

    // A plan made against the cloud chooses the point and says so.
    let plan = h.rewind(&["plan", "--out", "p.plan"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stderr
            .contains("recovery point of `orders-dn-1`: latest"),
        "{}",
        plan.transcript()
    );
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(h.dir.path().join("p.plan")).expect("plan file"),
    )
    .expect("plan JSON");
    assert!(
        saved["steps"][0]["spec"]
            .to_string()
            .contains(&newest.to_string()),
        "the saved plan pins the newest point: {saved:#}"
    );

    let apply = h.rewind(&["apply", "p.plan"]);
    assert!(apply.ok(), "{}", apply.transcript());
    assert_eq!(recorded_restore_time(&h, "orders-dn-1"), newest);
    let created = h.sim.creations();
    assert_eq!(created.len(), 1, "{created:?}");

    // The newest point moves on, but the restore succeeded with the spec as written.
    let again = h.rewind(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.status, Some(0), "{}", again.transcript());
    let apply = h.apply(&[]);
    assert!(apply.ok(), "{}", apply.transcript());
    assert_eq!(h.sim.creations().len(), 1, "no second restore");
}

#[test]
fn an_offline_plan_of_latest_is_not_applied() {
    let h = Harness::new(&spec("latest"), &Options::default());
    let plan = h.rewind(&["plan", "--offline", "--out", "p.plan"]);
    assert!(plan.ok(), "{}", plan.transcript());
    assert!(
        plan.stdout.contains("apply refuses this plan"),
        "{}",
        plan.transcript()
    );
    let apply = h.rewind(&["apply", "p.plan"]);
    assert_eq!(apply.status, Some(1), "{}", apply.transcript());
    assert!(
        apply.stderr.contains("never chosen"),
        "{}",
        apply.transcript()
    );
    assert!(h.sim.creations().is_empty(), "nothing was sent");
}

/// One kind that restores a backup, for the `backup_id: latest` tests.
struct BackupKind {
    name: &'static str,
    /// The spec, with `backup_id: latest` and a drill `check`.
    spec: String,
    /// The instance (CBR: the disk) whose backups `latest` chooses from.
    source: &'static str,
    /// Adds a backup of `source` with this ID, finished (`true`) or still running, ended at
    /// the epoch ms given.
    add: fn(&mut rewind_sim::World, &str, &str, bool, i64),
}

const RDS_SOURCE: &str = "7edae0250ebc464897bd92b8d3e8b769in01";
const RDS_TARGET: &str = "5c9d41e6f3a24c7b8e0d2f1a6b3c4d5ein01";
const DDS_SOURCE: &str = "8a6e2d4c1b3f4e5d9c7b6a5f4e3d2c1bin02";
const DDS_TARGET: &str = "9b7f3e5d2c4a4f6e8d0c1b2a3f4e5d6cin02";
const TAURUS_SOURCE: &str = "96a3a3b5a0c54d97b6d3a5c2e0f1b4d2in07";
const TAURUS_TARGET: &str = "c1d2e3f4a5b6478899aabbccddeeff00in07";
const DISK: &str = "3e2b1c0d-9a8b-4c7d-8e6f-5a4b3c2d1e0f";
const CACHE: &str = "3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77";

fn add_rds(w: &mut rewind_sim::World, source: &str, id: &str, done: bool, at: i64) {
    w.ensure_rds_backup(source, id);
    if let Some(b) = w.rds.backups.get_mut(id) {
        if done { "COMPLETED" } else { "BUILDING" }.clone_into(&mut b.status);
        (b.begin_time, b.end_time) = (at - 60_000, at);
    }
}

fn add_dds(w: &mut rewind_sim::World, source: &str, id: &str, done: bool, at: i64) {
    w.ensure_dds_backup(source, id);
    if let Some(b) = w.dds.backups.get_mut(id) {
        if done { "COMPLETED" } else { "BUILDING" }.clone_into(&mut b.status);
        (b.begin_time, b.end_time) = (at - 60_000, at);
    }
}

fn add_taurus(w: &mut rewind_sim::World, source: &str, id: &str, done: bool, at: i64) {
    w.ensure_taurusdb_backup(source, id);
    if let Some(b) = w.taurusdb.backups.get_mut(id) {
        if done { "COMPLETED" } else { "BUILDING" }.clone_into(&mut b.status);
        (b.begin_time, b.end_time) = (at - 60_000, at);
    }
}

fn add_dcs(w: &mut rewind_sim::World, source: &str, id: &str, done: bool, at: i64) {
    w.ensure_dcs_backup(source, id);
    if let Some(b) = w.dcs.backups.get_mut(id) {
        // A running backup keeps the instance busy (DCS.4096): a failed one is not restorable.
        if done { "succeed" } else { "failed" }.clone_into(&mut b.status);
        b.created_at = at;
    }
}

fn add_cbr(w: &mut rewind_sim::World, source: &str, id: &str, done: bool, at: i64) {
    w.ensure_cbr_backup(id, None, Some(source), &[]);
    if let Some(b) = w.cbr.backups.get_mut(id) {
        if done { "available" } else { "protecting" }.clone_into(&mut b.status);
        b.created_at = at;
    }
}

fn backup_kinds() -> Vec<BackupKind> {
    let rds_new = spec("x")
        .replace("restore_time: x", "backup_id: latest")
        .replace("rpo: 1h", "rpo: 100h");
    vec![
        BackupKind {
            name: "rds.restore",
            spec: format!(
                "version: 1\nrestores:\n  db:\n    kind: rds.restore\n    source:\n      instance_id: {RDS_SOURCE}\n      backup_id: latest\n    target:\n      instance_id: {RDS_TARGET}\ndrills:\n  check:\n    scratch: [{RDS_TARGET}]\n"
            ),
            source: RDS_SOURCE,
            add: add_rds,
        },
        BackupKind {
            name: "rds.restore_new",
            spec: rds_new
                .replace("  newest:\n", "  check:\n")
                .replace("orders-dn-1:", "db:"),
            source: SOURCE,
            add: add_rds,
        },
        BackupKind {
            name: "dds.restore",
            spec: format!(
                "version: 1\nrestores:\n  db:\n    kind: dds.restore\n    source:\n      instance_id: {DDS_SOURCE}\n      type: backup\n      backup_id: latest\n    target:\n      instance_id: {DDS_TARGET}\ndrills:\n  check:\n    scratch: [{DDS_TARGET}]\n"
            ),
            source: DDS_SOURCE,
            add: add_dds,
        },
        BackupKind {
            name: "dds.restore_new",
            spec: format!(
                "version: 1\nsecrets:\n  p: {{ env: REWIND_MONGO_PASSWORD }}\nrestores:\n  db:\n    kind: dds.restore_new\n    name: catalog-drill\n    restore_point:\n      instance_id: {DDS_SOURCE}\n      backup_id: latest\n    availability_zone: eu-de-01\n    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce\n    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f\n    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5\n    flavor:\n      - {{ type: replica, num: 1, spec_code: dds.mongodb.s2.medium.4.repset, size: 40 }}\n    password: ${{secrets.p}}\ndrills:\n  check:\n    rpo: 100h\n"
            ),
            source: DDS_SOURCE,
            add: add_dds,
        },
        BackupKind {
            name: "taurusdb.restore",
            spec: format!(
                "version: 1\nrestores:\n  db:\n    kind: taurusdb.restore\n    source_instance_id: {TAURUS_SOURCE}\n    target_instance_id: {TAURUS_TARGET}\n    backup_id: latest\ndrills:\n  check:\n    scratch: [{TAURUS_TARGET}]\n"
            ),
            source: TAURUS_SOURCE,
            add: add_taurus,
        },
        BackupKind {
            name: "dcs.restore",
            spec: format!(
                "version: 1\nrestores:\n  db:\n    kind: dcs.restore\n    instance_id: {CACHE}\n    backup_id: latest\ndrills:\n  check:\n    scratch: [{CACHE}]\n"
            ),
            source: CACHE,
            add: add_dcs,
        },
        BackupKind {
            name: "cbr.restore",
            spec: format!(
                "version: 1\nrestores:\n  db:\n    kind: cbr.restore\n    backup_id: latest\n    volume_id: {DISK}\n    power_on: false\ndrills:\n  check:\n    scratch: [{DISK}]\n"
            ),
            source: DISK,
            add: add_cbr,
        },
    ]
}

/// IDs shaped as each service's list returns them.
fn backup_id(kind: &BackupKind, n: u8) -> String {
    if matches!(kind.name, "dcs.restore" | "cbr.restore") {
        format!("00000000-0000-4000-8000-0000000000{n:02}")
    } else {
        format!("{:032x}br01", u128::from(n) + 0xabc0)
    }
}

/// The POST requests the simulator received whose path or body names `id`.
fn posts_naming(h: &Harness, id: &str) -> usize {
    h.sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .filter(|r| {
            r.path.contains(id) || r.body.as_ref().is_some_and(|b| b.to_string().contains(id))
        })
        .count()
}

#[test]
fn backup_id_latest_is_pinned_by_the_plan_submitted_by_apply_and_recorded_by_a_drill() {
    for kind in backup_kinds() {
        let h = Harness::new(&kind.spec, &Options::default());
        let now = h.sim.clock().now_ms();
        let (old, newest, running, newer) = (
            backup_id(&kind, 1),
            backup_id(&kind, 2),
            backup_id(&kind, 3),
            backup_id(&kind, 4),
        );
        h.sim.edit_world(|w| {
            (kind.add)(w, kind.source, &old, true, now - 5 * 3_600_000);
            (kind.add)(w, kind.source, &newest, true, now - 60_000);
            // Newer, but not finished: not a restorable backup.
            (kind.add)(w, kind.source, &running, false, now - 1_000);
        });

        // The plan chooses the newest finished backup, shows it and saves it.
        let plan = h.rewind(&["plan", "--out", "p.plan"]);
        assert!(plan.ok(), "{}: {}", kind.name, plan.transcript());
        assert!(
            plan.stderr.contains(&format!(
                "recovery point of `db`: backup_id: latest = {newest}"
            )),
            "{}: {}",
            kind.name,
            plan.transcript()
        );
        assert!(
            plan.stdout.contains(&newest) && !plan.stdout.contains("\"latest\""),
            "{}: the plan shows the resolved ID: {}",
            kind.name,
            plan.transcript()
        );
        let saved = std::fs::read_to_string(h.dir.path().join("p.plan")).expect("plan file");
        assert!(saved.contains(&newest), "{}: {saved}", kind.name);

        // A backup finished after the plan: the saved plan still restores its own pick.
        let later = h.sim.clock().now_ms() - 1;
        h.sim
            .edit_world(|w| (kind.add)(w, kind.source, &newer, true, later));
        let apply = h.rewind(&["apply", "p.plan"]);
        assert!(apply.ok(), "{}: {}", kind.name, apply.transcript());
        assert_eq!(
            posts_naming(&h, &newest),
            1,
            "{}: {:#?}",
            kind.name,
            h.sim.requests()
        );
        assert_eq!(posts_naming(&h, &newer), 0, "{}", kind.name);

        // A drill chooses when it runs: the newer backup now, recorded with its time. (Its
        // new instance must not take the name the apply just gave one.)
        std::fs::write(&h.spec, kind.spec.replace("-drill\n", "-check\n")).expect("spec");
        let drill = h.rewind(&["drill", "check"]);
        assert!(drill.ok(), "{}: {}", kind.name, drill.transcript());
        let r = record(&h);
        let pick = &r["recovery"][0];
        assert_eq!(pick["choice"], "latest_backup", "{}: {r:#}", kind.name);
        assert_eq!(pick["backup_id"], newer.as_str(), "{}: {r:#}", kind.name);
        assert_eq!(posts_naming(&h, &newer), 1, "{}", kind.name);
    }
}

#[test]
fn backup_id_latest_without_a_finished_backup_is_a_located_error_and_nothing_is_sent() {
    let kinds = backup_kinds();
    let kind = &kinds[0];
    let h = Harness::new(&kind.spec, &Options::default());
    h.sim.edit_world(|w| {
        w.rds.backups.clear();
        add_rds(w, RDS_SOURCE, &backup_id(kind, 9), false, 0);
    });
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["drill", "check"],
    ] {
        let run = h.rewind(args);
        assert!(!run.ok(), "{args:?}: {}", run.transcript());
        assert!(
            run.stderr.contains("`restores.db` (line 3)")
                && run
                    .stderr
                    .contains(&format!("no finished backup of {RDS_SOURCE}"))
                && run.stderr.contains("write a backup ID"),
            "{args:?}: {}",
            run.transcript()
        );
    }
    let submitted: Vec<String> = h
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && !r.path.contains("/auth/"))
        .map(|r| r.path.clone())
        .collect();
    assert!(submitted.is_empty(), "nothing was submitted: {submitted:?}");
}

/// A drill with no `rpo:` budget still measures and prints its RPO: for the kinds whose
/// provider reports no recovery point (TaurusDB, CBR), from the backup `latest` chose.
#[test]
fn a_drill_without_an_rpo_budget_prints_and_records_the_rpo_of_the_backup_it_chose() {
    for kind in backup_kinds() {
        let spec = kind.spec.replace("    rpo: 100h\n", "");
        assert!(!spec.contains("rpo:"), "{spec}");
        let h = Harness::new(&spec, &Options::default());
        let now = h.sim.clock().now_ms();
        let newest = backup_id(&kind, 2);
        h.sim
            .edit_world(|w| (kind.add)(w, kind.source, &newest, true, now - 60_000));
        let drill = h.rewind(&["drill", "check"]);
        assert!(drill.ok(), "{}: {}", kind.name, drill.transcript());
        let r = record(&h);
        assert_eq!(
            r["recovery"][0]["backup_id"],
            newest.as_str(),
            "{}: {r:#}",
            kind.name
        );
        let rpo = r["rpo_ms"].as_u64().unwrap_or_else(|| {
            panic!("{}: no RPO recorded: {r:#}", kind.name);
        });
        let offered = r["rpo_offered_ms"].as_u64().expect("offered RPO");
        // The backup ended a minute before the plan (by the simulator's clock, which the
        // drill's start is read from: close to a minute, not hours).
        assert!((30_000..1_800_000).contains(&rpo), "{}: {rpo}", kind.name);
        assert_eq!(
            rpo, offered,
            "{}: latest restores the newest offered",
            kind.name
        );
        let line = drill
            .stderr
            .lines()
            .find(|l| l.starts_with("  RPO "))
            .unwrap_or_else(|| panic!("{}: no RPO line: {}", kind.name, drill.transcript()));
        let shown = rewind_drills::report::human_duration(std::time::Duration::from_millis(rpo));
        assert!(
            line.starts_with(&format!("  RPO {shown} (no budget); offered {shown}")),
            "{}: {line}",
            kind.name
        );
    }
}
