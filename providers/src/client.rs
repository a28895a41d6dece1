//! `Client`: authenticated, retried HTTP to IAM and the five services; the only code using reqwest.

use crate::api_error::ApiError;
use crate::config::{CloudConfig, ConfigError, Credentials};
use crate::endpoint::Endpoint;
use crate::iam::{self, Scope, TokenInfo};
use crate::query::Query;
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::secret::Secret;
use crate::signer::{self, SignInput};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rewind_engine::kinds::Service;
use rewind_engine::provider::{ProviderError, SubmitError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// A token is renewed before use, rather than after a 401, this long before it expires (or a
/// tenth of its lifetime, for short-lived tokens).
const TOKEN_RENEW_MARGIN: Duration = Duration::from_secs(300);

/// Headers whose values are credentials: marked sensitive and shown as `***` in logs.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-auth-token",
    "x-subject-token",
    "x-security-token",
];

/// A 2xx answer. `body` is `Null` when the service sent none (CBR's 202, DCS's 204).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// Why a read failed, after the client's own retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error status.
    #[error("{service}: {error}")]
    Api {
        service: &'static str,
        error: ApiError,
    },
    /// No usable answer: connection refused or reset, timeout, unreadable body.
    #[error("{service}: {message}")]
    Transport {
        service: &'static str,
        message: String,
    },
    /// IAM would not give a token or a project id; `error` is IAM's answer when there was one.
    #[error("authentication ({method}) failed: {message}")]
    Auth {
        method: &'static str,
        message: String,
        error: Option<ApiError>,
        transient: bool,
    },
    #[error(
        "no endpoint for {service}: set {} or the region (OS_REGION_NAME)",
        crate::env::endpoint_var(*service)
    )]
    NoEndpoint { service: Service },
}

impl ClientError {
    /// True when trying again later may help (throttling, 5xx, network).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Api { error, .. } => is_transient_status(error.status),
            ClientError::Transport { .. } => true,
            ClientError::Auth { transient, .. } => *transient,
            ClientError::NoEndpoint { .. } => false,
        }
    }

    /// The service's error, when it answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<ClientError> for ProviderError {
    fn from(e: ClientError) -> ProviderError {
        ProviderError {
            transient: e.is_transient(),
            message: e.to_string(),
        }
    }
}

fn is_transient_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// One authenticated context: the token (none for AK/SK), the project, and what the catalog said.
#[derive(Debug)]
struct Session {
    token: Option<Secret>,
    project_id: String,
    /// When to renew, on this machine's monotonic clock.
    renew_at: Option<std::time::Instant>,
    catalog: BTreeMap<Service, Endpoint>,
}

impl Session {
    fn expiring(&self) -> bool {
        self.renew_at
            .is_some_and(|at| at <= std::time::Instant::now())
    }
}

/// The local instant to renew a token at. The lifetime comes from the token's own
/// `issued_at`/`expires_at`, so a server clock that differs from ours cannot make every
/// token look stale (or fresh forever).
fn renew_deadline(info: &TokenInfo) -> Option<std::time::Instant> {
    let expires = info.expires_at?;
    let issued = info.issued_at.unwrap_or_else(jiff::Timestamp::now);
    let lifetime_ms =
        u64::try_from(expires.as_millisecond() - issued.as_millisecond()).unwrap_or(0);
    let lifetime = Duration::from_millis(lifetime_ms);
    let margin = TOKEN_RENEW_MARGIN.min(lifetime / 10);
    Some(std::time::Instant::now() + lifetime.saturating_sub(margin))
}

/// A finished exchange, body read in full.
struct Raw {
    status: u16,
    retry_after: Option<Duration>,
    subject_token: Option<Secret>,
    body: Vec<u8>,
}

/// A failed exchange. `not_sent` is true only when no byte of the request can have left
/// (connect, DNS or TLS failure, or a URL that could not be built).
struct SendError {
    message: String,
    not_sent: bool,
}

