//! `Backend`: what the CLI needs of any state beyond the engine's trait, and `open` by location.

use rewind_engine::state::{JournalEntry, OpRecord, RunEntry, StateError, StateStore};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::codec::storage;
use crate::lock::LockHolder;
use crate::postgres::{self, PgOptions, PgState};
use crate::{MemoryState, SledState};

/// A state store with backups, whole-state copies and a printable location.
pub trait Backend: StateStore + std::fmt::Debug {
    /// Where the state lives, with any password removed.
    fn location(&self) -> String;
    /// Saves the current export where this backend keeps backups; returns where it went.
    fn backup(&mut self) -> Result<String, StateError>;
    /// Replaces an empty state with `doc` (an export), lineage, serial, journal and runs
    /// included, in one transaction. Refuses a state that has ever been written.
    fn import(&mut self, doc: &Value) -> Result<(), StateError>;
    /// The whole state as JSON; see [`crate::export::export`].
    fn export(&self) -> Result<Value, StateError> {
        crate::export::export(self)
    }
    /// A flag that becomes true when this process loses the state's lock while it runs
    /// (PostgreSQL's lease); `None` for a lock that cannot be lost (an OS file lock).
    fn lock_lost(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        None
    }
}

/// Where a state lives, as `--state`, `REWIND_STATE` or `rewind.toml` name it: parsed once
/// (by [`Location::parse`]), so no caller re-tests a path for a URL. `Display` removes a
/// PostgreSQL URL's password: a location is safe to print.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A sled directory.
    Dir(PathBuf),
    /// A PostgreSQL connection URL and the workspace inside that database.
    Postgres { url: String, workspace: String },
}

impl Location {
    /// `postgres://` or `postgresql://` URLs are PostgreSQL; anything else is a directory.
    pub fn parse(text: &str, workspace: impl Into<String>) -> Location {
        if is_postgres_url(text) {
            Location::Postgres {
                url: text.to_owned(),
                workspace: workspace.into(),
            }
        } else {
            Location::Dir(PathBuf::from(text))
        }
    }

    /// The sled directory, or `None` for a state kept in a database.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Location::Dir(d) => Some(d),
            Location::Postgres { .. } => None,
        }
    }

    /// A state that teammates share through a server (PostgreSQL), not a local directory.
    pub fn is_shared(&self) -> bool {
        matches!(self, Location::Postgres { .. })
    }

    /// Whether a state is known to be here already: a shared state may be, a directory is
    /// when it exists. Reads that must not create state ask this first.
    pub fn may_exist(&self) -> bool {
        self.dir().is_none_or(Path::exists)
    }

    /// The location for messages: passwords removed (as `Display`).
    pub fn display(&self) -> String {
        self.to_string()
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(d) => write!(f, "{}", d.display()),
            Location::Postgres { url, workspace } => {
                write!(f, "{} (workspace {workspace})", postgres::redact(url))
            }
        }
    }
}

/// `Debug` redacts too: a location inside a logged or debug-printed value never shows a
/// password.
impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(d) => f.debug_tuple("Dir").field(d).finish(),
            Location::Postgres { url, workspace } => f
                .debug_struct("Postgres")
                .field("url", &postgres::redact(url))
                .field("workspace", workspace)
                .finish(),
        }
    }
}

/// Whether `text` is a PostgreSQL URL; [`Location::parse`] is the one caller outside tests.
pub fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// How to open a state: who is asking and how long to wait for a held lock.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub holder: LockHolder,
    /// How long a held lock is waited for before giving up (zero: fail at once).
    pub lock_timeout: Duration,
    /// PostgreSQL only: how long a lock lives without renewal.
    pub lease: Duration,
}

