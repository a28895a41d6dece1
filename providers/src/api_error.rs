//! `ApiError`: an error response parsed from whichever body shape the service uses (otc-api.md §0).

use serde_json::Value;
use std::fmt;

/// Which documented error shape a body had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// DDM (and legacy RDS v1): `{"errCode", "externalMessage"}`.
    Ddm,
    /// RDS v3, TaurusDB, CBR: `{"error_code", "error_msg"}`.
    Standard,
    /// DCS v2: `{"error_code", "error_msg", "error_ext_msg"}`.
    Dcs,
    /// The API gateway in front of every service: `{"error_code": "APIG.xxxx", "error_msg", "request_id"}`.
    Gateway,
    /// IAM, Keystone style: `{"error": {"code", "title", "message"}}`.
    Keystone,
    /// Anything else, including an empty or non-JSON body.
    Unknown,
}

/// A non-2xx answer from a service, with the code and message its body carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// The service's code, e.g. `DBS.200019`; empty when the body had none.
    pub code: String,
    pub message: String,
    pub shape: ErrorShape,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code.is_empty(), self.message.is_empty()) {
            (true, true) => write!(f, "HTTP {}", self.status),
            (true, false) => write!(f, "HTTP {}: {}", self.status, self.message),
            (false, true) => write!(f, "HTTP {} {}", self.status, self.code),
            (false, false) => write!(f, "HTTP {} {}: {}", self.status, self.code, self.message),
        }
    }
}

/// Longest stretch of a non-JSON body kept in a message (an HTML error page can be huge).
const RAW_BODY_LIMIT: usize = 200;

impl ApiError {
    pub fn parse(status: u16, body: &[u8]) -> ApiError {
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            let text = String::from_utf8_lossy(body);
            let text: String = text.trim().chars().take(RAW_BODY_LIMIT).collect();
            return ApiError {
                status,
                code: String::new(),
                message: text,
                shape: ErrorShape::Unknown,
            };
        };
        let text = |v: Option<&Value>| -> Option<String> {
            match v? {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                Value::Number(n) => Some(n.to_string()),
                other => Some(other.to_string()),
            }
        };
        if let Some(code) = text(json.get("errCode")) {
            let message = text(json.get("externalMessage")).unwrap_or_default();
            return ApiError {
                status,
                code,
                message,
                shape: ErrorShape::Ddm,
            };
        }
        if let Some(code) = text(json.get("error_code")) {
            let mut message = text(json.get("error_msg")).unwrap_or_default();
            let shape = if code.starts_with("APIG") {
                ErrorShape::Gateway
            } else if json.get("error_ext_msg").is_some() {
                ErrorShape::Dcs
            } else {
                ErrorShape::Standard
            };
            if let Some(ext) = text(json.get("error_ext_msg")).filter(|e| !e.is_empty()) {
                message = if message.is_empty() {
                    ext
                } else {
                    format!("{message} ({ext})")
                };
            }
            return ApiError {
                status,
                code,
                message,
                shape,
            };
        }
        if let Some(err) = json.get("error").filter(|e| e.is_object()) {
            let code = text(err.get("title"))
                .or_else(|| text(err.get("code")))
                .unwrap_or_default();
            let message = text(err.get("message")).unwrap_or_default();
            return ApiError {
                status,
                code,
                message,
                shape: ErrorShape::Keystone,
            };
        }
        // Some gateways answer `{"code": ..., "message": ...}`.
        let code = text(json.get("code")).unwrap_or_default();
        let message = text(json.get("message")).unwrap_or_default();
        ApiError {
            status,
            code,
            message,
            shape: ErrorShape::Unknown,
        }
    }

    /// A 409 whose code says the target is busy with another operation: the API did not run
    /// the request, so sending it again later is safe (otc-api.md §8).
    pub fn is_busy(&self) -> bool {
        const BUSY: [&str; 7] = [
            "DBS.200019",
            "DBS.212033",
            "DBS.200011",
            "DBS.200047",
            "DBS.201014",
            "DBS.201015",
            "DBS.05000084",
        ];
        self.status == 409 && BUSY.contains(&self.code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::parse(status, body.as_bytes())
    }

    #[test]
    fn ddm_body() {
        let e = parse(
            400,
            r#"{"errCode": "DBS.300101", "externalMessage": "Failed to delete the schema"}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.shape),
            ("DBS.300101", "Failed to delete the schema", ErrorShape::Ddm)
        );
        assert_eq!(
            e.to_string(),
            "HTTP 400 DBS.300101: Failed to delete the schema"
        );
    }

    #[test]
    fn rds_and_taurusdb_body() {
        let e = parse(
            400,
            r#"{"error_code": "DBS.200022", "error_msg": "The DB instance name already exists."}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.shape),
            ("DBS.200022", ErrorShape::Standard)
        );
        assert_eq!(e.message, "The DB instance name already exists.");
    }

    #[test]
    fn cbr_body() {
        let e = parse(
            404,
            r#"{"error_code":"BackupService.6500","error_msg":"Operation log does not exist."}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("BackupService.6500", "Operation log does not exist.")
        );
    }

    #[test]
    fn dcs_body_with_and_without_ext() {
        let e = parse(
            400,
            r#"{"error_code": "DCS.4049", "error_msg": "instance status is not running", "error_ext_msg": null}"#,
        );
        assert_eq!((e.code.as_str(), e.shape), ("DCS.4049", ErrorShape::Dcs));
        assert_eq!(e.message, "instance status is not running");
        let e = parse(
            400,
            r#"{"error_code": "DCS.4097", "error_msg": "restoring", "error_ext_msg": "try later"}"#,
        );
        assert_eq!(e.message, "restoring (try later)");
    }

    #[test]
    fn keystone_body() {
        let e = parse(
            401,
            r#"{"error": {"message": "Unauthorized.", "code": 401, "title": "Unauthorized"}}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.shape),
            ("Unauthorized", "Unauthorized.", ErrorShape::Keystone)
        );
    }

    #[test]
    fn gateway_body() {
        let e = parse(
            429,
            r#"{"error_msg": "The throttling threshold has been reached", "error_code": "APIG.0308", "request_id": "x"}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.shape),
            ("APIG.0308", ErrorShape::Gateway)
        );
    }

    #[test]
    fn non_json_body_is_kept_short() {
        let body = format!("<html>{}</html>", "x".repeat(1000));
        let e = parse(502, &body);
        assert_eq!(e.shape, ErrorShape::Unknown);
        assert!(e.message.len() <= RAW_BODY_LIMIT);
        assert_eq!(parse(503, "").to_string(), "HTTP 503");
    }

    #[test]
    fn busy_codes_only_on_409() {
        assert!(
            parse(
                409,
                r#"{"errCode": "DBS.200019", "externalMessage": "busy"}"#
            )
            .is_busy()
        );
        assert!(
            parse(
                409,
                r#"{"error_code": "DBS.05000084", "error_msg": "busy"}"#
            )
            .is_busy()
        );
        assert!(!parse(400, r#"{"error_code": "DBS.200019", "error_msg": "busy"}"#).is_busy());
        assert!(
            !parse(
                409,
                r#"{"error_code": "DBS.200316", "error_msg": "storage full"}"#
            )
            .is_busy()
        );
    }
}
