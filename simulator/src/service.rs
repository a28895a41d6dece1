//! The simulated services, by name; each gets its own port.

use serde::{Deserialize, Serialize};

/// One simulated cloud service; each gets its own port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Iam,
    Rds,
    Ddm,
    Taurusdb,
    Cbr,
    Dcs,
    Evs,
    Dds,
    /// GaussDB (openGauss).
    Gaussdb,
}

impl Service {
    /// Every service, in the order the endpoints are printed.
    pub const ALL: [Service; 9] = [
        Service::Iam,
        Service::Rds,
        Service::Ddm,
        Service::Taurusdb,
        Service::Cbr,
        Service::Dcs,
        Service::Evs,
        Service::Dds,
        Service::Gaussdb,
    ];

    /// The lowercase name used in fault rules and the request log.
    pub fn name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Rds => "rds",
            Service::Ddm => "ddm",
            Service::Taurusdb => "taurusdb",
            Service::Cbr => "cbr",
            Service::Dcs => "dcs",
            Service::Evs => "evs",
            Service::Dds => "dds",
            Service::Gaussdb => "gaussdb",
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
