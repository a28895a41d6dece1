//! The service table: one row per built-in cloud service, with everything about it that is data.
//
// Endpoints, the environment, the providers' rate-limit defaults and the ID checks read this
// table; a new service is a new row here (and a `Service` variant), not a new arm in each.

use super::names::{intern, string_serde};
use rewind_base::env;
use std::fmt;

/// The cloud service that runs a kind; also the unit of per-service concurrency limits.
/// A plugin kind `evs.rollback` runs on the external service `evs` (the part before the dot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Rds,
    Ddm,
    Taurusdb,
    Cbr,
    Dcs,
    /// DDS (Document Database Service, MongoDB).
    Dds,
    /// GaussDB (openGauss).
    Gaussdb,
    /// A service served by an external provider (plugin); the name is interned.
    External(&'static str),
}

impl Service {
    pub const ALL: [Service; 7] = [
        Service::Rds,
        Service::Ddm,
        Service::Taurusdb,
        Service::Cbr,
        Service::Dcs,
        Service::Dds,
        Service::Gaussdb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Rds => "rds",
            Service::Ddm => "ddm",
            Service::Taurusdb => "taurusdb",
            Service::Cbr => "cbr",
            Service::Dcs => "dcs",
            Service::Dds => "dds",
            Service::Gaussdb => "gaussdb",
            Service::External(name) => name,
        }
    }

    /// A built-in service by name; plugin services are never parsed from user text.
    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|svc| svc.as_str() == s)
    }

    /// A built-in service by name, else the external service of that name.
    pub fn parse_any(s: &str) -> Service {
        Service::parse(s).unwrap_or_else(|| Service::External(intern(s)))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

string_serde!(Service, Service::parse_any);

/// One built-in service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSpec {
    pub service: Service,
    /// The first label of the public endpoint's host: `https://{host}.{region}.{domain}`.
    pub host: &'static str,
    /// The `type` under which IAM's catalog lists the service.
    pub catalog_type: &'static str,
    /// The environment variable that overrides the endpoint.
    pub endpoint_var: &'static str,
    /// The 4-character suffixes of the service's 36-character instance IDs (32 hex + suffix);
    /// empty when its IDs are plain UUIDs.
    pub id_suffixes: &'static [&'static str],
    /// Calls per minute for each API when `[rate_limits]` names none for the service; `None`
    /// takes the global default (the gateway documents no per-service limit).
    pub default_per_minute: Option<u32>,
}

/// Every built-in service, in [`Service::ALL`] order.
pub const SERVICES: [ServiceSpec; 7] = [
    ServiceSpec {
        service: Service::Rds,
        host: "rds",
        catalog_type: "rdsv3",
        endpoint_var: env::ENDPOINT_RDS,
        // MySQL, PostgreSQL, SQL Server.
        id_suffixes: &["in01", "in03", "in04"],
        default_per_minute: None,
    },
    ServiceSpec {
        service: Service::Ddm,
        host: "ddm",
        catalog_type: "ddmv3",
        endpoint_var: env::ENDPOINT_DDM,
        id_suffixes: &["in09"],
        default_per_minute: None,
    },
    ServiceSpec {
        service: Service::Taurusdb,
        host: "gaussdb-mysql",
        catalog_type: "gaussdb-mysql",
        endpoint_var: env::ENDPOINT_TAURUSDB,
        id_suffixes: &["in07"],
        default_per_minute: None,
    },
    ServiceSpec {
        service: Service::Cbr,
        host: "cbr",
        catalog_type: "cbr",
        endpoint_var: env::ENDPOINT_CBR,
        id_suffixes: &[],
        default_per_minute: None,
    },
    ServiceSpec {
        service: Service::Dcs,
        host: "dcs",
        catalog_type: "dcsv2",
        endpoint_var: env::ENDPOINT_DCS,
        id_suffixes: &[],
        default_per_minute: None,
    },
    ServiceSpec {
        service: Service::Dds,
        host: "dds",
        catalog_type: "ddsv3",
        endpoint_var: env::ENDPOINT_DDS,
        id_suffixes: &["in02"],
        default_per_minute: None,
    },
    ServiceSpec {
        service: Service::Gaussdb,
        // The openGauss pages' examples (`gaussdb.eu-de.otc.t-systems.com`); the catalog type
        // is not in the IMS endpoint table *(inferred)*.
        host: "gaussdb",
        catalog_type: "gaussdb",
        endpoint_var: env::ENDPOINT_GAUSSDB,
        id_suffixes: &["in14"],
        default_per_minute: None,
    },
];

/// The row of a built-in service; `None` for a plugin's service.
pub fn spec(service: Service) -> Option<&'static ServiceSpec> {
    SERVICES.iter().find(|s| s.service == service)
}

/// The built-in service whose instance IDs end in `suffix`.
pub fn owner_of_suffix(suffix: &str) -> Option<Service> {
    SERVICES
        .iter()
        .find(|s| s.id_suffixes.contains(&suffix))
        .map(|s| s.service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_service_in_order() {
        let listed: Vec<Service> = SERVICES.iter().map(|s| s.service).collect();
        assert_eq!(listed, Service::ALL.to_vec());
        assert_eq!(spec(Service::External("evs")), None);
    }

    #[test]
    fn suffixes_and_variables_are_unique() {
        let mut suffixes: Vec<&str> = SERVICES
            .iter()
            .flat_map(|s| s.id_suffixes)
            .copied()
            .collect();
        let n = suffixes.len();
        suffixes.sort_unstable();
        suffixes.dedup();
        assert_eq!(suffixes.len(), n);
        assert_eq!(owner_of_suffix("in02"), Some(Service::Dds));
        assert_eq!(owner_of_suffix("in99"), None);
        let mut vars: Vec<&str> = SERVICES.iter().map(|s| s.endpoint_var).collect();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(vars.len(), SERVICES.len());
        for s in &SERVICES {
            assert_eq!(
                s.endpoint_var,
                format!("REWIND_ENDPOINT_{}", s.service.as_str().to_uppercase())
            );
        }
    }
}
