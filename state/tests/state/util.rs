//! Test harness: sample records and child processes that re-run this test binary.

use rewind_engine::kinds::{ApiRequest, Kind, Service};
use rewind_engine::state::{OpRecord, RECORD_VERSION, Status};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// Set in a child process: which role the re-invoked test should play.
pub const CHILD_ROLE_ENV: &str = "REWIND_STATE_TEST_CHILD";
/// Set in a child process: the state directory to use.
pub const CHILD_DIR_ENV: &str = "REWIND_STATE_TEST_DIR";

/// Lines a child means for the parent start with this; the rest is test-harness chatter.
const MARK: &str = "@@ ";

/// Upper bound on waiting for any one child line; generous for a loaded 2-core machine.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(60);

pub fn record(name: &str, status: Status) -> OpRecord {
    OpRecord {
        version: RECORD_VERSION,
        name: name.to_owned(),
        kind: Kind::RdsRestore,
        inputs_digest: "ab".repeat(32),
        request: ApiRequest {
            service: Service::Rds,
            method: "POST".to_owned(),
            path: "/v3/{project_id}/instances/recovery".to_owned(),
            body: json!({ "target": { "instance_id": format!("{name}-target") } }),
        },
        status,
        handle: None,
        attempts: 1,
        submitted_at: Some(1_700_000_000_000),
        created_at: 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
        outputs: BTreeMap::new(),
        last_error: None,
    }
}

/// The role this process was started in, when it is a child.
pub fn child_role() -> Option<(String, String)> {
    let role = std::env::var(CHILD_ROLE_ENV).ok()?;
    let dir = std::env::var(CHILD_DIR_ENV).ok()?;
    Some((role, dir))
}

/// Prints a line for the parent (stdout is line-buffered, so it leaves at once).
#[allow(
    clippy::print_stdout,
    reason = "stdout is the child's channel to its parent test"
)]
pub fn tell_parent(line: &str) {
    println!("{MARK}{line}");
}

/// The libtest name of a test, from its `module_path!()` and function name.
pub fn test_name(module_path: &str, function: &str) -> String {
    // module_path!() starts with the crate (this binary's) name, which libtest leaves out.
    let module = module_path.split_once("::").map_or("", |(_, rest)| rest);
    if module.is_empty() {
        function.to_owned()
    } else {
        format!("{module}::{function}")
    }
}

/// This test binary, re-run as one test in a given role. Killed on drop if still running.
pub struct ChildTest {
    child: Child,
    lines: Receiver<String>,
}

impl ChildTest {
    pub fn spawn(test: &str, role: &str, dir: &Path) -> ChildTest {
        let exe = std::env::current_exe().expect("test binary path");
        let mut child = Command::new(exe)
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ROLE_ENV, role)
            .env(CHILD_DIR_ENV, dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child test process");
        let stdout = child.stdout.take().expect("child stdout is piped");
        let (tx, lines) = channel();
        // A reader thread, so the parent can wait on lines with a timeout; it ends when the
        // child's stdout closes (exit or kill).
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Not `strip_prefix`: libtest's "test NAME ... " precedes the first line.
                if let Some((_, payload)) = line.split_once(MARK)
                    && tx.send(payload.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        ChildTest { child, lines }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The next marked line, failing the test if none comes within [`LINE_TIMEOUT`].
    pub fn next_line(&mut self) -> String {
        match self.lines.recv_timeout(LINE_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!("child sent no line within {LINE_TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait();
                panic!("child closed its output early ({status:?})")
            }
        }
    }

    /// SIGKILL on Unix; returns how the child ended.
    pub fn kill(&mut self) -> ExitStatus {
        self.child.kill().expect("kill child");
        self.child.wait().expect("reap child")
    }

    /// Closes the child's stdin (its cue to finish), collects the rest of its lines and
    /// reaps it. Its stdout closes only as it exits, so the wait after that is short.
    pub fn finish(&mut self) -> (Vec<String>, ExitStatus) {
        drop(self.child.stdin.take());
        let lines = self.remaining_lines();
        (lines, self.child.wait().expect("reap child"))
    }

    /// Every marked line the child printed before its output closed.
    pub fn remaining_lines(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match self.lines.recv_timeout(LINE_TIMEOUT) {
                Ok(line) => out.push(line),
                Err(RecvTimeoutError::Disconnected) => return out,
                Err(RecvTimeoutError::Timeout) => panic!("child output did not close"),
            }
        }
    }
}

impl Drop for ChildTest {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
