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
