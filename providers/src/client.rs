//! `Client`: authenticated, retried HTTP to IAM and the five services; the only code using reqwest.
//
// `session` holds authentication (tokens, projects, IAM calls), `wire` one exchange on the
// wire (headers, signing, logging, bodies), `error` what a failed request turns into.

mod auth;
mod delete;
mod error;
mod send;
mod session;
mod target;
mod wire;

pub use error::ClientError;
pub use wire::{Reply, redacted};

use crate::api_error::ApiError;
use crate::budget::{Budget, api_of};
use crate::config::{CloudConfig, ConfigError, Credentials};
use crate::endpoint::Endpoint;
use crate::query::Query;
use crate::retry::RetryPolicy;
use error::{before_sending, is_transient_status, not_sent};
use reqwest::Method;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{Operation, ProviderError, SubmitError};
use serde_json::Value;
use session::Session;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use target::Target;
use tokio::sync::Mutex;
use wire::{Outgoing, parse_body, reply};

pub struct Client {
    http: reqwest::Client,
    credentials: Credentials,
    region: Option<String>,
    project_id: Option<String>,
    project_name: Option<String>,
    overrides: BTreeMap<Service, Endpoint>,
    iam: Option<Endpoint>,
    retry: RetryPolicy,
    budget: Budget,
    clock: crate::skew::ClockOffset,
    session: Mutex<Option<Arc<Session>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("auth", &self.credentials.method())
            .field("region", &self.region)
            .field("project_id", &self.project_id)
            .field("overrides", &self.overrides)
            .field("iam", &self.iam)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks the configuration and builds the client; no request is sent until first use.
    pub fn new(config: CloudConfig) -> Result<Client, ConfigError> {
        config.check()?;
        let overrides = config.endpoint_overrides()?;
        let iam = config.iam_endpoint()?;
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.retry.request_timeout)
            .connect_timeout(config.retry.connect_timeout)
            .user_agent(concat!("rewind/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        let user = crate::budget::user_key(
            &config.credentials,
            config.auth_url.as_deref(),
            config.region.as_deref(),
        );
        Ok(Client {
            http,
            credentials: config.credentials,
            region: config.region,
            project_id: config.project_id,
            project_name: config.project_name,
            overrides,
            iam,
            retry: config.retry,
            budget: Budget::for_user(config.rate_limits, &user),
            clock: crate::skew::ClockOffset::default(),
            session: Mutex::new(None),
        })
    }

    /// The run's `[rate_limits]` (batch polling follows its switch and its time scale).
    pub fn rate_limits(&self) -> &crate::budget::RateLimits {
        self.budget.limits()
    }

    /// The cloud's clock against this machine's, as the answers so far dated it: reconcile
    /// matches record times with [`crate::skew::ClockOffset::since`].
    pub fn clock(&self) -> &crate::skew::ClockOffset {
        &self.clock
    }

    /// The project every `{project_id}` is filled with (authenticating if needed).
    pub async fn project_id(&self) -> Result<String, ClientError> {
        Ok(self.session().await?.project_id.clone())
    }

    /// Authenticates and resolves `service`'s endpoint, so that a submit that follows sends
    /// nothing but its POST (apply calls this before it records `submitting`).
    pub async fn prepare(&self, service: Service) -> Result<(), ProviderError> {
        self.endpoint(service)
            .await
            .map(|_| ())
            .map_err(ProviderError::from)
    }

    /// The endpoint requests to `service` go to (authenticating if the catalog decides it).
    pub async fn endpoint(&self, service: Service) -> Result<Endpoint, ClientError> {
        let session = self.session().await?;
        self.endpoint_in(service, &session)
    }

