//! One suite, every backend: memory, sled and PostgreSQL must behave the same.

use crate::util::record;
use rewind_engine::state::{RunEntry, StateError, Status};
use rewind_state::backend::{self, Backend, Location, OpenOptions};
use rewind_state::testing::TestDb;
use rewind_state::{LockHolder, MemoryState};
use std::collections::BTreeMap;
use std::time::Duration;

fn options(command: &str) -> OpenOptions {
    OpenOptions {
        holder: LockHolder::new(command),
        lock_timeout: Duration::ZERO,
        lease: Duration::from_secs(30),
    }
}

fn run(id: u64) -> RunEntry {
    RunEntry {
        id,
        command: "apply".into(),
        spec_file: "restore.yaml".into(),
        git_commit: Some("0123abcd".into()),
        git_dirty: Some(false),
        spec_digest: "aa".repeat(32),
        plan_digest: "bb".repeat(32),
        approver: "ops@laptop".into(),
        started_at: 1_700_000_000_000,
        finished_at: None,
        jobs: BTreeMap::from([("a".to_owned(), "job-1".to_owned())]),
        outcome: "running".into(),
        drill: None,
        planned: Vec::new(),
        simulated: false,
    }
}

/// Records, journal, serial, lineage, runs, backups and export, through the trait only.
fn behaves(state: &mut dyn Backend) {
    let meta = state.meta().unwrap();
    assert_eq!(meta.serial, 0);
    assert!(!meta.lineage.is_empty());
    assert!(state.list().unwrap().is_empty());
    assert_eq!(
        state
            .put(&record("b", Status::Submitting), "submit")
            .unwrap(),
        1
    );
    assert_eq!(
        state
            .put(&record("a", Status::Running), "accepted")
            .unwrap(),
        2
    );
    assert_eq!(
        state.put(&record("b", Status::Succeeded), "done").unwrap(),
        3
    );
    assert_eq!(state.remove("a", "rm").unwrap(), 4);
    // Removing what is absent still journals and bumps: the trait says so.
    assert_eq!(state.remove("zz", "rm absent").unwrap(), 5);
    assert_eq!(
        state.get("b").unwrap(),
        Some(record("b", Status::Succeeded))
    );
    assert_eq!(state.get("a").unwrap(), None);
    state.put(&record("a-2", Status::Failed), "x").unwrap();
    state.put(&record("B", Status::Running), "x").unwrap();
    let names: Vec<String> = state.list().unwrap().into_iter().map(|r| r.name).collect();
    // Byte order, as `String` sorts: upper case first.
    assert_eq!(names, ["B", "a-2", "b"]);
    let after = state.meta().unwrap();
    assert_eq!(
        (after.lineage.as_str(), after.serial),
        (meta.lineage.as_str(), 7)
    );
    let journal = state.journal().unwrap();
    let serials: Vec<u64> = journal.iter().map(|j| j.serial).collect();
    assert_eq!(serials, [1, 2, 3, 4, 5, 6, 7]);
    let moves: Vec<_> = journal
        .iter()
        .map(|j| (j.name.as_str(), j.from, j.to, j.note.as_str()))
        .collect();
    assert_eq!(moves[0], ("b", None, Some(Status::Submitting), "submit"));
    assert_eq!(
        moves[2],
        (
            "b",
            Some(Status::Submitting),
            Some(Status::Succeeded),
            "done"
        )
    );
    assert_eq!(moves[3], ("a", Some(Status::Running), None, "rm"));
    assert_eq!(moves[4], ("zz", None, None, "rm absent"));

    assert!(state.runs().unwrap().is_empty());
    state.put_run(&run(1)).unwrap();
    let mut finished = run(1);
    finished.outcome = "complete".into();
    finished.finished_at = Some(1_700_000_001_000);
    state.put_run(&finished).unwrap();
    state.put_run(&run(2)).unwrap();
    assert_eq!(state.runs().unwrap(), [finished, run(2)]);
    assert_eq!(state.meta().unwrap().serial, 7, "runs are not transitions");

    let export = state.export().unwrap();
    assert_eq!(export["serial"], 7);
    assert_eq!(export["records"].as_array().map(Vec::len), Some(3));
    assert_eq!(export["journal"].as_array().map(Vec::len), Some(7));
    assert_eq!(export["runs"].as_array().map(Vec::len), Some(2));
    let where_ = state.backup().unwrap();
    assert!(!where_.is_empty());
    assert_eq!(state.export().unwrap(), export, "a backup changes nothing");

    // Import refuses a written state, and reproduces an export exactly in a fresh one.
    let err = state.import(&export).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}

