//! Test helpers: where MariaDB, Redis and headless Chromium are, and whether a missing one fails.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whether a missing service must fail the test rather than skip it.
pub fn services_required() -> bool {
    std::env::var(rewind_base::env::REQUIRE_SERVICES).is_ok_and(|v| v == "1")
}

/// Prints a skip line, or panics under `REWIND_REQUIRE_SERVICES=1`.
#[allow(clippy::print_stderr, reason = "a skipped test says so in its output")]
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
    let text = std::env::var(rewind_base::env::TEST_MYSQL)
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
    let text = std::env::var(rewind_base::env::TEST_REDIS)
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

/// Debian's `chromium`: `REWIND_CHROMIUM`, else the first of `chromium`, `chromium-browser` on
/// `PATH`.
pub fn chromium() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os(rewind_base::env::CHROMIUM).filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Runs headless Chromium with `args` and a throw-away profile; stdout, or why it failed.
/// Bounded: killed after 90 s.
pub fn run_chromium(bin: &std::path::Path, args: &[String]) -> Result<String, String> {
    use std::io::Read;
    let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("chromium did not finish within 90 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    if status.success() {
        Ok(out)
    } else {
        Err(format!("chromium exited with {status}: {err}"))
    }
}
