//! `PgBudget`: the request budget shared by every rewind process of one cloud user, kept in the PostgreSQL state's database.
//
// The engine defines the trait (`rewind_engine::budget::SharedBudget`); the providers ask it
// for slots; this crate keeps it, beside the state, because the database is already the place
// a team shares. The logic is in two SQL functions (schema.rs, migration 3) so that a take is
// one statement and one round trip, decided on the database's clock.

use rewind_engine::budget::{BudgetAnswer, BudgetAsk, BudgetFuture, SharedBudget, WaitCause};
use rewind_engine::state::StateError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::{config, connect, env_lookup, pg_err, schema};

/// How long a budget statement may take before the call it paces goes on without it: the
/// database aborts it then (`statement_timeout`, a row lock that is never released), and the
/// client gives up half as long again later (a database that does not answer at all). A take
/// is one round trip of well under 50 ms even on a loaded machine; a cloud call is paced by
/// the local budget meanwhile, as when the connection drops.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(2);

/// The budget's connection and its prepared statements (prepared again on a new connection).
struct Conn {
    client: Client,
    take: Statement,
    throttled: Statement,
    /// A statement on it did not answer in time: it is replaced like a closed one, since
    /// everything sent after it would queue behind the hung one.
    hung: AtomicBool,
}

impl Conn {
    async fn open(config: &tokio_postgres::Config, timeout: Duration) -> Result<Conn, StateError> {
        let client = connect(config, "budget").await?;
        schema::migrate(&client).await?;
        let ctx = |e: tokio_postgres::Error| pg_err("preparing budget statements", &e);
        client
            .batch_execute(&format!(
                "SET statement_timeout = {}",
                timeout.as_millis().max(1)
            ))
            .await
            .map_err(ctx)?;
        let take = client
            .prepare(
                "SELECT go, wait_s, cause, n_others \
                 FROM rewind_budget_take($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .await
            .map_err(ctx)?;
        let throttled = client
            .prepare("SELECT rewind_budget_throttled($1, $2, $3, $4, $5, $6)")
            .await
            .map_err(ctx)?;
        Ok(Conn {
            client,
            take,
            throttled,
            hung: AtomicBool::new(false),
        })
    }

    /// Opens within ten statement timeouts (a connect or migration that hangs fails too,
    /// but a slow first connect on a loaded machine does not).
    async fn open_within(
        config: &tokio_postgres::Config,
        timeout: Duration,
    ) -> Result<Conn, StateError> {
        let bound = timeout * 10;
        tokio::time::timeout(bound, Conn::open(config, timeout))
            .await
            .unwrap_or_else(|_| {
                Err(StateError::Storage(format!(
                    "connecting to PostgreSQL (budget): no answer within {:.1} s",
                    bound.as_secs_f64()
                )))
            })
    }

    fn usable(&self) -> bool {
        !self.client.is_closed() && !self.hung.load(Ordering::Relaxed)
    }
}

/// The client's own deadline: later than the server's, so that a statement the database
/// aborts is reported as its error, and only a silent database is cut off here.
fn client_timeout(statement: Duration) -> Duration {
    statement + statement / 2
}

/// When the next attempt to reconnect may be made. A database that went away is tried again
/// at once, then after 1, 2, 4 ... s, at most every 30 s: requests meanwhile keep the local
/// budget and never wait on a connect that is bound to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next_try: Option<Instant>,
    delay: Duration,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_secs(1);
    pub const MAX: Duration = Duration::from_secs(30);

    pub fn new() -> Backoff {
        Backoff {
            next_try: None,
            delay: Backoff::FIRST,
        }
    }

    /// Whether a reconnect may be tried at `now`.
    pub fn may_try(&self, now: Instant) -> bool {
        self.next_try.is_none_or(|at| now >= at)
    }

    /// A reconnect failed at `now`: the next waits twice as long as this one (bounded).
    pub fn failed(&mut self, now: Instant) -> Duration {
        let wait = self.delay;
        self.next_try = Some(now + wait);
        self.delay = (self.delay * 2).min(Backoff::MAX);
        wait
    }

