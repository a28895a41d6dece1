//! `SledState`: the on-disk `StateStore`, one sled database behind an exclusive lock.

use rewind_engine::state::{JournalEntry, OpRecord, RunEntry, StateError, StateMeta, StateStore};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::fs::{self, File, TryLockError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::codec::{self, META_NAME, META_VERSION, MetaDoc, corrupt, storage};
use crate::export;
use crate::lock::{LockHolder, LockInfo, StateLock};
use crate::watermark::{self, Watermark};
use crate::{backup, damage};

pub(crate) const DB_DIR: &str = "db";
const RECORDS_TREE: &str = "records";
const JOURNAL_TREE: &str = "journal";
const META_TREE: &str = "meta";
const RUNS_TREE: &str = "runs";
const META_KEY: &str = "state";
/// The file inside sled's directory that sled itself locks.
const SLED_LOCKED_FILE: &str = "db";
/// How long a previous handle's leftover sled threads may keep the database file.
const SLED_RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// The sled-backed state of one directory. Holding it holds the directory's lock.
#[derive(Debug)]
pub struct SledState {
    // Field order is drop order: sled's handles, then the wait for sled's threads to let go
    // of its files, then our lock. So once this value is dropped, the state can be opened
    // again at once, by this process or another.
    records: sled::Tree,
    journal: sled::Tree,
    meta: sled::Tree,
    runs: sled::Tree,
    db: sled::Db,
    _release: SledRelease,
    lock: StateLock,
    dir: PathBuf,
    /// This state's lineage, for the watermark written after every commit.
    lineage: String,
}

impl SledState {
    /// Takes the lock on `dir` (creating the directory if needed), opens sled and, on first
    /// use, gives the state a new lineage.
    ///
    /// A database that went back in time (emptied, truncated, replaced or rolled back behind
    /// its [`watermark`]) and any failure to read it are refused with an error that names
    /// the newest backup and `rewind state restore`.
    pub fn open(dir: &Path, holder: LockHolder) -> Result<SledState, StateError> {
        fs::create_dir_all(dir).map_err(|e| storage(&format!("creating {}", dir.display()), e))?;
        // The lock comes first: sled's own lock would only say "WouldBlock".
        let lock = StateLock::acquire(dir, holder)?;
        Self::open_locked(dir, lock).map_err(|e| damage::explain_open(dir, e))
    }

    /// Puts the export at `backup` back as the state in `dir`: the damaged database and its
    /// watermark are moved aside (`db.damaged-<ms>`), a new database is made from the backup
    /// (its lineage and serial included), and the watermark is set to it.
    pub fn restore(dir: &Path, backup: &Path, holder: LockHolder) -> Result<SledState, StateError> {
        let text =
            fs::read(backup).map_err(|e| storage(&format!("reading {}", backup.display()), e))?;
        let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            StateError::Storage(format!("{} is not a state backup: {e}", backup.display()))
        })?;
        let doc = crate::backend::ExportDoc::parse(&value)?;
        fs::create_dir_all(dir).map_err(|e| storage(&format!("creating {}", dir.display()), e))?;
        let lock = StateLock::acquire(dir, holder)?;
        let db_path = dir.join(DB_DIR);
        wait_for_sled_release(&db_path)?;
        let stamp = codec::now_ms();
        if db_path.exists() {
            let aside = dir.join(format!("{DB_DIR}.damaged-{stamp}"));
            fs::rename(&db_path, &aside)
                .map_err(|e| storage(&format!("moving {} aside", db_path.display()), e))?;
        }
        let mark = watermark::path(dir);
        if mark.exists() {
            let aside = dir.join(format!("{}.damaged-{stamp}", watermark::FILE));
            fs::rename(&mark, &aside)
                .map_err(|e| storage(&format!("moving {} aside", mark.display()), e))?;
        }
        let mut state = Self::open_locked(dir, lock)?;
        crate::backend::check_empty(&state)?;
        state.import_doc(&doc)?;
        tracing::info!(backup = %backup.display(), serial = doc.serial, "state restored");
        Ok(state)
    }

    fn open_locked(dir: &Path, lock: StateLock) -> Result<SledState, StateError> {
        let db_path = dir.join(DB_DIR);
        wait_for_sled_release(&db_path)?;
        let db = sled::Config::new()
            .path(&db_path)
            // Every write flushes itself; a background flusher would add nothing.
            .flush_every_ms(None)
            .open()
            .map_err(|e| storage(&format!("opening {}", db_path.display()), e))?;
        let open_tree = |name: &str| {
            db.open_tree(name)
                .map_err(|e| storage(&format!("opening sled tree {name}"), e))
        };
        let state = SledState {
            records: open_tree(RECORDS_TREE)?,
            journal: open_tree(JOURNAL_TREE)?,
            meta: open_tree(META_TREE)?,
            runs: open_tree(RUNS_TREE)?,
            db,
            _release: SledRelease {
                db_path: db_path.clone(),
            },
            lock,
            dir: dir.to_owned(),
            lineage: String::new(),
        };
        let mut state = state;
        state.check_watermark()?;
        crate::snapshot::file::refresh(&state);
        tracing::debug!(dir = %dir.display(), "state opened");
        Ok(state)
    }

    /// The directory this state lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Who holds the lock: this process.
    pub fn holder(&self) -> &LockInfo {
        self.lock.info()
    }

    /// The whole state as JSON; see [`export::export`].
    pub fn export(&self) -> Result<serde_json::Value, StateError> {
        export::export(self)
    }

    /// Writes the export to `DIR/backups/state-<serial>-<unix ms>.json` and prunes old
    /// backups. Called before every write session.
    pub fn backup(&self) -> Result<PathBuf, StateError> {
        let value = self.export()?;
        let serial = self.meta()?.serial;
        backup::write(&self.dir, serial, codec::now_ms(), &value)
    }

    /// Refuses a database behind its watermark; then makes or checks the meta, and marks it.
    fn check_watermark(&mut self) -> Result<(), StateError> {
        let mark = watermark::read(&self.dir)?;
        let stored = self
            .meta
            .get(META_KEY)
            .map_err(|e| storage("reading state meta", e))?
            .map(|bytes| codec::decode_meta(&bytes))
            .transpose()?;
        let verdict = watermark::judge(
            mark.as_ref(),
            stored.as_ref().map(|m| (m.lineage.as_str(), m.serial)),
        );
        if let Some(problem) = verdict.problem() {
            return Err(damage::damaged(&self.dir, &problem, None));
        }
        let meta = self.init_meta()?;
        self.lineage.clone_from(&meta.lineage);
        if mark.as_ref().is_none_or(|m| m.serial != meta.serial) {
            watermark::write(&self.dir, &Watermark::new(&meta.lineage, meta.serial))?;
        }
        Ok(())
    }

    fn init_meta(&self) -> Result<MetaDoc, StateError> {
        let stored = self
            .meta
            .get(META_KEY)
            .map_err(|e| storage("reading state meta", e))?;
        let meta = if let Some(bytes) = stored {
            codec::decode_meta(&bytes)?
        } else {
            let meta = MetaDoc {
                format_version: META_VERSION,
                lineage: uuid::Uuid::new_v4().to_string(),
                serial: 0,
            };
            self.meta
                .insert(META_KEY, codec::encode_meta(&meta)?)
                .map_err(|e| storage("writing state meta", e))?;
            self.flush()?;
            tracing::info!(lineage = %meta.lineage, "new state lineage");
            meta
        };
        // Writes update meta and journal in one transaction, so a mismatch means the files
        // were damaged or mixed up, and nothing read from them should be trusted.
        let last = match self
            .journal
            .last()
            .map_err(|e| storage("reading the journal", e))?
        {
            Some((key, value)) => codec::decode_journal(&key, &value)?.serial,
            None => 0,
        };
        if last != meta.serial {
            return Err(corrupt(
                META_NAME,
                format!("serial is {} but the journal ends at {last}", meta.serial),
            ));
        }
        Ok(meta)
    }

    /// Writes a whole export into this (empty) state in one transaction, then flushes.
    pub(crate) fn import_doc(&mut self, doc: &crate::backend::ExportDoc) -> Result<(), StateError> {
        let meta_doc = MetaDoc {
            format_version: META_VERSION,
            lineage: doc.lineage.clone(),
            serial: doc.serial,
        };
        let meta_bytes = codec::encode_meta(&meta_doc)?;
        let records = doc
            .records
            .iter()
            .map(|r| Ok((r.name.clone(), codec::encode_record(r)?)))
            .collect::<Result<Vec<_>, StateError>>()?;
        let journal = doc
            .journal
            .iter()
            .map(|j| Ok((codec::journal_key(j.serial), codec::encode_journal(j)?)))
            .collect::<Result<Vec<_>, StateError>>()?;
        let runs = doc
            .runs
            .iter()
            .map(|r| Ok((r.id.to_be_bytes(), codec::encode_run(r)?)))
            .collect::<Result<Vec<_>, StateError>>()?;
        let result = (&self.records, &self.journal, &self.meta, &self.runs).transaction(
            |(rt, jt, mt, ut)| {
                for (k, v) in &records {
                    rt.insert(k.as_bytes(), v.as_slice())?;
                }
                for (k, v) in &journal {
                    jt.insert(k, v.as_slice())?;
                }
                for (k, v) in &runs {
                    ut.insert(k, v.as_slice())?;
                }
                mt.insert(META_KEY, meta_bytes.as_slice())?;
                Ok(())
            },
        );
        result.map_err(|e: TransactionError<StateError>| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => storage("importing state", e),
        })?;
        self.flush()?;
        self.lineage.clone_from(&doc.lineage);
        self.mark(doc.serial)
    }

    /// Records `serial` as the high-water mark, after its commit is on disk.
    fn mark(&self, serial: u64) -> Result<(), StateError> {
        watermark::write(&self.dir, &Watermark::new(&self.lineage, serial))
    }

    /// Makes every write durable, then refreshes the read snapshot from it (a commit).
    fn flush(&self) -> Result<(), StateError> {
        self.db
            .flush()
            .map(drop)
            .map_err(|e| storage("flushing state to disk", e))?;
        crate::snapshot::file::refresh(self);
        Ok(())
    }

    /// One transition: sets (`Some`) or removes (`None`) the record `name`, journals it and
    /// bumps the serial in one sled transaction, then flushes.
    fn write(
        &mut self,
        name: &str,
        record: Option<&OpRecord>,
        note: &str,
    ) -> Result<u64, StateError> {
        let written = self.transition(name, record, note).and_then(|serial| {
            self.flush()?;
            self.mark(serial)?;
            Ok(serial)
        });
        written.map_err(|e| damage::explain_write(&self.dir, e))
    }

    /// Each put its own sled transaction, then one flush for them all; see
    /// [`StateStore::put_batch`].
    pub fn put_batch(&mut self, batch: &[(&OpRecord, &str)]) -> Result<Vec<u64>, StateError> {
        let written = batch
            .iter()
            .map(|(r, note)| self.transition(&r.name, Some(r), note))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|serials| {
                self.flush()?;
                if let Some(&last) = serials.last() {
                    self.mark(last)?;
                }
                Ok(serials)
            });
        written.map_err(|e| damage::explain_write(&self.dir, e))
    }

    fn transition(
        &mut self,
        name: &str,
        record: Option<&OpRecord>,
        note: &str,
    ) -> Result<u64, StateError> {
        let value = record.map(codec::encode_record).transpose()?;
        let to = record.map(|r| r.status);
        let at = codec::now_ms();
        let result =
            (&self.records, &self.journal, &self.meta).transaction(|(records, journal, meta)| {
                let abort = ConflictableTransactionError::Abort;
                let stored = meta
                    .get(META_KEY)?
                    .ok_or_else(|| abort(corrupt(META_NAME, "meta is missing")))?;
                let mut doc = codec::decode_meta(&stored).map_err(abort)?;
                doc.serial += 1;
                let previous = match &value {
                    Some(bytes) => records.insert(name, bytes.as_slice())?,
                    None => records.remove(name)?,
                };
                let entry = JournalEntry {
                    serial: doc.serial,
                    at,
                    name: name.to_owned(),
                    from: previous.as_deref().and_then(codec::status_of),
                    to,
                    note: note.to_owned(),
                };
                let key = codec::journal_key(doc.serial);
                journal.insert(&key, codec::encode_journal(&entry).map_err(abort)?)?;
                meta.insert(META_KEY, codec::encode_meta(&doc).map_err(abort)?)?;
                Ok(doc.serial)
            });
        let serial = result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => storage("writing state", e),
        })?;
        Ok(serial)
    }
}

