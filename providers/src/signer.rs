//! AK/SK request signing, `SDK-HMAC-SHA256` in the documented `Access=` form (otc-api.md §6.2).

use crate::query::{decode, encode};
use hmac::{Hmac, Mac};
use rewind_base::Secret;
use sha2::{Digest, Sha256};
use std::fmt::Write;

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// What the signature covers. `headers` are the ones to sign, in any order and case.
/// `Debug` shows header names only (one is the security token) and the body's length.
#[derive(Clone)]
pub struct SignInput<'a> {
    pub method: &'a str,
    /// The URL path as it goes on the wire (already percent-encoded, with any gateway prefix).
    pub path: &'a str,
    /// The canonical query, as [`crate::query::Query::canonical`] renders it.
    pub canonical_query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl std::fmt::Debug for SignInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("SignInput")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("canonical_query", &self.canonical_query)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The `X-Sdk-Date` value for a moment: `YYYYMMDDTHHMMSSZ` in UTC.
pub fn sdk_date(now: jiff::Timestamp) -> String {
    now.strftime("%Y%m%dT%H%M%SZ").to_string()
}

pub fn canonical_request(input: &SignInput<'_>) -> (String, String) {
    let mut uri: String = input
        .path
        .split('/')
        .map(|segment| encode(&decode(segment)))
        .collect::<Vec<_>>()
        .join("/");
    // The gateway signs the path with a trailing slash whether or not the request has one.
    if !uri.ends_with('/') {
        uri.push('/');
    }
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    headers.sort();
    let canonical_headers = headers
        .iter()
        .fold(String::new(), |mut out, (name, value)| {
            let _ = writeln!(out, "{name}:{value}");
            out
        });
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let request = format!(
        "{}\n{uri}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        input.method.to_ascii_uppercase(),
        input.canonical_query,
        hex::encode(Sha256::digest(input.body)),
    );
    (request, signed_headers)
}

/// The `Authorization` header value for `input`, signed at `sdk_date`.
pub fn authorization(
    access_key: &str,
    secret_key: &Secret,
    sdk_date: &str,
    input: &SignInput<'_>,
) -> String {
    let (request, signed_headers) = canonical_request(input);
    let string_to_sign = format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Query;

    /// The verified vector of otc-api.md §6.2.
    #[test]
    fn documented_test_vector() {
        let query = Query::new()
            .with("limit", 2)
            .with("marker", "13551d6b-755d-4757-b956-536f674975c0");
        let headers = [
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ];
        let input = SignInput {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            canonical_query: &query.canonical(),
            headers: &headers,
            body: b"",
        };
        let (request, signed) = canonical_request(&input);
        assert_eq!(signed, "content-type;host;x-sdk-date");
        assert_eq!(
            hex::encode(Sha256::digest(request.as_bytes())),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        let auth = authorization(
            "QTWAOYTTINDUT2QVKYUC",
            &Secret::new("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"),
            "20191115T033655Z",
            &input,
        );
        assert_eq!(
            auth,
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, \
             Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
    }

    #[test]
    fn sdk_date_format() {
        let t: jiff::Timestamp = "2019-11-15T03:36:55Z".parse().unwrap();
        assert_eq!(sdk_date(t), "20191115T033655Z");
    }
}
