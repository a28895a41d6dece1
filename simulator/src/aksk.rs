//! AK/SK request signing (`SDK-HMAC-SHA256`): canonical requests, both header forms, verify.

// Two forms exist (otc-api.md §6.2). The documented APIG form signs with the SK directly and
// sends `Access=AK`. The OTC Go SDK form derives a key from `"SDK"+SK` and a scope
// (`date/region/service/sdk_request`), adds the scope to the string to sign, and sends
// `Credential=AK/scope`. Both share the canonical request.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Percent-decodes `text`; with `plus_is_space`, `+` means a space (query strings).
pub fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(v);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical URI: every segment re-encoded, always ending in `/`.
pub fn canonical_uri(raw_path: &str) -> String {
    let mut uri: String = raw_path
        .split('/')
        .map(|seg| encode(&decode(seg, false)))
        .collect::<Vec<_>>()
        .join("/");
    if !uri.starts_with('/') {
        uri.insert(0, '/');
    }
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query string: pairs decoded, re-encoded and sorted by key then value.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k, true)), encode(&decode(v, true)))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical request. `headers` holds (lowercase name, value) for every signed header,
/// already sorted by name; `body_hash` is the hex SHA-256 of the body (or the value of
/// `X-Sdk-Content-Sha256`).
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &[(String, String)],
    body_hash: &str,
) -> String {
    let mut canonical_headers = String::new();
    for (name, value) in headers {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(canonical_headers, "{name}:{value}");
    }
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        canonical_uri(raw_path),
        canonical_query(raw_query),
        canonical_headers,
        signed.join(";"),
        body_hash
    )
}

/// The documented form: `HMAC(SK, "SDK-HMAC-SHA256\n{date}\n{hash(canonical)}")`.
pub fn signature_access(secret: &str, sdk_date: &str, canonical: &str) -> String {
    let to_sign = format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    hex::encode(hmac(secret.as_bytes(), to_sign.as_bytes()))
}

/// The OTC Go SDK form; `scope` is `yyyymmdd/region/service/sdk_request`.
pub fn signature_credential(secret: &str, sdk_date: &str, scope: &str, canonical: &str) -> String {
    let mut parts = scope.split('/');
    let date = parts.next().unwrap_or_default();
    let region = parts.next().unwrap_or_default();
    let service = parts.next().unwrap_or_default();
    let k_date = hmac(format!("SDK{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"sdk_request");
    let to_sign = format!(
        "{ALGORITHM}\n{sdk_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    hex::encode(hmac(&k_signing, to_sign.as_bytes()))
}

/// A parsed `Authorization: SDK-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access: String,
    /// `Some(scope)` for the `Credential=AK/scope` form.
    pub scope: Option<String>,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn parse(header: &str) -> Option<Authorization> {
        let rest = header.trim().strip_prefix(ALGORITHM)?.trim_start();
        let (mut access, mut scope, mut signed, mut signature) = (None, None, None, None);
        for part in rest.split(',') {
            let (key, value) = part.trim().split_once('=')?;
            match key.trim() {
                "Access" => access = Some(value.trim().to_owned()),
                "Credential" => {
                    let (ak, sc) = value.trim().split_once('/')?;
                    access = Some(ak.to_owned());
                    scope = Some(sc.to_owned());
                }
                "SignedHeaders" => {
                    signed = Some(
                        value
                            .split(';')
                            .map(|h| h.trim().to_ascii_lowercase())
                            .collect(),
                    );
                }
                "Signature" => signature = Some(value.trim().to_ascii_lowercase()),
                _ => {}
            }
        }
        Some(Authorization {
            access: access?,
            scope,
            signed_headers: signed?,
            signature: signature?,
        })
    }
}

/// Builds an `Access=` form `Authorization` value; for clients and tests. `headers` must
/// contain `host` and `x-sdk-date` and are signed in full.
pub fn sign_access(
    access: &str,
    secret: &str,
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    let (sorted, date) = sorted_headers(headers);
    let canonical = canonical_request(method, raw_path, raw_query, &sorted, &sha256_hex(body));
    let signature = signature_access(secret, &date, &canonical);
    let names: Vec<&str> = sorted.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{ALGORITHM} Access={access}, SignedHeaders={}, Signature={signature}",
        names.join(";")
    )
}

/// Builds a `Credential=` form value as the OTC Go SDK does (empty region and service).
pub fn sign_credential(
    access: &str,
    secret: &str,
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    let (sorted, date) = sorted_headers(headers);
    // Region and service are empty, exactly as the Go SDK's provider client signs.
    let scope = format!("{}///sdk_request", date.get(..8).unwrap_or_default());
    let canonical = canonical_request(method, raw_path, raw_query, &sorted, &sha256_hex(body));
    let signature = signature_credential(secret, &date, &scope, &canonical);
    let names: Vec<&str> = sorted.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{ALGORITHM} Credential={access}/{scope}, SignedHeaders={}, Signature={signature}",
        names.join(";")
    )
}

