//! SIGKILL between (and during) transitions: every flushed write survives, the state opens.

use crate::util::{ChildTest, child_role, record, tell_parent, test_name};
use rewind_engine::state::{StateStore, Status};
use rewind_state::{LockHolder, SledState};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

const NAMES: [&str; 4] = ["alpha", "bravo", "charlie", "delta"];
const STATUSES: [Status; 3] = [Status::Submitting, Status::Running, Status::Succeeded];
/// Bounds on the child, should the parent never kill it.
const CHILD_MAX_PUTS: u64 = 100_000;
const CHILD_MAX_TIME: Duration = Duration::from_secs(30);

/// One `put` the child reported after it returned, so it was flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flushed {
    serial: u64,
    name: usize,
    status: usize,
}

/// The child: writes transitions until killed, reporting each serial once `put` returned.
fn write_until_killed(dir: &Path) {
    let mut state = SledState::open(dir, LockHolder::new("rewind apply (crash test)")).unwrap();
    let meta = state.meta().unwrap();
    tell_parent(&format!("OPENED {} {}", meta.lineage, meta.serial));
    let started = Instant::now();
    for step in 0..CHILD_MAX_PUTS {
        if started.elapsed() > CHILD_MAX_TIME {
            break;
        }
        let serial = meta.serial + step + 1;
        let (name, status) = ((serial % 4) as usize, (serial % 3) as usize);
        let mut rec = record(NAMES[name], STATUSES[status]);
        // The record carries the serial that wrote it, so the parent can tell which write
        // it sees.
        rec.outputs.insert("serial".to_owned(), serial.to_string());
        assert_eq!(state.put(&rec, "crash test").unwrap(), serial);
        tell_parent(&format!("PUT {serial} {name} {status}"));
    }
}

fn parse_put(line: &str) -> Flushed {
    let fields: Vec<&str> = line.split(' ').collect();
    match fields.as_slice() {
        ["PUT", serial, name, status] => Flushed {
            serial: serial.parse().unwrap(),
            name: name.parse().unwrap(),
            status: status.parse().unwrap(),
        },
        _ => panic!("unexpected child line {line:?}"),
    }
}

/// Opens the state after a crash and checks it against everything the children reported.
fn check(dir: &Path, lineage: &str, flushed: &[Flushed]) -> u64 {
    let state = SledState::open(dir, LockHolder::new("rewind state list")).expect("reopens");
    let meta = state.meta().unwrap();
    assert_eq!(meta.lineage, lineage);
    let journal = state.journal().unwrap();
    // Contiguous serials from 1: no transition was half-applied or lost from the middle.
    let serials: Vec<u64> = journal.iter().map(|e| e.serial).collect();
    assert_eq!(serials, (1..=meta.serial).collect::<Vec<_>>());

    let mut last_for_name = BTreeMap::new();
    for f in flushed {
        assert!(
            f.serial <= meta.serial,
            "flushed serial {} lost (state at {})",
            f.serial,
            meta.serial
        );
        let entry = &journal[(f.serial - 1) as usize];
        assert_eq!(entry.name, NAMES[f.name]);
        assert_eq!(entry.to, Some(STATUSES[f.status]));
        last_for_name.insert(f.name, f.serial);
    }
    for (name, serial) in last_for_name {
        let rec = state
            .get(NAMES[name])
            .unwrap()
            .expect("flushed record is present");
        let written_by: u64 = rec.outputs["serial"].parse().unwrap();
        // The record is the last reported write of it, or one that finished unreported just
        // before the kill; it agrees with the journal entry of its own write.
        assert!(
            written_by >= serial,
            "{} went back from {serial} to {written_by}",
            NAMES[name]
        );
        let entry = &journal[(written_by - 1) as usize];
        assert_eq!(
            (entry.name.as_str(), entry.to),
            (NAMES[name], Some(rec.status))
        );
    }
    state.list().expect("every record decodes");
    meta.serial
}

#[test]
fn sigkill_between_transitions_keeps_every_flushed_record() {
    if let Some((role, dir)) = child_role() {
        assert_eq!(role, "crash-writer");
        write_until_killed(Path::new(&dir));
        return;
    }
    let name = test_name(
        module_path!(),
        "sigkill_between_transitions_keeps_every_flushed_record",
    );
    let dir = tempfile::tempdir().unwrap();
    let mut lineage: Option<String> = None;
    let mut flushed = Vec::new();
    let mut serial = 0;
    // Kill points, counted in reported puts: before the first returns, then later on.
    for kill_after in [0, 1, 9, 40] {
        let mut child = ChildTest::spawn(&name, "crash-writer", dir.path());
        let opened = child.next_line();
        let mut fields = opened
            .strip_prefix("OPENED ")
            .expect("OPENED line")
            .split(' ');
        let child_lineage = fields.next().unwrap().to_owned();
        let opened_at: u64 = fields.next().unwrap().parse().unwrap();
        assert_eq!(
            opened_at, serial,
            "the child starts where the last check ended"
        );
        assert_eq!(
            lineage.get_or_insert_with(|| child_lineage.clone()),
            &child_lineage
        );

        for _ in 0..kill_after {
            flushed.push(parse_put(&child.next_line()));
        }
        let status = child.kill();
        assert_eq!(
            status.signal(),
            Some(9),
            "killed mid-run, not finished: {status:?}"
        );
        // Lines already in the pipe were printed after their put returned: flushed too.
        flushed.extend(child.remaining_lines().iter().map(|l| parse_put(l)));

        serial = check(dir.path(), lineage.as_deref().unwrap(), &flushed);
    }
    assert!(
        flushed.len() >= 50,
        "the children reported {} puts",
        flushed.len()
    );
}
