//! The lock holder's copy of its workspace's records, so reads cost no round trip.
//!
//! Only the holder of a workspace's lock writes its records (every write is fenced by the
//! lock), so while this process holds it the database cannot change under the copy. A
//! holder that lost its lock may read a stale copy, but can no longer write, so it cannot act
//! on one. Records are kept as stored text and decoded on each read: one unreadable record
//! fails only the reads that touch it, as in sled.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

#[derive(Debug, Default)]
pub(super) struct Records(Mutex<Option<BTreeMap<String, String>>>);

impl Records {
    fn lock(&self) -> MutexGuard<'_, Option<BTreeMap<String, String>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `f` of the copy, or `None` when it is not loaded yet.
    pub(super) fn with<R>(&self, f: impl FnOnce(&BTreeMap<String, String>) -> R) -> Option<R> {
        self.lock().as_ref().map(f)
    }

    pub(super) fn load(&self, rows: Vec<(String, String)>) {
        *self.lock() = Some(rows.into_iter().collect());
    }

    /// After a committed write: `Some(text)` set, `None` removed.
    pub(super) fn wrote(&self, name: &str, text: Option<String>) {
        if let Some(m) = self.lock().as_mut() {
            match text {
                Some(t) => m.insert(name.to_owned(), t),
                None => m.remove(name),
            };
        }
    }

    /// After a write whose outcome is unknown: read the database again next time.
    pub(super) fn forget(&self) {
        *self.lock() = None;
    }
}
