//! `Cloud` and `connect`: one shared client, and the provider of each service built on it.

use crate::client::Client;
use crate::config::{CloudConfig, ConfigError};
use crate::{cbr, dcs, ddm, dds, rds, taurusdb};
use rewind_engine::kinds::Service;
use rewind_engine::provider::Provider;
use std::sync::Arc;

/// A connected cloud: the shared client and the six providers.
#[derive(Debug, Clone)]
pub struct Cloud {
    client: Arc<Client>,
}

/// Checks the configuration and builds the client. Nothing is sent until the first request:
/// a password token is fetched lazily, and renewed once on a 401.
pub fn connect(config: CloudConfig) -> Result<Cloud, ConfigError> {
    Ok(Cloud {
        client: Arc::new(Client::new(config)?),
    })
}

impl Cloud {
    /// The provider of `service`. Providers are cheap handles over the shared client.
    pub fn provider(&self, service: Service) -> Arc<dyn Provider> {
        let client = Arc::clone(&self.client);
        match service {
            Service::Rds => Arc::new(rds::RdsProvider::new(client)),
            Service::Ddm => Arc::new(ddm::DdmProvider::new(client)),
            Service::Taurusdb => Arc::new(taurusdb::TaurusdbProvider::new(client)),
            Service::Cbr => Arc::new(cbr::CbrProvider::new(client)),
            Service::Dcs => Arc::new(dcs::DcsProvider::new(client)),
            Service::Dds => Arc::new(dds::DdsProvider::new(client)),
            Service::Gaussdb => Arc::new(crate::gaussdb::GaussdbProvider::new(client)),
            Service::External(name) => Arc::new(crate::external::Unserved(name)),
        }
    }

    /// Every provider, in [`Service::ALL`] order.
    pub fn providers(&self) -> Vec<Arc<dyn Provider>> {
        Service::ALL.into_iter().map(|s| self.provider(s)).collect()
    }

    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Credentials;
    use crate::secret::Secret;

    #[test]
    fn debug_of_a_connected_cloud_shows_no_secret() {
        let mut config = CloudConfig::new(Credentials::Password {
            username: "u".into(),
            password: Secret::new("pa55-word"),
            domain_name: "d".into(),
        });
        config.region = Some("eu-de".into());
        let cloud = connect(config).unwrap();
        let shown = format!("{cloud:?}");
        assert!(!shown.contains("pa55-word"), "{shown}");
        assert!(shown.contains("password"), "{shown}");
    }

    #[test]
    fn connect_refuses_plain_http_to_a_remote_host() {
        let mut config = CloudConfig::new(Credentials::Token {
            token: Secret::new("t"),
        });
        config.project_id = Some("p".into());
        config
            .endpoints
            .insert(Service::Rds, "http://rds.example.com".into());
        assert!(matches!(connect(config), Err(ConfigError::Endpoint { .. })));
    }
}