    /// GET `path` (with a literal `{project_id}`), retried on 429, 5xx and network errors,
    /// re-authenticating once on a 401.
    pub async fn get(
        &self,
        service: Service,
        path: &str,
        query: &Query,
    ) -> Result<Reply, ClientError> {
        let target = Target::Service(service);
        let mut session = self.session().await?;
        let mut reauthenticated = false;
        let mut retry = 0;
        let mut throttled = 0;
        loop {
            let endpoint = self.endpoint_in(service, &session)?;
            let url = endpoint.join(&path.replace("{project_id}", &session.project_id));
            let result = self
                .send(Outgoing {
                    target,
                    method: Method::GET,
                    url,
                    query,
                    body: None,
                    token: session.token.as_ref(),
                    subject_token: None,
                    project_id: Some(&session.project_id),
                    log_body: true,
                    api: api_of("GET", path),
                })
                .await;
            let more = retry + 1 < self.retry.read_attempts;
            match result {
                Ok(raw) if (200..300).contains(&raw.status) => return reply(target, &raw),
                Ok(raw) if raw.status == 401 && !reauthenticated && self.can_reauthenticate() => {
                    reauthenticated = true;
                    session = self.reauthenticate(&session).await?;
                }
                Ok(raw) if self.throttled_again(raw.status, &mut throttled) => {
                    self.back_off(target, 0, raw.retry_after, "429").await;
                }
                Ok(raw) if is_transient_status(raw.status) && more => {
                    self.back_off(target, retry, raw.retry_after, &raw.status.to_string())
                        .await;
                    retry += 1;
                }
                Ok(raw) => {
                    return Err(ClientError::Api {
                        service: target.label(),
                        error: ApiError::parse(raw.status, &raw.body),
                    });
                }
                Err(e) if more => {
                    self.back_off(target, retry, None, &e.message).await;
                    retry += 1;
                }
                Err(e) => {
                    return Err(ClientError::Transport {
                        service: target.label(),
                        message: e.message,
                    });
                }
            }
        }
    }

    /// POST a restore. It is sent again only where the API said plainly that it did not run
    /// it: a 429, a 409 "busy" code, a 401 before re-authenticating, or a failed connect.
    /// Anything that may have reached the service and failed after is `Ambiguous`.
    pub async fn post(
        &self,
        service: Service,
        path: &str,
        body: &Value,
    ) -> Result<Reply, SubmitError> {
        self.post_shown(service, path, body, None).await
    }

    /// POSTs the request of `op` with its secrets in place ([`Operation::wire_body`]). Logs
    /// show the rendered body, where each secret reads `(sensitive)`, and any error text that
    /// echoes a secret's value has it replaced.
    pub async fn post_op(&self, service: Service, op: &Operation) -> Result<Reply, SubmitError> {
        let wire = op.wire_body();
        // A placeholder left on the wire means a secret was never resolved: sending it would
        // set `(sensitive)` as a password.
        if let Some(at) = placeholder(&wire, String::new()) {
            return Err(SubmitError::NotSent {
                message: format!(
                    "{}: the secret at {at} was not resolved, so nothing was sent",
                    op.name
                ),
            });
        }
        if op.secrets.is_empty() {
            return self.post(service, &op.request.path, &op.request.body).await;
        }
        let result = self
            .post_shown(service, &op.request.path, &wire, Some(&op.request.body))
            .await;
        result.map_err(|e| scrub(e, op))
    }

    /// `post`, logging `shown` in place of the body when given (the body carries secrets).
    async fn post_shown(
        &self,
        service: Service,
        path: &str,
        body: &Value,
        shown: Option<&Value>,
    ) -> Result<Reply, SubmitError> {
        let target = Target::Service(service);
        let bytes = serde_json::to_vec(body)
            .map_err(|_| not_sent(target, "the request body could not be serialized"))?;
        if let Some(shown) = shown {
            tracing::debug!(service = target.label(), path, body = %shown, "request body (secrets shown as (sensitive))");
        }
        let mut session = self
            .session()
            .await
            .map_err(|e| before_sending(target, &e))?;
        let mut reauthenticated = false;
        let mut retry = 0;
        let mut throttled = 0;
        loop {
            let endpoint = self
                .endpoint_in(service, &session)
                .map_err(|e| before_sending(target, &e))?;
            let url = endpoint.join(&path.replace("{project_id}", &session.project_id));
            let result = self
                .send(Outgoing {
                    target,
                    method: Method::POST,
                    url,
                    query: &Query::new(),
                    body: Some(&bytes),
                    token: session.token.as_ref(),
                    subject_token: None,
                    project_id: Some(&session.project_id),
                    log_body: shown.is_none(),
                    api: api_of("POST", path),
                })
                .await;
            let more = retry + 1 < self.retry.submit_attempts;
            match result {
                Ok(raw) if (200..300).contains(&raw.status) => {
                    // The restore ran; an unreadable body leaves its handle unknown, and the
                    // provider turns a missing id into `Ambiguous`.
                    return Ok(Reply {
                        status: raw.status,
                        body: parse_body(&raw.body).unwrap_or(Value::Null),
                    });
                }
                Ok(raw) if raw.status == 401 && !reauthenticated && self.can_reauthenticate() => {
                    reauthenticated = true;
                    session = self
                        .reauthenticate(&session)
                        .await
                        .map_err(|e| before_sending(target, &e))?;
                }
                Ok(raw) => {
                    let error = ApiError::parse(raw.status, &raw.body);
                    if self.throttled_again(raw.status, &mut throttled) {
                        self.back_off(target, 0, raw.retry_after, &error.to_string())
                            .await;
                    } else if (raw.status == 429 || error.is_busy()) && more {
                        self.back_off(target, retry, raw.retry_after, &error.to_string())
                            .await;
                        retry += 1;
                    } else if raw.status >= 500 {
                        return Err(SubmitError::Ambiguous {
                            message: format!("{}: {error}", target.label()),
                        });
                    } else {
                        return Err(SubmitError::Rejected {
                            status: raw.status,
                            code: error.code,
                            message: error.message,
                        });
                    }
                }
                Err(e) if e.not_sent && more => {
                    self.back_off(target, retry, None, &e.message).await;
                    retry += 1;
                }
                Err(e) if e.not_sent => return Err(not_sent(target, &e.message)),
                Err(e) => {
                    return Err(SubmitError::Ambiguous {
                        message: format!("{}: {}", target.label(), e.message),
                    });
                }
            }
        }
    }

