//! JSON backups under `DIR/backups/`, one per write session, pruned to the newest few.

use rewind_engine::state::StateError;
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::codec::storage;

/// How many backups survive pruning.
pub const BACKUPS_KEPT: usize = 20;

const BACKUP_DIR: &str = "backups";

/// Writes `export` as `DIR/backups/state-<serial>-<unix ms>.json`, then prunes to the newest
/// [`BACKUPS_KEPT`]. Returns the new file's path.
pub(crate) fn write(
    dir: &Path,
    serial: u64,
    at_ms: i64,
    export: &Value,
) -> Result<PathBuf, StateError> {
    let backups = dir.join(BACKUP_DIR);
    fs::create_dir_all(&backups)
        .map_err(|e| storage(&format!("creating {}", backups.display()), e))?;
    let path = backups.join(format!("state-{serial}-{at_ms}.json"));
    let mut json = serde_json::to_vec_pretty(export).map_err(|e| storage("encoding backup", e))?;
    json.push(b'\n');
    // A torn backup is worse than none, so it only gets its real name once it is complete
    // and on disk.
    let tmp = backups.join(format!(".state-{serial}-{at_ms}.json.tmp"));
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&json)?;
        f.sync_all()
    });
    written.map_err(|e| storage(&format!("writing {}", tmp.display()), e))?;
    fs::rename(&tmp, &path).map_err(|e| storage(&format!("writing {}", path.display()), e))?;
    prune(&backups, BACKUPS_KEPT)?;
    tracing::debug!(path = %path.display(), "state backup written");
    Ok(path)
}

/// Keeps the newest `keep` backups by (time, serial) in their names; files that are not
/// named like a backup are left alone.
fn prune(backups: &Path, keep: usize) -> Result<(), StateError> {
    let entries =
        fs::read_dir(backups).map_err(|e| storage(&format!("listing {}", backups.display()), e))?;
    let mut found: Vec<((i64, u64), PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| storage(&format!("listing {}", backups.display()), e))?;
        let name = entry.file_name();
        if let Some(order) = name.to_str().and_then(parse_name) {
            found.push((order, entry.path()));
        }
    }
    found.sort_unstable_by_key(|(order, _)| std::cmp::Reverse(*order));
    for (_, old) in found.iter().skip(keep) {
        fs::remove_file(old).map_err(|e| storage(&format!("pruning {}", old.display()), e))?;
    }
    Ok(())
}

/// The newest backup of the state in `dir` and its serial, if there is one.
pub fn newest(dir: &Path) -> Option<(PathBuf, u64)> {
    let entries = fs::read_dir(dir.join(BACKUP_DIR)).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let order = e.file_name().to_str().and_then(parse_name)?;
            Some((order, e.path()))
        })
        .max_by_key(|(order, _)| *order)
        .map(|((_, serial), path)| (path, serial))
}

/// `state-<serial>-<ms>.json` to `(ms, serial)`: time first, because a state that was
/// deleted and started over restarts its serial but not the clock.
fn parse_name(name: &str) -> Option<(i64, u64)> {
    let rest = name.strip_prefix("state-")?.strip_suffix(".json")?;
    let (serial, ms) = rest.split_once('-')?;
    Some((ms.parse().ok()?, serial.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse_name;

    #[test]
    fn names_parse_to_time_then_serial() {
        assert_eq!(
            parse_name("state-12-1700000000000.json"),
            Some((1_700_000_000_000, 12))
        );
        assert_eq!(parse_name(".state-12-1700000000000.json.tmp"), None);
        assert_eq!(parse_name("state-x-1.json"), None);
        assert_eq!(parse_name("notes.txt"), None);
    }
}
