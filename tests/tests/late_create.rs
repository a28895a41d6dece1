//! An ambiguous create whose instance shows in the list only an hour of simulated time later,
//! long after rewind's reconcile window: the next apply looks the name up again and adopts it, and
//! `--resubmit` adopts it too rather than stopping at a taken name. A create that never ran is
//! sent once by `--resubmit`.

use rewind_sim::{FaultRule, Faults, Service, World};
use rewind_tests::{Harness, Options};
use std::time::Duration;

/// The reconcile window (four looks, 0.05 s apart and doubling: 0.75 s) is 75 simulated s.
const TIME_SCALE: f64 = 100.0;
/// How long the created instance stays out of the list: 36 real seconds, so even a first apply
/// slowed down by a loaded machine ends its reconcile window before the instance shows (with
/// three minutes, 1.8 real seconds, it did not always). The test then moves the simulated clock
/// past it rather than waiting.
const UNLISTED_FOR: Duration = Duration::from_secs(3600);

const SPEC: &str = r#"
version: 1
cloud:
  region: eu-de
  project_id: 619d3e78f61b4be68bc5aa0b59edcf7b
secrets:
  node_password: { env: REWIND_NODE_PASSWORD }
restores:
  orders-dn-1:
    kind: rds.restore_new
    name: orders-dn-1-r202611200300
    restore_point:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      type: timestamp
      restore_time: "2026-11-20T03:00:00Z"
    flavor_ref: rds.mysql.n1.large
    volume: { type: CLOUDSSD, size: 40 }
    availability_zone: eu-de-01
    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce
    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f
    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5
    password: ${secrets.node_password}
"#;

fn quick_create(world: &mut World) {
    world.job_durations.rds_create = 20.0;
}

/// The create POST takes effect, its answer is lost, and the instance stays out of the list
/// for [`UNLISTED_FOR`].
fn lost_and_unlisted() -> FaultRule {
    FaultRule {
        service: Some(Service::Rds),
        method: Some("POST".into()),
        path: Some("/v3/*/instances".into()),
        drop_response_rate: 1.0,
        list_invisible_seconds: UNLISTED_FOR.as_secs_f64(),
        times: Some(1),
        ..FaultRule::default()
    }
}

fn harness(rule: FaultRule) -> Harness {
    Harness::new(
        SPEC,
        &Options {
            faults: Faults {
                rules: vec![rule],
                ..Faults::default()
            },
            time_scale: TIME_SCALE,
            world: Some(quick_create),
            ..Options::default()
        },
    )
}

fn first_apply_is_unknown(h: &Harness) {
    let first = h.apply(&[]);
    assert_eq!(first.status, Some(1), "{}", first.transcript());
    assert!(
        first.stderr.contains("outcome unknown") || first.stdout.contains("outcome unknown"),
        "{}",
        first.transcript()
    );
}

#[test]
fn a_create_listed_after_the_reconcile_window_is_adopted_on_the_next_apply() {
    let h = harness(lost_and_unlisted());
    first_apply_is_unknown(&h);
    assert_eq!(h.sim.creations().len(), 1);
    h.sim.clock().advance(UNLISTED_FOR);
    let plan = h.rewind(&["plan"]);
    assert!(plan.ok(), "not blocked: {}", plan.transcript());
    assert!(
        plan.stdout
            .contains("looks up the name orders-dn-1-r202611200300 again"),
        "{}",
        plan.transcript()
    );
    let second = h.apply(&[]);
    assert!(second.ok(), "{}", second.transcript());
    assert!(
        second.stderr.contains("found") || second.stdout.contains("found"),
        "adopted: {}",
        second.transcript()
    );
    assert_eq!(h.sim.creations().len(), 1, "created once");
}

#[test]
fn resubmit_of_a_create_whose_name_now_exists_adopts_that_instance() {
    let h = harness(lost_and_unlisted());
    first_apply_is_unknown(&h);
    h.sim.clock().advance(UNLISTED_FOR);
    let run = h.apply(&["--resubmit", "orders-dn-1"]);
    assert!(run.ok(), "no preflight dead end: {}", run.transcript());
    assert_eq!(h.sim.creations().len(), 1, "adopted, not created again");
}

#[test]
fn resubmit_of_a_create_that_never_ran_sends_it_once() {
    // A 500 before any effect: ambiguous to rewind, nothing in the cloud.
    let h = harness(FaultRule {
        service: Some(Service::Rds),
        method: Some("POST".into()),
        path: Some("/v3/*/instances".into()),
        error_rate: 1.0,
        error_status: 500,
        times: Some(1),
        ..FaultRule::default()
    });
    first_apply_is_unknown(&h);
    assert_eq!(h.sim.creations().len(), 0);
    let run = h.apply(&["--resubmit", "orders-dn-1"]);
    assert!(run.ok(), "{}", run.transcript());
    assert_eq!(h.sim.creations().len(), 1, "sent once");
}
