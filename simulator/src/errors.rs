//! Errors: the library's `SimError`, and the per-service API error bodies the fake returns.

use std::net::SocketAddr;

use axum::http::StatusCode;
use serde_json::json;

use crate::http::Reply;
use crate::service::Service;

/// Why the simulator could not start or a world could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind the {service} service to {addr}: {source}")]
    Bind {
        service: Service,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid world file: {0}")]
    World(String),
    #[error("invalid simulator configuration: {0}")]
    Config(String),
}

/// The JSON shape of an error body. Each service has its own (otc-api.md §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// DDM: `{"errCode","externalMessage"}`.
    Ddm,
    /// RDS v3, TaurusDB and DDS: `{"error_code","error_msg"}`.
    Dbs,
    /// CBR: `{"error_code","error_msg"}`.
    Cbr,
    /// DCS v2: `{"error_code","error_msg","error_ext_msg"}`.
    Dcs,
    /// The API gateway in front of every service: `{"error_msg","error_code","request_id"}`.
    Gateway,
    /// IAM (Keystone): `{"error":{"message","code","title"}}`.
    Keystone,
}

impl Shape {
    pub(crate) fn of(service: Service) -> Shape {
        match service {
            Service::Iam => Shape::Keystone,
            Service::Rds | Service::Taurusdb | Service::Dds | Service::Gaussdb => Shape::Dbs,
            Service::Ddm => Shape::Ddm,
            Service::Cbr => Shape::Cbr,
            Service::Dcs => Shape::Dcs,
            Service::Evs => Shape::Gateway,
        }
    }
}

/// An API error reply in the given shape. `request_id` only appears in gateway bodies.
pub(crate) fn api_error(
    shape: Shape,
    status: StatusCode,
    code: &str,
    msg: &str,
    request_id: &str,
) -> Reply {
    let body = match shape {
        Shape::Ddm => json!({ "errCode": code, "externalMessage": msg }),
        Shape::Dbs | Shape::Cbr => json!({ "error_code": code, "error_msg": msg }),
        Shape::Dcs => json!({ "error_code": code, "error_msg": msg, "error_ext_msg": null }),
        Shape::Gateway => json!({ "error_msg": msg, "error_code": code, "request_id": request_id }),
        Shape::Keystone => json!({
            "error": {
                "message": msg,
                "code": status.as_u16(),
                "title": status.canonical_reason().unwrap_or("Error"),
            }
        }),
    };
    Reply::json(status, body)
}

/// A service error in the service's own shape; the common case for handlers.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub msg: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, msg: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            msg: msg.into(),
        }
    }

    pub(crate) fn bad_request(code: &str, msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, msg)
    }

    pub(crate) fn not_found(code: &str, msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, msg)
    }

    pub(crate) fn conflict(code: &str, msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, msg)
    }

    pub(crate) fn into_reply(self, service: Service, request_id: &str) -> Reply {
        api_error(
            Shape::of(service),
            self.status,
            &self.code,
            &self.msg,
            request_id,
        )
    }
}

/// Handler results: a reply, or an error rendered in the service's shape.
pub(crate) type ApiResult = Result<Reply, ApiError>;
