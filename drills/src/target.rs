//! The restored instance a probe talks to: address, ID and credentials.

use crate::Password;

/// Where a probe connects: the restored instance's address as the cloud reports it (RDS/DDS
/// private IP and port, DCS IP and port), or the address a simulator world maps it to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// The cloud's ID of the restored instance.
    pub instance_id: String,
    /// The login name; `mysql` probes default to `root`, `redis` probes send none.
    pub user: Option<String>,
    pub password: Option<Password>,
}

impl Target {
    pub fn new(host: impl Into<String>, port: u16, instance_id: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port,
            instance_id: instance_id.into(),
            user: None,
            password: None,
        }
    }

    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    pub fn with_password(mut self, password: Password) -> Self {
        self.password = Some(password);
        self
    }

    /// `text` with the password (if any) scrubbed out.
    pub(crate) fn scrub(&self, text: &str) -> String {
        match &self.password {
            Some(p) => p.scrub(text),
            None => text.to_owned(),
        }
    }
}
