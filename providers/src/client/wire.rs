//! One exchange on the wire: headers, AK/SK signing, redacted logging, and the whole body read.

use super::error::ClientError;
use super::target::Target;
use crate::query::Query;
use crate::signer::{self, SignInput};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rewind_base::Secret;
use serde_json::Value;
use std::time::Duration;

/// Headers whose values are credentials: marked sensitive and shown as `***` in logs.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-auth-token",
    "x-subject-token",
    "x-security-token",
];

/// The largest response body read: the largest documented answer (a page of 1,000 job or
/// log records) is a few MB; anything past this is not an answer of the API, and reading it
/// whole would hold it all in memory.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A 2xx answer. `body` is `Null` when the service sent none (CBR's 202, DCS's 204).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// A finished exchange, body read in full.
pub(super) struct Raw {
    pub(super) status: u16,
    pub(super) retry_after: Option<Duration>,
    pub(super) subject_token: Option<Secret>,
    pub(super) body: Vec<u8>,
}

/// A failed exchange. `not_sent` is true only when no byte of the request can have left
/// (connect, DNS or TLS failure, or a URL that could not be built).
pub(super) struct SendError {
    pub(super) message: String,
    pub(super) not_sent: bool,
}

/// One request to send.
pub(super) struct Outgoing<'a> {
    pub(super) target: Target,
    pub(super) method: Method,
    pub(super) url: String,
    pub(super) query: &'a Query,
    pub(super) body: Option<&'a [u8]>,
    pub(super) token: Option<&'a Secret>,
    /// Keystone's validate-token call names the token to read in a second header.
    pub(super) subject_token: Option<&'a Secret>,
    pub(super) project_id: Option<&'a str>,
    /// Bodies with credentials (IAM) are never logged.
    pub(super) log_body: bool,
    /// The route template whose budget the request draws on.
    pub(super) api: String,
}

/// Adds `Host`, `X-Sdk-Date` (and `X-Security-Token`) and the `SDK-HMAC-SHA256` signature.
pub(super) fn sign(
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

pub(super) fn reply(target: Target, raw: &Raw) -> Result<Reply, ClientError> {
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
pub(super) fn parse_body(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

pub(super) fn insert_secret(
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

pub(super) fn insert_plain(
    headers: &mut HeaderMap,
    name: &'static str,
    value: &str,
) -> Result<(), SendError> {
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

/// The body, chunk by chunk, refused once past `cap` bytes.
pub(super) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, SendError> {
    let too_large = || SendError {
        message: format!(
            "the response body is larger than {} MB, which no answer of the API is: not read",
            cap / (1024 * 1024)
        ),
        not_sent: false,
    };
    if response
        .content_length()
        .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > cap))
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| SendError {
        message: chain(&e),
        not_sent: false,
    })? {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(super) fn send_error(e: &reqwest::Error) -> SendError {
    SendError {
        message: chain(e),
        not_sent: e.is_connect() || e.is_builder(),
    }
}

/// An error with its causes ("error sending request: connection refused").
pub(super) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
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

    #[tokio::test]
    async fn a_body_past_the_cap_is_refused_with_a_clear_error() {
        let small = reqwest::Response::from(http::Response::new(vec![b'x'; 10]));
        assert_eq!(read_capped(small, 64).await.ok(), Some(vec![b'x'; 10]));
        let large = reqwest::Response::from(http::Response::new(vec![b'x'; 65]));
        let err = read_capped(large, 64)
            .await
            .err()
            .map(|e| (e.message, e.not_sent));
        let (message, not_sent) = err.unwrap_or_default();
        assert!(message.contains("larger than"), "{message}");
        assert!(!not_sent, "a body read after sending is never `not sent`");
    }

    #[test]
    fn empty_bodies_are_null() {
        assert_eq!(parse_body(b""), Ok(Value::Null));
        assert_eq!(parse_body(b" \n"), Ok(Value::Null));
        assert_eq!(parse_body(br#"{"a":1}"#), Ok(serde_json::json!({"a": 1})));
        assert!(parse_body(b"<html>").is_err());
    }
}
