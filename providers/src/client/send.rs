//! One exchange on the wire from a `Client`: build, sign, send, read the reply within its cap.

use super::Client;
use super::target::Target;
use super::wire::{
    MAX_RESPONSE_BYTES, Outgoing, Raw, SendError, insert_plain, insert_secret, read_capped,
    redacted, send_error, sign,
};
use crate::budget::Priority;
use crate::config::Credentials;
use crate::retry::parse_retry_after;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use rewind_base::Secret;

impl Client {
    /// One exchange: headers, signing, logging (secrets redacted), and the whole body read.
    pub(super) async fn send(&self, out: Outgoing<'_>) -> Result<Raw, SendError> {
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
        // A delete, like a submit, acts on the cloud: it goes ahead of reads.
        let acts = out.method == Method::POST || out.method == Method::DELETE;
        let priority = if acts && matches!(out.target, Target::Service(_)) {
            Priority::Submit
        } else {
            Priority::Read
        };
        let budget_service = match out.target {
            Target::Service(s) => Some(s),
            Target::Iam => None,
        };
        let permit = self
            .budget
            .acquire(out.target.label(), budget_service, &out.api, priority)
            .await;
        let started = std::time::Instant::now();
        let mut request = self.http.request(out.method, url).headers(headers);
        if let Some(body) = out.body {
            request = request.body(body.to_vec());
        }
        let response = request.send().await;
        // Refused or answered, the exchange is over: the budget may refill from here.
        let throttled = matches!(&response, Ok(r) if r.status().as_u16() == 429);
        if let Some(permit) = permit {
            permit.answered(throttled);
        }
        let response = response.map_err(|e| send_error(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
        if let Some(date) = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::skew::ClockOffset::parse_date)
        {
            self.clock
                .observe(date, jiff::Timestamp::now().as_millisecond());
        }
        let subject_token = response
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(Secret::new);
        // A body cut off mid-way, or one too large to be an answer, is a failure after
        // sending, never a "not sent".
        let body = read_capped(response, MAX_RESPONSE_BYTES).await?;
        tracing::debug!(service, status, elapsed = ?started.elapsed(), "response");
        if status == 429 {
            // Every worker waits, not just this request: the server's bucket is empty.
            let wait = retry_after.unwrap_or(self.retry.base);
            self.budget.pause(out.target.label(), &out.api, wait);
        }
        if !(200..300).contains(&status) && out.log_body {
            tracing::debug!(service, status, body = %String::from_utf8_lossy(&body), "error response");
        }
        Ok(Raw {
            status,
            retry_after,
            subject_token,
            body,
        })
    }
}
