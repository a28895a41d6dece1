//! Writes the four drill reports for the sample drill into DIR, its probes run for real.
//!
//! `cargo run -p rewind-drills --example sample_report -- DIR [--failing] [--screenshot PNG]`
//!
//! The restore timings are the sample's (the drill's restores are simulated); the `mysql`,
//! `redis`, `tcp` and `exec` probes run against MariaDB (127.0.0.1:3306 or REWIND_TEST_MYSQL
//! as host:port) and Redis (127.0.0.1:6379 or REWIND_TEST_REDIS as host:port), which this
//! seeds and cleans up, and their results are placed on the sample's timeline.
//! With `--screenshot`, headless Chromium (REWIND_CHROMIUM or `chromium`) takes a PNG of the page.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example program talks to its user directly"
)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use rewind_drills::report::{sample, write_all};
use rewind_drills::{DrillProbe, ProbeSpec, Target, run_probe};
use serde_json::json;

const DB: &str = "rewind_drill_sample";
const REDIS_DB: i64 = 9;
const KEYS: usize = 1000;

fn addr(var: &str, default: &str) -> (String, u16) {
    let text = std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned());
    let text = text
        .split_once("://")
        .map_or(text.as_str(), |(_, r)| r)
        .to_owned();
    let text = text
        .rsplit_once('@')
        .map_or(text.as_str(), |(_, h)| h)
        .trim_end_matches('/')
        .to_owned();
    match text.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), p.parse().unwrap_or(0)),
        None => (text, 0),
    }
}

async fn seed_mysql(host: &str, port: u16) -> Result<mysql_async::Conn, String> {
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .prefer_socket(false)
        .user(Some("root"));
    let mut conn = tokio::time::timeout(Duration::from_secs(5), mysql_async::Conn::new(opts))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let rows: Vec<String> = (1..=1200).map(|n| format!("({n}, 'item-{n}')")).collect();
    conn.query_drop(format!(
        "DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB}; \
         CREATE TABLE {DB}.orders (id INT PRIMARY KEY, item VARCHAR(40)); \
         INSERT INTO {DB}.orders VALUES {};",
        rows.join(", ")
    ))
    .await
    .map_err(|e| e.to_string())?;
    Ok(conn)
}

