//! The high-water mark of a sled state: its lineage and highest committed serial, kept
//! beside the database so that a state that went back in time is refused before it is used.
//
// sled recovers a truncated or partly deleted log by dropping what it cannot read, and opens
// a deleted database as a new, empty one. Either way the state "forgets" restores it had
// recorded, and the next apply would submit them again. `watermark.json` lives outside
// `db/`, is replaced atomically (temp file, fsync, rename, fsync of the directory) after
// every commit, and is compared with the database on every open.

use rewind_engine::state::StateError;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::codec::storage;

/// The file's name inside the state directory.
pub const FILE: &str = "watermark.json";
const FORMAT_VERSION: u32 = 1;

/// What the state had reached when it was last committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub format_version: u32,
    pub lineage: String,
    pub serial: u64,
}

impl Watermark {
    pub fn new(lineage: &str, serial: u64) -> Watermark {
        Watermark {
            format_version: FORMAT_VERSION,
            lineage: lineage.to_owned(),
            serial,
        }
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The recorded mark; `None` for a state that never had one (new, or older than this file).
pub fn read(dir: &Path) -> Result<Option<Watermark>, StateError> {
    let file = path(dir);
    let bytes = match fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(storage(&format!("reading {}", file.display()), e)),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        StateError::Storage(format!(
            "{} is unreadable ({e}); it records how far the state had got, so rewind will not \
             guess: restore the state from a backup with `rewind state restore BACKUP`",
            file.display()
        ))
    })
}

/// Durably replaces the mark with `mark`.
pub fn write(dir: &Path, mark: &Watermark) -> Result<(), StateError> {
    let file = path(dir);
    let tmp = dir.join(format!(".{FILE}.tmp"));
    let mut json = serde_json::to_vec(mark).map_err(|e| storage("encoding the watermark", e))?;
    json.push(b'\n');
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&json)?;
        f.sync_all()
    });
    written.map_err(|e| storage(&format!("writing {}", tmp.display()), e))?;
    fs::rename(&tmp, &file).map_err(|e| storage(&format!("writing {}", file.display()), e))?;
    // The rename is durable only once the directory entry is.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// How the database compares with the mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Same lineage, at or past the mark (past it: the process died between the commit and
    /// the mark's update).
    Current,
    /// No mark yet: the caller writes one.
    Unmarked,
    /// The database holds nothing, but the mark says it had reached `serial`.
    Emptied { mark: Watermark },
    /// The database is another state than the one marked.
    Replaced { mark: Watermark, lineage: String },
    /// Same lineage, but fewer transitions than were committed.
    RolledBack { mark: Watermark, serial: u64 },
}

/// Compares the database's `(lineage, serial)` (`None`: it has no meta at all) with `mark`.
pub fn judge(mark: Option<&Watermark>, stored: Option<(&str, u64)>) -> Verdict {
    let Some(mark) = mark else {
        return Verdict::Unmarked;
    };
    match stored {
        None => Verdict::Emptied { mark: mark.clone() },
        Some((lineage, _)) if lineage != mark.lineage => Verdict::Replaced {
            mark: mark.clone(),
            lineage: lineage.to_owned(),
        },
        Some((_, serial)) if serial < mark.serial => Verdict::RolledBack {
            mark: mark.clone(),
            serial,
        },
        Some(_) => Verdict::Current,
    }
}

impl Verdict {
    /// What went wrong, for the error message; `None` when nothing did.
    pub fn problem(&self) -> Option<String> {
        match self {
            Verdict::Current | Verdict::Unmarked => None,
            Verdict::Emptied { mark } => Some(format!(
                "it is empty, but it had recorded {} transition(s) (lineage {}): its database \
                 was deleted, truncated or emptied",
                mark.serial, mark.lineage
            )),
            Verdict::Replaced { mark, lineage } => Some(format!(
                "it holds lineage {lineage}, but it was lineage {} at serial {}: its database \
                 was replaced, or lost and started over",
                mark.lineage, mark.serial
            )),
            Verdict::RolledBack { mark, serial } => Some(format!(
                "it is at serial {serial}, but it had reached serial {} (lineage {}): it was \
                 rolled back, or lost its latest transitions",
                mark.serial, mark.lineage
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_behind_its_mark_is_refused_and_one_ahead_is_not() {
        let mark = Watermark::new("L", 7);
        assert_eq!(judge(None, None), Verdict::Unmarked);
        assert_eq!(judge(Some(&mark), Some(("L", 7))), Verdict::Current);
        assert_eq!(judge(Some(&mark), Some(("L", 8))), Verdict::Current);
        assert!(matches!(judge(Some(&mark), None), Verdict::Emptied { .. }));
        assert!(matches!(
            judge(Some(&mark), Some(("M", 7))),
            Verdict::Replaced { .. }
        ));
        assert!(matches!(
            judge(Some(&mark), Some(("L", 3))),
            Verdict::RolledBack { serial: 3, .. }
        ));
    }

    #[test]
    fn the_mark_survives_a_round_trip_and_garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        write(dir.path(), &Watermark::new("L", 3)).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(Watermark::new("L", 3)));
        fs::write(path(dir.path()), b"{garbage").unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("state restore"), "{e}");
    }
}
