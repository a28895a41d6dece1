//! Bad bytes on disk become `Corrupt` errors naming the record, never panics.

use crate::util::record;
use rewind_engine::state::{JournalEntry, StateError, StateStore, Status};
use rewind_state::{LockHolder, SledState};
use std::path::Path;

fn open(dir: &Path) -> Result<SledState, StateError> {
    SledState::open(dir, LockHolder::new("rewind test"))
}

/// Writes raw `(tree, key, value)`s behind the state's back, through sled itself, in one
/// open: sled's threads may hold its file a moment after a handle drops, and only
/// `SledState` waits that out.
fn tamper(dir: &Path, writes: &[(&str, &[u8], &[u8])]) {
    let db = sled::open(dir.join("db")).unwrap();
    for (tree, key, value) in writes {
        db.open_tree(tree).unwrap().insert(key, *value).unwrap();
    }
    db.flush().unwrap();
}

fn corrupt_name(err: &StateError) -> &str {
    match err {
        StateError::Corrupt { name, .. } => name,
        other => panic!("expected Corrupt, got {other}"),
    }
}

#[test]
fn an_unreadable_record_is_named_and_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut state = open(dir.path()).unwrap();
        state
            .put(&record("good", Status::Succeeded), "done")
            .unwrap();
    }
    let mut truncated = serde_json::to_vec(&record("cut", Status::Running)).unwrap();
    truncated.truncate(truncated.len() / 2);
    tamper(
        dir.path(),
        &[
            ("records", b"garbage", b"\xff{not json"),
            (
                "records",
                b"future",
                br#"{"version": 99, "whatever": true}"#,
            ),
            ("records", b"cut", &truncated),
            (
                "records",
                b"odd",
                br#"{"version": 1, "name": "odd", "status": "failed"}"#,
            ),
        ],
    );

    let mut state = open(dir.path()).expect("a bad record does not stop the state opening");
    assert_eq!(
        state.get("good").unwrap().unwrap().status,
        Status::Succeeded
    );
    for name in ["garbage", "future", "cut", "odd"] {
        let err = state.get(name).unwrap_err();
        assert_eq!(corrupt_name(&err), name);
        assert!(err.to_string().contains(&format!("{name:?}")), "{err}");
    }
    assert!(
        state
            .get("future")
            .unwrap_err()
            .to_string()
            .contains("version 99")
    );
    // `list` fails on the first bad one in name order.
    assert_eq!(corrupt_name(&state.list().unwrap_err()), "cut");
    assert!(state.export().is_err());

    // Removal is the way out, and journals what it can.
    for name in ["cut", "future", "garbage", "odd"] {
        state.remove(name, "state rm").unwrap();
    }
    let froms: Vec<_> = state
        .journal()
        .unwrap()
        .iter()
        .skip(1)
        .map(|e| e.from)
        .collect();
    assert_eq!(
        froms,
        [None, None, None, Some(Status::Failed)],
        "status kept where readable"
    );
    assert_eq!(state.list().unwrap().len(), 1);
    state.put(&record("odd", Status::Running), "rerun").unwrap();
    assert_eq!(state.list().unwrap().len(), 2);
}

#[test]
fn a_record_stored_under_another_name_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).unwrap());
    let bytes = serde_json::to_vec(&record("alpha", Status::Running)).unwrap();
    tamper(dir.path(), &[("records", b"beta", &bytes)]);
    let state = open(dir.path()).unwrap();
    let err = state.get("beta").unwrap_err();
    assert_eq!(corrupt_name(&err), "beta");
    assert!(err.to_string().contains("alpha"), "{err}");
}

#[test]
fn damaged_meta_or_journal_refuse_to_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut state = open(dir.path()).unwrap();
        state.put(&record("a", Status::Running), "x").unwrap();
    }
    // A journal entry the meta does not account for: the serials disagree.
    let stray = JournalEntry {
        serial: 7,
        at: 0,
        name: "a".to_owned(),
        from: None,
        to: Some(Status::Running),
        note: String::new(),
    };
    let stray = serde_json::to_vec(&stray).unwrap();
    tamper(dir.path(), &[("journal", &7u64.to_be_bytes(), &stray)]);
    let err = open(dir.path()).unwrap_err();
    assert!(matches!(err, StateError::Storage(_)), "{err}");
    assert!(err.to_string().contains("journal ends at 7"), "{err}");
    assert!(err.to_string().contains("cannot be trusted"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).unwrap());
    tamper(dir.path(), &[("meta", b"state", b"[1, 2")]);
    let err = open(dir.path()).unwrap_err();
    assert!(matches!(err, StateError::Storage(_)), "{err}");
    assert!(err.to_string().contains("(state meta)"), "{err}");
}
