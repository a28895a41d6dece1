//! Test helpers: where the test services are, and whether a missing one fails or skips.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

/// Whether a missing service must fail the test rather than skip it.
pub fn services_required() -> bool {
    std::env::var("REWIND_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Prints a skip line, or panics under `REWIND_REQUIRE_SERVICES=1`.
pub fn skip_or_fail(what: &str, why: &str) {
    assert!(
        !services_required(),
        "{what} is required (REWIND_REQUIRE_SERVICES=1): {why}"
    );
    eprintln!("skipped: {what} ({why})");
}

/// `scheme://[user[:password]@]host:port[/…]` or `host:port`.
#[derive(Debug, Clone)]
pub struct Addr {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
}

pub fn parse_addr(text: &str, default_port: u16) -> Addr {
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let rest = rest.split(['/', '?']).next().unwrap_or(rest);
    let (cred, hostport) = rest
        .rsplit_once('@')
        .map_or((None, rest), |(c, h)| (Some(c), h));
    let (user, password) = match cred {
        Some(c) => match c.split_once(':') {
            Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
            None => (Some(c.to_owned()), None),
        },
        None => (None, None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), p.parse().unwrap_or(default_port)),
        None => (hostport.to_owned(), default_port),
    };
    Addr {
        host,
        port,
        user: user.filter(|u| !u.is_empty()),
        password: password.filter(|p| !p.is_empty()),
    }
}

pub fn mysql_addr() -> Addr {
    let text = std::env::var("REWIND_TEST_MYSQL")
        .ok()
        .filter(|v| !v.is_empty());
    let mut a = parse_addr(
        text.as_deref().unwrap_or("mysql://root@127.0.0.1:3306"),
        3306,
    );
    if a.user.is_none() {
        a.user = Some("root".into());
    }
    a
}

pub fn redis_addr() -> Addr {
    let text = std::env::var("REWIND_TEST_REDIS")
        .ok()
        .filter(|v| !v.is_empty());
    parse_addr(text.as_deref().unwrap_or("redis://127.0.0.1:6379"), 6379)
}

/// A name no other test run uses: pid and clock.
pub fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("rewind_drills_{tag}_{}_{nanos}", std::process::id())
}
