//! The `exec` probe: a command given the target in `REWIND_TARGET_*`, passing on exit 0.

use std::fmt::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::output::MAX_OUTPUT_BYTES;
use super::result::Outcome;
use super::spec::ExecCheck;
use crate::env;
use crate::target::Target;

/// How long the pipes may stay open after the command ended or was killed: a grandchild that
/// left the process group must not hang the drill.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Runs the command within `timeout`; past it the whole process group is killed, so a
/// `sh -c` wrapper cannot leave its children running. Returns the outcome and whether it timed out.
pub(crate) async fn check(
    c: &ExecCheck,
    probe: &str,
    target: &Target,
    timeout: Duration,
) -> (Outcome, bool) {
    let clock = Instant::now();
    let mut cmd = Command::new(&c.command[0]);
    cmd.args(&c.command[1..])
        .envs(&c.env)
        .env(env::TARGET_HOST, &target.host)
        .env(env::TARGET_PORT, target.port.to_string())
        .env(env::TARGET_ID, &target.instance_id)
        .env(env::TARGET_USER, target.user.as_deref().unwrap_or(""))
        .env(
            env::TARGET_PASSWORD,
            target.password.as_ref().map_or("", |p| p.expose()),
        )
        .env(env::PROBE_NAME, probe)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = &c.cwd {
        cmd.current_dir(dir);
    }
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return (
                Outcome::error(format!("cannot start `{}`: {e}", c.command[0])),
                false,
            );
        }
    };
    let stdout = child.stdout.take().map(|s| tokio::spawn(capture(s)));
    let stderr = child.stderr.take().map(|s| tokio::spawn(capture(s)));
    let status = tokio::time::timeout(timeout, child.wait()).await;
    let timed_out = status.is_err();
    if timed_out {
        kill_group(&child);
        // The group is gone or going; reap the leader so it leaves no zombie.
        let _ = child.kill().await;
    }
    let out = collect(stdout).await;
    let err = collect(stderr).await;
    let mut output = String::new();
    if !out.is_empty() {
        output.push_str("--- stdout ---\n");
        output.push_str(&out);
        if !out.ends_with('\n') {
            output.push('\n');
        }
    }
    if !err.is_empty() {
        output.push_str("--- stderr ---\n");
        output.push_str(&err);
        if !err.ends_with('\n') {
            output.push('\n');
        }
    }
    let passed = matches!(&status, Ok(Ok(s)) if s.success());
    let detail = match status {
        Err(_) => format!(
            "timed out after {} (timeout: {}); the command was killed",
            crate::timefmt::human(clock.elapsed()),
            crate::timefmt::human(timeout)
        ),
        Ok(Err(e)) => format!("waiting for `{}` failed: {e}", c.command[0]),
        Ok(Ok(s)) if s.success() => "exit 0".to_owned(),
        Ok(Ok(s)) => match s.code() {
            Some(code) => format!("exit {code}"),
            None => format!("ended by a signal ({s})"),
        },
    };
    (
        Outcome {
            passed,
            detail,
            output,
        },
        timed_out,
    )
}

#[cfg(unix)]
fn kill_group(child: &tokio::process::Child) {
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // The group may already be gone; nothing else to do then.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_child: &tokio::process::Child) {}

/// Reads a pipe to its end, keeping the first [`MAX_OUTPUT_BYTES`] and counting the rest, so
/// the command never blocks on a full pipe.
async fn capture(mut pipe: impl AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut dropped: u64 = 0;
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                dropped += (n - n.min(room)) as u64;
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if dropped > 0 {
        let _ = write!(
            text,
            "
[… {dropped} more bytes not kept …]
"
        );
    }
    text
}

async fn collect(task: Option<tokio::task::JoinHandle<String>>) -> String {
    let Some(mut task) = task else {
        return String::new();
    };
    match tokio::time::timeout(DRAIN_GRACE, &mut task).await {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => String::new(),
        Err(_) => {
            task.abort();
            "[output not collected: the pipe stayed open after the command ended]\n".to_owned()
        }
    }
}