fn sorted_headers(headers: &[(&str, &str)]) -> (Vec<(String, String)>, String) {
    let mut sorted: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
        .collect();
    sorted.sort();
    let date = sorted
        .iter()
        .find(|(n, _)| n == "x-sdk-date")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    (sorted, date)
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    Malformed,
    MissingDate,
    UnknownKey(String),
    BadSignature(String),
}

/// Checks a request's signature. `header` looks up a request header (lowercase name);
/// `secret_of` finds the SK for an AK. Returns the AK on success.
pub fn verify(
    authorization: &str,
    method: &str,
    raw_path: &str,
    raw_query: &str,
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    secret_of: impl Fn(&str) -> Option<String>,
) -> Result<String, VerifyError> {
    let auth = Authorization::parse(authorization).ok_or(VerifyError::Malformed)?;
    let date = header("x-sdk-date").ok_or(VerifyError::MissingDate)?;
    let secret =
        secret_of(&auth.access).ok_or_else(|| VerifyError::UnknownKey(auth.access.clone()))?;
    let mut signed: Vec<String> = auth.signed_headers.clone();
    signed.sort();
    let headers: Vec<(String, String)> = signed
        .iter()
        .map(|n| (n.clone(), header(n).unwrap_or_default()))
        .collect();
    let mut hashes = vec![header("x-sdk-content-sha256").unwrap_or_else(|| sha256_hex(body))];
    // The Go SDK hashes the encoded query string when a POST has no body.
    if body.is_empty() && method.eq_ignore_ascii_case("POST") && !raw_query.is_empty() {
        hashes.push(sha256_hex(canonical_query(raw_query).as_bytes()));
    }
    for hash in hashes {
        let canonical = canonical_request(method, raw_path, raw_query, &headers, &hash);
        let expected = match &auth.scope {
            None => signature_access(&secret, &date, &canonical),
            Some(scope) => signature_credential(&secret, &date, scope, &canonical),
        };
        if expected == auth.signature {
            return Ok(auth.access);
        }
    }
    Err(VerifyError::BadSignature(auth.access))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "QTWAOYTTINDUT2QVKYUC";
    const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
    const PATH: &str = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs";
    const QUERY: &str = "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0";

    fn vector_headers() -> Vec<(String, String)> {
        vec![
            ("content-type".into(), "application/json".into()),
            ("host".into(), "service.region.example.com".into()),
            ("x-sdk-date".into(), "20191115T033655Z".into()),
        ]
    }

    /// The verified vector from otc-api.md §6.2.
    #[test]
    fn documented_test_vector() {
        let canonical = canonical_request("GET", PATH, QUERY, &vector_headers(), &sha256_hex(b""));
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        assert_eq!(
            signature_access(SK, "20191115T033655Z", &canonical),
            "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
        let header = format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-sdk-date, \
             Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
        let lookup = |n: &str| {
            vector_headers()
                .into_iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v)
        };
        let secret_of = |ak: &str| (ak == AK).then(|| SK.to_owned());
        assert_eq!(
            verify(&header, "GET", PATH, QUERY, lookup, b"", secret_of),
            Ok(AK.to_owned())
        );
    }

    #[test]
    fn sign_access_reproduces_the_vector() {
        let headers = [
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ];
        let value = sign_access(AK, SK, "GET", PATH, QUERY, &headers, b"");
        assert!(
            value.ends_with("7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe")
        );
    }

    #[test]
    fn credential_form_round_trips_and_rejects_tampering() {
        let headers = [("Host", "127.0.0.1:1"), ("X-Sdk-Date", "20260101T000000Z")];
        let body = br#"{"a":1}"#;
        let value = sign_credential(AK, SK, "POST", "/v3/p/x", "", &headers, body);
        assert!(
            value.contains("Credential=QTWAOYTTINDUT2QVKYUC/20260101///sdk_request"),
            "{value}"
        );
        let lookup = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| (*v).to_owned())
        };
        let secret_of = |ak: &str| (ak == AK).then(|| SK.to_owned());
        assert!(verify(&value, "POST", "/v3/p/x", "", lookup, body, secret_of).is_ok());
        assert_eq!(
            verify(
                &value,
                "POST",
                "/v3/p/x",
                "",
                lookup,
                br#"{"a":2}"#,
                secret_of
            ),
            Err(VerifyError::BadSignature(AK.to_owned()))
        );
        assert_eq!(
            verify(&value, "POST", "/v3/p/x", "", lookup, body, |_| None),
            Err(VerifyError::UnknownKey(AK.to_owned()))
        );
    }

    #[test]
    fn encoding_matches_the_signer() {
        assert_eq!(canonical_uri("/v3/a b/c%2Fd"), "/v3/a%20b/c%2Fd/");
        assert_eq!(canonical_query("b=2&a=x+y&c"), "a=x%20y&b=2&c=");
        assert_eq!(decode("%zz%4", false), "%zz%4");
    }
}
