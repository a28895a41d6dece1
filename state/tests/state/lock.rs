//! The lock: a second opener, in this process or another, gets `Locked` naming the holder.

use crate::util::{ChildTest, child_role, tell_parent, test_name};
use rewind_engine::state::{StateError, StateStore};
use rewind_state::{LockHolder, SledState};
use std::io::Read;
use std::path::Path;

fn locked_message(result: Result<SledState, StateError>) -> String {
    match result {
        Err(StateError::Locked { holder }) => holder,
        Err(other) => panic!("expected Locked, got {other:?}"),
        Ok(_) => panic!("expected Locked, but the state opened"),
    }
}

#[test]
fn a_second_open_in_process_is_locked_until_the_first_drops() {
    let dir = tempfile::tempdir().unwrap();
    let first = SledState::open(dir.path(), LockHolder::new("rewind apply")).unwrap();
    let second = SledState::open(dir.path(), LockHolder::new("rewind state rm x"));
    let err = second
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    let holder = locked_message(second);
    assert!(
        holder.starts_with(&format!("pid {} on host ", std::process::id())),
        "{holder}"
    );
    assert!(holder.contains(", `rewind apply`, since 20"), "{holder}");
    assert!(err.starts_with("state is locked by pid "), "{err}");
    assert_eq!(first.holder().command, "rewind apply");

    drop(first);
    let second = SledState::open(dir.path(), LockHolder::new("rewind state rm x")).unwrap();
    assert_eq!(second.holder().command, "rewind state rm x");
    let on_disk = std::fs::read_to_string(dir.path().join("lock.json")).unwrap();
    assert!(on_disk.contains("rewind state rm x"), "{on_disk}");
}

#[test]
fn a_child_holding_the_lock_blocks_us_until_it_is_killed() {
    if let Some((role, dir)) = child_role() {
        assert_eq!(role, "hold");
        let _state = SledState::open(Path::new(&dir), LockHolder::new("rewind apply")).unwrap();
        tell_parent("HOLDING");
        // Holds until the parent kills it (or closes stdin, should the parent fail first).
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = test_name(
        module_path!(),
        "a_child_holding_the_lock_blocks_us_until_it_is_killed",
    );
    let mut child = ChildTest::spawn(&name, "hold", dir.path());
    assert_eq!(child.next_line(), "HOLDING");

    let holder = locked_message(SledState::open(dir.path(), LockHolder::new("rewind plan")));
    assert!(
        holder.starts_with(&format!("pid {} on host ", child.id())),
        "{holder}"
    );
    assert!(holder.contains("`rewind apply`"), "{holder}");

    let status = child.kill();
    assert!(
        !status.success(),
        "the child was killed, not finished: {status:?}"
    );
    // The killed holder leaves its description behind; only the OS lock counts.
    assert!(dir.path().join("lock.json").exists());
    let state = SledState::open(dir.path(), LockHolder::new("rewind plan")).unwrap();
    assert_eq!(state.meta().unwrap().serial, 0);
}

#[test]
fn a_child_cannot_open_while_we_hold_the_lock() {
    if let Some((role, dir)) = child_role() {
        assert_eq!(role, "try-open");
        match SledState::open(Path::new(&dir), LockHolder::new("rewind apply")) {
            Err(StateError::Locked { holder }) => tell_parent(&format!("LOCKED {holder}")),
            Err(other) => tell_parent(&format!("ERROR {other}")),
            Ok(_) => tell_parent("OPENED"),
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = test_name(module_path!(), "a_child_cannot_open_while_we_hold_the_lock");
    let held =
        SledState::open(dir.path(), LockHolder::new("rewind apply --parallelism 4")).unwrap();

    let mut child = ChildTest::spawn(&name, "try-open", dir.path());
    let line = child.next_line();
    let expected = format!("LOCKED pid {} on host ", std::process::id());
    assert!(line.starts_with(&expected), "{line}");
    assert!(line.contains("`rewind apply --parallelism 4`"), "{line}");
    let (_, status) = child.finish();
    assert!(status.success(), "{status:?}");

    drop(held);
    let mut child = ChildTest::spawn(&name, "try-open", dir.path());
    assert_eq!(child.next_line(), "OPENED");
    let (_, status) = child.finish();
    assert!(status.success(), "{status:?}");
}
