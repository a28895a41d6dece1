//! The PostgreSQL schema, as numbered migrations applied on first use.

use tokio_postgres::Client;

use rewind_engine::state::StateError;

use super::pg_err;

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
            let client = super::super::connect(&config, "test").await.unwrap();
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