/// Who a request goes to: a service, or IAM itself.
#[derive(Clone, Copy)]
enum Target {
    Service(Service),
    Iam,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::Service(s) => s.as_str(),
            Target::Iam => "iam",
        }
    }
}

/// One request to send.
struct Outgoing<'a> {
    target: Target,
    method: Method,
    url: String,
    query: &'a Query,
    body: Option<&'a [u8]>,
    token: Option<&'a Secret>,
    /// Keystone's validate-token call names the token to read in a second header.
    subject_token: Option<&'a Secret>,
    project_id: Option<&'a str>,
    /// Bodies with credentials (IAM) are never logged.
    log_body: bool,
}

/// The OTC HTTP client shared by every provider: auth, endpoints, retries and error parsing.
pub struct Client {
    http: reqwest::Client,
    credentials: Credentials,
    region: Option<String>,
    project_id: Option<String>,
    project_name: Option<String>,
    overrides: BTreeMap<Service, Endpoint>,
    iam: Option<Endpoint>,
    retry: RetryPolicy,
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
        Ok(Client {
            http,
            credentials: config.credentials,
            region: config.region,
            project_id: config.project_id,
            project_name: config.project_name,
            overrides,
            iam,
            retry: config.retry,
            session: Mutex::new(None),
        })
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
                })
                .await;
            let more = retry + 1 < self.retry.read_attempts;
            match result {
                Ok(raw) if (200..300).contains(&raw.status) => return reply(target, &raw),
                Ok(raw) if raw.status == 401 && !reauthenticated && self.can_reauthenticate() => {
                    reauthenticated = true;
                    session = self.reauthenticate(&session).await?;
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
        let target = Target::Service(service);
        let bytes = serde_json::to_vec(body).map_err(|e| not_sent(target, &e.to_string()))?;
        let mut session = self
            .session()
            .await
            .map_err(|e| before_sending(target, &e))?;
        let mut reauthenticated = false;
        let mut retry = 0;
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
                    log_body: true,
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
                    if (raw.status == 429 || error.is_busy()) && more {
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

    fn can_reauthenticate(&self) -> bool {
        matches!(self.credentials, Credentials::Password { .. })
    }

    async fn back_off(&self, target: Target, retry: u32, retry_after: Option<Duration>, why: &str) {
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

    async fn session(&self) -> Result<Arc<Session>, ClientError> {
        let mut slot = self.session.lock().await;
        if let Some(current) = slot.as_ref().filter(|s| !s.expiring()) {
            return Ok(Arc::clone(current));
        }
        let fresh = Arc::new(self.open_session().await?);
        *slot = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// Replaces `stale` after a 401, unless another request already did.
    async fn reauthenticate(&self, stale: &Arc<Session>) -> Result<Arc<Session>, ClientError> {
        let mut slot = self.session.lock().await;
        if let Some(current) = slot.as_ref().filter(|s| !Arc::ptr_eq(s, stale)) {
            return Ok(Arc::clone(current));
        }
        tracing::info!(
            method = self.credentials.method(),
            "token rejected (401); authenticating again"
        );
        let fresh = Arc::new(self.open_session().await?);
        *slot = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    async fn open_session(&self) -> Result<Session, ClientError> {
        let method = self.credentials.method();
        let missing_project = || ClientError::Auth {
            method,
            message: "IAM named no project".into(),
            error: None,
            transient: false,
        };
        match &self.credentials {
            Credentials::Token { token } => {
                if let Some(project_id) = &self.project_id {
                    return Ok(Session {
                        token: Some(token.clone()),
                        project_id: project_id.clone(),
                        renew_at: None,
                        catalog: BTreeMap::new(),
                    });
                }
                // Keystone's validate-token call returns the token's own body: project and catalog.
                let raw = self
                    .iam_call(
                        Method::GET,
                        "/auth/tokens",
                        &Query::new(),
                        None,
                        Some(token),
                        Some(token),
                    )
                    .await?;
                let info = TokenInfo::from_body(
                    &parse_body(&raw.body).unwrap_or(Value::Null),
                    self.region.as_deref(),
                );
                let renew_at = renew_deadline(&info);
                Ok(Session {
                    token: Some(token.clone()),
                    project_id: info.project_id.ok_or_else(missing_project)?,
                    renew_at,
                    catalog: info.catalog,
                })
            }
            Credentials::AkSk { .. } => {
                let project_id = if let Some(id) = &self.project_id {
                    id.clone()
                } else {
                    // IAM resolves a project name when the configuration gives no id.
                    let name = self
                        .project_name
                        .clone()
                        .or_else(|| self.region.clone())
                        .unwrap_or_default();
                    let raw = self
                        .iam_call(
                            Method::GET,
                            "/projects",
                            &Query::new().with("name", &name),
                            None,
                            None,
                            None,
                        )
                        .await?;
                    let body = parse_body(&raw.body).unwrap_or(Value::Null);
                    body["projects"]
                        .as_array()
                        .and_then(|ps| {
                            ps.iter()
                                .find(|p| p["name"].as_str() == Some(name.as_str()))
                        })
                        .and_then(|p| p["id"].as_str())
                        .map(str::to_owned)
                        .ok_or_else(missing_project)?
                };
                Ok(Session {
                    token: None,
                    project_id,
                    renew_at: None,
                    catalog: BTreeMap::new(),
                })
            }
            Credentials::Password {
                username,
                password,
                domain_name,
            } => {
                let scope = match (&self.project_id, &self.project_name, &self.region) {
                    (Some(id), _, _) => Scope::ProjectId(id.clone()),
                    (None, Some(name), _) => Scope::ProjectName(name.clone()),
                    // OTC names each region's default project after the region.
                    (None, None, Some(region)) => Scope::ProjectName(region.clone()),
                    (None, None, None) => return Err(missing_project()),
                };
                let body = serde_json::to_vec(&iam::password_body(
                    username,
                    password,
                    domain_name,
                    &scope,
                ))
                .map_err(|e| ClientError::Auth {
                    method,
                    message: e.to_string(),
                    error: None,
                    transient: false,
                })?;
                let raw = self
                    .iam_call(
                        Method::POST,
                        "/auth/tokens",
                        &Query::new(),
                        Some(&body),
                        None,
                        None,
                    )
                    .await?;
                let token = raw.subject_token.clone().ok_or_else(|| ClientError::Auth {
                    method,
                    message: "IAM answered without an X-Subject-Token header".into(),
                    error: None,
                    transient: false,
                })?;
                let info = TokenInfo::from_body(
                    &parse_body(&raw.body).unwrap_or(Value::Null),
                    self.region.as_deref(),
                );
                let renew_at = renew_deadline(&info);
                let project_id = self
                    .project_id
                    .clone()
                    .or(info.project_id)
                    .ok_or_else(missing_project)?;
                tracing::debug!(
                    project_id,
                    catalog = info.catalog.len(),
                    "authenticated with a password token"
                );
                Ok(Session {
                    token: Some(token),
                    project_id,
                    renew_at,
                    catalog: info.catalog,
                })
            }
        }
    }

    /// A request to IAM, retried like a read: asking for a token twice is harmless.
    async fn iam_call(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<&[u8]>,
        token: Option<&Secret>,
        subject_token: Option<&Secret>,
    ) -> Result<Raw, ClientError> {
        let auth_method = self.credentials.method();
        let Some(iam) = &self.iam else {
            return Err(ClientError::Auth {
                method: auth_method,
                message: format!("no IAM endpoint: set {}", crate::env::AUTH_URL),
                error: None,
                transient: false,
            });
        };
        let mut retry = 0;
        loop {
            let result = self
                .send(Outgoing {
                    target: Target::Iam,
                    method: method.clone(),
                    url: iam.join(path),
                    query,
                    body,
                    token,
                    subject_token,
                    project_id: None,
                    log_body: false,
                })
                .await;
            let more = retry + 1 < self.retry.read_attempts;
            match result {
                Ok(raw) if (200..300).contains(&raw.status) => return Ok(raw),
                Ok(raw) if is_transient_status(raw.status) && more => {
                    self.back_off(Target::Iam, retry, raw.retry_after, &raw.status.to_string())
                        .await;
                    retry += 1;
                }
                Ok(raw) => {
                    let error = ApiError::parse(raw.status, &raw.body);
                    return Err(ClientError::Auth {
                        method: auth_method,
                        message: error.to_string(),
                        transient: is_transient_status(raw.status),
                        error: Some(error),
                    });
                }
                Err(e) if more => {
                    self.back_off(Target::Iam, retry, None, &e.message).await;
                    retry += 1;
                }
                Err(e) => {
                    return Err(ClientError::Auth {
                        method: auth_method,
                        message: e.message,
                        error: None,
                        transient: true,
                    });
                }
            }
        }
    }

    /// One exchange: headers, signing, logging (secrets redacted), and the whole body read.
    async fn send(&self, out: Outgoing<'_>) -> Result<Raw, SendError> {
        let url_text = format!("{}{}", out.url, out.query.to_suffix());
        let url = reqwest::Url::parse(&url_text).map_err(|e| SendError {
            message: format!("bad URL {url_text}: {e}"),
            not_sent: true,
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(token) = out.token {
            insert_secret(&mut headers, "x-auth-token", token)?;
        }
        if let Some(subject) = out.subject_token {
            insert_secret(&mut headers, "x-subject-token", subject)?;
        }
        if let Credentials::AkSk {
            access_key,
            secret_key,
            security_token,
        } = &self.credentials
            && out.token.is_none()
        {
            sign(
                &mut headers,
                &url,
                &out,
                access_key,
                secret_key,
                security_token.as_ref(),
            )?;
        }
        if let Some(project_id) = out.project_id
            && matches!(self.credentials, Credentials::AkSk { .. })
        {
            // Added after signing, as the Go SDK does (otc-api.md §6.2).
            insert_plain(&mut headers, "x-project-id", project_id)?;
        }
        let service = out.target.label();
        let body_text = out
            .body
            .filter(|_| out.log_body)
            .map(String::from_utf8_lossy);
        tracing::debug!(service, method = %out.method, url = %url, headers = ?redacted(&headers), body = body_text.as_deref(), "request");
        let started = std::time::Instant::now();
        let mut request = self.http.request(out.method, url).headers(headers);
        if let Some(body) = out.body {
            request = request.body(body.to_vec());
        }
        let response = request.send().await.map_err(|e| send_error(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
        let subject_token = response
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(Secret::new);
        // A body cut off mid-way is a failure after sending, never a "not sent".
        let body = response.bytes().await.map_err(|e| SendError {
            message: chain(&e),
            not_sent: false,
        })?;
        tracing::debug!(service, status, elapsed = ?started.elapsed(), "response");
        if !(200..300).contains(&status) && out.log_body {
            tracing::debug!(service, status, body = %String::from_utf8_lossy(&body), "error response");
        }
        Ok(Raw {
            status,
            retry_after,
            subject_token,
            body: body.to_vec(),
        })
    }
}

/// Adds `Host`, `X-Sdk-Date` (and `X-Security-Token`) and the `SDK-HMAC-SHA256` signature.
fn sign(
    headers: &mut HeaderMap,
    url: &reqwest::Url,
    out: &Outgoing<'_>,
    access_key: &str,
    secret_key: &Secret,
    security_token: Option<&Secret>,
) -> Result<(), SendError> {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let date = signer::sdk_date(jiff::Timestamp::now());
    insert_plain(headers, "host", &host)?;
    insert_plain(headers, "x-sdk-date", &date)?;
    let mut signed: Vec<(&str, &str)> = vec![
        ("content-type", "application/json"),
        ("host", &host),
        ("x-sdk-date", &date),
    ];
    if let Some(st) = security_token {
        insert_secret(headers, "x-security-token", st)?;
        signed.push(("x-security-token", st.expose()));
    }
    let canonical_query = out.query.canonical();
    let input = SignInput {
        method: out.method.as_str(),
        path: url.path(),
        canonical_query: &canonical_query,
        headers: &signed,
        body: out.body.unwrap_or_default(),
    };
    let authorization = Secret::new(signer::authorization(access_key, secret_key, &date, &input));
    insert_secret(headers, "authorization", &authorization)
}

fn reply(target: Target, raw: &Raw) -> Result<Reply, ClientError> {
    let body = parse_body(&raw.body).map_err(|message| ClientError::Transport {
        service: target.label(),
        message: format!("unreadable response body: {message}"),
    })?;
    Ok(Reply {
        status: raw.status,
        body,
    })
}

/// JSON, or `Null` for an empty body.
fn parse_body(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

fn insert_secret(
    headers: &mut HeaderMap,
    name: &'static str,
    value: &Secret,
) -> Result<(), SendError> {
    let mut value = HeaderValue::from_str(value.expose()).map_err(|_| SendError {
        message: format!("{name} is not a valid header value"),
        not_sent: true,
    })?;
    value.set_sensitive(true);
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

fn insert_plain(headers: &mut HeaderMap, name: &'static str, value: &str) -> Result<(), SendError> {
    let value = HeaderValue::from_str(value).map_err(|_| SendError {
        message: format!("{name} `{value}` is not a valid header value"),
        not_sent: true,
    })?;
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// Headers as they may be logged: credential values replaced by `***`.
pub fn redacted(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if SECRET_HEADERS.contains(&name.as_str()) || value.is_sensitive() {
                "***".to_owned()
            } else {
                value.to_str().unwrap_or("<binary>").to_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

fn send_error(e: &reqwest::Error) -> SendError {
    SendError {
        message: chain(e),
        not_sent: e.is_connect() || e.is_builder(),
    }
}

/// An error with its causes ("error sending request: connection refused").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The request provably never reached the service: a definite "did not run".
fn not_sent(target: Target, message: &str) -> SubmitError {
    SubmitError::NotSent {
        message: format!("{}: {message}", target.label()),
    }
}

/// A failure before the POST went out (auth, endpoint): the restore did not run.
fn before_sending(target: Target, e: &ClientError) -> SubmitError {
    match e {
        ClientError::Auth {
            error: Some(api), ..
        } => SubmitError::Rejected {
            status: api.status,
            code: api.code.clone(),
            message: format!("{}: the request was not sent: {e}", target.label()),
        },
        _ => not_sent(target, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_credential_headers() {
        let mut headers = HeaderMap::new();
        insert_secret(&mut headers, "x-auth-token", &Secret::new("tok-123")).ok();
        insert_plain(
            &mut headers,
            "authorization",
            "SDK-HMAC-SHA256 Access=AK, Signature=abc",
        )
        .ok();
        insert_plain(&mut headers, "x-project-id", "pid").ok();
        let shown = format!("{:?}", redacted(&headers));
        assert!(
            !shown.contains("tok-123") && !shown.contains("Signature=abc"),
            "{shown}"
        );
        assert!(shown.contains("pid"));
        // reqwest's own Debug also hides values marked sensitive.
        assert!(!format!("{headers:?}").contains("tok-123"));
    }

    #[test]
    fn empty_bodies_are_null() {
        assert_eq!(parse_body(b""), Ok(Value::Null));
        assert_eq!(parse_body(b" \n"), Ok(Value::Null));
        assert_eq!(parse_body(br#"{"a":1}"#), Ok(serde_json::json!({"a": 1})));
        assert!(parse_body(b"<html>").is_err());
    }
}
