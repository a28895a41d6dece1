//! One plugin process: spawn, newline-delimited JSON-RPC 2.0 framing with many requests in
//! flight (answers matched by `id`), timeouts, kill on error.

use super::error::PluginError;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The protocol version this rewind speaks (docs/PROVIDER_PROTOCOL.md).
pub const PROTOCOL_VERSION: u64 = 1;
/// Longest line rewind reads from a plugin; more is garbage, not a reason to run out of memory.
const MAX_LINE: u64 = 1024 * 1024;

/// The variable that tells a plugin it runs in a rehearsal (`REWIND_SIMULATE=1`).
pub const SIMULATE_VAR: &str = rewind_base::env::SIMULATE;

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

/// What the reader thread hands a waiting call.
#[derive(Debug, Clone)]
enum Incoming {
    /// The answer with the call's `id`.
    Answer(Value),
    /// A line over [`MAX_LINE`]; the stream is given up.
    TooLong,
    /// A line that is not JSON-RPC (its preview, and whether it was JSON at all).
    Garbage { preview: String, json: bool },
    /// The plugin closed its output.
    Eof,
}

/// The calls waiting for an answer, by `id`, and why the stream ended once it has.
#[derive(Default)]
struct Pending {
    waiting: HashMap<u64, Sender<Incoming>>,
    /// Set once nothing more can be read: every later call gets it at once.
    ended: Option<Incoming>,
}

type Shared = Arc<Mutex<Pending>>;

fn lock(p: &Shared) -> std::sync::MutexGuard<'_, Pending> {
    p.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Ends the stream: every waiting call, and every later one, gets `why`.
fn end(p: &Shared, why: &Incoming) {
    let mut pending = lock(p);
    for (_, tx) in pending.waiting.drain() {
        let _ = tx.send(why.clone());
    }
    pending.ended = Some(why.clone());
}

/// Reads the plugin's stdout and routes each answer to the call with its `id`.
fn route(out: impl Read, pending: &Shared) {
    let mut reader = BufReader::new(out);
    loop {
        let mut buf = Vec::new();
        match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return end(pending, &Incoming::Eof),
            Ok(_) if !buf.ends_with(b"\n") && buf.len() as u64 >= MAX_LINE => {
                return end(pending, &Incoming::TooLong);
            }
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&buf).trim().to_owned();
        if line.is_empty() {
            continue;
        }
        let reply = serde_json::from_str::<Value>(&line).ok();
        let Some(reply) = reply.filter(|r| r.get("jsonrpc").and_then(Value::as_str) == Some("2.0"))
        else {
            let json = serde_json::from_str::<Value>(&line).is_ok();
            return end(
                pending,
                &Incoming::Garbage {
                    preview: preview(&line),
                    json,
                },
            );
        };
        // Notifications (no id) and answers to calls given up on are nobody's answer.
        let Some(id) = reply.get("id").and_then(Value::as_u64) else {
            continue;
        };
        if let Some(tx) = lock(pending).waiting.remove(&id) {
            let _ = tx.send(Incoming::Answer(reply));
        }
    }
}

/// A running plugin, shared by every call of a run: requests are written as they come and
/// answered in any order. Dropping it kills the process if it is still there.
pub struct Connection {
    name: String,
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    pending: Shared,
    next_id: AtomicU64,
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
        let pending: Shared = Arc::default();
        match stdout {
            Some(out) => {
                let routed = Arc::clone(&pending);
                std::thread::spawn(move || route(out, &routed));
            }
            None => end(&pending, &Incoming::Eof),
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
            stdin: Mutex::new(child.stdin.take()),
            child: Mutex::new(child),
            pending,
            next_id: AtomicU64::new(1),
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

    /// Sends one request and waits at most `timeout` for its answer. Other calls may be in
    /// flight on the same process meanwhile: the request is written at once, not queued
    /// behind them.
    pub fn call(
        &self,
        method: &str,
        params: &Value,
        timeout: Duration,
    ) -> Result<Value, PluginError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        {
            let mut pending = lock(&self.pending);
            if let Some(why) = &pending.ended {
                let why = why.clone();
                drop(pending);
                return Err(self.failed(method, why));
            }
            pending.waiting.insert(id, tx);
        }
        let msg = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let mut line = msg.to_string();
        line.push('\n');
        let written = {
            let mut stdin = self.stdin.lock().unwrap_or_else(PoisonError::into_inner);
            match stdin.as_mut() {
                Some(w) => w
                    .write_all(line.as_bytes())
                    .and_then(|()| w.flush())
                    .is_ok(),
                None => false,
            }
        };
        if !written {
            lock(&self.pending).waiting.remove(&id);
            return Err(self.crashed(method));
        }
        let answer = match rx.recv_timeout(timeout) {
            Ok(incoming) => incoming,
            Err(RecvTimeoutError::Disconnected) => Incoming::Eof,
            Err(RecvTimeoutError::Timeout) => {
                lock(&self.pending).waiting.remove(&id);
                return Err(PluginError::timeout(&self.name, method, timeout));
            }
        };
        let reply = match answer {
            Incoming::Answer(reply) => reply,
            other => return Err(self.failed(method, other)),
        };
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
        match reply.get("result") {
            Some(result) => Ok(result.clone()),
            None => Err(PluginError::garbage(
                &self.name,
                &format!("answered `{method}` with neither result nor error"),
            )),
        }
    }

    /// The error of a call whose stream ended with `why`.
    fn failed(&self, method: &str, why: Incoming) -> PluginError {
        match why {
            Incoming::TooLong => PluginError::garbage(
                &self.name,
                &format!("answered `{method}` with a line over 1 MiB"),
            ),
            Incoming::Garbage { preview, json } => PluginError::garbage(
                &self.name,
                &if json {
                    format!("answered `{method}` without \"jsonrpc\": \"2.0\": {preview}")
                } else {
                    format!("answered `{method}` with a line that is not JSON: {preview}")
                },
            ),
            Incoming::Eof | Incoming::Answer(_) => self.crashed(method),
        }
    }

    /// Asks the plugin to stop, then makes sure it has.
    pub fn shutdown(self, timeout: Duration) {
        let _ = self.call("shutdown", &json!({}), timeout);
        *self.stdin.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if matches!(self.child_lock().try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn child_lock(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn crashed(&self, method: &str) -> PluginError {
        let status = self.wait_briefly();
        PluginError::crashed(&self.name, method, &status)
    }

    fn wait_briefly(&self) -> String {
        for _ in 0..50 {
            if let Ok(Some(status)) = self.child_lock().try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "closed its output".to_owned()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        if !matches!(child.try_wait(), Ok(Some(_))) {
            let _ = child.kill();
        }
        let _ = child.wait();
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
