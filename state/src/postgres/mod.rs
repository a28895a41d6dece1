//! `PgState`: a workspace of a PostgreSQL database as a `StateStore`, behind a leased lock.
//!
//! The engine's `StateStore` is synchronous and is called from inside the CLI's tokio
//! runtime, where blocking on another runtime panics. So each `PgState` owns a thread with a
//! private current-thread runtime; calls are sent to it as jobs and answered over a std
//! channel. The caller blocks for one round trip, as it blocks for sled's fsync.

pub mod budget;
mod bulk;
mod config;
mod conn;
mod lease;
mod records;
mod schema;
pub(crate) mod snapshot;

pub use budget::PgBudget;
pub use config::redact;
pub use conn::PgOptions;
pub use lease::force_unlock;
pub use schema::SCHEMA_VERSION;

use rewind_engine::state::{JournalEntry, OpRecord, RunEntry, StateError, StateMeta, StateStore};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_postgres::{Client, Statement};

use crate::codec::{self, corrupt, storage};
pub(crate) use conn::pg_err;
use conn::{connect, env_lookup};

/// How long a lock lives unless its holder renews it; renewed every third of that.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// Longest wait for the connection thread to let go of the lock on drop.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// The statements every apply runs, prepared once per connection: a call is then one
/// round trip (bind, execute) instead of two (parse and describe first).
struct Hot {
    write: Statement,
    write_many: Statement,
    list: Statement,
    meta: Statement,
}

impl Hot {
    async fn prepare(client: &Client) -> Result<Hot, StateError> {
        let ctx = |e: tokio_postgres::Error| pg_err("preparing state statements", &e);
        Ok(Hot {
            write: client
                .prepare("SELECT rewind_write($1, $2, $3, $4, $5, $6, $7)")
                .await
                .map_err(ctx)?,
            write_many: client
                .prepare("SELECT rewind_write_many($1, $2, $3, $4, $5, $6, $7)")
                .await
                .map_err(ctx)?,
            list: client
                .prepare("SELECT name, data FROM rewind_records WHERE workspace = $1 ORDER BY name")
                .await
                .map_err(ctx)?,
            meta: client
                .prepare("SELECT lineage, serial FROM rewind_workspaces WHERE name = $1")
                .await
                .map_err(ctx)?,
        })
    }
}

struct Conns {
    data: Client,
    hot: Hot,
    workspace: String,
    lock_id: String,
}

type Job = Box<dyn FnOnce(Arc<Conns>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// One workspace of a PostgreSQL state, locked for as long as this value lives.
pub struct PgState {
    jobs: Option<mpsc::UnboundedSender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    location: String,
    workspace: String,
    lock_id: String,
    records: records::Records,
    /// Set once the lock can no longer be held (see [`lease::renew`]).
    lock_lost: Arc<AtomicBool>,
}

impl std::fmt::Debug for PgState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgState")
            .field("location", &self.location)
            .field("lock_id", &self.lock_id)
            .finish_non_exhaustive()
    }
}

async fn setup(
    url: &str,
    workspace: &str,
    lock_id: &str,
    options: &PgOptions,
) -> Result<(Conns, Client), StateError> {
    let config = config::build(url, &env_lookup)?;
    let data = connect(&config, "data").await?;
    schema::migrate(&data).await?;
    data.execute(
        "INSERT INTO rewind_workspaces (name, lineage, serial) VALUES ($1, $2, 0) \
         ON CONFLICT (name) DO NOTHING",
        &[&workspace, &uuid::Uuid::new_v4().to_string()],
    )
    .await
    .map_err(|e| pg_err("creating the workspace", &e))?;
    // The lock lives on a connection of its own: renewing it never queues behind a write.
    let lock = connect(&config, "lock").await?;
    lease::take_lock(&lock, workspace, lock_id, options).await?;
    let row = data
        .query_one(
            "SELECT w.serial, (SELECT max(serial) FROM rewind_journal j WHERE j.workspace = w.name) \
             FROM rewind_workspaces w WHERE w.name = $1",
            &[&workspace],
        )
        .await
        .map_err(|e| pg_err("reading state meta", &e))?;
    let (serial, last): (i64, Option<i64>) = (row.get(0), row.get(1));
    if serial != last.unwrap_or(0) {
        return Err(corrupt(
            crate::codec::META_NAME,
            format!(
                "serial is {serial} but the journal ends at {}",
                last.unwrap_or(0)
            ),
        ));
    }
    let hot = Hot::prepare(&data).await?;
    Ok((
        Conns {
            data,
            hot,
            workspace: workspace.to_owned(),
            lock_id: lock_id.to_owned(),
        },
        lock,
    ))
}

