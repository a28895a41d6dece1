//! `PgBudget`: the request budget shared by every rewind process of one cloud user, kept in the PostgreSQL state's database.
//
// The engine defines the trait (`rewind_engine::budget::SharedBudget`); the providers ask it
// for slots; this crate keeps it, beside the state, because the database is already the place
// a team shares. The logic is in two SQL functions (schema.rs, migration 3) so that a take is
// one statement and one round trip, decided on the database's clock.

use rewind_engine::budget::{BudgetAnswer, BudgetAsk, BudgetFuture, SharedBudget, WaitCause};
use rewind_engine::state::StateError;
use std::time::Duration;
use tokio_postgres::{Client, Statement};

use super::{config, connect, env_lookup, pg_err, schema};

/// The budget's connection: its own, so a take never queues behind a state write.
pub struct PgBudget {
    client: Client,
    take: Statement,
    throttled: Statement,
    /// Who this process is, for `rewind status` ("host pid 4242 (rewind apply)").
    who: String,
    /// Added to this machine's clock before it is reported (tests of skewed machines).
    clock_offset_s: f64,
}

impl std::fmt::Debug for PgBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBudget")
            .field("who", &self.who)
            .finish_non_exhaustive()
    }
}

/// This process as `rewind status` names it.
pub fn process_name(command: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host} pid {} ({command})", std::process::id())
}

impl PgBudget {
    /// Connects to the state's database (migrating it if needed) on the caller's runtime.
    pub async fn connect(url: &str, who: String) -> Result<PgBudget, StateError> {
        let config = config::build(url, &env_lookup)?;
        let client = connect(&config, "budget").await?;
        schema::migrate(&client).await?;
        let ctx = |e: tokio_postgres::Error| pg_err("preparing budget statements", &e);
        let take = client
            .prepare(
                "SELECT go, wait_s, cause, n_others \
                 FROM rewind_budget_take($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .await
            .map_err(ctx)?;
        let throttled = client
            .prepare("SELECT rewind_budget_throttled($1, $2, $3, $4, $5, $6)")
            .await
            .map_err(ctx)?;
        Ok(PgBudget {
            client,
            take,
            throttled,
            who,
            clock_offset_s: 0.0,
        })
    }

    /// This machine's clock as `offset` off (a test of machines whose clocks disagree).
    pub fn with_clock_offset(mut self, offset_s: f64) -> PgBudget {
        self.clock_offset_s = offset_s;
        self
    }

    fn local_now(&self) -> f64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        now + self.clock_offset_s
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn duration(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::ZERO)
}

fn limit(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl SharedBudget for PgBudget {
    fn take<'a>(&'a self, ask: BudgetAsk<'a>) -> BudgetFuture<'a, BudgetAnswer> {
        Box::pin(async move {
            let row = self
                .client
                .query_one(
                    &self.take,
                    &[
                        &ask.key,
                        &ask.service,
                        &ask.api,
                        &limit(ask.limit),
                        &secs(ask.window),
                        &ask.submit,
                        &self.who,
                        &self.local_now(),
                    ],
                )
                .await
                .map_err(|e| pg_err("taking a budget slot", &e).to_string())?;
            let go: bool = row.get(0);
            let wait = duration(row.get(1));
            if go {
                return Ok(BudgetAnswer::Go { delay: wait });
            }
            let cause = match row.get::<_, Option<&str>>(2) {
                Some("paused") => WaitCause::Paused,
                Some("submit") => WaitCause::Submit,
                _ => WaitCause::Rate,
            };
            let others: i32 = row.get(3);
            Ok(BudgetAnswer::Wait {
                wait,
                cause,
                others: u32::try_from(others).unwrap_or(0),
            })
        })
    }

    fn throttled<'a>(&'a self, ask: BudgetAsk<'a>, retry_after: Duration) -> BudgetFuture<'a, ()> {
        Box::pin(async move {
            self.client
                .execute(
                    &self.throttled,
                    &[
                        &ask.key,
                        &ask.service,
                        &ask.api,
                        &limit(ask.limit),
                        &secs(ask.window),
                        &secs(retry_after),
                    ],
                )
                .await
                .map_err(|e| pg_err("recording a 429 in the shared budget", &e).to_string())?;
            Ok(())
        })
    }
}

/// One API's shared budget as `rewind status` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BudgetLine {
    pub service: String,
    pub api: String,
    /// Calls per window configured (`[rate_limits]`, per minute), and allowed now (lower
    /// after a 429, recovering).
    pub limit: u32,
    pub rate: f64,
    /// The window in real seconds (60, or shorter in a rehearsal).
    pub window_s: f64,
    pub calls: i64,
    pub throttles: i64,
    /// Seconds the API stays paused by a `Retry-After`.
    pub paused_s: f64,
    pub users: Vec<BudgetUser>,
}

/// A process that used an API's budget lately.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BudgetUser {
    pub who: String,
    pub calls: i64,
    pub waits: i64,
    /// Seconds since its last take.
    pub seen_s: f64,
    /// Its machine's clock minus the database's (informational: the budget never reads it).
    pub clock_skew_s: f64,
}

