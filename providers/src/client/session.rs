//! `Session`: the token, project and catalog one authentication gave, and how it is renewed.

use crate::endpoint::Endpoint;
use crate::iam::TokenInfo;
use rewind_base::Secret;
use rewind_engine::kinds::Service;
use std::collections::BTreeMap;
use std::time::Duration;

/// A token is renewed before use, rather than after a 401, this long before it expires (or a
/// tenth of its lifetime, for short-lived tokens).
const TOKEN_RENEW_MARGIN: Duration = Duration::from_secs(300);

/// One authenticated context: the token (none for AK/SK), the project, and what the catalog said.
#[derive(Debug)]
pub(super) struct Session {
    pub(super) token: Option<Secret>,
    pub(super) project_id: String,
    /// When to renew, on this machine's monotonic clock.
    pub(super) renew_at: Option<std::time::Instant>,
    pub(super) catalog: BTreeMap<Service, Endpoint>,
}

impl Session {
    pub(super) fn expiring(&self) -> bool {
        self.renew_at
            .is_some_and(|at| at <= std::time::Instant::now())
    }
}

/// The local instant to renew a token at. The lifetime comes from the token's own
/// `issued_at`/`expires_at`, so a server clock that differs from ours cannot make every
/// token look stale (or fresh forever).
pub(super) fn renew_deadline(info: &TokenInfo) -> Option<std::time::Instant> {
    let expires = info.expires_at?;
    let issued = info.issued_at.unwrap_or_else(jiff::Timestamp::now);
    let lifetime_ms =
        u64::try_from(expires.as_millisecond() - issued.as_millisecond()).unwrap_or(0);
    let lifetime = Duration::from_millis(lifetime_ms);
    let margin = TOKEN_RENEW_MARGIN.min(lifetime / 10);
    Some(std::time::Instant::now() + lifetime.saturating_sub(margin))
}
