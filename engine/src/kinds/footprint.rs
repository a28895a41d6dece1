//! What each kind reads and overwrites: the raw material of inferred graph edges.

use super::names::intern;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The class of a cloud object; IDs are only unique within a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceClass {
    RdsInstance,
    DdmInstance,
    TaurusdbInstance,
    DdmBackup,
    RdsBackup,
    TaurusdbBackup,
    CbrBackup,
    Server,
    Volume,
    DcsInstance,
    DcsBackup,
    DdsInstance,
    DdsBackup,
    GaussdbInstance,
    GaussdbBackup,
    /// A resource type only plugins know (e.g. `evs_snapshot`), by its snake_case name.
    External(&'static str),
}

impl ResourceClass {
    pub const BUILTIN: [ResourceClass; 15] = [
        ResourceClass::RdsInstance,
        ResourceClass::DdmInstance,
        ResourceClass::TaurusdbInstance,
        ResourceClass::DdmBackup,
        ResourceClass::RdsBackup,
        ResourceClass::TaurusdbBackup,
        ResourceClass::CbrBackup,
        ResourceClass::Server,
        ResourceClass::Volume,
        ResourceClass::DcsInstance,
        ResourceClass::DcsBackup,
        ResourceClass::DdsInstance,
        ResourceClass::DdsBackup,
        ResourceClass::GaussdbInstance,
        ResourceClass::GaussdbBackup,
    ];

    /// The snake_case name kind declarations use (`rds_instance`).
    pub fn key(self) -> &'static str {
        match self {
            ResourceClass::RdsInstance => "rds_instance",
            ResourceClass::DdmInstance => "ddm_instance",
            ResourceClass::TaurusdbInstance => "taurusdb_instance",
            ResourceClass::DdmBackup => "ddm_backup",
            ResourceClass::RdsBackup => "rds_backup",
            ResourceClass::TaurusdbBackup => "taurusdb_backup",
            ResourceClass::CbrBackup => "cbr_backup",
            ResourceClass::Server => "server",
            ResourceClass::Volume => "volume",
            ResourceClass::DcsInstance => "dcs_instance",
            ResourceClass::DcsBackup => "dcs_backup",
            ResourceClass::DdsInstance => "dds_instance",
            ResourceClass::DdsBackup => "dds_backup",
            ResourceClass::GaussdbInstance => "gaussdb_instance",
            ResourceClass::GaussdbBackup => "gaussdb_backup",
            ResourceClass::External(name) => name,
        }
    }

    /// A resource type by its snake_case name; an unknown name is a plugin's own type.
    pub fn parse_key(key: &str) -> ResourceClass {
        ResourceClass::BUILTIN
            .into_iter()
            .find(|c| c.key() == key)
            .unwrap_or_else(|| ResourceClass::External(intern(key)))
    }

    /// Whether it is a backup (what a restore reads its data from) rather than a live object.
    pub fn is_backup(self) -> bool {
        matches!(
            self,
            ResourceClass::DdmBackup
                | ResourceClass::RdsBackup
                | ResourceClass::TaurusdbBackup
                | ResourceClass::CbrBackup
                | ResourceClass::DcsBackup
                | ResourceClass::DdsBackup
                | ResourceClass::GaussdbBackup
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceClass::RdsInstance => "rds instance",
            ResourceClass::DdmInstance => "ddm instance",
            ResourceClass::TaurusdbInstance => "taurusdb instance",
            ResourceClass::DdmBackup => "ddm backup",
            ResourceClass::RdsBackup => "rds backup",
            ResourceClass::TaurusdbBackup => "taurusdb backup",
            ResourceClass::CbrBackup => "cbr backup",
            ResourceClass::Server => "server",
            ResourceClass::Volume => "volume",
            ResourceClass::DcsInstance => "dcs instance",
            ResourceClass::DcsBackup => "dcs backup",
            ResourceClass::DdsInstance => "dds instance",
            ResourceClass::DdsBackup => "dds backup",
            ResourceClass::GaussdbInstance => "gaussdb instance",
            ResourceClass::GaussdbBackup => "gaussdb backup",
            ResourceClass::External(name) => name,
        }
    }
}

/// Serde uses the snake_case key, as the derive did before plugin types existed.
impl Serialize for ResourceClass {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for ResourceClass {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(ResourceClass::parse_key(&key))
    }
}

/// One cloud object, e.g. `rds instance f4e2…in01`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Resource {
    pub class: ResourceClass,
    pub id: String,
}

impl Resource {
    pub fn new(class: ResourceClass, id: &str) -> Self {
        Resource {
            class,
            id: id.to_owned(),
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::syntax::value::is_unknown(&self.id) {
            write!(f, "{} {} (known after apply)", self.class.as_str(), self.id)
        } else {
            write!(f, "{} {}", self.class.as_str(), self.id)
        }
    }
}

/// What an operation reads and what it overwrites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footprint {
    pub reads: Vec<Resource>,
    pub writes: Vec<Resource>,
    /// The writes that only add objects under new names (`Access::Adds`): nothing is lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adds: Vec<Resource>,
}
