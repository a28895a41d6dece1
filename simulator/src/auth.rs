//! Service-side authentication: IAM tokens or AK/SK signatures, and the project they may use.

use axum::http::StatusCode;

use crate::aksk::{self, VerifyError};
use crate::errors::{Shape, api_error};
use crate::http::{Reply, Req};
use crate::service::Service;
use crate::state::State;
use crate::timefmt;

const AK_LOCK_AFTER: u32 = 5;
const AK_LOCK_MS: i64 = 5 * 60 * 1000;

/// Why a request was not authenticated; rendered per service.
enum Denied {
    NoCredentials,
    BadToken,
    Expired(i64),
    BadSignature,
    Locked,
    WrongProject,
}

/// Checks the request's token or signature, and that it may act in project `pid`.
/// Returns `"token"` or `"aksk"`, and who is calling (the token's user, or the AK).
pub(crate) fn authenticate(
    st: &mut State,
    service: Service,
    req: &Req,
    pid: Option<&str>,
    now: i64,
    request_id: &str,
) -> Result<(&'static str, String), Reply> {
    let result = if let Some(token) = req.header("x-auth-token") {
        check_token(st, &token, pid, now).map(|user| ("token", user))
    } else if let Some(authorization) = req
        .header("authorization")
        .filter(|a| a.trim_start().starts_with(aksk::ALGORITHM))
    {
        check_signature(st, req, &authorization, pid, now).map(|ak| ("aksk", ak))
    } else {
        Err(Denied::NoCredentials)
    };
    result.map_err(|denied| render(service, &denied, request_id))
}

fn check_token(st: &State, token: &str, pid: Option<&str>, now: i64) -> Result<String, Denied> {
    let info = st.tokens.get(token).ok_or(Denied::BadToken)?;
    if now >= info.expires_ms {
        return Err(Denied::Expired(info.expires_ms));
    }
    match pid {
        Some(pid) if info.project_id.as_deref() != Some(pid) => Err(Denied::WrongProject),
        _ => Ok(info.user.clone()),
    }
}

fn check_signature(
    st: &mut State,
    req: &Req,
    authorization: &str,
    pid: Option<&str>,
    now: i64,
) -> Result<String, Denied> {
    let keys = &st.world.credentials.access_keys;
    let verdict = aksk::verify(
        authorization,
        &req.method,
        &req.path,
        &req.raw_query,
        |name| req.header(name),
        &req.body,
        |ak| {
            keys.iter()
                .find(|k| k.access == ak)
                .map(|k| k.secret.clone())
        },
    );
    let access = match &verdict {
        Ok(ak) | Err(VerifyError::BadSignature(ak) | VerifyError::UnknownKey(ak)) => ak.clone(),
        Err(_) => return Err(Denied::BadSignature),
    };
    let failures = st.aksk_failures.entry(access.clone()).or_default();
    if failures.locked_until > now {
        return Err(Denied::Locked);
    }
    if verdict.is_err() {
        failures.count += 1;
        if failures.count >= AK_LOCK_AFTER {
            failures.count = 0;
            failures.locked_until = now.saturating_add(AK_LOCK_MS);
        }
        return Err(Denied::BadSignature);
    }
    failures.count = 0;
    let project = &st.world.credentials.project.id;
    // The Go SDK sets X-Project-Id after signing; either it or the path names the project.
    if req.header("x-project-id").is_some_and(|p| &p != project) {
        return Err(Denied::WrongProject);
    }
    match pid {
        Some(pid) if pid != project => Err(Denied::WrongProject),
        _ => Ok(access),
    }
}

fn render(service: Service, denied: &Denied, request_id: &str) -> Reply {
    if service == Service::Iam {
        let msg = match denied {
            Denied::WrongProject => "You are not authorized to perform the requested action.",
            _ => "The request you have made requires authentication.",
        };
        let status = match denied {
            Denied::WrongProject => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        return api_error(Shape::Keystone, status, "", msg, request_id);
    }
    let unauthorized = StatusCode::UNAUTHORIZED;
    if service == Service::Dcs {
        // DCS documents its own 401 codes (otc-api.md §5.4).
        let (status, code, msg) = match denied {
            Denied::NoCredentials => (unauthorized, "DCS.1003", "No token in the request."),
            Denied::Expired(_) => (unauthorized, "DCS.1002", "The token has expired."),
            Denied::WrongProject => (
                StatusCode::FORBIDDEN,
                "DCS.1004",
                "The project ID does not match the token.",
            ),
            Denied::BadToken | Denied::BadSignature | Denied::Locked => {
                (unauthorized, "DCS.1001", "Invalid token.")
            }
        };
        return api_error(Shape::Dcs, status, code, msg, request_id);
    }
    let (status, code, msg) = match denied {
        Denied::NoCredentials => (
            unauthorized,
            "APIG.0301",
            "Incorrect IAM authentication information: x-auth-token not found".to_owned(),
        ),
        Denied::BadToken => (
            unauthorized,
            "APIG.0301",
            "Incorrect IAM authentication information: decrypt token fail".to_owned(),
        ),
        Denied::Expired(at) => (
            unauthorized,
            "APIG.0301",
            format!(
                "Incorrect IAM authentication information: token expires, expires_at: {}",
                timefmt::iam(*at)
            ),
        ),
        Denied::BadSignature => (
            unauthorized,
            "APIG.0301",
            "Incorrect IAM authentication information: verify aksk signature fail".to_owned(),
        ),
        Denied::Locked => (
            unauthorized,
            "APIG.0301",
            "Incorrect IAM authentication information: AK locked after repeated signature failures"
                .to_owned(),
        ),
        Denied::WrongProject => (
            StatusCode::FORBIDDEN,
            "APIG.0302",
            "The IAM user is not authorized to access the API: project ID mismatch".to_owned(),
        ),
    };
    api_error(Shape::Gateway, status, code, &msg, request_id)
}
