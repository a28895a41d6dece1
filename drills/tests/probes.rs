//! Probes against real services: MariaDB and Redis on loopback, plus tcp and exec probes.

mod common;

use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use rewind_drills::{Password, ProbeResult, ProbeSpec, Target, run_probe};
use serde_json::{Value, json};

fn spec(v: &Value) -> ProbeSpec {
    ProbeSpec::from_value(v).expect("test probe parses")
}

fn mysql_target(a: &common::Addr) -> Target {
    let mut t = Target::new(a.host.clone(), a.port, "in01-scratch-mysql");
    t.user.clone_from(&a.user);
    t.password = a.password.clone().map(Password::new);
    t
}

async fn mysql_conn(a: &common::Addr) -> Result<mysql_async::Conn, String> {
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(a.host.clone())
        .tcp_port(a.port)
        .prefer_socket(false)
        .user(a.user.clone())
        .pass(a.password.clone());
    tokio::time::timeout(Duration::from_secs(5), mysql_async::Conn::new(opts))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn mysql_probes_check_seeded_rows() {
    let addr = common::mysql_addr();
    let mut conn = match mysql_conn(&addr).await {
        Ok(c) => c,
        Err(e) => {
            return common::skip_or_fail(&format!("MariaDB at {}:{}", addr.host, addr.port), &e);
        }
    };
    let db = common::unique("mysql");
    let seed = format!(
        "CREATE DATABASE {db}; CREATE TABLE {db}.orders (id INT PRIMARY KEY, item VARCHAR(40)); \
         INSERT INTO {db}.orders VALUES (1, 'disk'), (2, 'cache'), (3, 'node');"
    );
    conn.query_drop(seed).await.expect("seed the test database");
    let checksum: Option<(String, Option<u64>)> = conn
        .query_first(format!("CHECKSUM TABLE {db}.orders"))
        .await
        .expect("checksum");
    let checksum = checksum
        .and_then(|(_, c)| c)
        .expect("a checksum")
        .to_string();

    let target = mysql_target(&addr);
    let count = "SELECT COUNT(*) FROM orders";
    let cases = [
        json!({"name": "count", "mysql": {"database": db, "query": count, "expect": "= 3"}}),
        json!({"name": "wrong-count", "mysql": {"database": db, "query": count, "expect": "= 4"}}),
        json!({"name": "at-least", "mysql": {"database": db, "query": count, "expect": ">= 2"}}),
        json!({"name": "rows", "mysql": {"database": db, "query": "SELECT * FROM orders ORDER BY id", "expect": "non-empty"}}),
        json!({"name": "none", "mysql": {"database": db, "query": "SELECT * FROM orders WHERE id > 9", "expect": "non-empty"}}),
        json!({"name": "sum", "mysql": {"query": format!("CHECKSUM TABLE {db}.orders"), "expect": format!("checksum = {checksum}")}}),
        json!({"name": "bad-sum", "mysql": {"query": format!("CHECKSUM TABLE {db}.orders"), "expect": "checksum = 1"}}),
        json!({"name": "bad-sql", "mysql": {"database": db, "query": "SELEC nothing", "expect": "= 1"}}),
        json!({"name": "warn-only", "on_error": "warn", "mysql": {"database": db, "query": count, "expect": "= 5"}}),
    ];
    let mut results: Vec<ProbeResult> = Vec::new();
    for c in &cases {
        results.push(run_probe(&spec(c), &target).await);
    }
    // Clean up before asserting, so a failed assertion leaves nothing behind.
    let dropped = conn.query_drop(format!("DROP DATABASE {db}")).await;
    let _ = conn.disconnect().await;
    dropped.expect("drop the test database");

    let by = |n: &str| {
        results
            .iter()
            .find(|r| r.name == n)
            .expect("result by name")
    };
    assert!(by("count").passed, "{:?}", by("count"));
    assert_eq!(by("count").detail, "got 3 (= 3)");
    let wrong = by("wrong-count");
    assert!(!wrong.passed && !wrong.warned && wrong.fails_drill());
    assert_eq!(wrong.detail, "got 3, expected = 4");
    assert!(
        wrong.output.contains("COUNT(*)") && wrong.output.contains('3'),
        "output: {}",
        wrong.output
    );
    assert!(by("at-least").passed);
    assert!(by("rows").passed);
    assert!(
        by("rows").output.contains("2\tcache"),
        "rows shown: {}",
        by("rows").output
    );
    assert!(!by("none").passed);
    assert!(by("sum").passed, "{:?}", by("sum"));
    assert!(!by("bad-sum").passed);
    assert!(
        by("bad-sql").detail.starts_with("query failed"),
        "{}",
        by("bad-sql").detail
    );
    assert!(by("warn-only").warned && !by("warn-only").fails_drill());
}

#[tokio::test]
async fn mysql_probe_times_out_on_a_silent_server() {
    // Accepts the connection and never sends the handshake.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hold = tokio::spawn(async move {
        let conn = listener.accept().await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(conn);
    });
    let target = Target::new("127.0.0.1", port, "in01").with_password(Password::new("s3cret-pw"));
    let p = spec(
        &json!({"name": "hang", "timeout": "500ms", "mysql": {"query": "SELECT 1", "expect": "= 1"}}),
    );
    let clock = Instant::now();
    let r = run_probe(&p, &target).await;
    hold.abort();
    assert!(r.timed_out && !r.passed, "{r:?}");
    assert!(clock.elapsed() < Duration::from_secs(10));
    assert!(r.detail.starts_with("timed out"), "{}", r.detail);
}