/// A batch is several transitions, each with its own serial and journal entry, in order.
fn batches(state: &mut dyn Backend) {
    let before = state.meta().unwrap().serial;
    assert_eq!(state.put_batch(&[]).unwrap(), Vec::<u64>::new());
    assert_eq!(
        state.meta().unwrap().serial,
        before,
        "an empty batch writes nothing"
    );
    let (a1, b1, a2) = (
        record("batch-a", Status::Submitting),
        record("batch-b", Status::Submitting),
        record("batch-a", Status::Running),
    );
    let serials = state
        .put_batch(&[
            (&a1, "submitting"),
            (&b1, "submitting"),
            (&a2, "submitted: j-1"),
        ])
        .unwrap();
    assert_eq!(serials, [before + 1, before + 2, before + 3]);
    assert_eq!(state.meta().unwrap().serial, before + 3);
    assert_eq!(state.get("batch-a").unwrap(), Some(a2));
    assert_eq!(state.get("batch-b").unwrap(), Some(b1));
    let journal = state.journal().unwrap();
    let tail: Vec<_> = journal[journal.len() - 3..]
        .iter()
        .map(|j| (j.serial, j.name.as_str(), j.from, j.to, j.note.as_str()))
        .collect();
    assert_eq!(
        tail,
        [
            (
                before + 1,
                "batch-a",
                None,
                Some(Status::Submitting),
                "submitting"
            ),
            (
                before + 2,
                "batch-b",
                None,
                Some(Status::Submitting),
                "submitting"
            ),
            (
                before + 3,
                "batch-a",
                Some(Status::Submitting),
                Some(Status::Running),
                "submitted: j-1"
            ),
        ]
    );
    state.remove("batch-a", "rm").unwrap();
    state.remove("batch-b", "rm").unwrap();
}

fn imports_exactly(source: &dyn Backend, fresh: &mut dyn Backend) {
    let export = source.export().unwrap();
    fresh.import(&export).unwrap();
    assert_eq!(fresh.export().unwrap(), export);
    assert_eq!(fresh.list().unwrap(), source.list().unwrap());
    assert_eq!(fresh.journal().unwrap(), source.journal().unwrap());
}

/// A second opener gets `Locked` naming the first; once the first is gone it opens.
fn locks(location: &Location) {
    let first = backend::open(location, &options("rewind apply -f first.yaml")).unwrap();
    let second = backend::open(location, &options("rewind apply -f second.yaml"));
    match second {
        Err(StateError::Locked { holder }) => {
            assert!(
                holder.contains(&format!("pid {}", std::process::id())),
                "{holder}"
            );
            assert!(holder.contains("rewind apply -f first.yaml"), "{holder}");
            assert!(holder.contains("(user "), "{holder}");
        }
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("a second open succeeded while the first holds the lock"),
    }
    drop(first);
    let again = backend::open(location, &options("rewind apply")).unwrap();
    drop(again);
}

#[test]
fn memory_conforms() {
    behaves(&mut MemoryState::new());
    batches(&mut MemoryState::new());
    let mut source = MemoryState::new();
    behaves(&mut source);
    imports_exactly(&source, &mut MemoryState::new());
}

#[test]
fn sled_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let loc = Location::Dir(dir.path().join("a"));
    let mut state = backend::open(&loc, &options("test")).unwrap();
    behaves(&mut *state);
    batches(&mut *state);
    let lineage = state.meta().unwrap().lineage;
    drop(state);
    let state = backend::open(&loc, &options("test")).unwrap();
    assert_eq!(
        state.meta().unwrap().lineage,
        lineage,
        "lineage survives reopening"
    );
    let mut fresh = backend::open(&Location::Dir(dir.path().join("b")), &options("t")).unwrap();
    imports_exactly(&*state, &mut *fresh);
    drop(state);
    locks(&loc);
}

#[test]
fn postgres_conforms() {
    let Some(db) = TestDb::create("conform") else {
        return;
    };
    let loc = Location::Postgres {
        url: db.url.clone(),
        workspace: "prod/restore.yaml".into(),
    };
    let mut state = backend::open(&loc, &options("test")).unwrap();
    behaves(&mut *state);
    batches(&mut *state);
    let lineage = state.meta().unwrap().lineage;
    drop(state);
    let state = backend::open(&loc, &options("test")).unwrap();
    assert_eq!(
        state.meta().unwrap().lineage,
        lineage,
        "lineage survives reopening"
    );
    let other = Location::Postgres {
        url: db.url.clone(),
        workspace: "staging".into(),
    };
    // Another workspace opens while the first is locked: no database-wide lock.
    let mut fresh = backend::open(&other, &options("t")).unwrap();
    assert_ne!(fresh.meta().unwrap().lineage, lineage);
    imports_exactly(&*state, &mut *fresh);
    drop(state);
    drop(fresh);
    locks(&loc);
}

