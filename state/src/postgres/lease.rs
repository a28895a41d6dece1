//! The lock row of a workspace: taking it, renewing its lease, naming its holder, and
//! releasing it from anywhere.

use rewind_engine::state::StateError;
use std::time::Duration;
use tokio_postgres::Client;

use super::conn::{PgOptions, connect, env_lookup, ms, pg_err};
use super::{config, schema};
use crate::codec::storage;
use crate::lock::{host_name, user_name};

/// The "locked by ..." phrase for the current holder of `workspace`, if any.
async fn describe_holder(client: &Client, workspace: &str) -> Result<Option<String>, StateError> {
    let row = client
        .query_opt(
            "SELECT lock_id, pid, host, os_user, command, started_at, \
             (extract(epoch FROM (lease_until - now())) * 1000)::bigint \
             FROM rewind_locks WHERE workspace = $1",
            &[&workspace],
        )
        .await
        .map_err(|e| pg_err("reading the lock holder", &e))?;
    Ok(row.map(|r| {
        let id: String = r.get(0);
        let left: i64 = r.get(6);
        let lease = if left > 0 {
            format!(
                "lease expires in {:.1}s unless renewed",
                left as f64 / 1000.0
            )
        } else {
            "lease expired".to_owned()
        };
        format!(
            "pid {} on host {} (user {}), `{}`, since {}; {lease}; lock ID {id} \
             (`rewind state force-unlock {id}` if that process is gone)",
            r.get::<_, i32>(1),
            r.get::<_, String>(2),
            r.get::<_, String>(3),
            r.get::<_, String>(4),
            r.get::<_, String>(5),
        )
    }))
}

/// Takes the workspace's lock row: fresh, or over a holder whose lease ran out.
pub(super) async fn take_lock(
    client: &Client,
    workspace: &str,
    lock_id: &str,
    options: &PgOptions,
) -> Result<(), StateError> {
    let started = format!("{:.0}", jiff::Timestamp::now());
    // A holder that let go between our insert and our look is retried, a bounded few times.
    for _ in 0..5 {
        let taken = client
            .query_opt(
                "INSERT INTO rewind_locks AS l \
                 (workspace, lock_id, pid, host, os_user, command, started_at, lease_until) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::bigint * interval '1 millisecond') \
                 ON CONFLICT (workspace) DO UPDATE SET lock_id = EXCLUDED.lock_id, \
                 pid = EXCLUDED.pid, host = EXCLUDED.host, os_user = EXCLUDED.os_user, \
                 command = EXCLUDED.command, started_at = EXCLUDED.started_at, \
                 lease_until = EXCLUDED.lease_until \
                 WHERE l.lease_until < now() RETURNING 1",
                &[
                    &workspace,
                    &lock_id,
                    &(std::process::id() as i32),
                    &host_name(),
                    &user_name(),
                    &options.holder.command,
                    &started,
                    &ms(options.lease),
                ],
            )
            .await
            .map_err(|e| pg_err("taking the state lock", &e))?;
        if taken.is_some() {
            return Ok(());
        }
        if let Some(holder) = describe_holder(client, workspace).await? {
            return Err(StateError::Locked { holder });
        }
    }
    Err(StateError::Locked {
        holder: "other processes taking and releasing it in quick succession".to_owned(),
    })
}

/// Renews the lease every third of it, on the lock's own connection, until dropped.
///
/// Sets `lost` once the lock is gone: taken away (force-unlocked, or taken over after an
/// expiry), or not renewed for a whole lease (a lost connection), by which time another
/// process may hold it. A run that sees `lost` stops instead of following jobs it can no
/// longer record.
pub(super) async fn renew(
    lock: Client,
    lock_id: String,
    lease: Duration,
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let every = (lease / 3).max(Duration::from_millis(50));
    let mut renewed_at = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(every).await;
        let renewed = lock
            .execute(
                "UPDATE rewind_locks SET lease_until = now() + $2::bigint * interval '1 millisecond' \
                 WHERE lock_id = $1",
                &[&lock_id, &ms(lease)],
            )
            .await;
        match renewed {
            Ok(1) => renewed_at = tokio::time::Instant::now(),
            Ok(_) => {
                // Force-unlocked or taken over: every further write is refused by the fence.
                tracing::warn!(lock_id, "the state lock was taken away; writes will fail");
                lost.store(true, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "renewing the state lock failed; retrying");
                if renewed_at.elapsed() >= lease {
                    tracing::warn!(lock_id, "the state lock's lease ran out unrenewed");
                    lost.store(true, std::sync::atomic::Ordering::SeqCst);
                    return;
                }
            }
        }
    }
}

/// Releases lock `lock_id` whoever holds it, from any machine. Returns the holder it
/// released, or `None` when no lock has that ID.
pub fn force_unlock(url: &str, lock_id: &str) -> Result<Option<String>, StateError> {
    let (url, lock_id) = (url.to_owned(), lock_id.to_owned());
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| storage("starting the PostgreSQL runtime", e))?;
        rt.block_on(async move {
            let config = config::build(&url, &env_lookup)?;
            let client = connect(&config, "force-unlock").await?;
            schema::migrate(&client).await?;
            let row = client
                .query_opt(
                    "DELETE FROM rewind_locks WHERE lock_id = $1 \
                     RETURNING workspace, pid, host, os_user, command, started_at",
                    &[&lock_id],
                )
                .await
                .map_err(|e| pg_err("releasing the lock", &e))?;
            Ok(row.map(|r| {
                format!(
                    "workspace {}: pid {} on host {} (user {}), `{}`, since {}",
                    r.get::<_, String>(0),
                    r.get::<_, i32>(1),
                    r.get::<_, String>(2),
                    r.get::<_, String>(3),
                    r.get::<_, String>(4),
                    r.get::<_, String>(5)
                )
            }))
        })
    });
    thread
        .join()
        .map_err(|_| StateError::Storage("the PostgreSQL thread panicked".to_owned()))?
}
