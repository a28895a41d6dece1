//! Records, serial, journal and export behave the same on sled and in memory.

use crate::util::record;
use rewind_engine::state::{StateError, StateStore, Status};
use rewind_state::{LockHolder, MemoryState, SledState};
use serde_json::Value;

fn open(dir: &std::path::Path) -> SledState {
    SledState::open(dir, LockHolder::new("rewind test")).expect("open state")
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The same sequence of writes against any store, checking each step.
fn exercise(store: &mut dyn StateStore) {
    let before = now_ms();
    assert_eq!(store.meta().unwrap().serial, 0);
    assert!(store.list().unwrap().is_empty());
    assert!(store.journal().unwrap().is_empty());

    // Written out of name order, to see that `list` sorts.
    let first = record("b-op", Status::Submitting);
    let second = record("a-op", Status::Submitting);
    assert_eq!(store.put(&first, "submit b").unwrap(), 1);
    assert_eq!(store.put(&second, "submit a").unwrap(), 2);
    assert_eq!(store.get("a-op").unwrap(), Some(second.clone()));
    assert_eq!(store.get("missing").unwrap(), None);
    let names: Vec<String> = store.list().unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["a-op", "b-op"]);

    let mut a_running = second;
    a_running.status = Status::Running;
    a_running.attempts = 2;
    assert_eq!(store.put(&a_running, "accepted").unwrap(), 3);
    assert_eq!(store.get("a-op").unwrap(), Some(a_running));

    assert_eq!(store.remove("b-op", "state rm").unwrap(), 4);
    assert_eq!(store.get("b-op").unwrap(), None);
    // Removing what is not there still leaves a trace: the audit trail records the request.
    assert_eq!(store.remove("never-was", "state rm").unwrap(), 5);
    assert_eq!(store.meta().unwrap().serial, 5);

    let journal = store.journal().unwrap();
    let after = now_ms();
    let expected = [
        (1, "b-op", None, Some(Status::Submitting), "submit b"),
        (2, "a-op", None, Some(Status::Submitting), "submit a"),
        (
            3,
            "a-op",
            Some(Status::Submitting),
            Some(Status::Running),
            "accepted",
        ),
        (4, "b-op", Some(Status::Submitting), None, "state rm"),
        (5, "never-was", None, None, "state rm"),
    ];
    assert_eq!(journal.len(), expected.len());
    for (entry, want) in journal.iter().zip(expected) {
        let got = (
            entry.serial,
            entry.name.as_str(),
            entry.from,
            entry.to,
            entry.note.as_str(),
        );
        assert_eq!(got, want);
        let at = entry.at;
        assert!(
            (before..=after).contains(&at),
            "journal time {at} outside the test"
        );
    }
}

#[test]
fn sled_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = open(dir.path());
    exercise(&mut state);
    assert_eq!(state.meta().unwrap().serial, 5);
}

#[test]
fn memory_round_trip() {
    exercise(&mut MemoryState::with_lineage("fixed-lineage"));
}

#[test]
fn reopen_keeps_lineage_records_and_serial() {
    let dir = tempfile::tempdir().unwrap();
    let (lineage, export) = {
        let mut state = open(dir.path());
        exercise(&mut state);
        (state.meta().unwrap().lineage, state.export().unwrap())
    };
    let uuid = uuid::Uuid::parse_str(&lineage).expect("lineage is a UUID");
    assert_eq!(uuid.get_version_num(), 4);

    let mut state = open(dir.path());
    assert_eq!(state.meta().unwrap().lineage, lineage);
    assert_eq!(state.export().unwrap(), export);
    assert_eq!(
        state
            .put(&record("c-op", Status::Failed), "rejected")
            .unwrap(),
        6
    );

    let other = tempfile::tempdir().unwrap();
    assert_ne!(
        open(other.path()).meta().unwrap().lineage,
        lineage,
        "each state has its own"
    );
}

#[test]
fn export_shape_is_fixed_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = open(dir.path());
    exercise(&mut state);
    let export = state.export().unwrap();

    let keys: Vec<&str> = export
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["format_version", "lineage", "serial", "records", "journal"]
    );
    assert_eq!(export["format_version"], 1);
    assert_eq!(
        export["lineage"],
        Value::String(state.meta().unwrap().lineage)
    );
    assert_eq!(export["serial"], 5);
    let records = export["records"].as_array().unwrap();
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a-op"]);
    assert_eq!(records[0]["status"], "running");
    assert_eq!(records[0]["version"], 1);
    let serials: Vec<u64> = export["journal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["serial"].as_u64().unwrap())
        .collect();
    assert_eq!(serials, [1, 2, 3, 4, 5]);

    let again = state.export().unwrap();
    assert_eq!(
        serde_json::to_string(&export).unwrap(),
        serde_json::to_string(&again).unwrap()
    );

    // Memory and sled agree on everything but lineage and clock.
    let mut memory = MemoryState::new();
    exercise(&mut memory);
    let mem = memory.export().unwrap();
    assert_eq!(mem["records"], export["records"]);
    assert_eq!(mem["serial"], export["serial"]);
    let strip_time = |v: &Value| {
        let mut v = v.clone();
        for e in v.as_array_mut().unwrap() {
            e.as_object_mut().unwrap().remove("at");
        }
        v
    };
    assert_eq!(strip_time(&mem["journal"]), strip_time(&export["journal"]));
}

#[test]
fn a_record_of_another_version_is_refused_before_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = open(dir.path());
    let mut future = record("a-op", Status::Running);
    future.version = 99;
    let err = state.put(&future, "x").unwrap_err();
    assert!(
        matches!(err, StateError::Storage(ref m) if m.contains("version 99")),
        "{err}"
    );
    assert_eq!(state.meta().unwrap().serial, 0);
    assert!(state.journal().unwrap().is_empty());
    assert!(MemoryState::new().put(&future, "x").is_err());
}