#[test]
fn postgres_renews_leases_fences_force_unlocked_holders_and_refuses_newer_schemas() {
    let Some(db) = TestDb::create("lease") else {
        return;
    };
    let loc = Location::Postgres {
        url: db.url.clone(),
        workspace: "w".into(),
    };
    // Short enough that the sleep below spans two leases, long enough that a holder starved
    // for a few hundred milliseconds on a loaded machine still renews in time (renewal is
    // every third of it; 300 ms left it 200 ms).
    let lease = Duration::from_millis(1500);
    let short = OpenOptions {
        lease,
        ..options("rewind apply")
    };
    let holder = backend::open(&loc, &short).unwrap();
    let lock_id = {
        let Err(StateError::Locked { holder: text }) = backend::open(&loc, &options("x")) else {
            panic!("expected Locked");
        };
        let id = text
            .split("lock ID ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .unwrap();
        id.to_owned()
    };
    // A holder that is alive renews its lease: it is still locked after several leases.
    std::thread::sleep(lease * 2);
    assert!(matches!(
        backend::open(&loc, &options("x")),
        Err(StateError::Locked { .. })
    ));
    // Forcibly unlocked from "elsewhere": the old holder is fenced off.
    let released = rewind_state::postgres::force_unlock(&db.url, &lock_id).unwrap();
    assert!(released.is_some_and(|h| h.contains("workspace w")));
    let mut taker = backend::open(&loc, &options("rewind apply again")).unwrap();
    taker
        .put(&record("a", Status::Running), "new holder")
        .unwrap();
    let mut holder = holder;
    let err = holder
        .put(&record("a", Status::Failed), "old holder")
        .unwrap_err();
    assert!(
        err.to_string().contains("no longer holds the lock"),
        "{err}"
    );
    // A fenced batch is refused whole: not even the transitions before the fence check stay.
    let serial = taker.meta().unwrap().serial;
    let (b, c) = (
        record("b", Status::Submitting),
        record("c", Status::Submitting),
    );
    let err = holder.put_batch(&[(&b, "old"), (&c, "old")]).unwrap_err();
    assert!(
        err.to_string().contains("no longer holds the lock"),
        "{err}"
    );
    assert_eq!(taker.meta().unwrap().serial, serial);
    assert_eq!(taker.get("b").unwrap(), None);
    assert_eq!(
        rewind_state::postgres::force_unlock(&db.url, "no-such-id").unwrap(),
        None
    );
    drop(holder);
    drop(taker);

    // A newer schema than this build is refused, not written to.
    rewind_state::testing::execute(&db.url, "INSERT INTO rewind_schema (version) VALUES (999)")
        .unwrap();
    let err = backend::open(&loc, &options("x")).unwrap_err();
    assert!(
        err.to_string()
            .contains("version 999, newer than this rewind"),
        "{err}"
    );
}

/// Reads come from the holder's copy of the records, which keeps sled's behaviour: one
/// unreadable record fails only its own reads (and `list`), stays removable, and never hides
/// the others. Its journal `from` is the status column, which the damage did not touch.
#[test]
fn postgres_reads_one_unreadable_record_as_sled_does() {
    let Some(db) = TestDb::create("unreadable") else {
        return;
    };
    let loc = Location::Postgres {
        url: db.url.clone(),
        workspace: "w".into(),
    };
    let mut state = backend::open(&loc, &options("test")).unwrap();
    state
        .put(&record("good", Status::Succeeded), "done")
        .unwrap();
    state.put(&record("bad", Status::Running), "run").unwrap();
    drop(state);
    rewind_state::testing::execute(
        &db.url,
        "UPDATE rewind_records SET data = '{not json' WHERE name = 'bad'",
    )
    .unwrap();
    let mut state = backend::open(&loc, &options("test")).unwrap();
    assert_eq!(
        state.get("good").unwrap().map(|r| r.status),
        Some(Status::Succeeded)
    );
    let err = state.get("bad").unwrap_err();
    assert!(err.to_string().contains("\"bad\""), "{err}");
    assert!(state.list().is_err(), "list names the unreadable record");
    let serial = state.remove("bad", "rm").unwrap();
    assert_eq!(state.get("bad").unwrap(), None);
    assert_eq!(state.list().unwrap().len(), 1);
    let last = state.journal().unwrap().pop().unwrap();
    assert_eq!(
        (last.serial, last.from, last.to),
        (serial, Some(Status::Running), None)
    );
}
