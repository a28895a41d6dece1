//! Connecting to PostgreSQL, a state's lock options, and driver errors as state errors.

use rewind_engine::state::StateError;
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

use crate::codec::storage;
use crate::lock::LockHolder;

/// Who holds the lock of a PostgreSQL state, and how long it lives unrenewed.
#[derive(Debug, Clone)]
pub struct PgOptions {
    pub holder: LockHolder,
    pub lease: Duration,
}

pub(crate) fn pg_err(context: &str, e: &tokio_postgres::Error) -> StateError {
    // The database's own message says more than the driver's "db error".
    match e.as_db_error() {
        Some(db) => StateError::Storage(format!("{context}: {}", db.message())),
        None => storage(context, e),
    }
}

/// A non-empty environment variable.
pub(super) fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(super) async fn connect(
    config: &tokio_postgres::Config,
    what: &str,
) -> Result<Client, StateError> {
    let (client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| pg_err(&format!("connecting to PostgreSQL ({what})"), &e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL connection ended");
        }
    });
    Ok(client)
}

/// Milliseconds as PostgreSQL stores them, saturating.
pub(super) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
