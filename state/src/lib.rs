//! State backends for the engine's `StateStore` trait: sled on disk (default), PostgreSQL for
//! teams, and memory for tests.
//!
//! # Layout on disk
//!
//! A state directory (`.rewind/` by default) holds:
//!
//! - `lock` and `lock.json`: the exclusive lock ([`lock`]). The lock is an OS file lock
//!   (`flock`), so a holder that was SIGKILLed never blocks the next run; `lock.json` only
//!   names the holder for the "locked by …" message.
//! - `db/`: one sled database ([`sled_state`]) with three trees: `records` (versioned JSON
//!   per operation name), `journal` (append-only, keyed by big-endian serial) and `meta`
//!   (lineage and serial). Every write updates all three in one transaction and is flushed
//!   before it returns.
//! - `snapshot.json`: the read snapshot ([`snapshot`]) the lock holder rewrites with every
//!   commit, so readers never wait for the lock.
//! - `watermark.json`: the lineage and highest committed serial ([`watermark`]), replaced
//!   durably after every commit; a database behind it is refused on open.
//! - `backups/`: JSON exports taken before each write session ([`backup`]), newest
//!   [`BACKUPS_KEPT`] kept.
//!
//! [`MemoryState`] implements the same trait without a disk, for engine and CLI tests.

pub mod backend;
pub mod backup;
mod codec;
mod damage;
pub mod export;
pub mod lock;
pub mod memory;
pub mod postgres;
pub mod sled_state;
pub mod snapshot;
// Test helpers: for this crate's tests and, behind the `testing` feature, other crates' tests.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod watermark;

pub use backend::{Backend, Location, OpenOptions};
pub use backup::BACKUPS_KEPT;
pub use export::EXPORT_FORMAT_VERSION;
pub use lock::{LockHolder, LockInfo};
pub use memory::MemoryState;
pub use postgres::PgState;
pub use sled_state::SledState;
pub use snapshot::Snapshot;
