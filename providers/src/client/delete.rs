//! `Client::delete`: one DELETE, sent again only where the service provably did not act on it.

use super::error::ClientError;
use super::target::Target;
use super::wire::{Outgoing, parse_body};
use super::{Client, Reply};
use crate::api_error::ApiError;
use crate::budget::api_of;
use crate::query::Query;
use reqwest::Method;
use rewind_engine::kinds::Service;

impl Client {
    /// DELETE `path` (with a literal `{project_id}`). Like a submit, it is repeated only on a
    /// 429, a 401 before re-authenticating, or a connection that never opened: a delete that
    /// may have reached the service is never sent twice. A 5xx or a cut connection comes back
    /// as an error whose outcome is unknown ([`ClientError::is_transient`]); any other error
    /// status is the service refusing, as [`ClientError::Api`]. A "busy" 409 is returned, not
    /// retried: the caller decides when the instance is worth asking again.
    pub async fn delete(&self, service: Service, path: &str) -> Result<Reply, ClientError> {
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
                    method: Method::DELETE,
                    url,
                    query: &Query::new(),
                    body: None,
                    token: session.token.as_ref(),
                    subject_token: None,
                    project_id: Some(&session.project_id),
                    log_body: true,
                    api: api_of("DELETE", path),
                })
                .await;
            let more = retry + 1 < self.retry.submit_attempts;
            match result {
                Ok(raw) if (200..300).contains(&raw.status) => {
                    // The delete was accepted; an unreadable body only loses its job id.
                    return Ok(Reply {
                        status: raw.status,
                        body: parse_body(&raw.body).unwrap_or(serde_json::Value::Null),
                    });
                }
                Ok(raw) if raw.status == 401 && !reauthenticated && self.can_reauthenticate() => {
                    reauthenticated = true;
                    session = self.reauthenticate(&session).await?;
                }
                Ok(raw) if raw.status == 429 && more => {
                    let why = ApiError::parse(raw.status, &raw.body).to_string();
                    self.back_off(target, retry, raw.retry_after, &why).await;
                    retry += 1;
                }
                Ok(raw) => {
                    return Err(ClientError::Api {
                        service: target.label(),
                        error: ApiError::parse(raw.status, &raw.body),
                    });
                }
                Err(e) if e.not_sent && more => {
                    self.back_off(target, retry, None, &e.message).await;
                    retry += 1;
                }
                Err(e) if e.not_sent => {
                    return Err(ClientError::Transport {
                        service: target.label(),
                        message: format!("not sent: {}", e.message),
                    });
                }
                Err(e) => {
                    return Err(ClientError::Transport {
                        service: target.label(),
                        message: format!(
                            "the delete may or may not have taken effect: {}",
                            e.message
                        ),
                    });
                }
            }
        }
    }
}