/// Opens (creating if needed) and locks the state at `location`, waiting up to
/// `lock_timeout` for a lock another process holds.
pub fn open(location: &Location, options: &OpenOptions) -> Result<Box<dyn Backend>, StateError> {
    let deadline = std::time::Instant::now() + options.lock_timeout;
    loop {
        let attempt: Result<Box<dyn Backend>, StateError> = match location {
            Location::Dir(dir) => {
                SledState::open(dir, options.holder.clone()).map(|s| Box::new(s) as _)
            }
            Location::Postgres { url, workspace } => PgState::open(
                url,
                workspace,
                &PgOptions {
                    holder: options.holder.clone(),
                    lease: options.lease,
                },
            )
            .map(|s| Box::new(s) as _),
        };
        match attempt {
            Err(StateError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// An export document, read back.
#[derive(Debug, Deserialize)]
pub(crate) struct ExportDoc {
    pub format_version: u32,
    pub lineage: String,
    pub serial: u64,
    pub records: Vec<OpRecord>,
    pub journal: Vec<JournalEntry>,
    #[serde(default)]
    pub runs: Vec<RunEntry>,
}

impl ExportDoc {
    pub(crate) fn parse(doc: &Value) -> Result<ExportDoc, StateError> {
        let parsed: ExportDoc = serde_json::from_value(doc.clone())
            .map_err(|e| storage("reading the state to import", e))?;
        if parsed.format_version != crate::EXPORT_FORMAT_VERSION {
            return Err(StateError::Storage(format!(
                "cannot import export format {} (this build reads {})",
                parsed.format_version,
                crate::EXPORT_FORMAT_VERSION
            )));
        }
        if parsed.journal.last().map_or(0, |j| j.serial) != parsed.serial {
            return Err(StateError::Storage(
                "the state to import is inconsistent: its serial is not its journal's last".into(),
            ));
        }
        Ok(parsed)
    }
}

/// Refuses to import over a state that has been written.
pub(crate) fn check_empty(store: &dyn StateStore) -> Result<(), StateError> {
    let meta = store.meta()?;
    if meta.serial != 0 || !store.list()?.is_empty() || !store.runs()?.is_empty() {
        return Err(StateError::Storage(format!(
            "the destination state is not empty (lineage {}, serial {}); migrate only into a new state",
            meta.lineage, meta.serial
        )));
    }
    Ok(())
}

impl Backend for MemoryState {
    fn location(&self) -> String {
        "(memory)".to_owned()
    }

    fn backup(&mut self) -> Result<String, StateError> {
        let doc = crate::export::export(self)?;
        self.backups.push(doc);
        if self.backups.len() > crate::BACKUPS_KEPT {
            self.backups.remove(0);
        }
        Ok(format!("memory backup {}", self.backups.len()))
    }

    fn import(&mut self, doc: &Value) -> Result<(), StateError> {
        let doc = ExportDoc::parse(doc)?;
        check_empty(self)?;
        self.lineage = doc.lineage;
        self.serial = doc.serial;
        self.records = doc
            .records
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        self.journal = doc.journal;
        self.runs = doc.runs.into_iter().map(|r| (r.id, r)).collect();
        Ok(())
    }
}

impl Backend for SledState {
    fn location(&self) -> String {
        self.dir().display().to_string()
    }

    fn backup(&mut self) -> Result<String, StateError> {
        SledState::backup(self).map(|p| p.display().to_string())
    }

    fn import(&mut self, doc: &Value) -> Result<(), StateError> {
        let doc = ExportDoc::parse(doc)?;
        check_empty(self)?;
        self.import_doc(&doc)
    }
}

/// So a boxed backend goes wherever a `&dyn StateStore` or `&mut dyn StateStore` is asked
/// for.
impl StateStore for Box<dyn Backend> {
    fn meta(&self) -> Result<rewind_engine::state::StateMeta, StateError> {
        (**self).meta()
    }
    fn get(&self, name: &str) -> Result<Option<OpRecord>, StateError> {
        (**self).get(name)
    }
    fn list(&self) -> Result<Vec<OpRecord>, StateError> {
        (**self).list()
    }
    fn put(&mut self, record: &OpRecord, note: &str) -> Result<u64, StateError> {
        (**self).put(record, note)
    }
    fn put_batch(&mut self, batch: &[(&OpRecord, &str)]) -> Result<Vec<u64>, StateError> {
        (**self).put_batch(batch)
    }
    fn remove(&mut self, name: &str, note: &str) -> Result<u64, StateError> {
        (**self).remove(name, note)
    }
    fn journal(&self) -> Result<Vec<JournalEntry>, StateError> {
        (**self).journal()
    }
    fn put_run(&mut self, run: &RunEntry) -> Result<(), StateError> {
        (**self).put_run(run)
    }
    fn runs(&self) -> Result<Vec<RunEntry>, StateError> {
        (**self).runs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_parsed_once_and_never_prints_its_password() {
        let pg = Location::parse("postgres://rewind:s3cret@db:5432/rewind", "team/a.yaml");
        assert!(pg.is_shared() && pg.dir().is_none() && pg.may_exist());
        for shown in [pg.to_string(), format!("{pg:?}"), pg.display()] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("db:5432"), "{shown}");
        }
        let dir = Location::parse("/no/such/state", "x");
        assert_eq!(dir.dir(), Some(Path::new("/no/such/state")));
        assert!(!dir.is_shared() && !dir.may_exist());
        assert_eq!(dir.to_string(), "/no/such/state");
    }
}