/// Waits, when dropped, until sled's leftover threads have closed its files.
#[derive(Debug)]
struct SledRelease {
    db_path: PathBuf,
}

impl Drop for SledRelease {
    fn drop(&mut self) {
        if let Err(e) = wait_for_sled_release(&self.db_path) {
            tracing::warn!(error = %e, "sled did not release its database file");
        }
    }
}

/// Waits until nobody holds sled's own lock on its database file.
///
/// sled 0.34 finishes some log writes on its own thread pool, and those keep the file (and
/// sled's `flock` on it) for a moment after the last handle is dropped; opening right then
/// fails with a bare `WouldBlock`. (A child forked at that moment holds it briefly too.)
/// Whoever waits here holds the directory lock or is giving it up, so no new sled handle
/// can appear: whoever holds sled's lock is about to let go. Wait for it, bounded.
fn wait_for_sled_release(db_path: &Path) -> Result<(), StateError> {
    let path = db_path.join(SLED_LOCKED_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(storage(&format!("opening {}", path.display()), e)),
    };
    let deadline = Instant::now() + SLED_RELEASE_TIMEOUT;
    loop {
        match file.try_lock() {
            // Dropping `file` releases this probe lock straight away.
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(StateError::Storage(format!(
                    "{} is still held open after {}s although rewind's lock is free; is \
                     another program using the database?",
                    path.display(),
                    SLED_RELEASE_TIMEOUT.as_secs()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(storage(&format!("locking {}", path.display()), e));
            }
        }
    }
}

impl SledState {
    fn raw_meta(&self) -> Result<StateMeta, StateError> {
        let stored = self
            .meta
            .get(META_KEY)
            .map_err(|e| storage("reading state meta", e))?;
        let bytes = stored.ok_or_else(|| corrupt(META_NAME, "meta is missing"))?;
        let doc = codec::decode_meta(&bytes)?;
        Ok(StateMeta {
            lineage: doc.lineage,
            serial: doc.serial,
        })
    }

    fn raw_get(&self, name: &str) -> Result<Option<OpRecord>, StateError> {
        let stored = self
            .records
            .get(name)
            .map_err(|e| storage("reading a state record", e))?;
        stored
            .map(|bytes| codec::decode_record(name, &bytes))
            .transpose()
    }

    fn raw_list(&self) -> Result<Vec<OpRecord>, StateError> {
        // sled iterates in byte order, which for UTF-8 keys is `String`'s order: by name.
        self.records
            .iter()
            .map(|item| {
                let (key, value) = item.map_err(|e| storage("reading state records", e))?;
                codec::decode_record(codec::record_key(&key)?, &value)
            })
            .collect()
    }

    fn raw_put_run(&mut self, run: &RunEntry) -> Result<(), StateError> {
        self.runs
            .insert(run.id.to_be_bytes(), codec::encode_run(run)?)
            .map_err(|e| storage("writing a run", e))?;
        self.flush()
    }

    fn raw_runs(&self) -> Result<Vec<RunEntry>, StateError> {
        self.runs
            .iter()
            .map(|item| {
                let (_, value) = item.map_err(|e| storage("reading runs", e))?;
                codec::decode_run(&value)
            })
            .collect()
    }

    fn raw_journal(&self) -> Result<Vec<JournalEntry>, StateError> {
        self.journal
            .iter()
            .map(|item| {
                let (key, value) = item.map_err(|e| storage("reading the journal", e))?;
                codec::decode_journal(&key, &value)
            })
            .collect()
    }
}

/// Every failure names the state and its newest backup (see [`damage`]).
impl StateStore for SledState {
    fn put_batch(&mut self, batch: &[(&OpRecord, &str)]) -> Result<Vec<u64>, StateError> {
        SledState::put_batch(self, batch)
    }

    fn meta(&self) -> Result<StateMeta, StateError> {
        self.raw_meta()
            .map_err(|e| damage::explain_read(&self.dir, e))
    }

    fn get(&self, name: &str) -> Result<Option<OpRecord>, StateError> {
        self.raw_get(name)
            .map_err(|e| damage::explain_read(&self.dir, e))
    }

    fn list(&self) -> Result<Vec<OpRecord>, StateError> {
        self.raw_list()
            .map_err(|e| damage::explain_read(&self.dir, e))
    }

    fn put(&mut self, record: &OpRecord, note: &str) -> Result<u64, StateError> {
        self.write(&record.name, Some(record), note)
    }

    fn remove(&mut self, name: &str, note: &str) -> Result<u64, StateError> {
        self.write(name, None, note)
    }

    fn put_run(&mut self, run: &RunEntry) -> Result<(), StateError> {
        self.raw_put_run(run)
            .map_err(|e| damage::explain_write(&self.dir, e))
    }

    fn runs(&self) -> Result<Vec<RunEntry>, StateError> {
        self.raw_runs()
            .map_err(|e| damage::explain_read(&self.dir, e))
    }

    fn journal(&self) -> Result<Vec<JournalEntry>, StateError> {
        self.raw_journal()
            .map_err(|e| damage::explain_read(&self.dir, e))
    }
}

/// What the read snapshot ([`crate::snapshot`]) is written from after every commit.
impl crate::snapshot::file::Committed for SledState {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn trees(&self) -> [&sled::Tree; 3] {
        [&self.records, &self.journal, &self.runs]
    }
}
