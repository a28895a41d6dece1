//! A throw-away PostgreSQL database per test, or a clear skip when no server answers.

use std::time::Duration;

/// Base URL of the test server: `REWIND_TEST_PG`, else the loopback default.
pub fn base_url() -> String {
    std::env::var(rewind_base::env::TEST_PG)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Whether a missing service must fail the test rather than skip it.
pub fn services_required() -> bool {
    std::env::var(rewind_base::env::REQUIRE_SERVICES).is_ok_and(|v| v == "1")
}

/// A database created for one test and dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct TestDb {
    pub name: String,
    pub url: String,
}

fn with_dbname(base: &str, db: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}dbname={db}")
}

/// Runs `sql` against the database at `url`.
pub fn execute(url: &str, sql: &str) -> Result<(), String> {
    run_sql(url.to_owned(), sql.to_owned())
}

fn admin(sql: String) -> Result<(), String> {
    run_sql(base_url(), sql)
}

fn run_sql(base: String, sql: String) -> Result<(), String> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let mut config: tokio_postgres::Config = base.parse().map_err(|e| format!("{e}"))?;
            config.connect_timeout(Duration::from_secs(3));
            let (client, conn) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            client.batch_execute(&sql).await.map_err(|e| e.to_string())
        })
    })
    .join()
    .map_err(|_| "admin thread panicked".to_owned())?
}

/// The server's floor for one durable transition: the mean of `n` one-row `UPDATE`s, each
/// its own transaction committed with `synchronous_commit = on`, on one connection to `url`.
/// Almost all of it is the WAL flush, so it shows what the disk allows at the moment.
pub fn commit_floor(url: &str, n: u32) -> Result<Duration, String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
            let (client, conn) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let e = |e: tokio_postgres::Error| e.to_string();
            // A regular table: a temporary one is not WAL-logged, so it would not flush.
            client
                .batch_execute(
                    "SET synchronous_commit = on; \
                     CREATE TABLE IF NOT EXISTS rewind_commit_floor (n bigint); \
                     INSERT INTO rewind_commit_floor VALUES (0)",
                )
                .await
                .map_err(e)?;
            let update = client
                .prepare("UPDATE rewind_commit_floor SET n = n + 1")
                .await
                .map_err(e)?;
            let start = std::time::Instant::now();
            for _ in 0..n {
                client.execute(&update, &[]).await.map_err(e)?;
            }
            let took = start.elapsed() / n.max(1);
            client
                .batch_execute("DROP TABLE rewind_commit_floor")
                .await
                .map_err(e)?;
            Ok(took)
        })
    })
    .join()
    .map_err(|_| "commit-floor thread panicked".to_owned())?
}

impl TestDb {
    /// Creates `rewind_test_<tag>_<random>`; `None` (after printing why) when the server does
    /// not answer and services are not required.
    pub fn create(tag: &str) -> Option<TestDb> {
        let name = format!(
            "rewind_test_{tag}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        match admin(format!("CREATE DATABASE {name}")) {
            Ok(()) => Some(TestDb {
                url: with_dbname(&base_url(), &name),
                name,
            }),
            Err(e) if services_required() => {
                panic!(
                    "PostgreSQL at {} is required (REWIND_REQUIRE_SERVICES=1): {e}",
                    base_url()
                )
            }
            Err(e) => {
                #[allow(clippy::print_stderr, reason = "a skipped test says so in its output")]
                {
                    eprintln!(
                        "skipped: no PostgreSQL at {} ({e}); set REWIND_TEST_PG",
                        base_url()
                    );
                }
                None
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Err(e) = admin(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )) {
            tracing::warn!(database = %self.name, error = %e, "could not drop the test database");
        }
    }
}
