//! The per-directory exclusive lock, and the holder description a second opener sees.

use rewind_engine::state::StateError;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::codec::storage;

const LOCK_FILE: &str = "lock";
const HOLDER_FILE: &str = "lock.json";
/// How long a lock whose holder has not described itself, or is described as a process of
/// this host that no longer runs, is retried before giving up.
const UNDESCRIBED_WAIT: Duration = Duration::from_secs(1);

/// What the caller says about itself when it takes the lock; the rest is filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// The command line as a user would recognise it, e.g. `rewind apply`.
    pub command: String,
}

impl LockHolder {
    pub fn new(command: impl Into<String>) -> LockHolder {
        LockHolder {
            command: command.into(),
        }
    }
}

/// Who holds a state lock, as written to `lock.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub host: String,
    /// The OS user; absent in lock files written before it was recorded.
    #[serde(default)]
    pub user: String,
    pub command: String,
    /// RFC 3339, UTC, whole seconds.
    pub started_at: String,
}

impl LockInfo {
    fn current(holder: LockHolder) -> LockInfo {
        LockInfo {
            pid: std::process::id(),
            host: host_name(),
            user: user_name(),
            command: holder.command,
            started_at: format!("{:.0}", jiff::Timestamp::now()),
        }
    }

    /// Whether the described process still runs: `None` when that cannot be told (another
    /// host, or no `/proc`).
    pub(crate) fn runs(&self) -> Option<bool> {
        if self.host != host_name() || !Path::new("/proc/self").exists() {
            return None;
        }
        Some(Path::new(&format!("/proc/{}", self.pid)).exists())
    }

    /// The phrase that follows "state is locked by".
    pub fn describe(&self) -> String {
        format!(
            "pid {} on host {} (user {}), `{}`, since {}",
            self.pid, self.host, self.user, self.command, self.started_at
        )
    }
}

/// An exclusive OS lock on `DIR/lock`, held for as long as this value lives.
///
/// The lock is `flock`-based rather than "the file exists", so the OS drops it when the
/// holder dies, even by SIGKILL; a stale `lock.json` left behind is only ever read to word
/// the error for someone who is actually blocked.
#[derive(Debug)]
pub(crate) struct StateLock {
    // Never read: it holds the lock by staying open.
    _file: File,
    holder_path: PathBuf,
    info: LockInfo,
}

impl StateLock {
    pub fn acquire(dir: &Path, holder: LockHolder) -> Result<StateLock, StateError> {
        let lock_path = dir.join(LOCK_FILE);
        let holder_path = dir.join(HOLDER_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| storage(&format!("opening {}", lock_path.display()), e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => match read_holder(&holder_path) {
                    // A holder writes lock.json right after it locks and removes it right
                    // before it unlocks, so a lock with no description is a process that is
                    // starting or has just let go (or a child forked at that moment, which
                    // carries the descriptor until its exec). A description of a process
                    // that is gone is a holder killed while it forked (`git` for the run
                    // entry): the child keeps the lock until its exec. Each resolves within
                    // moments.
                    Err(_) | Ok((_, Some(false))) if started.elapsed() < UNDESCRIBED_WAIT => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Ok((holder, _)) | Err(holder) => return Err(StateError::Locked { holder }),
                },
                Err(TryLockError::Error(e)) => {
                    return Err(storage(&format!("locking {}", lock_path.display()), e));
                }
            }
        }
        let info = LockInfo::current(holder);
        write_holder(&holder_path, &info)?;
        Ok(StateLock {
            _file: file,
            holder_path,
            info,
        })
    }

    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Removed while the lock is still held (fields drop after this), so it can never
        // delete the description a next holder has just written.
        if let Err(e) = fs::remove_file(&self.holder_path) {
            tracing::debug!(path = %self.holder_path.display(), error = %e, "could not remove lock holder file");
        }
    }
}

fn write_holder(path: &Path, info: &LockInfo) -> Result<(), StateError> {
    let json = serde_json::to_vec_pretty(info).map_err(|e| storage("encoding lock holder", e))?;
    // Write-then-rename, so a blocked opener never reads half a description.
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, json).map_err(|e| storage(&format!("writing {}", tmp.display()), e))?;
    fs::rename(&tmp, path).map_err(|e| storage(&format!("writing {}", path.display()), e))
}

/// The holder's description; `Err` carries a fallback when `lock.json` is missing.
/// The holder's description, and whether it still runs where that can be told (a process
/// of this host, on a system with `/proc`).
fn read_holder(path: &Path) -> Result<(String, Option<bool>), String> {
    match fs::read(path) {
        Ok(bytes) => Ok(match serde_json::from_slice::<LockInfo>(&bytes) {
            Ok(info) => (info.describe(), info.runs()),
            Err(e) => (
                format!("another process ({} is unreadable: {e})", path.display()),
                None,
            ),
        }),
        Err(e) => Err(format!(
            "another process (no holder details in {}: {e})",
            path.display()
        )),
    }
}

/// The OS user running this process, for lock holders and approvers.
pub fn user_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The name of this process's real uid in /etc/passwd, for when no USER is set (cron, CI).
fn user_from_passwd() -> Option<String> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    })
}

/// This machine's host name.
pub fn host_name() -> String {
    let from_proc = fs::read_to_string("/proc/sys/kernel/hostname").ok();
    let from_env = || std::env::var("HOSTNAME").ok();
    from_proc
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| from_env().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::{LockHolder, LockInfo};

    #[test]
    fn a_holder_is_known_gone_only_when_it_was_a_process_of_this_host_that_ended() {
        let mut info = LockInfo::current(LockHolder::new("rewind apply"));
        if info.runs().is_none() {
            return; // no /proc here: nothing can be told, as on another host
        }
        assert_eq!(info.runs(), Some(true), "this process runs");
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        ended.wait().unwrap();
        info.pid = ended.id();
        assert_eq!(info.runs(), Some(false), "a reaped child is gone");
        info.host = format!("not-{}", info.host);
        assert_eq!(info.runs(), None, "another host's process cannot be told");
    }
}