impl PgState {
    /// Connects, migrates the schema if needed, creates the workspace on first use and takes
    /// its lock; fails at once with the holder when another live process has it.
    pub fn open(url: &str, workspace: &str, options: &PgOptions) -> Result<PgState, StateError> {
        let lock_id = uuid::Uuid::new_v4().to_string();
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let lock_lost = Arc::new(AtomicBool::new(false));
        let lost_c = Arc::clone(&lock_lost);
        let (url_c, ws_c, id_c, opts_c) = (
            url.to_owned(),
            workspace.to_owned(),
            lock_id.clone(),
            options.clone(),
        );
        let thread = std::thread::Builder::new()
            .name("rewind-pg".to_owned())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(storage("starting the PostgreSQL runtime", e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    let (conns, lock) = match setup(&url_c, &ws_c, &id_c, &opts_c).await {
                        Ok(c) => c,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let conns = Arc::new(conns);
                    let renewal = tokio::spawn(lease::renew(lock, id_c.clone(), opts_c.lease, lost_c));
                    while let Some(job) = rx.recv().await {
                        job(Arc::clone(&conns)).await;
                    }
                    renewal.abort();
                    let released = conns
                        .data
                        .execute("DELETE FROM rewind_locks WHERE lock_id = $1", &[&id_c])
                        .await;
                    if let Err(e) = released {
                        tracing::warn!(error = %e, "could not release the state lock; it expires with its lease");
                    }
                });
            })
            .map_err(|e| storage("starting the PostgreSQL thread", e))?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(StateError::Storage(
                    "the PostgreSQL thread stopped while connecting".to_owned(),
                ));
            }
        }
        Ok(PgState {
            jobs: Some(tx),
            thread: Some(thread),
            location: format!("{} (workspace {workspace})", redact(url)),
            workspace: workspace.to_owned(),
            lock_id,
            records: records::Records::default(),
            lock_lost,
        })
    }

    /// The workspace this state is.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// Becomes true once this process has lost the lock (its lease ran out unrenewed, or it
    /// was force-unlocked): every later write is refused, so a run should stop.
    pub fn lock_lost(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.lock_lost)
    }

    /// This process's lock ID, as `rewind state force-unlock` takes it.
    pub fn lock_id(&self) -> &str {
        &self.lock_id
    }

    fn call<T, F, Fut>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Conns>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StateError>> + Send + 'static,
    {
        let gone = || StateError::Storage("the PostgreSQL connection thread has stopped".into());
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: Job = Box::new(move |c| {
            Box::pin(async move {
                let _ = tx.send(f(c).await);
            })
        });
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())?
    }

    fn write(
        &self,
        name: &str,
        data: Option<String>,
        to: Option<&'static str>,
        note: &str,
    ) -> Result<u64, StateError> {
        let (key, note) = (name.to_owned(), note.to_owned());
        let text = data.clone();
        let at = codec::now_ms();
        let written = self.call(move |c| async move {
            let row = c
                .data
                .query_one(
                    &c.hot.write,
                    &[&c.workspace, &c.lock_id, &key, &data, &to, &note, &at],
                )
                .await
                .map_err(|e| pg_err("writing state", &e))?;
            Ok(row.get::<_, i64>(0) as u64)
        });
        match &written {
            Ok(_) => self.records.wrote(name, text),
            // Committed or not: unknown (a lost connection), so the copy is reloaded.
            Err(_) => self.records.forget(),
        }
        written
    }

    /// The workspace's records as stored, by name, from the copy (loaded on first use).
    fn stored(&self) -> Result<Vec<(String, String)>, StateError> {
        let copy = self.records.with(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        });
        if let Some(all) = copy {
            return Ok(all);
        }
        let rows = self.call(|c| async move {
            let rows = c
                .data
                .query(&c.hot.list, &[&c.workspace])
                .await
                .map_err(|e| pg_err("reading state records", &e))?;
            Ok(rows
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
                .collect::<Vec<_>>())
        })?;
        self.records.load(rows.clone());
        Ok(rows)
    }
}

impl Drop for PgState {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop, which then releases the lock.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let deadline = std::time::Instant::now() + RELEASE_TIMEOUT;
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                tracing::warn!("PostgreSQL thread did not finish; the lock expires with its lease");
            }
        }
    }
}

