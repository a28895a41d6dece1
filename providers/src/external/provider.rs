//! A plugin as an engine `Provider`: one long-lived process, restarted after it breaks.

use super::connection::{Connection, PluginCommand};
use super::error::{Failure, PluginError};
use rewind_engine::kinds::{KindDecl, OpSpec, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, Percent, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// JSON-RPC error code by which a plugin says the submit provably did not run.
pub const REJECTED: i64 = -32001;

/// How long each call may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Starting the process and `hello`.
    pub start: Duration,
    /// `preflight`, `poll`, `reconcile`.
    pub call: Duration,
    pub submit: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            start: Duration::from_secs(10),
            call: Duration::from_secs(30),
            submit: Duration::from_secs(60),
        }
    }
}

pub struct ExternalProvider {
    service: Service,
    cmd: PluginCommand,
    kinds: Vec<KindDecl>,
    timeouts: Timeouts,
    /// The live process, shared by every call in flight; replaced after it breaks.
    conn: Arc<Mutex<Option<Arc<Connection>>>>,
    /// `poll_after_ms` of each handle's `submit` answer, until its first poll is scheduled.
    poll_after: Mutex<BTreeMap<String, Duration>>,
}

impl std::fmt::Debug for ExternalProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalProvider")
            .field("plugin", &self.cmd.name)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Where a call broke: before anything was sent (the process would not start), or after.
enum CallError {
    NotStarted(PluginError),
    Call(PluginError),
}

impl CallError {
    fn into_inner(self) -> PluginError {
        match self {
            CallError::NotStarted(e) | CallError::Call(e) => e,
        }
    }
}

impl ExternalProvider {
    pub fn new(
        service: Service,
        cmd: PluginCommand,
        kinds: Vec<KindDecl>,
        timeouts: Timeouts,
    ) -> Self {
        ExternalProvider {
            service,
            cmd,
            kinds,
            timeouts,
            conn: Arc::new(Mutex::new(None)),
            poll_after: Mutex::new(BTreeMap::new()),
        }
    }

