//! What can go wrong talking to a plugin; every message names the plugin.

use std::time::Duration;

/// How a plugin call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The process could not be started; nothing was sent.
    Spawn,
    /// It exited or closed its output.
    Crashed,
    /// It wrote something that is not a protocol message.
    Garbage,
    Timeout,
    /// It answered with a JSON-RPC error.
    Remote {
        code: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin `{plugin}`: {message}")]
pub struct PluginError {
    pub plugin: String,
    pub failure: Failure,
    pub message: String,
    /// The plugin's own words, for a JSON-RPC error answer.
    pub remote_message: Option<String>,
}

impl PluginError {
    fn new(plugin: &str, failure: Failure, message: String) -> Self {
        PluginError {
            plugin: plugin.to_owned(),
            failure,
            message,
            remote_message: None,
        }
    }

    pub fn spawn(plugin: &str, why: &str) -> Self {
        Self::new(plugin, Failure::Spawn, why.to_owned())
    }

    pub fn crashed(plugin: &str, method: &str, status: &str) -> Self {
        Self::new(
            plugin,
            Failure::Crashed,
            format!("exited during `{method}` ({status})"),
        )
    }

    pub fn garbage(plugin: &str, what: &str) -> Self {
        Self::new(plugin, Failure::Garbage, what.to_owned())
    }

    pub fn timeout(plugin: &str, method: &str, after: Duration) -> Self {
        Self::new(
            plugin,
            Failure::Timeout,
            format!("did not answer `{method}` within {}s", after.as_secs_f64()),
        )
    }

    pub fn remote(plugin: &str, method: &str, code: i64, message: &str) -> Self {
        let mut e = Self::new(
            plugin,
            Failure::Remote { code },
            format!("`{method}` failed: {message} (code {code})"),
        );
        e.remote_message = Some(message.to_owned());
        e
    }

    /// True when the process is no longer usable and must be restarted.
    pub fn broken(&self) -> bool {
        !matches!(self.failure, Failure::Remote { .. })
    }
}