#[tokio::test]
async fn redis_probes_check_keys() {
    let addr = common::redis_addr();
    let url = format!("redis://{}:{}/", addr.host, addr.port);
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let conn = tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await;
    let mut conn = match conn {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return common::skip_or_fail(&format!("Redis at {url}"), &e.to_string()),
        Err(_) => return common::skip_or_fail(&format!("Redis at {url}"), "connect timed out"),
    };
    let prefix = common::unique("redis");
    let (k1, k2, set) = (
        format!("{prefix}:a"),
        format!("{prefix}:b"),
        format!("{prefix}:set"),
    );
    let _: () = redis::pipe()
        .set(&k1, "hello")
        .ignore()
        .set(&k2, "42")
        .ignore()
        .sadd(&set, &["x", "y", "z"])
        .ignore()
        .query_async(&mut conn)
        .await
        .expect("seed keys");

    let mut target = Target::new(addr.host.clone(), addr.port, "dcs-scratch");
    target.password = addr.password.clone().map(Password::new);
    let cases = [
        json!({"name": "dbsize", "redis": {"command": "DBSIZE", "expect": ">= 3"}}),
        json!({"name": "exists", "redis": {"key_exists": k1}}),
        json!({"name": "missing", "redis": {"key_exists": format!("{prefix}:nope")}}),
        json!({"name": "value", "redis": {"command": ["GET", k1], "expect": "checksum = hello"}}),
        json!({"name": "number", "redis": {"command": ["GET", k2], "expect": "= 42"}}),
        json!({"name": "members", "redis": {"command": ["SCARD", set], "expect": "= 3"}}),
        json!({"name": "listed", "redis": {"command": ["SMEMBERS", set], "expect": "non-empty"}}),
        json!({"name": "bad-cmd", "redis": {"command": "NOSUCHCOMMAND x", "expect": "= 1"}}),
    ];
    let mut results = Vec::new();
    for c in &cases {
        results.push(run_probe(&spec(c), &target).await);
    }
    let deleted: redis::RedisResult<i64> = redis::cmd("DEL")
        .arg(&k1)
        .arg(&k2)
        .arg(&set)
        .query_async(&mut conn)
        .await;
    assert_eq!(deleted.expect("clean up keys"), 3);

    let by = |n: &str| {
        results
            .iter()
            .find(|r| r.name == n)
            .expect("result by name")
    };
    for ok in ["dbsize", "exists", "value", "number", "members", "listed"] {
        assert!(by(ok).passed, "{ok}: {:?}", by(ok));
    }
    let missing = by("missing");
    assert!(
        !missing.passed && missing.detail == "got 0, expected = 1",
        "{missing:?}"
    );
    assert!(missing.output.contains("EXISTS"), "{}", missing.output);
    assert!(
        by("listed").output.contains("\"y\""),
        "{}",
        by("listed").output
    );
    assert!(
        !by("bad-cmd").passed && by("bad-cmd").detail.contains("failed"),
        "{:?}",
        by("bad-cmd")
    );
}

#[tokio::test]
async fn tcp_probe_sees_open_and_closed_ports() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let open = listener.local_addr().expect("addr").port();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let target = Target::new("127.0.0.1", open, "in01");
    let up = run_probe(&spec(&json!({"name": "up", "tcp": {}})), &target).await;
    let down = run_probe(
        &spec(&json!({"name": "down", "tcp": {"port": closed}})),
        &target,
    )
    .await;
    drop(listener);
    assert!(up.passed, "{up:?}");
    assert!(!down.passed && down.detail.contains("refuses"), "{down:?}");
}