/// The shared budgets used within `recent` (by any process), for `rewind status`.
pub fn report(url: &str, recent: Duration) -> Result<Vec<BudgetLine>, StateError> {
    let url = url.to_owned();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| crate::codec::storage("starting the PostgreSQL runtime", e))?;
        rt.block_on(async move {
            let config = config::build(&url, &env_lookup)?;
            let client = connect(&config, "status").await?;
            let exists = client
                .query_one("SELECT to_regclass('rewind_budget') IS NOT NULL", &[])
                .await
                .map_err(|e| pg_err("reading the shared budget", &e))?;
            if !exists.get::<_, bool>(0) {
                return Ok(Vec::new());
            }
            read(&client, recent).await
        })
    });
    thread
        .join()
        .map_err(|_| StateError::Storage("the status thread panicked".to_owned()))?
}

async fn read(client: &Client, recent: Duration) -> Result<Vec<BudgetLine>, StateError> {
    let ctx = |e: tokio_postgres::Error| pg_err("reading the shared budget", &e);
    let rows = client
        .query(
            "SELECT b.key, b.service, b.api, b.lim, b.window_s, \
                    rewind_budget_rate(b.lim, b.window_s, b.rate_max, b.throttled_at, n.now_s), \
                    b.calls, b.throttles, greatest(0, b.paused_until - n.now_s) \
             FROM rewind_budget b, (SELECT extract(epoch FROM clock_timestamp())::float8 AS now_s) n \
             WHERE b.updated > n.now_s - $1 ORDER BY b.service, b.api, b.key",
            &[&secs(recent)],
        )
        .await
        .map_err(ctx)?;
    let users = client
        .query(
            "SELECT u.key, u.who, u.calls, u.waits, n.now_s - u.seen, u.skew_s \
             FROM rewind_budget_users u, (SELECT extract(epoch FROM clock_timestamp())::float8 AS now_s) n \
             WHERE u.seen > n.now_s - $1 ORDER BY u.key, u.who",
            &[&secs(recent)],
        )
        .await
        .map_err(ctx)?;
    Ok(rows
        .iter()
        .map(|r| {
            let key: String = r.get(0);
            BudgetLine {
                service: r.get(1),
                api: r.get(2),
                limit: u32::try_from(r.get::<_, i32>(3)).unwrap_or(0),
                rate: r.get(5),
                window_s: r.get(4),
                calls: r.get(6),
                throttles: r.get(7),
                paused_s: r.get(8),
                users: users
                    .iter()
                    .filter(|u| u.get::<_, String>(0) == key)
                    .map(|u| BudgetUser {
                        who: u.get(1),
                        calls: u.get(2),
                        waits: u.get(3),
                        seen_s: u.get(4),
                        clock_skew_s: u.get(5),
                    })
                    .collect(),
            }
        })
        .collect())
}
