//! A sled state that went back in time (truncated, garbled, emptied, rolled back) is refused
//! on open, naming the newest backup; `SledState::restore` puts that backup back.

use crate::util::record;
use rewind_engine::state::{StateError, StateStore, Status};
use rewind_state::{LockHolder, SledState};
use std::path::{Path, PathBuf};

fn open(dir: &Path) -> Result<SledState, StateError> {
    SledState::open(dir, LockHolder::new("rewind test"))
}

/// A state with three records and a backup taken after them; returns the backup.
fn applied(dir: &Path) -> PathBuf {
    let mut state = open(dir).unwrap();
    for name in ["a", "b", "c"] {
        state
            .put(&record(name, Status::Running), "submitted")
            .unwrap();
    }
    state.backup().unwrap()
}

fn refused(dir: &Path, backup: &Path) -> String {
    let err = open(dir).expect_err("a state that went back in time is refused");
    let text = err.to_string();
    assert!(matches!(err, StateError::Storage(_)), "{text}");
    assert!(
        text.contains(&dir.display().to_string()),
        "names the state: {text}"
    );
    assert!(
        text.contains(&backup.display().to_string()),
        "names the backup: {text}"
    );
    assert!(text.contains("rewind state restore"), "says how: {text}");
    assert!(!text.contains("sled version"), "no raw sled advice: {text}");
    text
}

fn db_file(dir: &Path) -> PathBuf {
    dir.join("db").join("db")
}

fn restored_has_every_record(dir: &Path, backup: &Path) {
    let state = SledState::restore(dir, backup, LockHolder::new("rewind test")).unwrap();
    assert_eq!(state.list().unwrap().len(), 3);
    drop(state);
    let state = open(dir).expect("a restored state opens");
    assert_eq!(state.list().unwrap().len(), 3);
    assert_eq!(state.meta().unwrap().serial, 3);
}

#[test]
fn a_truncated_database_is_refused_and_its_backup_put_back() {
    for keep in [0_u64, 100] {
        let dir = tempfile::tempdir().unwrap();
        let backup = applied(dir.path());
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(db_file(dir.path()))
            .unwrap();
        file.set_len(keep).unwrap();
        drop(file);
        refused(dir.path(), &backup);
        restored_has_every_record(dir.path(), &backup);
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("db.damaged-"));
        assert!(aside, "the damaged database is kept aside");
    }
}

#[test]
fn a_garbled_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backup = applied(dir.path());
    let mut bytes = std::fs::read(db_file(dir.path())).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len / 4..] {
        *b ^= 0x5a;
    }
    std::fs::write(db_file(dir.path()), bytes).unwrap();
    refused(dir.path(), &backup);
    restored_has_every_record(dir.path(), &backup);
}

#[test]
fn an_emptied_or_rolled_back_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backup = applied(dir.path());
    std::fs::remove_dir_all(dir.path().join("db")).unwrap();
    let text = refused(dir.path(), &backup);
    assert!(text.contains("it is empty"), "{text}");

    // Rolled back: an older copy of the database put in place of the newer one.
    let dir = tempfile::tempdir().unwrap();
    {
        let mut state = open(dir.path()).unwrap();
        state.put(&record("a", Status::Running), "one").unwrap();
    }
    let old = tempfile::tempdir().unwrap();
    copy_dir(&dir.path().join("db"), &old.path().join("db"));
    let backup = applied(dir.path());
    std::fs::remove_dir_all(dir.path().join("db")).unwrap();
    copy_dir(&old.path().join("db"), &dir.path().join("db"));
    let text = refused(dir.path(), &backup);
    assert!(text.contains("rolled back"), "{text}");
}

#[test]
fn a_new_state_and_one_ahead_of_its_mark_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).unwrap());
    assert!(dir.path().join("watermark.json").exists());
    {
        let mut state = open(dir.path()).unwrap();
        state.put(&record("a", Status::Running), "one").unwrap();
    }
    // A crash between a commit and its mark leaves the mark one behind: that is fine.
    let mark = rewind_state::watermark::read(dir.path()).unwrap().unwrap();
    rewind_state::watermark::write(
        dir.path(),
        &rewind_state::watermark::Watermark::new(&mark.lineage, mark.serial - 1),
    )
    .unwrap();
    let state = open(dir.path()).unwrap();
    assert_eq!(state.meta().unwrap().serial, 1);
    drop(state);
    assert_eq!(
        rewind_state::watermark::read(dir.path())
            .unwrap()
            .unwrap()
            .serial,
        1,
        "the mark caught up"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
