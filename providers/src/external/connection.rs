//! One plugin process: spawn, newline-delimited JSON-RPC 2.0 framing, timeouts, kill on error.

use super::error::PluginError;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The protocol version this rewind speaks (docs/PROVIDER_PROTOCOL.md).
pub const PROTOCOL_VERSION: u64 = 1;
/// Longest line rewind reads from a plugin; more is garbage, not a reason to run out of memory.
const MAX_LINE: u64 = 1024 * 1024;
/// Most unrelated messages (notifications, stale ids) skipped while waiting for one answer.
const MAX_SKIPPED: usize = 1000;

/// The variable that tells a plugin it runs in a rehearsal (`REWIND_SIMULATE=1`).
pub const SIMULATE_VAR: &str = "REWIND_SIMULATE";

static REHEARSAL: AtomicBool = AtomicBool::new(false);

/// Marks every plugin this process starts from now on as started in a rehearsal: it gets
/// `REWIND_SIMULATE=1`, and none of the caller's `OS_*` or `REWIND_ENDPOINT_*` variables.
pub fn set_rehearsal(on: bool) {
    REHEARSAL.store(on, Ordering::SeqCst);
}

fn rehearsal() -> bool {
    REHEARSAL.load(Ordering::SeqCst)
}

/// How to start a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginCommand {
    /// The plugin's name (`[providers.NAME]` or `rewind-provider-NAME`).
    pub name: String,
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Extra environment for the child (endpoints, credentials of the run).
    pub env: Vec<(String, String)>,
}

/// What the reader thread saw on the plugin's stdout.
enum Incoming {
    Line(String),
    TooLong,
    Eof,
}

/// A running plugin. Dropping it kills the process if it is still there.
pub struct Connection {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Incoming>,
    next_id: u64,
    /// The `hello` result.
    pub hello: Value,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts the plugin and says hello; any failure names the plugin.
    pub fn start(cmd: &PluginCommand, timeout: Duration) -> Result<Connection, PluginError> {
        let name = cmd.name.clone();
        let Some((program, args)) = cmd.argv.split_first() else {
            return Err(PluginError::spawn(&name, "its command is empty"));
        };
        let mut command = Command::new(program);
        command.args(args);
        if rehearsal() {
            // Nothing of the caller's cloud reaches a rehearsal's plugin: only the
            // simulator's credentials and endpoints (in `cmd.env`) and the marker.
            for (key, _) in std::env::vars_os() {
                let k = key.to_string_lossy();
                if k.starts_with("OS_") || k.starts_with("REWIND_ENDPOINT_") {
                    command.env_remove(&key);
                }
            }
            command.env(SIMULATE_VAR, "1");
        }
        let mut child = command
            .envs(cmd.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| PluginError::spawn(&name, &format!("cannot run {program:?}: {e}")))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let (tx, rx) = mpsc::channel();
        if let Some(out) = stdout {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(out);
                loop {
                    let mut buf = Vec::new();
                    match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => {
                            let _ = tx.send(Incoming::Eof);
                            return;
                        }
                        Ok(_) if !buf.ends_with(b"\n") && buf.len() as u64 >= MAX_LINE => {
                            let _ = tx.send(Incoming::TooLong);
                            return;
                        }
                        Ok(_) => {
                            let line = String::from_utf8_lossy(&buf).trim().to_owned();
                            if !line.is_empty() && tx.send(Incoming::Line(line)).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
        if let Some(err) = stderr {
            let plugin = name.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    tracing::info!(plugin = %plugin, "{line}");
                }
            });
        }
        let mut conn = Connection {
            name,
            stdin: child.stdin.take(),
            child,
            lines: rx,
            next_id: 1,
            hello: Value::Null,
        };
        let hello = conn.call(
            "hello",
            &json!({ "protocol_versions": [PROTOCOL_VERSION], "client": "rewind", "client_version": env!("CARGO_PKG_VERSION") }),
            timeout,
        )?;
        let version = hello.get("protocol_version").and_then(Value::as_u64);
        if version != Some(PROTOCOL_VERSION) {
            return Err(PluginError::garbage(
                &conn.name,
                &format!(
                    "hello answered protocol_version {}, rewind speaks {PROTOCOL_VERSION}",
                    hello
                        .get("protocol_version")
                        .map_or_else(|| "(none)".to_owned(), Value::to_string)
                ),
            ));
        }
        conn.hello = hello;
        Ok(conn)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends one request and waits at most `timeout` for its answer.
    pub fn call(
        &mut self,
        method: &str,
        params: &Value,
        timeout: Duration,
    ) -> Result<Value, PluginError> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let mut line = msg.to_string();
        line.push('\n');
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.crashed(method));
        };
        if stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .is_err()
        {
            return Err(self.crashed(method));
        }
        let deadline = Instant::now() + timeout;
        for _ in 0..MAX_SKIPPED {
            let left = deadline.saturating_duration_since(Instant::now());
            let text = match self.lines.recv_timeout(left) {
                Ok(Incoming::Line(text)) => text,
                Ok(Incoming::TooLong) => {
                    return Err(PluginError::garbage(
                        &self.name,
                        &format!("answered `{method}` with a line over 1 MiB"),
                    ));
                }
                Ok(Incoming::Eof) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.crashed(method));
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(PluginError::timeout(&self.name, method, timeout));
                }
            };
            let Ok(reply) = serde_json::from_str::<Value>(&text) else {
                return Err(PluginError::garbage(
                    &self.name,
                    &format!(
                        "answered `{method}` with a line that is not JSON: {}",
                        preview(&text)
                    ),
                ));
            };
            if reply.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
                return Err(PluginError::garbage(
                    &self.name,
                    &format!(
                        "answered `{method}` without \"jsonrpc\": \"2.0\": {}",
                        preview(&text)
                    ),
                ));
            }
            // Notifications (no id) and answers to calls given up on are not this answer.
            if reply.get("id").and_then(Value::as_u64) != Some(id) {
                continue;
            }
            if let Some(err) = reply.get("error") {
                return Err(PluginError::remote(
                    &self.name,
                    method,
                    err.get("code").and_then(Value::as_i64).unwrap_or(0),
                    err.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("(no message)"),
                ));
            }
            return match reply.get("result") {
                Some(result) => Ok(result.clone()),
                None => Err(PluginError::garbage(
                    &self.name,
                    &format!("answered `{method}` with neither result nor error"),
                )),
            };
        }
        Err(PluginError::garbage(
            &self.name,
            &format!("sent {MAX_SKIPPED} messages without answering `{method}`"),
        ))
    }

    /// Asks the plugin to stop, then makes sure it has.
    pub fn shutdown(mut self, timeout: Duration) {
        let _ = self.call("shutdown", &json!({}), timeout);
        self.stdin = None;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn crashed(&mut self, method: &str) -> PluginError {
        let status = self.wait_briefly();
        PluginError::crashed(&self.name, method, &status)
    }

    fn wait_briefly(&mut self) -> String {
        for _ in 0..50 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "closed its output".to_owned()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn preview(text: &str) -> String {
    let cut: String = text.chars().take(80).collect();
    if cut.len() < text.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}
