//! A dropped submit response while the cloud's clock is five minutes behind, five minutes
//! ahead, and ten minutes behind the machine's: reconcile matches record times in the cloud's clock (estimated from
//! each answer's `Date`), so every restore is adopted, with one POST.

use rewind_sim::{FaultRule, Faults, Service, World};
use rewind_tests::{Harness, Options, repo_root, targets};

/// Slow enough that the simulated clock stays about five minutes off the machine's for the
/// whole run (it gains 9 s per real second), fast enough for restores of a few seconds.
const TIME_SCALE: f64 = 10.0;

fn short_restores(world: &mut World) {
    let d = &mut world.durations;
    for secs in [
        &mut d.rds_restore,
        &mut d.ddm_restore,
        &mut d.ddm_metadata_restore,
        &mut d.cbr_restore,
        &mut d.dcs_restore,
    ] {
        *secs = 10.0;
    }
}

fn behind(world: &mut World) {
    short_restores(world);
    world.clock_offset_seconds = -300;
}

fn far_behind(world: &mut World) {
    short_restores(world);
    world.clock_offset_seconds = -600;
}

fn ahead(world: &mut World) {
    short_restores(world);
    world.clock_offset_seconds = 300;
}

fn adopted_once(example: &str, service: Service, skew: fn(&mut World), label: &str) {
    let text = std::fs::read_to_string(repo_root().join("examples").join(example))
        .expect("example exists");
    let faults = Faults {
        rules: vec![FaultRule {
            service: Some(service),
            method: Some("POST".into()),
            drop_response_rate: 1.0,
            ..FaultRule::default()
        }],
        ..Faults::default()
    };
    let h = Harness::new(
        &text,
        &Options {
            faults,
            time_scale: TIME_SCALE,
            world: Some(skew),
            ..Options::default()
        },
    );
    let ops = targets(&text).len();
    let run = h.apply(&[]);
    assert!(run.ok(), "{example}, cloud {label}: {}", run.transcript());
    let log = h.sim.requests();
    let posts: Vec<_> = log
        .iter()
        .filter(|e| e.service == service && e.method == "POST")
        .collect();
    assert!(
        !posts.is_empty()
            && posts
                .iter()
                .all(|e| e.fault.as_deref() == Some("drop_response")),
        "{example}, cloud {label}: every restore POST lost its answer"
    );
    assert_eq!(
        run.stderr.matches("found its job").count(),
        ops,
        "{example}, cloud {label}: reconcile adopted every restore: {}",
        run.transcript()
    );
    let mut want = std::collections::BTreeMap::new();
    for target in targets(&text).into_values() {
        *want.entry(target).or_insert(0_u32) += 1;
    }
    assert_eq!(
        h.submissions(),
        want,
        "{example}, cloud {label}: one POST each"
    );
}

#[test]
fn a_lost_submit_is_adopted_with_the_clouds_clock_five_minutes_behind_or_ahead() {
    for (example, service) in [
        ("rds-restore.yaml", Service::Rds),
        ("ddm-restore.yaml", Service::Ddm),
        ("dcs-restore.yaml", Service::Dcs),
        ("cbr-restore.yaml", Service::Cbr),
    ] {
        adopted_once(example, service, behind, "5 min behind");
        adopted_once(example, service, ahead, "5 min ahead");
        // The documented tolerance: ten minutes.
        adopted_once(example, service, far_behind, "10 min behind");
    }
}
