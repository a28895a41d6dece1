//! Backups: one JSON export per call, pruned to the newest `BACKUPS_KEPT`.

use crate::util::record;
use rewind_engine::state::{StateStore, Status};
use rewind_state::{BACKUPS_KEPT, LockHolder, SledState};
use std::collections::BTreeSet;

#[test]
fn backups_hold_the_export_and_keep_the_newest_twenty() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = SledState::open(dir.path(), LockHolder::new("rewind apply")).unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::write(backups.join("README.txt"), "not a backup").unwrap();

    let total = BACKUPS_KEPT + 5;
    for i in 0..total {
        // A write between backups gives each its own serial, hence its own name.
        state
            .put(&record(&format!("op-{i:02}"), Status::Running), "x")
            .unwrap();
        let path = state.backup().unwrap();
        let serial = state.meta().unwrap().serial;
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with(&format!("state-{serial}-")), "{name}");
        assert_eq!(path.parent().unwrap(), backups);
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved, state.export().unwrap());
    }

    let mut kept = BTreeSet::new();
    let mut others = Vec::new();
    for entry in std::fs::read_dir(&backups).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some((serial, _)) = name.strip_prefix("state-").and_then(|r| r.split_once('-')) {
            kept.insert(serial.parse::<usize>().unwrap());
        } else {
            others.push(name);
        }
    }
    let newest: BTreeSet<usize> = (total - BACKUPS_KEPT + 1..=total).collect();
    assert_eq!(kept, newest);
    assert_eq!(
        others,
        ["README.txt"],
        "pruning touches only backups, and leaves no temp files"
    );
}
