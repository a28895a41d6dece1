//! A read snapshot of a workspace: one read-only `REPEATABLE READ` transaction on its own
//! connection, which never touches the lock row a writer holds.

use rewind_engine::state::{JournalEntry, RunEntry, StateError};

use super::{config, connect, env_lookup, parse_status, pg_err, redact};
use crate::codec::{self, storage};
use crate::snapshot::readonly::{JOURNAL_TAIL, Snapshot, SnapshotParts};

/// Reads workspace `workspace` as of one moment, on a thread of its own (callers may be
/// inside a tokio runtime already).
pub(crate) fn read(url: &str, workspace: &str) -> Result<Snapshot, StateError> {
    let (url, ws) = (url.to_owned(), workspace.to_owned());
    let location = format!("{} (workspace {workspace})", redact(&url));
    let thread = std::thread::Builder::new()
        .name("rewind-pg-read".to_owned())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| storage("starting the PostgreSQL runtime", e))?;
            rt.block_on(read_async(&url, &ws))
        })
        .map_err(|e| storage("starting the PostgreSQL thread", e))?;
    let parts = thread
        .join()
        .map_err(|_| StateError::Storage("the PostgreSQL read thread panicked".to_owned()))??;
    Ok(Snapshot::from_parts(parts, location))
}

async fn read_async(url: &str, workspace: &str) -> Result<SnapshotParts, StateError> {
    let config = config::build(url, &env_lookup)?;
    let mut client = connect(&config, "read").await?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| pg_err("starting a read transaction", &e))?;
    let exists = tx
        .query_opt(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'rewind_workspaces'",
            &[],
        )
        .await
        .map_err(|e| pg_err("reading the state schema", &e))?;
    // A workspace never written reads as an empty state with no lineage (as a sled
    // directory that does not exist does), and a read never creates one.
    let empty = SnapshotParts {
        lineage: String::new(),
        serial: 0,
        records: Vec::new(),
        journal_tail: Vec::new(),
        runs: Vec::new(),
        holder: None,
    };
    if exists.is_none() {
        return Ok(empty);
    }
    let Some(meta) = tx
        .query_opt(
            "SELECT lineage, serial FROM rewind_workspaces WHERE name = $1",
            &[&workspace],
        )
        .await
        .map_err(|e| pg_err("reading state meta", &e))?
    else {
        return Ok(empty);
    };
    let records = tx
        .query(
            "SELECT name, data FROM rewind_records WHERE workspace = $1 ORDER BY name",
            &[&workspace],
        )
        .await
        .map_err(|e| pg_err("reading state records", &e))?
        .iter()
        .map(|r| codec::decode_record(r.get::<_, &str>(0), r.get::<_, &str>(1).as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    let limit = i64::try_from(JOURNAL_TAIL).unwrap_or(i64::MAX);
    let mut journal_tail = tx
        .query(
            "SELECT serial, at, name, from_status, to_status, note FROM rewind_journal \
             WHERE workspace = $1 ORDER BY serial DESC LIMIT $2",
            &[&workspace, &limit],
        )
        .await
        .map_err(|e| pg_err("reading the journal", &e))?
        .into_iter()
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
        .collect::<Result<Vec<_>, StateError>>()?;
    journal_tail.reverse();
    let runs: Vec<RunEntry> = tx
        .query(
            "SELECT data FROM rewind_runs WHERE workspace = $1 ORDER BY id",
            &[&workspace],
        )
        .await
        .map_err(|e| pg_err("reading runs", &e))?
        .iter()
        .map(|r| codec::decode_run(r.get::<_, &str>(0).as_bytes()))
        .collect::<Result<_, _>>()?;
    let holder = tx
        .query_opt(
            "SELECT pid, host, os_user, command, started_at FROM rewind_locks \
             WHERE workspace = $1 AND lease_until > now()",
            &[&workspace],
        )
        .await
        .map_err(|e| pg_err("reading the lock holder", &e))?
        .map(|r| {
            format!(
                "pid {} on host {} (user {}), `{}`, since {}",
                r.get::<_, i32>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                r.get::<_, String>(3),
                r.get::<_, String>(4),
            )
        });
    tx.commit()
        .await
        .map_err(|e| pg_err("ending the read transaction", &e))?;
    Ok(SnapshotParts {
        lineage: meta.get(0),
        serial: meta.get::<_, i64>(1) as u64,
        records,
        journal_tail,
        runs,
        holder,
    })
}
