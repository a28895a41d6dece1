//! Rendering an operation into the exact HTTP request its API documents.

use super::{OpSpec, Service};
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
        let builtin = match self {
            // A plugin's wire request is its own business: the plan shows the body it is given.
            OpSpec::External(_) => None,
            _ => self.builtin(),
        };
        let Some(b) = builtin else {
            let (kind, body) = match self {
                OpSpec::External(e) => (e.kind, e.body.clone()),
                _ => (self.kind(), Value::Null),
            };
            return ApiRequest {
                service: kind.service(),
                method: "SUBMIT".to_owned(),
                path: kind.as_str().to_owned(),
                body,
            };
        };
        let wire = (b.request)(self);
        ApiRequest {
            service: b.service,
            method: "POST".to_owned(),
            path: wire.path,
            body: wire.body,
        }
    }
}
