//! `Cloud` and `connect`: one shared client, and the provider of each service built on it.

use crate::client::Client;
use crate::config::{CloudConfig, ConfigError};
use crate::{cbr, dcs, ddm, dds, gaussdb, rds, taurusdb};
use rewind_engine::kinds::Service;
use rewind_engine::provider::Provider;
use std::sync::Arc;

/// How to build a service's provider over the shared client.
type Build = fn(Arc<Client>) -> Arc<dyn Provider>;

/// The providers' table: one row per built-in service, each a module of this crate. A service
/// without a row is a plugin's (served by the external provider, not from here).
const PROVIDERS: [(Service, Build); 7] = [
    (Service::Rds, |c| Arc::new(rds::RdsProvider::new(c))),
    (Service::Ddm, |c| Arc::new(ddm::DdmProvider::new(c))),
    (Service::Taurusdb, |c| {
        Arc::new(taurusdb::TaurusdbProvider::new(c))
    }),
    (Service::Cbr, |c| Arc::new(cbr::CbrProvider::new(c))),
    (Service::Dcs, |c| Arc::new(dcs::DcsProvider::new(c))),
    (Service::Dds, |c| Arc::new(dds::DdsProvider::new(c))),
    (Service::Gaussdb, |c| {
        Arc::new(gaussdb::GaussdbProvider::new(c))
    }),
];

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
        match PROVIDERS.iter().find(|(s, _)| *s == service) {
            Some((_, build)) => build(client),
            None => Arc::new(crate::external::Unserved(service.as_str())),
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

    #[test]
    fn the_table_has_one_provider_per_service_and_each_serves_its_row() {
        let listed: Vec<Service> = PROVIDERS.iter().map(|(s, _)| *s).collect();
        assert_eq!(listed, Service::ALL.to_vec());
        let mut config = CloudConfig::new(Credentials::Token {
            token: Secret::new("t"),
        });
        config.project_id = Some("p".into());
        let cloud = connect(config).expect("a token config with a project connects");
        for service in Service::ALL {
            assert_eq!(cloud.provider(service).service(), service);
        }
        let plugin = Service::External("evs");
        assert_eq!(cloud.provider(plugin).service(), plugin);
    }
    use crate::config::Credentials;
    use rewind_base::Secret;

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
