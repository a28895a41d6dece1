//! External providers: plugins that speak docs/PROVIDER_PROTOCOL.md over stdin/stdout.
//
// `connection` owns one process and its framing; `provider` makes a plugin an engine
// `Provider`; `discover` finds plugins in `rewind.toml` and on `PATH`.

mod connection;
mod discover;
mod error;
mod provider;
mod validate;

pub use connection::{Connection, PROTOCOL_VERSION, PluginCommand, SIMULATE_VAR, set_rehearsal};
pub use discover::{Described, describe, discover};
pub use error::{Failure, PluginError};
pub use provider::{ExternalProvider, Timeouts};
pub use validate::{CAPABILITY as VALIDATE, Finding, Severity, validate};

use rewind_engine::kinds::Service;
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};

/// The provider of a plugin service no discovered plugin serves.
#[derive(Debug)]
pub struct Unserved(pub &'static str);

impl Unserved {
    fn message(&self) -> String {
        format!("no plugin serves `{}`; see `rewind providers`", self.0)
    }
}

impl Provider for Unserved {
    fn service(&self) -> Service {
        Service::External(self.0)
    }

    fn preflight<'a>(
        &'a self,
        _: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        let message = self.message();
        Box::pin(async move {
            Err(ProviderError {
                message,
                transient: false,
            })
        })
    }

    fn submit<'a>(&'a self, _: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        let message = self.message();
        Box::pin(async move { Err(SubmitError::NotSent { message }) })
    }

    fn poll<'a>(
        &'a self,
        _: &'a Operation,
        _: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        let message = self.message();
        Box::pin(async move {
            Err(ProviderError {
                message,
                transient: false,
            })
        })
    }

    fn reconcile<'a>(
        &'a self,
        _: &'a Operation,
        _: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        let message = self.message();
        Box::pin(async move {
            Err(ProviderError {
                message,
                transient: false,
            })
        })
    }
}