    async fn call(
        &self,
        method: &'static str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        let conn = Arc::clone(&self.conn);
        let cmd = self.cmd.clone();
        let start = self.timeouts.start;
        let joined = tokio::task::spawn_blocking(move || {
            // The slot is held only to find (or start) the process, never across a call, so
            // a submit is written while earlier polls still wait for their answers.
            let live = {
                let mut slot = conn.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(live) = slot.as_ref() {
                    Arc::clone(live)
                } else {
                    let started =
                        Arc::new(Connection::start(&cmd, start).map_err(CallError::NotStarted)?);
                    *slot = Some(Arc::clone(&started));
                    started
                }
            };
            let result = live.call(method, &params, timeout);
            if let Err(e) = &result
                && e.broken()
            {
                // Dropping the last handle kills it; the next call starts a fresh process,
                // which re-attaches to its jobs through the handles rewind stored. Calls
                // still in flight on it fail as it goes (a submit among them is ambiguous).
                let mut slot = conn.lock().unwrap_or_else(PoisonError::into_inner);
                if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, &live)) {
                    *slot = None;
                }
            }
            result.map_err(CallError::Call)
        })
        .await;
        joined.unwrap_or_else(|e| {
            Err(CallError::Call(PluginError::crashed(
                &self.cmd.name,
                method,
                &e.to_string(),
            )))
        })
    }

    /// The body sent to the plugin: secrets in place (resolved by the run, or, for a caller
    /// that resolved none, older `env:NAME` references read here), in memory only.
    fn params(&self, op: &Operation) -> Result<Value, String> {
        let OpSpec::External(ext) = &op.spec else {
            return Err(format!("`{}` is not a plugin kind", op.name));
        };
        let mut body = if op.secrets.is_empty() {
            ext.body.clone()
        } else {
            op.wire_body()
        };
        if let Some(decl) = self.kinds.iter().find(|d| d.kind() == ext.kind) {
            for pointer in decl.sensitive_pointers() {
                if let Some(slot) = body.pointer_mut(&pointer)
                    && let Some(var) = slot.as_str().and_then(|s| s.strip_prefix("env:"))
                {
                    let value = std::env::var(var).map_err(|_| {
                        format!("`{}`: the secret variable {var} is not set", op.name)
                    })?;
                    *slot = Value::String(value);
                }
            }
        }
        let key = hex::encode(Sha256::digest(
            format!("{}\n{}", op.name, ext.body).as_bytes(),
        ));
        Ok(json!({
            "name": op.name,
            "kind": ext.kind.as_str(),
            "body": body,
            "idempotency_key": &key[..32],
        }))
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(provider_error)`-style glue
fn provider_error(e: PluginError) -> ProviderError {
    let transient = e.broken();
    ProviderError {
        message: e.to_string(),
        transient,
    }
}

fn handle_of(plugin: &str, value: Option<&Value>) -> Result<Handle, PluginError> {
    match value {
        Some(v) if !v.is_null() => Ok(Handle::External {
            handle: v.to_string(),
        }),
        _ => Err(PluginError::garbage(plugin, "answered without a `handle`")),
    }
}

fn poll_outcome(plugin: &str, v: &Value) -> Result<PollOutcome, PluginError> {
    match v.get("state").and_then(Value::as_str) {
        Some("running") => Ok(PollOutcome::Running {
            percent: v
                .get("percent")
                .and_then(Value::as_f64)
                .and_then(Percent::running),
            handle: match v.get("handle") {
                Some(h) if !h.is_null() => Some(Handle::External {
                    handle: h.to_string(),
                }),
                _ => None,
            },
        }),
        Some("succeeded") => Ok(PollOutcome::Succeeded {
            outputs: v
                .get("outputs")
                .and_then(Value::as_object)
                .map_or_else(BTreeMap::new, |o| {
                    o.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                            )
                        })
                        .collect()
                }),
        }),
        Some("failed") => Ok(PollOutcome::Failed {
            reason: v
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("the plugin gave no reason")
                .to_owned(),
        }),
        _ => Err(PluginError::garbage(
            plugin,
            "`poll` answered without state running, succeeded or failed",
        )),
    }
}

impl Provider for ExternalProvider {
    fn service(&self) -> Service {
        self.service
    }

    fn first_poll_after(&self, handle: &Handle) -> Option<Duration> {
        let Handle::External { handle } = handle else {
            return None;
        };
        self.poll_after
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(handle)
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            self.call(
                "hello",
                json!({ "protocol_versions": [super::PROTOCOL_VERSION] }),
                self.timeouts.start,
            )
            .await
            .map(|_| ())
            .map_err(|e| provider_error(e.into_inner()))
        })
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move {
            let params = self.params(op).map_err(|message| ProviderError {
                message,
                transient: false,
            })?;
            let v = self
                .call("preflight", params, self.timeouts.call)
                .await
                .map_err(|e| provider_error(e.into_inner()))?;
            let checks = v.get("checks").cloned().unwrap_or(Value::Null);
            serde_json::from_value::<Vec<Check>>(checks).map_err(|e| {
                provider_error(PluginError::garbage(
                    &self.cmd.name,
                    &format!("`preflight` checks: {e}"),
                ))
            })
        })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            let params = self
                .params(op)
                .map_err(|message| SubmitError::NotSent { message })?;
            match self.call("submit", params, self.timeouts.submit).await {
                Ok(v) => {
                    let handle = handle_of(&self.cmd.name, v.get("handle")).map_err(|e| {
                        SubmitError::Ambiguous {
                            message: e.to_string(),
                        }
                    })?;
                    if let (Some(ms), Handle::External { handle: key }) =
                        (v.get("poll_after_ms").and_then(Value::as_f64), &handle)
                        && let Ok(after) = Duration::try_from_secs_f64(ms / 1000.0)
                    {
                        self.poll_after
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(key.clone(), after);
                    }
                    Ok(handle)
                }
                Err(CallError::NotStarted(e)) => Err(SubmitError::NotSent {
                    message: e.to_string(),
                }),
                Err(CallError::Call(e)) => match e.failure {
                    // Not HTTP: status 0 and no code, so it reads as the plugin's refusal.
                    Failure::Remote { code } if code == REJECTED => Err(SubmitError::Rejected {
                        status: 0,
                        code: String::new(),
                        message: format!(
                            "plugin `{}` refused it, nothing ran: {}",
                            self.cmd.name,
                            e.remote_message.as_deref().unwrap_or("(no message)")
                        ),
                    }),
                    // Died, hung or spoke garbage mid-submit: it may have started the job.
                    _ => Err(SubmitError::Ambiguous {
                        message: e.to_string(),
                    }),
                },
            }
        })
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async move {
            let Handle::External { handle } = handle else {
                return Err(ProviderError {
                    message: format!("`{}` has a handle that is not a plugin's", op.name),
                    transient: false,
                });
            };
            let stored: Value = serde_json::from_str(handle).unwrap_or(Value::Null);
            let mut params = self.params(op).map_err(|message| ProviderError {
                message,
                transient: false,
            })?;
            params["handle"] = stored;
            let v = self
                .call("poll", params, self.timeouts.call)
                .await
                .map_err(|e| provider_error(e.into_inner()))?;
            poll_outcome(&self.cmd.name, &v).map_err(provider_error)
        })
    }

    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            let mut params = self.params(op).map_err(|message| ProviderError {
                message,
                transient: false,
            })?;
            params["submitted_at"] = json!(submitted_at);
            let v = self
                .call("reconcile", params, self.timeouts.call)
                .await
                .map_err(|e| provider_error(e.into_inner()))?;
            match v.get("handle") {
                None | Some(Value::Null) => Ok(None),
                Some(h) => Ok(Some(Handle::External {
                    handle: h.to_string(),
                })),
            }
        })
    }
}
