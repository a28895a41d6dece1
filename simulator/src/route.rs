//! What a service's route table hands the server: the matched handler and the context it runs in.

use std::collections::BTreeMap;

use crate::errors::ApiResult;
use crate::faults::Decision;
use crate::http::Req;
use crate::service::Service;
use crate::state::State;

/// Everything a handler may touch while it runs.
pub(crate) struct Ctx<'a> {
    pub st: &'a mut State,
    pub req: &'a Req,
    pub now: i64,
    /// The project ID from the path (empty for IAM).
    pub pid: String,
    pub faults: &'a Decision,
    pub origins: &'a BTreeMap<Service, String>,
}

type Handler = Box<dyn FnOnce(&mut Ctx<'_>) -> ApiResult + Send>;

/// A matched route: the project it addresses, whether it needs credentials, and its handler.
pub(crate) struct Routed {
    pub pid: Option<String>,
    pub needs_auth: bool,
    pub handler: Handler,
}

impl Routed {
    /// A project-scoped route that needs a token or signature.
    pub(crate) fn project(
        pid: &str,
        handler: impl FnOnce(&mut Ctx<'_>) -> ApiResult + Send + 'static,
    ) -> Routed {
        Routed {
            pid: Some(pid.to_owned()),
            needs_auth: true,
            handler: Box::new(handler),
        }
    }

    /// A route outside any project (IAM).
    pub(crate) fn global(
        needs_auth: bool,
        handler: impl FnOnce(&mut Ctx<'_>) -> ApiResult + Send + 'static,
    ) -> Routed {
        Routed {
            pid: None,
            needs_auth,
            handler: Box::new(handler),
        }
    }
}

/// The path segments as `&str`, for slice patterns in the route tables.
pub(crate) fn segs(req: &Req) -> Vec<&str> {
    req.segments.iter().map(String::as_str).collect()
}
