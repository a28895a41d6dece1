//! The budget's link to a store shared between processes: who the cloud user is (hashed), and the handle in `[rate_limits]`.

use crate::config::Credentials;
use rewind_engine::budget::SharedBudget;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A shared budget store (PostgreSQL), compared by identity so that `RateLimits` stays
/// comparable.
#[derive(Debug, Clone)]
pub struct Shared(pub Arc<dyn SharedBudget>);

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

fn hex_sha256(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // A separator no part contains keeps ("ab", "c") and ("a", "bc") apart.
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// Who the cloud counts calls for, hashed: the flow control is per user (or access key),
/// so every process with the same identity and region shares one budget. Only public
/// identifiers go in (the access key ID, the user and domain names); a token, which is a
/// secret, is hashed before it is combined. The result names no one and reveals nothing.
pub fn user_key(credentials: &Credentials, auth_url: Option<&str>, region: Option<&str>) -> String {
    let token_hash;
    let identity: [&str; 4] = match credentials {
        Credentials::AkSk { access_key, .. } => ["aksk", access_key, "", ""],
        Credentials::Password {
            username,
            domain_name,
            ..
        } => [
            "password",
            domain_name,
            username,
            auth_url.unwrap_or_default(),
        ],
        Credentials::Token { token } => {
            token_hash = hex_sha256(&[token.expose()]);
            ["token", &token_hash, "", ""]
        }
    };
    let mut parts = identity.to_vec();
    parts.push(region.unwrap_or_default());
    hex_sha256(&parts)
}

/// The row of one API of one user: a hash of the user's key, the service and the API.
pub fn api_key(user: &str, target: &str, api: &str) -> String {
    hex_sha256(&[user, target, api])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_base::Secret;

    #[test]
    fn keys_never_hold_the_secret_and_separate_users_regions_and_apis() {
        let ak = |ak: &str, sk: &str| Credentials::AkSk {
            access_key: ak.into(),
            secret_key: Secret::new(sk.to_owned()),
            security_token: None,
        };
        let a = user_key(&ak("AK1", "s3cret"), None, Some("eu-de"));
        // The secret key does not change who the cloud counts for.
        assert_eq!(a, user_key(&ak("AK1", "other"), None, Some("eu-de")));
        assert_ne!(a, user_key(&ak("AK2", "s3cret"), None, Some("eu-de")));
        assert_ne!(a, user_key(&ak("AK1", "s3cret"), None, Some("eu-nl")));
        let token = Credentials::Token {
            token: Secret::new("tok-very-secret".to_owned()),
        };
        let t = user_key(&token, None, None);
        assert!(!t.contains("tok-very-secret") && !a.contains("AK1"));
        assert_eq!(t.len(), 64);
        assert_ne!(api_key(&a, "rds", "GET /a"), api_key(&a, "rds", "GET /b"));
        assert_ne!(api_key(&a, "rds", "GET /a"), api_key(&a, "ddm", "GET /a"));
    }
}
