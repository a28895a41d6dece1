//! Read snapshots: taken beside a writer that holds the lock, always one commit's view,
//! never writable.

use crate::util::record;
use rewind_engine::state::{StateError, StateStore, Status};
use rewind_state::backend::Location;
use rewind_state::snapshot::{self, JOURNAL_TAIL};
use rewind_state::testing::TestDb;
use rewind_state::{LockHolder, PgState, SledState, postgres::PgOptions};

#[test]
fn a_sled_snapshot_follows_every_commit_while_the_writer_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::Dir(dir.path().to_owned());
    let mut writer = SledState::open(dir.path(), LockHolder::new("rewind apply")).unwrap();
    let empty = snapshot::read(&location).expect("a snapshot beside the lock holder");
    assert_eq!(empty.meta().unwrap(), writer.meta().unwrap());
    assert!(empty.list().unwrap().is_empty());
    assert!(
        empty
            .holder
            .as_deref()
            .is_some_and(|h| h.contains("rewind apply")),
        "{:?}",
        empty.holder
    );

    writer
        .put(&record("a", Status::Submitting), "submitting")
        .unwrap();
    writer
        .put_batch(&[
            (&record("a", Status::Running), "submitted"),
            (&record("b", Status::Submitting), "submitting"),
        ])
        .unwrap();
    let seen = snapshot::read(&location).unwrap();
    assert_eq!(seen.meta().unwrap().serial, 3);
    assert_eq!(seen.list().unwrap(), writer.list().unwrap());
    assert_eq!(seen.journal().unwrap(), writer.journal().unwrap());

    let mut seen = seen;
    let refused = seen.put(&record("c", Status::Running), "x").unwrap_err();
    assert!(refused.to_string().contains("read-only"), "{refused}");
    drop(writer);
    let after = snapshot::read(&location).unwrap();
    assert_eq!(after.meta().unwrap().serial, 3);
    assert_eq!(after.holder, None, "nobody holds the lock any more");
}

#[test]
fn a_snapshot_of_a_long_journal_keeps_the_tail_and_refuses_to_pass_it_off_as_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SledState::open(dir.path(), LockHolder::new("rewind apply")).unwrap();
    let records: Vec<_> = (0..=JOURNAL_TAIL)
        .map(|i| record(&format!("r{i:04}"), Status::Succeeded))
        .collect();
    let batch: Vec<_> = records.iter().map(|r| (r, "done")).collect();
    writer.put_batch(&batch).unwrap();
    let seen = snapshot::read(&Location::Dir(dir.path().to_owned())).unwrap();
    assert_eq!(seen.journal_tail().len(), JOURNAL_TAIL);
    assert_eq!(
        seen.journal_tail().last().map(|j| j.serial),
        Some(JOURNAL_TAIL as u64 + 1)
    );
    assert!(matches!(seen.journal(), Err(StateError::Storage(_))));
    assert_eq!(seen.list().unwrap().len(), JOURNAL_TAIL + 1);
}

#[test]
fn a_state_without_a_snapshot_gets_one_when_nobody_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SledState::open(dir.path(), LockHolder::new("rewind apply")).unwrap();
    writer.put(&record("a", Status::Succeeded), "done").unwrap();
    drop(writer);
    // As a state last written by a rewind that kept no snapshot.
    std::fs::remove_file(dir.path().join(snapshot::SNAPSHOT_FILE)).unwrap();
    let seen = snapshot::read(&Location::Dir(dir.path().to_owned())).unwrap();
    assert_eq!(seen.list().unwrap().len(), 1);
    assert!(dir.path().join(snapshot::SNAPSHOT_FILE).exists());
}

#[test]
fn a_postgres_snapshot_is_read_beside_the_lock_holder() {
    let Some(db) = TestDb::create("snapshot") else {
        return;
    };
    let options = PgOptions {
        holder: LockHolder::new("rewind apply"),
        lease: std::time::Duration::from_secs(30),
    };
    let mut writer = PgState::open(&db.url, "w", &options).unwrap();
    writer
        .put(&record("a", Status::Running), "submitted")
        .unwrap();
    let location = Location::Postgres {
        url: db.url.clone(),
        workspace: "w".into(),
    };
    let seen = snapshot::read(&location).expect("read beside the lock");
    assert_eq!(seen.list().unwrap(), writer.list().unwrap());
    assert_eq!(seen.meta().unwrap(), writer.meta().unwrap());
    assert_eq!(seen.journal().unwrap(), writer.journal().unwrap());
    assert!(
        seen.holder
            .as_deref()
            .is_some_and(|h| h.contains("rewind apply")),
        "{:?}",
        seen.holder
    );
    let missing = Location::Postgres {
        url: db.url.clone(),
        workspace: "nope".into(),
    };
    let fresh = snapshot::read(&missing).expect("a workspace never written reads as empty");
    assert!(fresh.is_new() && fresh.list().unwrap().is_empty());
    drop(writer);
}

#[test]
fn a_reader_never_takes_the_lock_from_a_writer_without_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SledState::open(dir.path(), LockHolder::new("rewind apply")).unwrap();
    // As a writer that has not written its first snapshot (or an older rewind).
    std::fs::remove_file(dir.path().join(snapshot::SNAPSHOT_FILE)).unwrap();
    let err = snapshot::read(&Location::Dir(dir.path().to_owned())).unwrap_err();
    assert!(
        matches!(&err, StateError::Locked { holder } if holder.contains("keeps no read snapshot")),
        "{err}"
    );
    // The writer still holds the lock and writes on.
    writer
        .put(&record("a", Status::Running), "submitted")
        .unwrap();
    let seen = snapshot::read(&Location::Dir(dir.path().to_owned())).unwrap();
    assert_eq!(seen.list().unwrap().len(), 1);
}