fn status_text(s: rewind_engine::state::Status) -> &'static str {
    s.as_str()
}

fn parse_status(
    name: &str,
    text: Option<String>,
) -> Result<Option<rewind_engine::state::Status>, StateError> {
    text.map(|t| {
        serde_json::from_value(serde_json::Value::String(t.clone()))
            .map_err(|_| corrupt(name, format!("unknown status {t:?} in the journal")))
    })
    .transpose()
}

impl StateStore for PgState {
    fn put_batch(&mut self, batch: &[(&OpRecord, &str)]) -> Result<Vec<u64>, StateError> {
        self.write_batch(batch)
    }

    fn meta(&self) -> Result<StateMeta, StateError> {
        self.call(|c| async move {
            let row = c
                .data
                .query_one(&c.hot.meta, &[&c.workspace])
                .await
                .map_err(|e| pg_err("reading state meta", &e))?;
            Ok(StateMeta {
                lineage: row.get(0),
                serial: row.get::<_, i64>(1) as u64,
            })
        })
    }

    fn get(&self, name: &str) -> Result<Option<OpRecord>, StateError> {
        let text = match self.records.with(|m| m.get(name).cloned()) {
            Some(text) => text,
            None => self
                .stored()?
                .into_iter()
                .find_map(|(n, text)| (n == name).then_some(text)),
        };
        text.map(|t| codec::decode_record(name, t.as_bytes()))
            .transpose()
    }

    fn list(&self) -> Result<Vec<OpRecord>, StateError> {
        self.stored()?
            .iter()
            .map(|(name, text)| codec::decode_record(name, text.as_bytes()))
            .collect()
    }

    fn put(&mut self, record: &OpRecord, note: &str) -> Result<u64, StateError> {
        let data = String::from_utf8(codec::encode_record(record)?)
            .map_err(|e| storage("encoding a state record", e))?;
        self.write(
            &record.name,
            Some(data),
            Some(status_text(record.status)),
            note,
        )
    }

    fn remove(&mut self, name: &str, note: &str) -> Result<u64, StateError> {
        self.write(name, None, None, note)
    }

    fn journal(&self) -> Result<Vec<JournalEntry>, StateError> {
        self.call(|c| async move {
            let rows = c
                .data
                .query(
                    "SELECT serial, at, name, from_status, to_status, note FROM rewind_journal \
                     WHERE workspace = $1 ORDER BY serial",
                    &[&c.workspace],
                )
                .await
                .map_err(|e| pg_err("reading the journal", &e))?;
            rows.into_iter()
                .map(|r| {
                    let serial = r.get::<_, i64>(0) as u64;
                    let label = format!("(journal entry {serial})");
                    Ok(JournalEntry {
                        serial,
                        at: r.get(1),
                        name: r.get(2),
                        from: parse_status(&label, r.get(3))?,
                        to: parse_status(&label, r.get(4))?,
                        note: r.get(5),
                    })
                })
                .collect()
        })
    }

    fn put_run(&mut self, run: &RunEntry) -> Result<(), StateError> {
        let data =
            String::from_utf8(codec::encode_run(run)?).map_err(|e| storage("encoding a run", e))?;
        let id = run.id as i64;
        self.call(move |c| async move {
            let n = c
                .data
                .execute(
                    "INSERT INTO rewind_runs (workspace, id, data) SELECT $1, $2, $3 \
                     WHERE EXISTS (SELECT 1 FROM rewind_locks WHERE workspace = $1 AND lock_id = $4) \
                     ON CONFLICT (workspace, id) DO UPDATE SET data = EXCLUDED.data",
                    &[&c.workspace, &id, &data, &c.lock_id],
                )
                .await
                .map_err(|e| pg_err("writing a run", &e))?;
            if n == 1 {
                Ok(())
            } else {
                Err(StateError::Storage(format!(
                    "this process no longer holds the lock on workspace {}",
                    c.workspace
                )))
            }
        })
    }

    fn runs(&self) -> Result<Vec<RunEntry>, StateError> {
        self.call(|c| async move {
            let rows = c
                .data
                .query(
                    "SELECT data FROM rewind_runs WHERE workspace = $1 ORDER BY id",
                    &[&c.workspace],
                )
                .await
                .map_err(|e| pg_err("reading runs", &e))?;
            rows.iter()
                .map(|r| codec::decode_run(r.get::<_, &str>(0).as_bytes()))
                .collect()
        })
    }
}
