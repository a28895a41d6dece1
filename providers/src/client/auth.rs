//! Authentication on a `Client`: getting, renewing and using a session (token, project, catalog).

use super::Client;
use super::error::{ClientError, is_transient_status};
use super::session::{Session, renew_deadline};
use super::target::Target;
use super::wire::{Outgoing, Raw, parse_body};
use crate::api_error::ApiError;
use crate::budget::api_of;
use crate::config::Credentials;
use crate::iam::{self, Scope, TokenInfo};
use crate::query::Query;
use reqwest::Method;
use rewind_base::Secret;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

impl Client {
    pub(super) async fn session(&self) -> Result<Arc<Session>, ClientError> {
        let mut slot = self.session.lock().await;
        if let Some(current) = slot.as_ref().filter(|s| !s.expiring()) {
            return Ok(Arc::clone(current));
        }
        let fresh = Arc::new(self.open_session().await?);
        *slot = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// Replaces `stale` after a 401, unless another request already did.
    pub(super) async fn reauthenticate(
        &self,
        stale: &Arc<Session>,
    ) -> Result<Arc<Session>, ClientError> {
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
                    api: api_of(method.as_str(), path),
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
}