    fn endpoint_in(&self, service: Service, session: &Session) -> Result<Endpoint, ClientError> {
        if let Some(ep) = self
            .overrides
            .get(&service)
            .or_else(|| session.catalog.get(&service))
        {
            return Ok(ep.clone());
        }
        match &self.region {
            Some(region) => Ok(Endpoint::default_for(service, region)),
            None => Err(ClientError::NoEndpoint { service }),
        }
    }

    /// A 429 while the budget is on: the budget paused the API until its `Retry-After`, so
    /// the request is sent again then, without spending one of its attempts, up to
    /// `throttled_attempts` times.
    fn throttled_again(&self, status: u16, throttled: &mut u32) -> bool {
        if status == 429
            && self.budget.limits().enabled
            && *throttled < self.retry.throttled_attempts
        {
            *throttled += 1;
            true
        } else {
            false
        }
    }

    fn can_reauthenticate(&self) -> bool {
        matches!(self.credentials, Credentials::Password { .. })
    }

    async fn back_off(&self, target: Target, retry: u32, retry_after: Option<Duration>, why: &str) {
        // A rehearsal's `Retry-After` is in simulated seconds.
        let retry_after = retry_after.map(|d| self.budget.limits().real_wait(d));
        let delay = self.retry.delay(retry, retry_after);
        tracing::debug!(
            service = target.label(),
            retry = retry + 1,
            ?delay,
            why,
            "retrying"
        );
        tokio::time::sleep(delay).await;
    }
}

/// `e` with every secret value of `op` replaced by `(sensitive)`: an API that quotes the
/// request in its error must not carry a password into state or the terminal.
fn scrub(e: SubmitError, op: &Operation) -> SubmitError {
    let clean = |text: String| {
        op.secrets
            .values()
            .map(rewind_engine::kinds::Secret::expose)
            .filter(|v| !v.is_empty())
            .fold(text, |t, v| t.replace(v, rewind_engine::kinds::SENSITIVE))
    };
    match e {
        SubmitError::Rejected {
            status,
            code,
            message,
        } => SubmitError::Rejected {
            status,
            code: clean(code),
            message: clean(message),
        },
        SubmitError::Ambiguous { message } => SubmitError::Ambiguous {
            message: clean(message),
        },
        SubmitError::NotSent { message } => SubmitError::NotSent {
            message: clean(message),
        },
    }
}

/// The JSON pointer of the first `(sensitive)` string in `v`, if any.
fn placeholder(v: &Value, at: String) -> Option<String> {
    match v {
        Value::String(s) if s == rewind_engine::kinds::SENSITIVE => Some(at),
        Value::Object(m) => m
            .iter()
            .find_map(|(k, v)| placeholder(v, format!("{at}/{k}"))),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| placeholder(v, format!("{at}/{i}"))),
        _ => None,
    }
}