    /// Connected again: the next loss is retried at once.
    pub fn succeeded(&mut self) {
        *self = Backoff::new();
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

/// The budget's connection: its own, so a take never queues behind a state write. If the
/// database drops it (restart, failover, idle timeout), the next call reconnects (see
/// [`Backoff`]); the calls that find no connection are paced by the local budget.
pub struct PgBudget {
    config: tokio_postgres::Config,
    conn: Mutex<Arc<Conn>>,
    /// Held while one task reconnects, so that concurrent requests do not all connect.
    reconnecting: tokio::sync::Mutex<Backoff>,
    /// Who this process is, for `rewind status` ("host pid 4242 (rewind apply)").
    who: String,
    /// Added to this machine's clock before it is reported (tests of skewed machines).
    clock_offset_s: f64,
    /// See [`STATEMENT_TIMEOUT`].
    timeout: Duration,
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

#[derive(Clone, Copy)]
enum Which {
    Take,
    Throttled,
}

impl PgBudget {
    /// Connects to the state's database (migrating it if needed) on the caller's runtime.
    pub async fn connect(url: &str, who: String) -> Result<PgBudget, StateError> {
        PgBudget::connect_with_timeout(url, who, STATEMENT_TIMEOUT).await
    }

    /// As [`PgBudget::connect`], with statements cut off after `timeout` (tests of a hung
    /// database).
    pub async fn connect_with_timeout(
        url: &str,
        who: String,
        timeout: Duration,
    ) -> Result<PgBudget, StateError> {
        let config = config::build(url, &env_lookup)?;
        let conn = Conn::open_within(&config, timeout).await?;
        Ok(PgBudget {
            config,
            conn: Mutex::new(Arc::new(conn)),
            reconnecting: tokio::sync::Mutex::new(Backoff::new()),
            who,
            clock_offset_s: 0.0,
            timeout,
        })
    }

    /// This machine's clock as `offset` off (a test of machines whose clocks disagree).
    #[must_use]
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

    fn current(&self) -> Arc<Conn> {
        Arc::clone(&self.conn.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A connection that is open: the current one, or a new one when the database dropped
    /// it and the back-off allows a try now. `None`: none this time (the caller paces alone).
    async fn open_conn(&self) -> Option<Arc<Conn>> {
        let conn = self.current();
        if conn.usable() {
            return Some(conn);
        }
        // One task reconnects; the others do not wait for its connect timeout but keep the
        // local budget for this call.
        let Ok(mut backoff) = self.reconnecting.try_lock() else {
            return None;
        };
        // Another task may have reconnected since this one looked.
        let conn = self.current();
        if conn.usable() {
            return Some(conn);
        }
        if !backoff.may_try(Instant::now()) {
            return None;
        }
        match Conn::open_within(&self.config, self.timeout).await {
            Ok(new) => {
                let new = Arc::new(new);
                *self.conn.lock().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&new);
                backoff.succeeded();
                tracing::info!(target: "rewind::budget", "reconnected to the shared request budget's database");
                Some(new)
            }
            Err(e) => {
                let wait = backoff.failed(Instant::now());
                tracing::warn!(target: "rewind::budget", error = %e, "cannot reconnect to the shared request budget's database; trying again in {} s", wait.as_secs());
                None
            }
        }
    }

    /// Runs one budget statement; when the connection turns out to be gone, once more on a
    /// new one, so that a database restart between two calls costs no call its share.
    async fn run(
        &self,
        which: Which,
        params: &[&(dyn ToSql + Sync)],
        what: &str,
    ) -> Result<Option<Row>, String> {
        let unreachable = || format!("{what}: the budget's database connection is closed");
        for _ in 0..2 {
            let Some(conn) = self.open_conn().await else {
                return Err(unreachable());
            };
            let statement = async {
                match which {
                    Which::Take => conn.client.query_one(&conn.take, params).await.map(Some),
                    Which::Throttled => conn
                        .client
                        .execute(&conn.throttled, params)
                        .await
                        .map(|_| None),
                }
            };
            let Ok(result) = tokio::time::timeout(client_timeout(self.timeout), statement).await
            else {
                // A database that does not answer: this call goes on without it, and the
                // next one reconnects (within the same bound) rather than queue behind it.
                conn.hung.store(true, Ordering::Relaxed);
                return Err(format!(
                    "{what}: the budget's database did not answer within {:.1} s",
                    client_timeout(self.timeout).as_secs_f64()
                ));
            };
            match result {
                Ok(row) => return Ok(row),
                Err(e) if conn.client.is_closed() || e.is_closed() => {
                    tracing::debug!(target: "rewind::budget", error = %e, "the shared budget's connection closed");
                }
                Err(e) => return Err(pg_err(what, &e).to_string()),
            }
        }
        Err(unreachable())
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
                .run(
                    Which::Take,
                    &[
                        &ask.key,
                        &ask.service,
                        &ask.api,
                        &limit(ask.limit),
                        &secs(ask.window),
                        &ask.submit,
                        &ask.due,
                        &self.who,
                        &self.local_now(),
                    ],
                    "taking a budget slot",
                )
                .await?
                .ok_or_else(|| "taking a budget slot: no answer".to_owned())?;
            let go: bool = row.get(0);
            let wait = duration(row.get(1));
            if go {
                return Ok(BudgetAnswer::Go { delay: wait });
            }
            let cause = match row.get::<_, Option<&str>>(2) {
                Some("paused") => WaitCause::Paused,
                Some("submit") => WaitCause::Submit,
                Some("due") => WaitCause::Due,
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
            self.run(
                Which::Throttled,
                &[
                    &ask.key,
                    &ask.service,
                    &ask.api,
                    &limit(ask.limit),
                    &secs(ask.window),
                    &secs(retry_after),
                ],
                "recording a 429 in the shared budget",
            )
            .await?;
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

#[cfg(test)]
mod tests {
    use super::Backoff;
    use std::time::{Duration, Instant};

    #[test]
    fn reconnects_are_tried_at_once_then_ever_further_apart_up_to_the_cap_and_reset() {
        let start = Instant::now();
        let mut b = Backoff::new();
        assert!(b.may_try(start), "a lost connection is tried again at once");
        let mut at = start;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let wait = b.failed(at);
            assert!(!b.may_try(at + wait.saturating_sub(Duration::from_millis(1))));
            assert!(b.may_try(at + wait));
            waits.push(wait.as_secs());
            at += wait;
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        b.succeeded();
        assert_eq!(b, Backoff::new());
        assert!(b.may_try(at));
    }
}
