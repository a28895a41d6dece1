//! The identity of an operation's inputs: digests of its rendered request.

use crate::kinds::{ApiRequest, OpSpec};
use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Digest of a rendered request; the identity of an operation's inputs.
pub fn request_digest(request: &ApiRequest) -> String {
    sha256_hex(
        serde_json::to_string(request)
            .unwrap_or_default()
            .as_bytes(),
    )
}

/// The identity of an operation's inputs: its rendered request (templates of values known
/// only after apply included, as written), plus the *names* of the secrets it uses. A
/// rotated password leaves it unchanged; pointing at another secret does not.
pub fn inputs_digest(spec: &OpSpec, request: &ApiRequest) -> String {
    let refs = spec.secret_refs();
    if refs.is_empty() {
        return request_digest(request);
    }
    let mut text = serde_json::to_string(request).unwrap_or_default();
    for (pointer, secret) in refs {
        text.push('\n');
        text.push_str(&pointer);
        text.push('=');
        text.push_str(&secret.name);
    }
    sha256_hex(text.as_bytes())
}
