//! Batched preflight against the simulator: one paged list read answers the checks of many operations.

#[allow(dead_code)]
mod harness;

use harness::fixtures::*;
use harness::{Harness, assert_all_passed, failed, operation, provider, world};
use rewind_engine::kinds::{CbrRestore, OpSpec};
use std::sync::Arc;

const OPS: usize = 8;

fn cbr_backup(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

fn cbr_volume_of(i: usize) -> String {
    format!("11111111-0000-4000-8000-{i:012x}")
}

fn cbr_volume_restore(backup: String, volume: String) -> OpSpec {
    OpSpec::Cbr(CbrRestore {
        backup_id: backup,
        server_id: None,
        volume_id: Some(volume),
        mappings: vec![],
        power_on: false,
        resource_id: None,
        details: None,
    })
}

/// GETs the simulator saw whose path (without query) satisfies `wanted`.
fn gets(h: &Harness, wanted: impl Fn(&str) -> bool) -> usize {
    h.sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && wanted(r.path.split('?').next().unwrap_or_default()))
        .count()
}

#[tokio::test]
async fn one_backup_list_answers_the_preflight_of_many_cbr_restores() {
    let mut w = world();
    for i in 0..OPS {
        w.ensure_cbr_backup(&cbr_backup(i), None, Some(&cbr_volume_of(i)), &[]);
    }
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    // One provider per service, as the engine holds them.
    let p = cloud.provider(rewind_engine::kinds::Service::Cbr);
    let mut tasks = Vec::new();
    for i in 0..OPS {
        let op = operation(
            &format!("c{i}"),
            cbr_volume_restore(cbr_backup(i), cbr_volume_of(i)),
        );
        let p = Arc::clone(&p);
        tasks.push(tokio::spawn(async move { p.preflight(&op).await }));
    }
    for t in tasks {
        assert_all_passed(&t.await.expect("task").expect("preflight"));
    }
    assert_eq!(gets(&h, |p| p.ends_with("/backups")), 1);
    assert_eq!(gets(&h, |p| p.contains("/backups/")), 0);

    // A backup the list lacks is asked for by id, and its check says why it fails.
    let op = operation(
        "missing",
        cbr_volume_restore(
            "22222222-0000-4000-8000-000000000000".into(),
            cbr_volume_of(0),
        ),
    );
    let checks = p.preflight(&op).await.expect("preflight");
    assert_eq!(failed(&checks).len(), 1, "{checks:?}");
    assert!(checks[0].observed.contains("not found"), "{checks:?}");
    assert_eq!(gets(&h, |p| p.ends_with("/backups")), 1);
    assert_eq!(gets(&h, |p| p.contains("/backups/")), 1);
}

#[tokio::test]
async fn ddm_preflight_reads_the_instance_list_once_and_falls_back_to_the_detail() {
    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = Arc::new(operation("d", ddm_restore(at)));
    let p = provider(&cloud, &op);
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (p, op) = (Arc::clone(&p), Arc::clone(&op));
        tasks.push(tokio::spawn(async move { p.preflight(&op).await }));
    }
    for t in tasks {
        assert_all_passed(&t.await.expect("task").expect("preflight"));
    }
    let listed = gets(&h, |p| p.starts_with("/v1/") && p.ends_with("/instances"));
    // The documented list, read once for every preflight of the provider; where it answers
    // no instance (the simulator does not serve it), each instance's detail is read.
    assert_eq!(listed, 1);
    let details = gets(&h, |p| p.starts_with("/v1/") && p.contains("/instances/"));
    let served_by_list =
        h.sim.requests().iter().any(|r| {
            r.path.starts_with("/v1/") && r.path.ends_with("/instances") && r.status == 200
        });
    if served_by_list {
        assert_eq!(details, 0);
    } else {
        assert!(details >= 3, "{details}");
    }
}
