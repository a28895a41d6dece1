//! The plain request and reply values that every handler works on, apart from axum.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::aksk::decode;

/// A fully read request.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    /// Uppercase.
    pub method: String,
    /// As sent (still percent-encoded).
    pub path: String,
    pub raw_query: String,
    /// Decoded, non-empty path segments.
    pub segments: Vec<String>,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Req {
    pub(crate) fn new(
        method: &str,
        path: &str,
        raw_query: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Req {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| decode(s, false))
            .collect();
        let query = raw_query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k, true), decode(v, true))
            })
            .collect();
        Req {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            raw_query: raw_query.to_owned(),
            segments,
            query,
            headers,
            body,
        }
    }

    /// The first value of a query parameter.
    pub(crate) fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A header value (names are case-insensitive); non-UTF-8 values count as missing.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The body as JSON, or a message saying why it is not.
    pub(crate) fn json(&self) -> Result<Value, String> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err("The request body is empty.".to_owned());
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("The request body is not valid JSON: {e}"))
    }
}

/// A reply: status, extra headers and an optional JSON body.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Option<Value>,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub(crate) fn ok(body: Value) -> Reply {
        Reply::json(StatusCode::OK, body)
    }

    /// No body at all (CBR's 202, DCS's 204).
    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn into_response(self) -> Response {
        let mut response = match &self.body {
            Some(value) => {
                let bytes = serde_json::to_vec(value).unwrap_or_default();
                let mut r = Response::new(Body::from(bytes));
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                r
            }
            None => Response::new(Body::empty()),
        };
        *response.status_mut() = self.status;
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, v);
            }
        }
        response.into_response()
    }
}
