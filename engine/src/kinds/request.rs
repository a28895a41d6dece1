//! Rendering an operation into the exact HTTP request its API documents.

use super::builtin::{self, OpSpec};
use super::services::Service;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The wire request of one restore. `path` keeps the literal `{project_id}` placeholder: the
/// project is a property of the credentials, not of the spec, and the provider fills it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRequest {
    pub service: Service,
    pub method: String,
    pub path: String,
    pub body: Value,
}

impl OpSpec {
    /// The request body and path exactly as the API page documents them.
    pub fn request(&self) -> ApiRequest {
        // A plugin's wire request is its own business: the plan shows the body it is given.
        if let (Some(b), Some(wire)) = (self.builtin(), builtin::wire(self)) {
            return ApiRequest {
                service: b.service,
                method: "POST".to_owned(),
                path: wire.path,
                body: wire.body,
            };
        }
        let kind = self.kind();
        let body = match self {
            OpSpec::External(e) => e.body.clone(),
            _ => Value::Null,
        };
        ApiRequest {
            service: kind.service(),
            method: "SUBMIT".to_owned(),
            path: kind.as_str().to_owned(),
            body,
        }
    }
}
