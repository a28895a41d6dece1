//! A dropped submit response whose restore ends before rewind's first reconcile look: the next
//! step adopts the finished job from a record that outlives it (RDS task list, DDM job list,
//! CBR operation logs, DCS restore records) or, for TaurusDB, blocks with console advice.
//! Never a second POST.

use rewind_sim::{FaultRule, Faults, Service};
use rewind_tests::{Harness, Options, repo_root, targets};

/// Simulated seconds per real second: the first reconcile look (0.05 s after the submit)
/// lands 1 000 simulated seconds later, after the longest restore (CBR, 600 s) has ended.
const TIME_SCALE: f64 = 20_000.0;
/// The longest restore of each kind's default duration, in simulated ms.
const LONGEST_MS: i64 = 600_000;

fn harness(example: &str, service: Service) -> (Harness, String) {
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
            ..Options::default()
        },
    );
    (h, text)
}

/// Every restore POST of `service` was answered by nothing, and the first read of the service
/// after the last one came only once every restore had ended.
fn assert_dropped_then_looked_late(h: &Harness, service: Service) {
    let log = h.sim.requests();
    let posts: Vec<_> = log
        .iter()
        .filter(|e| e.service == service && e.method == "POST")
        .collect();
    assert!(!posts.is_empty(), "{service:?}: a restore was submitted");
    assert!(
        posts
            .iter()
            .all(|e| e.fault.as_deref() == Some("drop_response")),
        "{service:?}: every response was dropped"
    );
    let last_post = posts.iter().map(|e| e.at_ms).max().unwrap_or_default();
    let first_look = log
        .iter()
        .filter(|e| e.service == service && e.method == "GET" && e.at_ms >= last_post)
        .map(|e| e.at_ms)
        .min()
        .expect("reconcile looked");
    assert!(
        first_look - posts[0].at_ms >= LONGEST_MS,
        "{service:?}: the first look ({first_look}) came after every restore ended (first POST {})",
        posts[0].at_ms
    );
}

fn assert_one_submit_each(h: &Harness, text: &str) {
    let subs = h.submissions();
    let mut want = std::collections::BTreeMap::new();
    for target in targets(text).into_values() {
        *want.entry(target).or_insert(0_u32) += 1;
    }
    assert_eq!(subs, want, "one POST per operation");
}

#[test]
fn a_restore_that_ended_before_the_first_look_is_adopted_not_resubmitted() {
    for (example, service) in [
        ("rds-restore.yaml", Service::Rds),
        ("ddm-restore.yaml", Service::Ddm),
        ("ddm-metadata-restore.yaml", Service::Ddm),
        ("cbr-restore.yaml", Service::Cbr),
        ("dcs-restore.yaml", Service::Dcs),
    ] {
        let (h, text) = harness(example, service);
        let ops = targets(&text).len();
        let run = h.apply(&[]);
        assert!(run.ok(), "{example}: {}", run.transcript());
        assert_dropped_then_looked_late(&h, service);
        assert_eq!(
            run.stderr.matches("found its job").count(),
            ops,
            "{example}: reconcile adopted every finished restore: {}",
            run.transcript()
        );
        assert!(
            !run.stderr.contains("instance-status:"),
            "{example}: adopted the job itself, not a status watch: {}",
            run.transcript()
        );
        let again = h.apply(&[]);
        assert!(again.ok(), "{example}: {}", again.transcript());
        assert_one_submit_each(&h, &text);
    }
}

#[test]
fn a_taurusdb_restore_that_ended_before_the_first_look_blocks_with_console_advice() {
    let (h, text) = harness("taurusdb-restore.yaml", Service::Taurusdb);
    let first = h.apply(&[]);
    assert_eq!(first.status, Some(1), "{}", first.transcript());
    assert_dropped_then_looked_late(&h, Service::Taurusdb);
    let all = format!("{}{}", first.stdout, first.stderr);
    assert!(
        all.contains("Do not resubmit yet: check the console first")
            && !all.contains("check the cloud, then `rewind apply --resubmit"),
        "the unknown outcome leads with the console, not --resubmit: {}",
        first.transcript()
    );
    let second = h.apply(&[]);
    assert_eq!(second.status, Some(1), "blocked: {}", second.transcript());
    let all = format!("{}{}", second.stdout, second.stderr);
    assert!(all.contains("blocked"), "{}", second.transcript());
    assert!(
        all.contains("Do not resubmit yet: check the console first")
            && !all.contains("check the cloud, then run `rewind apply --resubmit"),
        "the blocked step leads with the console, not --resubmit: {}",
        second.transcript()
    );
    assert_one_submit_each(&h, &text);
}
