//! The providers' table, and `Cloud`: one shared client, and the provider of each service built on it.

use crate::check;
use crate::client::Client;
use crate::config::{CloudConfig, ConfigError};
use crate::discover::{self, Discover, Found};
use crate::query::Query;
use crate::{cbr, dcs, ddm, dds, gaussdb, rds, taurusdb};
use rewind_engine::kinds::Service;
use rewind_engine::provider::Provider;
use std::sync::Arc;

/// How to build a service's provider over the shared client.
type Build = fn(Arc<Client>) -> Arc<dyn Provider>;

/// How a service's `GET .../instances/{id}/restore-time` is asked for the windows around a
/// time: the query, and the key of the answer that lists the windows.
type RestoreTimes = fn(i64) -> (Query, &'static str);

/// One built-in service, as the rest of the crate needs it.
struct Row {
    service: Service,
    build: Build,
    restore_times: RestoreTimes,
}

/// The providers' table: one row per built-in service, each a module of this crate. A service
/// without a row is a plugin's (served by the external provider, not from here).
///
/// To add a service: its module (the `Provider`, and its `rewind init` queries as an
/// `impl Discover` block), `pub mod` in `lib.rs`, and one row here.
const PROVIDERS: [Row; 7] = [
    Row {
        service: Service::Rds,
        build: |c| Arc::new(rds::RdsProvider::new(c)),
        restore_times: discover::dbs_restore_times,
    },
    Row {
        service: Service::Ddm,
        build: |c| Arc::new(ddm::DdmProvider::new(c)),
        restore_times: discover::dbs_restore_times,
    },
    Row {
        service: Service::Taurusdb,
        build: |c| Arc::new(taurusdb::TaurusdbProvider::new(c)),
        restore_times: taurusdb::restore_times,
    },
    Row {
        service: Service::Cbr,
        build: |c| Arc::new(cbr::CbrProvider::new(c)),
        restore_times: discover::dbs_restore_times,
    },
    Row {
        service: Service::Dcs,
        build: |c| Arc::new(dcs::DcsProvider::new(c)),
        restore_times: discover::dbs_restore_times,
    },
    Row {
        service: Service::Dds,
        build: |c| Arc::new(dds::DdsProvider::new(c)),
        restore_times: dds::restore_times,
    },
    Row {
        service: Service::Gaussdb,
        build: |c| Arc::new(gaussdb::GaussdbProvider::new(c)),
        restore_times: discover::dbs_restore_times,
    },
];

fn row(service: Service) -> Option<&'static Row> {
    PROVIDERS.iter().find(|r| r.service == service)
}

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
        match row(service) {
            Some(row) => (row.build)(client),
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

impl Discover {
    /// `GET /v3/{project_id}/instances/{id}/restore-time`: the windows around `time`, asked
    /// as the service's row says (DDS answers one UTC day; TaurusDB names its list apart).
    pub async fn windows(&self, service: Service, id: &str, time: i64) -> Found<Vec<(i64, i64)>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/restore-time");
        let shape = row(service).map_or(discover::dbs_restore_times as RestoreTimes, |r| {
            r.restore_times
        });
        let (query, key) = shape(time);
        let body = self.get(service, &path, &query).await?;
        Ok(check::windows(&body[key]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_provider_per_service_and_each_serves_its_row() {
        let listed: Vec<Service> = PROVIDERS.iter().map(|r| r.service).collect();
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