#[tokio::test]
async fn exec_probe_gets_the_target_and_never_shows_the_password() {
    let target = Target::new("10.0.0.7", 3306, "in01-node-a")
        .with_user("root")
        .with_password(Password::new("Tr0ub4dor&3"));
    let p = spec(&json!({"name": "env", "exec": {
        "command": "echo host=$REWIND_TARGET_HOST port=$REWIND_TARGET_PORT id=$REWIND_TARGET_ID user=$REWIND_TARGET_USER pw=$REWIND_TARGET_PASSWORD mode=$MODE; echo oops >&2",
        "env": {"MODE": "fast"}
    }}));
    let r = run_probe(&p, &target).await;
    assert!(r.passed, "{r:?}");
    assert!(
        r.output
            .contains("host=10.0.0.7 port=3306 id=in01-node-a user=root pw=(sensitive) mode=fast"),
        "{}",
        r.output
    );
    assert!(r.output.contains("--- stderr ---\noops"), "{}", r.output);
    let rendered = format!(
        "{r:?} {target:?} {}",
        serde_json::to_string(&r).expect("json")
    );
    assert!(!rendered.contains("Tr0ub4dor"), "{rendered}");

    let fail = run_probe(
        &spec(
            &json!({"name": "exit3", "exec": {"command": ["sh", "-c", "echo checking; exit 3"]}}),
        ),
        &target,
    )
    .await;
    assert!(
        !fail.passed && fail.detail == "exit 3" && fail.output.contains("checking"),
        "{fail:?}"
    );
    let missing = run_probe(
        &spec(&json!({"name": "nope", "exec": {"command": ["/nonexistent/probe"]}})),
        &target,
    )
    .await;
    assert!(
        !missing.passed && missing.detail.starts_with("cannot start"),
        "{missing:?}"
    );
}

#[tokio::test]
async fn exec_probe_output_is_bounded() {
    let target = Target::new("127.0.0.1", 1, "in01");
    let r = run_probe(&spec(&json!({"name": "chatty", "exec": {"command": "head -c 200000 /dev/zero | tr '\\0' x"}})), &target).await;
    assert!(r.passed, "{r:?}");
    assert!(r.output.len() < 20_000, "{} bytes kept", r.output.len());
    assert!(r.output.contains("more bytes not kept"));
}

#[cfg(unix)]
#[tokio::test]
async fn exec_timeout_kills_the_command_and_its_children() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("child.pid");
    let cmd = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
    let target = Target::new("127.0.0.1", 1, "in01");
    let clock = Instant::now();
    let r = run_probe(
        &spec(&json!({"name": "hang", "timeout": "500ms", "exec": {"command": cmd}})),
        &target,
    )
    .await;
    assert!(r.timed_out && !r.passed, "{r:?}");
    assert!(r.detail.contains("killed"), "{}", r.detail);
    assert!(
        clock.elapsed() < Duration::from_secs(10),
        "took {:?}",
        clock.elapsed()
    );
    let pid = std::fs::read_to_string(&pidfile).expect("the command wrote its child's pid");
    // The killed grandchild may linger as a zombie until init reaps it; it must not run.
    let status = format!("/proc/{}/status", pid.trim());
    let mut alive = true;
    for _ in 0..100 {
        alive = std::fs::read_to_string(&status).is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("State:") && !l.contains("Z (zombie)"))
        });
        if !alive {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive, "the sleep child still runs");
}

#[tokio::test]
async fn a_rejected_password_never_reaches_the_result() {
    let secret = "wr0ng-Pa55-for-drill";
    let my = common::mysql_addr();
    let redis_addr = common::redis_addr();
    let mysql_target = Target::new(my.host.clone(), my.port, "in01")
        .with_user("rewind_no_such_user")
        .with_password(Password::new(secret));
    let redis_target = Target::new(redis_addr.host.clone(), redis_addr.port, "dcs")
        .with_password(Password::new(secret));
    let m = run_probe(
        &spec(
            &json!({"name": "m", "timeout": "5s", "mysql": {"query": "SELECT 1", "expect": "= 1"}}),
        ),
        &mysql_target,
    )
    .await;
    let r = run_probe(
        &spec(&json!({"name": "r", "timeout": "5s", "redis": {"command": "PING", "expect": "non-empty"}})),
        &redis_target,
    )
    .await;
    for res in [&m, &r] {
        let all = format!("{res:?} {}", serde_json::to_string(res).expect("json"));
        assert!(!all.contains(secret), "{all}");
    }
    // A made-up user cannot log in, so the probe fails, with or without a server.
    assert!(!m.passed, "{m:?}");
}
