//! The README's rehearsal commands in a network namespace that has only loopback, with every
//! `connect()` recorded by strace: none may go anywhere but 127.0.0.0/8 or ::1.
//!
//! Needs root (for `unshare --net`), `strace` and `ip`; `.ci/services` installs them. Without
//! them the test says so and skips, except under `REWIND_REQUIRE_SERVICES=1`, where it fails.

use rewind_drills::testing::skip_or_fail;
use rewind_tests::{FAST_POLLING, repo_root, rewind_bin};
use std::path::Path;
use std::process::{Command, Stdio};

/// The caller's real cloud and secrets, as the issue found them leaking.
const CALLER: &[(&str, &str)] = &[
    ("OS_AUTH_URL", "https://iam.eu-de.otc.t-systems.com/v3"),
    ("OS_AUTH_TOKEN", "caller-real-token"),
    ("OS_ACCESS_KEY", "CALLERREALACCESSKEY0"),
    ("OS_SECRET_KEY", "caller-real-secret"),
    ("REWIND_PROBE_PASSWORD", "caller-real-probe-password"),
    ("REWIND_NODE_PASSWORD", "Node-Pw-4c1e7a9b"),
];

fn runnable(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `rewind ARGS` in `dir` inside a fresh network namespace (loopback up, nothing else),
/// under strace; returns the exit status, stderr and every `connect(` line.
fn traced(dir: &Path, args: &[&str]) -> (Option<i32>, String, Vec<String>) {
    let trace = dir.join(format!("connect-{}.trace", args.join("-").len()));
    let mut inner = vec![
        "strace".to_owned(),
        "-f".to_owned(),
        "-qq".to_owned(),
        "-e".to_owned(),
        "trace=connect".to_owned(),
        "-o".to_owned(),
        trace.display().to_string(),
        rewind_bin().display().to_string(),
    ];
    inner.extend(args.iter().map(|a| (*a).to_owned()));
    let out = Command::new("unshare")
        .args([
            "--net",
            "sh",
            "-c",
            "ip link set lo up && exec \"$@\"",
            "sh",
        ])
        .args(&inner)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .envs(CALLER.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("unshare runs");
    let text = std::fs::read_to_string(&trace).unwrap_or_default();
    let connects = text
        .lines()
        .filter(|l| l.contains("connect("))
        .map(str::to_owned)
        .collect();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        connects,
    )
}

/// The address a traced `connect(` line dialled, if it is an IP one.
fn address(line: &str) -> Option<String> {
    if let Some(i) = line.find("inet_addr(\"") {
        let rest = &line[i + 11..];
        return rest.split('"').next().map(str::to_owned);
    }
    if let Some(i) = line.find("inet_pton(AF_INET6, \"") {
        let rest = &line[i + 21..];
        return rest.split('"').next().map(str::to_owned);
    }
    None
}

fn loopback(addr: &str) -> bool {
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(std::net::IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

#[test]
fn the_readme_rehearsals_connect_only_to_loopback() {
    if !runnable("strace", &["-V"]) {
        skip_or_fail("strace", "not installed (.ci/services installs it)");
        return;
    }
    if !runnable("unshare", &["--net", "true"]) {
        skip_or_fail(
            "unshare --net",
            "cannot make a network namespace (needs root)",
        );
        return;
    }
    if !runnable("unshare", &["--net", "sh", "-c", "ip link set lo up"]) {
        skip_or_fail("ip", "cannot bring loopback up in a network namespace");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let examples = dir.path().join("examples");
    std::fs::create_dir_all(&examples).expect("examples dir");
    for name in ["drill.yaml", "ddm-pitr.yaml"] {
        std::fs::copy(repo_root().join("examples").join(name), examples.join(name))
            .expect("copy example");
    }
    std::fs::write(examples.join("rewind.toml"), FAST_POLLING).expect("settings");
    let at = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24))
        .expect("yesterday")
        .to_string();
    let commands: [(&[&str], bool); 3] = [
        // The README's drill: its probes have no real address, so they do not run, and the
        // verdict is not a pass.
        (
            &[
                "drill",
                "nightly",
                "-f",
                "examples/drill.yaml",
                "--simulate",
            ],
            false,
        ),
        (
            &[
                "apply",
                "-f",
                "examples/ddm-pitr.yaml",
                "--simulate",
                "--auto-approve",
            ],
            true,
        ),
        (
            &[
                "init",
                "ddm",
                "--simulate",
                "--instance",
                "1f5c9fd6cd984056ba89c8c87cc03278in09",
                "--at",
                &at,
            ],
            true,
        ),
    ];
    for (args, passes) in commands {
        let (status, stderr, connects) = traced(dir.path(), args);
        assert_eq!(
            status,
            Some(i32::from(!passes)),
            "rewind {args:?}: {stderr}"
        );
        let dialled: Vec<String> = connects.iter().filter_map(|l| address(l)).collect();
        assert!(
            !dialled.is_empty(),
            "rewind {args:?}: strace recorded no connect() at all"
        );
        let outside: Vec<&String> = connects
            .iter()
            .filter(|l| address(l).is_some_and(|a| !loopback(&a)))
            .collect();
        assert!(
            outside.is_empty(),
            "rewind {args:?} connected outside loopback:\n{outside:#?}"
        );
        if !passes {
            assert!(stderr.contains("INCOMPLETE"), "{stderr}");
            assert!(stderr.contains("did not run"), "{stderr}");
        }
    }
}

#[test]
fn the_trace_parser_reads_both_families() {
    let v4 = r#"123 connect(9, {sa_family=AF_INET, sin_port=htons(6379), sin_addr=inet_addr("192.0.2.40")}, 16) = -1 ENETUNREACH"#;
    let v6 = r#"123 connect(9, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0"#;
    assert_eq!(address(v4).as_deref(), Some("192.0.2.40"));
    assert!(!loopback("192.0.2.40"));
    assert_eq!(address(v6).as_deref(), Some("::1"));
    assert!(loopback("::1") && loopback("127.0.0.1") && !loopback("10.0.0.1"));
}