async fn seed_redis(host: &str, port: u16) -> Result<redis::aio::MultiplexedConnection, String> {
    let client = redis::Client::open(format!("redis://{host}:{port}/{REDIS_DB}"))
        .map_err(|e| e.to_string())?;
    let mut conn = tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .map_err(|_| "connect timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    let mut pipe = redis::pipe();
    for i in 0..KEYS {
        pipe.set(format!("rewind-sample:session:{i}"), i).ignore();
    }
    pipe.query_async::<()>(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Runs `probe` for real and places its result where the sample had it.
async fn real(slot: &mut DrillProbe, probe: serde_json::Value, target: &Target) {
    match ProbeSpec::from_value(&probe) {
        Ok(spec) => {
            let mut r = run_probe(&spec, target).await;
            r.started_at = slot.result.started_at;
            slot.result = r;
        }
        Err(e) => eprintln!("sample probe does not parse: {e}"),
    }
}

async fn run(dir: PathBuf, failing: bool) -> Result<rewind_drills::DrillReport, String> {
    let at = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_err(|e| e.to_string())?;
    let mut probes = sample::probes(at, failing);
    let (mh, mp) = addr("REWIND_TEST_MYSQL", "127.0.0.1:3306");
    let (rh, rp) = addr("REWIND_TEST_REDIS", "127.0.0.1:6379");
    let mysql = seed_mysql(&mh, mp).await;
    let redis = seed_redis(&rh, rp).await;
    let want = if failing { 1201 } else { 1200 };
    if let Err(e) = &mysql {
        eprintln!(
            "MariaDB at {mh}:{mp} did not answer ({e}): its probes keep the sample's results"
        );
    }
    if let Err(e) = &redis {
        eprintln!("Redis at {rh}:{rp} did not answer ({e}): its probes keep the sample's results");
    }
    for slot in &mut probes {
        let name = slot.result.name.clone();
        let node =
            Target::new(mh.clone(), mp, format!("scratch-{}", slot.operation)).with_user("root");
        let cache = Target::new(rh.clone(), rp, "scratch-cache");
        match (name.as_str(), mysql.is_ok(), redis.is_ok()) {
            ("node-a-port" | "node-b-port", true, _) => {
                real(
                    slot,
                    json!({"name": name, "timeout": "5s", "tcp": {}}),
                    &node,
                )
                .await;
            }
            ("node-a-orders", true, _) => {
                let p = json!({"name": name, "mysql": {"database": DB, "query": "SELECT COUNT(*) FROM orders", "expect": "= 1200"}});
                real(slot, p, &node).await;
            }
            ("node-b-orders", true, _) => {
                let p = json!({"name": name, "mysql": {"database": DB, "query": "SELECT COUNT(*) FROM orders", "expect": format!("= {want}")}});
                real(slot, p, &node).await;
            }
            ("cache-port", _, true) => {
                real(
                    slot,
                    json!({"name": name, "timeout": "5s", "tcp": {}}),
                    &cache,
                )
                .await;
            }
            ("cache-keys", _, true) => {
                let p = json!({"name": name, "redis": {"db": REDIS_DB, "command": "DBSIZE", "expect": format!(">= {KEYS}")}});
                real(slot, p, &cache).await;
            }
            ("session-marker", _, true) => {
                let p = json!({"name": name, "on_error": "warn", "redis": {"db": REDIS_DB, "key_exists": "drill:session-marker"}});
                real(slot, p, &cache).await;
            }
            ("ddm-smoke", _, _) => {
                let meta = Target::new("127.0.0.1", mp, "0f3a7c2e5b9d4e18a6c2f0b1d3e5a709in09")
                    .with_user("root");
                let cmd = "echo \"checking $REWIND_TARGET_ID at $REWIND_TARGET_HOST:$REWIND_TARGET_PORT as $REWIND_TARGET_USER\"; test -n \"$REWIND_TARGET_HOST\"";
                real(slot, json!({"name": name, "exec": {"command": cmd}}), &meta).await;
            }
            _ => {}
        }
    }
    if let Ok(mut conn) = mysql {
        if let Err(e) = conn.query_drop(format!("DROP DATABASE {DB}")).await {
            eprintln!("could not drop {DB}: {e}");
        }
        let _ = conn.disconnect().await;
    }
    if let Ok(mut conn) = redis {
        let keys: Vec<String> = (0..KEYS)
            .map(|i| format!("rewind-sample:session:{i}"))
            .collect();
        if let Err(e) = redis::cmd("DEL")
            .arg(&keys)
            .query_async::<i64>(&mut conn)
            .await
        {
            eprintln!("could not delete the sample keys: {e}");
        }
    }
    let report = sample::report_with(at, failing, probes);
    write_all(&dir, &report).map_err(|e| e.to_string())?;
    Ok(report)
}

fn screenshot(dir: &std::path::Path, png: &std::path::Path) -> Result<(), String> {
    let bin = std::env::var_os("REWIND_CHROMIUM")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "chromium".into());
    let html = std::fs::canonicalize(dir.join("report.html")).map_err(|e| e.to_string())?;
    let png = std::path::absolute(png).map_err(|e| e.to_string())?;
    let profile =
        std::env::temp_dir().join(format!("rewind-sample-chromium-{}", std::process::id()));
    let status = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,900")
        .arg(format!("file://{}", html.display()))
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot start chromium: {e}"))?;
    let _ = std::fs::remove_dir_all(&profile);
    if status.success() {
        Ok(())
    } else {
        Err(format!("chromium exited with {status}"))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut failing = false;
    let mut png = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--failing" => failing = true,
            "--screenshot" => png = args.next().map(PathBuf::from),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: sample_report DIR [--failing] [--screenshot PNG]");
        return ExitCode::from(2);
    };
    match run(dir.clone(), failing).await {
        Ok(r) => println!(
            "wrote {} ({})",
            dir.display(),
            if r.passed { "passed" } else { "failed" }
        ),
        Err(e) => {
            eprintln!("sample_report: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Some(png) = png {
        if let Err(e) = screenshot(&dir, &png) {
            eprintln!("screenshot: {e}");
            return ExitCode::FAILURE;
        }
        println!("screenshot {}", png.display());
    }
    ExitCode::SUCCESS
}
