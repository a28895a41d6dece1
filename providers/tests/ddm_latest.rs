//! `backup_id: latest` for `ddm.metadata_restore` against the simulator: DDM's backup list is
//! project-wide, so the provider pages through all of it and keeps the source's own backups.

#[allow(dead_code)]
mod harness;

use harness::fixtures::*;
use harness::{Harness, provider};
use rewind_engine::provider::Provider;
use std::sync::Arc;

/// A backup of `instance` created `age_ms` before the world's now, finished 20 s later.
fn add(w: &mut rewind_sim::World, instance: &str, id: &str, status: &str, age_ms: i64) {
    let now = harness::now(w);
    w.ensure_ddm_backup(instance, id);
    let b = w.ddm.backups.get_mut(id).expect("just added");
    status.clone_into(&mut b.status);
    b.created = now - age_ms;
    b.updated = Some(now - age_ms + 20_000);
}

fn id(n: u32) -> String {
    format!("{n:032x}br09")
}

fn ddm(h: &Harness) -> Arc<dyn Provider> {
    let cloud = h.cloud();
    provider(
        &cloud,
        &harness::operation("m", ddm_metadata(harness::now(&h.sim.world_snapshot()))),
    )
}

#[tokio::test]
async fn the_newest_normal_backup_of_the_source_is_found_across_pages() {
    let (mut w, _) = healthy_world();
    let now = harness::now(&w);
    // 300 backups of another instance fill more than two pages of 128 around the ones of
    // the source, which sort (by ID) into the first and the last page.
    for n in 100..400 {
        add(&mut w, DDM_TGT, &id(n), "normal", 1_000 + i64::from(n));
    }
    add(&mut w, DDM_SRC, &id(1), "normal", 3 * 3_600_000);
    add(&mut w, DDM_SRC, &id(2), "normal", 2 * 3_600_000);
    // Newer, but not finished or failed: not restorable.
    add(&mut w, DDM_SRC, &id(500), "creating", 60_000);
    add(&mut w, DDM_SRC, &id(501), "createfail", 50_000);
    let h = Harness::start(w).await;

    let (backup, at) = ddm(&h)
        .latest_backup(DDM_SRC)
        .await
        .expect("the list is read")
        .expect("a finished backup");
    assert_eq!(backup, id(2));
    // The `updated` time, to the second the list writes.
    let updated = now - 2 * 3_600_000 + 20_000;
    assert_eq!(at, updated - updated.rem_euclid(1000));

    // Every page was read, with no filter the docs do not name.
    let reads: Vec<_> = h
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/backups"))
        .collect();
    assert_eq!(reads.len(), 3, "{reads:#?}");
    for r in &reads {
        assert!(
            r.query
                .split('&')
                .all(|kv| kv.starts_with("offset=") || kv.starts_with("limit=")),
            "{}",
            r.query
        );
    }
}

#[tokio::test]
async fn a_source_without_a_finished_backup_has_no_latest() {
    let (mut w, _) = healthy_world();
    add(&mut w, DDM_TGT, &id(7), "normal", 60_000);
    add(&mut w, DDM_SRC, &id(8), "creating", 30_000);
    let h = Harness::start(w).await;
    let found = ddm(&h)
        .latest_backup(DDM_SRC)
        .await
        .expect("the list is read");
    assert_eq!(found, None);
}

#[tokio::test]
async fn the_preflight_finds_a_backup_by_id_in_the_project_wide_list() {
    let (mut w, at) = healthy_world();
    add(&mut w, DDM_SRC, &id(1), "normal", 60_000);
    add(&mut w, DDM_TGT, &id(2), "normal", 60_000);
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    for (backup, passes) in [(id(1), true), (id(2), false)] {
        let mut spec = ddm_metadata(at);
        if let rewind_engine::kinds::OpSpec::DdmMetadata(m) = &mut spec {
            m.source.restore_time = None;
            m.source.backup_id = Some(backup.clone());
        }
        let op = harness::operation("m", spec);
        let checks = provider(&cloud, &op)
            .preflight(&op)
            .await
            .expect("preflight");
        let check = checks
            .iter()
            .find(|c| c.name.contains(&backup))
            .unwrap_or_else(|| panic!("{checks:#?}"));
        assert_eq!(
            check.passed, passes,
            "{backup} (of another instance when false): {check:?}"
        );
    }
}
