//! The PostgreSQL schema, as numbered migrations applied on first use.

use tokio_postgres::Client;

use rewind_engine::state::StateError;

use super::conn::pg_err;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`. Append only: a released migration never
/// changes, so every database at version `n` has the same schema.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE rewind_workspaces (
    name text COLLATE "C" PRIMARY KEY,
    lineage text NOT NULL,
    serial bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE rewind_records (
    workspace text COLLATE "C" NOT NULL REFERENCES rewind_workspaces (name),
    name text COLLATE "C" NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (workspace, name)
);
CREATE TABLE rewind_journal (
    workspace text COLLATE "C" NOT NULL REFERENCES rewind_workspaces (name),
    serial bigint NOT NULL,
    at bigint NOT NULL,
    name text NOT NULL,
    from_status text,
    to_status text,
    note text NOT NULL,
    PRIMARY KEY (workspace, serial)
);
CREATE TABLE rewind_runs (
    workspace text COLLATE "C" NOT NULL REFERENCES rewind_workspaces (name),
    id bigint NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE TABLE rewind_backups (
    id bigserial PRIMARY KEY,
    workspace text COLLATE "C" NOT NULL REFERENCES rewind_workspaces (name),
    serial bigint NOT NULL,
    at bigint NOT NULL,
    data text NOT NULL
);
CREATE INDEX rewind_backups_by_workspace ON rewind_backups (workspace, id);
CREATE TABLE rewind_locks (
    workspace text COLLATE "C" PRIMARY KEY,
    lock_id text NOT NULL UNIQUE,
    pid integer NOT NULL,
    host text NOT NULL,
    os_user text NOT NULL,
    command text NOT NULL,
    started_at text NOT NULL,
    lease_until timestamptz NOT NULL
);
-- One transition in one statement, so one transaction and one round trip: fenced by the
-- lock (a holder that lost its lock writes nothing), then record, journal and serial.
CREATE FUNCTION rewind_write(p_ws text, p_lock text, p_name text, p_data text, p_to text,
                             p_note text, p_at bigint) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    s bigint;
    prev text;
    prev_status text;
BEGIN
    PERFORM 1 FROM rewind_locks WHERE workspace = p_ws AND lock_id = p_lock FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this process no longer holds the lock on workspace %', p_ws
            USING ERRCODE = 'RW001';
    END IF;
    UPDATE rewind_workspaces SET serial = serial + 1 WHERE name = p_ws RETURNING serial INTO s;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workspace % is missing', p_ws USING ERRCODE = 'RW002';
    END IF;
    SELECT data INTO prev FROM rewind_records WHERE workspace = p_ws AND name = p_name;
    IF prev IS NOT NULL THEN
        BEGIN
            prev_status := prev::jsonb ->> 'status';
        EXCEPTION WHEN others THEN
            -- An unreadable record stays removable and overwritable.
            prev_status := NULL;
        END;
    END IF;
    IF p_data IS NULL THEN
        DELETE FROM rewind_records WHERE workspace = p_ws AND name = p_name;
    ELSE
        INSERT INTO rewind_records (workspace, name, data) VALUES (p_ws, p_name, p_data)
        ON CONFLICT (workspace, name) DO UPDATE SET data = EXCLUDED.data;
    END IF;
    INSERT INTO rewind_journal (workspace, serial, at, name, from_status, to_status, note)
    VALUES (p_ws, s, p_at, p_name, prev_status, p_to, p_note);
    RETURN s;
END
$fn$;
"#,
    // 2: the hot path gets cheaper. Each record keeps its status in a column, so a transition
    // reads the previous status without parsing the previous record's JSON; the lock fence takes
    // a KEY SHARE row lock, which the renewal's UPDATE of `lease_until` does not wait for (a
    // force-unlock's DELETE or a takeover's new `lock_id` still does); and `rewind_write_many`
    // writes several transitions, each with its own serial and journal entry, in one
    // transaction: one commit, one WAL flush.
    r"
ALTER TABLE rewind_records ADD COLUMN status text;
CREATE FUNCTION rewind_status_of(p_data text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
    RETURN p_data::jsonb ->> 'status';
EXCEPTION WHEN others THEN
    -- An unreadable record stays removable and overwritable.
    RETURN NULL;
END
$fn$;
UPDATE rewind_records SET status = rewind_status_of(data);
CREATE OR REPLACE FUNCTION rewind_write(p_ws text, p_lock text, p_name text, p_data text, p_to text,
                                        p_note text, p_at bigint) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    s bigint;
    prev_status text;
BEGIN
    PERFORM 1 FROM rewind_locks WHERE workspace = p_ws AND lock_id = p_lock FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this process no longer holds the lock on workspace %', p_ws
            USING ERRCODE = 'RW001';
    END IF;
    UPDATE rewind_workspaces SET serial = serial + 1 WHERE name = p_ws RETURNING serial INTO s;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workspace % is missing', p_ws USING ERRCODE = 'RW002';
    END IF;
    IF p_data IS NULL THEN
        DELETE FROM rewind_records WHERE workspace = p_ws AND name = p_name
        RETURNING status INTO prev_status;
    ELSE
        SELECT status INTO prev_status FROM rewind_records
        WHERE workspace = p_ws AND name = p_name;
        INSERT INTO rewind_records (workspace, name, data, status)
        VALUES (p_ws, p_name, p_data, p_to)
        ON CONFLICT (workspace, name) DO UPDATE SET data = EXCLUDED.data, status = EXCLUDED.status;
    END IF;
    INSERT INTO rewind_journal (workspace, serial, at, name, from_status, to_status, note)
    VALUES (p_ws, s, p_at, p_name, prev_status, p_to, p_note);
    RETURN s;
END
$fn$;
CREATE FUNCTION rewind_write_many(p_ws text, p_lock text, p_names text[], p_data text[],
                                  p_to text[], p_notes text[], p_at bigint) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    s bigint := NULL;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_names, 1), 0) LOOP
        s := rewind_write(p_ws, p_lock, p_names[i], p_data[i], p_to[i], p_notes[i], p_at);
    END LOOP;
    RETURN s;
END
$fn$;
",
    // Issue 26: the request budget every process of one cloud user shares (see budget.rs).
    // Times are seconds since the epoch on the database's clock, so machines whose clocks
    // disagree still agree on the budget. One row per key: a GCRA (the theoretical arrival
    // time of the next slot), a Retry-After pause, a waiting submit's claim, and the CUBIC
    // back-off's state. Both functions lock the key's row, decide, and update it with one
    // UPDATE; the client sends one statement per take.
    r#"
CREATE TABLE rewind_budget (
    key text COLLATE "C" PRIMARY KEY,
    service text NOT NULL,
    api text NOT NULL,
    lim integer NOT NULL,
    window_s double precision NOT NULL,
    tat double precision NOT NULL,
    paused_until double precision NOT NULL DEFAULT 0,
    submit_until double precision NOT NULL DEFAULT 0,
    rate_max double precision,
    throttled_at double precision,
    calls bigint NOT NULL DEFAULT 0,
    throttles bigint NOT NULL DEFAULT 0,
    updated double precision NOT NULL
);
CREATE TABLE rewind_budget_users (
    key text COLLATE "C" NOT NULL REFERENCES rewind_budget (key) ON DELETE CASCADE,
    who text NOT NULL,
    calls bigint NOT NULL DEFAULT 0,
    waits bigint NOT NULL DEFAULT 0,
    skew_s double precision NOT NULL DEFAULT 0,
    seen double precision NOT NULL,
    PRIMARY KEY (key, who)
);
-- Calls per window now: the limit, or after a 429 CUBIC's curve through 0.7 x the rate it
-- refused (W_max), back to W_max half a window later, then probing above it; never below 1.
CREATE FUNCTION rewind_budget_rate(p_lim integer, p_window double precision,
                                   p_max double precision, p_at double precision,
                                   p_now double precision) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    x double precision;
BEGIN
    IF p_at IS NULL OR p_max IS NULL THEN
        RETURN p_lim;
    END IF;
    x := (p_now - p_at) / (p_window / 2) - 1;
    RETURN greatest(1, least(p_lim, p_max * (1 + 0.3 * x * x * x)));
END
$fn$;
CREATE FUNCTION rewind_budget_take(p_key text, p_service text, p_api text, p_lim integer,
                                   p_window double precision, p_submit boolean, p_who text,
                                   p_skew double precision,
                                   OUT go boolean, OUT wait_s double precision,
                                   OUT cause text, OUT n_others integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    now_s double precision := extract(epoch FROM clock_timestamp());
    b rewind_budget%ROWTYPE;
    rate double precision;
    t double precision;
    open_at double precision;
    retry double precision;
BEGIN
    INSERT INTO rewind_budget (key, service, api, lim, window_s, tat, updated)
    VALUES (p_key, p_service, p_api, p_lim, p_window, now_s, now_s)
    ON CONFLICT (key) DO NOTHING;
    SELECT * INTO b FROM rewind_budget WHERE key = p_key FOR UPDATE;
    rate := rewind_budget_rate(p_lim, p_window, b.rate_max, b.throttled_at, now_s);
    t := p_window / rate;
    open_at := greatest(b.tat, now_s);
    SELECT count(*) INTO n_others FROM rewind_budget_users
    WHERE key = p_key AND who <> p_who AND seen > now_s - 2 * p_window;
    IF b.paused_until > now_s THEN
        cause := 'paused';
        retry := b.paused_until;
    ELSIF NOT p_submit AND b.submit_until > now_s THEN
        cause := 'submit';
        retry := b.submit_until;
    ELSIF open_at - now_s > t THEN
        cause := 'rate';
        retry := open_at - t;
    END IF;
    IF cause IS NULL THEN
        -- A reservation at most one interval ahead: a process that dies holding it costs
        -- the others one interval.
        go := true;
        wait_s := open_at - now_s;
        UPDATE rewind_budget SET tat = open_at + t, lim = p_lim, window_s = p_window,
            calls = calls + 1, updated = now_s,
            submit_until = CASE WHEN p_submit THEN 0 ELSE submit_until END,
            rate_max = CASE WHEN rate >= p_lim THEN NULL ELSE rate_max END,
            throttled_at = CASE WHEN rate >= p_lim THEN NULL ELSE throttled_at END
        WHERE key = p_key;
    ELSE
        go := false;
        wait_s := retry - now_s;
        -- A waiting submit holds every other process's reads off until one interval after
        -- it will ask again: long enough to come back, short enough if it never does.
        UPDATE rewind_budget SET lim = p_lim, window_s = p_window, updated = now_s,
            submit_until = CASE WHEN p_submit THEN greatest(submit_until, retry + t)
                                ELSE submit_until END
        WHERE key = p_key;
    END IF;
    INSERT INTO rewind_budget_users AS u (key, who, calls, waits, skew_s, seen)
    VALUES (p_key, p_who, CASE WHEN go THEN 1 ELSE 0 END, CASE WHEN go THEN 0 ELSE 1 END,
            p_skew - now_s, now_s)
    ON CONFLICT (key, who) DO UPDATE SET calls = u.calls + EXCLUDED.calls,
        waits = u.waits + EXCLUDED.waits, skew_s = EXCLUDED.skew_s, seen = EXCLUDED.seen;
END
$fn$;
CREATE FUNCTION rewind_budget_throttled(p_key text, p_service text, p_api text, p_lim integer,
                                        p_window double precision, p_retry double precision)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    now_s double precision := extract(epoch FROM clock_timestamp());
    b rewind_budget%ROWTYPE;
    rate double precision;
    same boolean;
BEGIN
    INSERT INTO rewind_budget (key, service, api, lim, window_s, tat, updated)
    VALUES (p_key, p_service, p_api, p_lim, p_window, now_s, now_s)
    ON CONFLICT (key) DO NOTHING;
    SELECT * INTO b FROM rewind_budget WHERE key = p_key FOR UPDATE;
    rate := rewind_budget_rate(p_lim, p_window, b.rate_max, b.throttled_at, now_s);
    -- The 429s of calls sent before the first one was known are one event, not several:
    -- within one interval of the last back-off the rate is not lowered again.
    same := b.throttled_at IS NOT NULL AND now_s - b.throttled_at < p_window / rate;
    UPDATE rewind_budget SET
        paused_until = greatest(paused_until, now_s + p_retry),
        tat = greatest(tat, now_s + p_retry),
        rate_max = CASE WHEN same THEN rate_max ELSE rate END,
        throttled_at = CASE WHEN same THEN throttled_at ELSE now_s END,
        throttles = throttles + 1, updated = now_s
    WHERE key = p_key;
END
$fn$;
"#,
    // Issue 26, poll priority: a poll whose job's expected end has passed (due) goes before
    // every other process's reads that are not due, as a submit goes before every read. A
    // waiting due poll claims the next slot (`due_until`) as a waiting submit does; the claim
    // is not cleared when it is granted (another process's due poll may still wait) but
    // expires one interval after the slot it waited for. Submits still hold off due polls,
    // so no poll, due or not, can starve a submit.
    r"
ALTER TABLE rewind_budget ADD COLUMN due_until double precision NOT NULL DEFAULT 0;
DROP FUNCTION rewind_budget_take(text, text, text, integer, double precision, boolean, text,
                                 double precision);
CREATE FUNCTION rewind_budget_take(p_key text, p_service text, p_api text, p_lim integer,
                                   p_window double precision, p_submit boolean, p_due boolean,
                                   p_who text,
                                   p_skew double precision,
                                   OUT go boolean, OUT wait_s double precision,
                                   OUT cause text, OUT n_others integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    now_s double precision := extract(epoch FROM clock_timestamp());
    b rewind_budget%ROWTYPE;
    rate double precision;
    t double precision;
    open_at double precision;
    retry double precision;
BEGIN
    INSERT INTO rewind_budget (key, service, api, lim, window_s, tat, updated)
    VALUES (p_key, p_service, p_api, p_lim, p_window, now_s, now_s)
    ON CONFLICT (key) DO NOTHING;
    SELECT * INTO b FROM rewind_budget WHERE key = p_key FOR UPDATE;
    rate := rewind_budget_rate(p_lim, p_window, b.rate_max, b.throttled_at, now_s);
    t := p_window / rate;
    open_at := greatest(b.tat, now_s);
    SELECT count(*) INTO n_others FROM rewind_budget_users
    WHERE key = p_key AND who <> p_who AND seen > now_s - 2 * p_window;
    IF b.paused_until > now_s THEN
        cause := 'paused';
        retry := b.paused_until;
    ELSIF NOT p_submit AND b.submit_until > now_s THEN
        cause := 'submit';
        retry := b.submit_until;
    ELSIF NOT p_submit AND NOT p_due AND b.due_until > now_s THEN
        cause := 'due';
        retry := b.due_until;
    ELSIF open_at - now_s > t THEN
        cause := 'rate';
        retry := open_at - t;
    END IF;
    IF cause IS NULL THEN
        -- A reservation at most one interval ahead: a process that dies holding it costs
        -- the others one interval.
        go := true;
        wait_s := open_at - now_s;
        UPDATE rewind_budget SET tat = open_at + t, lim = p_lim, window_s = p_window,
            calls = calls + 1, updated = now_s,
            submit_until = CASE WHEN p_submit THEN 0 ELSE submit_until END,
            rate_max = CASE WHEN rate >= p_lim THEN NULL ELSE rate_max END,
            throttled_at = CASE WHEN rate >= p_lim THEN NULL ELSE throttled_at END
        WHERE key = p_key;
    ELSE
        go := false;
        wait_s := retry - now_s;
        -- A waiting submit holds every other process's reads off until one interval after
        -- it will ask again: long enough to come back, short enough if it never does.
        UPDATE rewind_budget SET lim = p_lim, window_s = p_window, updated = now_s,
            submit_until = CASE WHEN p_submit THEN greatest(submit_until, retry + t)
                                ELSE submit_until END,
            due_until = CASE WHEN p_due AND NOT p_submit THEN greatest(due_until, retry + t)
                             ELSE due_until END
        WHERE key = p_key;
    END IF;
    INSERT INTO rewind_budget_users AS u (key, who, calls, waits, skew_s, seen)
    VALUES (p_key, p_who, CASE WHEN go THEN 1 ELSE 0 END, CASE WHEN go THEN 0 ELSE 1 END,
            p_skew - now_s, now_s)
    ON CONFLICT (key, who) DO UPDATE SET calls = u.calls + EXCLUDED.calls,
        waits = u.waits + EXCLUDED.waits, skew_s = EXCLUDED.skew_s, seen = EXCLUDED.seen;
END
$fn$;
",
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

async fn version(client: &Client) -> Result<Option<i32>, StateError> {
    let exists = client
        .query_one("SELECT to_regclass('rewind_schema') IS NOT NULL", &[])
        .await
        .map_err(|e| pg_err("reading the schema version", &e))?;
    if !exists.get::<_, bool>(0) {
        return Ok(None);
    }
    let row = client
        .query_one("SELECT max(version) FROM rewind_schema", &[])
        .await
        .map_err(|e| pg_err("reading the schema version", &e))?;
    Ok(row.get::<_, Option<i32>>(0))
}

fn newer(found: i32) -> StateError {
    StateError::Storage(format!(
        "the database's rewind schema is version {found}, newer than this rewind's \
         {SCHEMA_VERSION}; upgrade rewind (older builds must not write a newer schema)"
    ))
}

/// Brings the schema up to [`SCHEMA_VERSION`], or refuses when the database is newer.
///
/// Concurrent first uses are serialized by a transaction-level advisory lock keyed by the
/// schema name: held only while migrating, never during an apply, and only contended by
/// rewind processes that open an un-migrated database at the same moment.
pub async fn migrate(client: &Client) -> Result<(), StateError> {
    match version(client).await? {
        Some(v) if v == SCHEMA_VERSION => return Ok(()),
        Some(v) if v > SCHEMA_VERSION => return Err(newer(v)),
        _ => {}
    }
    let ctx = |e: tokio_postgres::Error| pg_err("migrating the rewind schema", &e);
    client.batch_execute("BEGIN").await.map_err(ctx)?;
    let result = async {
        client
            .execute(
                "SELECT pg_advisory_xact_lock(hashtext('rewind-migrate:' || current_schema()))",
                &[],
            )
            .await
            .map_err(ctx)?;
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS rewind_schema (version integer NOT NULL)")
            .await
            .map_err(ctx)?;
        let current = version(client).await?.unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(newer(current));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            client.batch_execute(sql).await.map_err(ctx)?;
            client
                .execute(
                    "INSERT INTO rewind_schema (version) VALUES ($1)",
                    &[&(i as i32 + 1)],
                )
                .await
                .map_err(ctx)?;
            tracing::info!(version = i + 1, "rewind schema migrated");
        }
        Ok(())
    }
    .await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = client.batch_execute(end).await.map_err(ctx);
    result.and(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database written by a version-1 build is migrated in place: its records get their
    /// status column, and the next transition journals the right `from`.
    #[test]
    fn version_one_databases_migrate_and_keep_their_statuses() {
        let Some(db) = crate::testing::TestDb::create("migrate") else {
            return;
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let config = super::super::config::build(&db.url, &|_| None).unwrap();
            let client = super::super::conn::connect(&config, "test").await.unwrap();
            client.batch_execute(MIGRATIONS[0]).await.unwrap();
            client
                .batch_execute(
                    "CREATE TABLE rewind_schema (version integer NOT NULL); \
                     INSERT INTO rewind_schema VALUES (1); \
                     INSERT INTO rewind_workspaces VALUES ('w', 'l', 0); \
                     INSERT INTO rewind_locks VALUES ('w', 'L', 1, 'h', 'u', 'c', 's', now() + interval '1 hour'); \
                     SELECT rewind_write('w', 'L', 'a', '{\"status\": \"running\"}', 'running', 'v1', 0); \
                     SELECT rewind_write('w', 'L', 'bad', 'not json', 'running', 'v1', 0);",
                )
                .await
                .unwrap();
            migrate(&client).await.unwrap();
            assert_eq!(version(&client).await.unwrap(), Some(SCHEMA_VERSION));
            let rows = client
                .query("SELECT name, status FROM rewind_records ORDER BY name", &[])
                .await
                .unwrap();
            let statuses: Vec<(String, Option<String>)> =
                rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            assert_eq!(
                statuses,
                [("a".into(), Some("running".into())), ("bad".into(), None)]
            );
            let row = client
                .query_one(
                    "SELECT rewind_write('w', 'L', 'a', '{\"status\": \"succeeded\"}', 'succeeded', 'v2', 0)",
                    &[],
                )
                .await
                .unwrap();
            assert_eq!(row.get::<_, i64>(0), 3);
            let from: Option<String> = client
                .query_one("SELECT from_status FROM rewind_journal WHERE serial = 3", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(from.as_deref(), Some("running"));
        });
    }
}
