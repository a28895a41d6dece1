//! What each kind reads and overwrites: the raw material of inferred graph edges.

use super::OpSpec;
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
    /// A resource type only plugins know (e.g. `evs_snapshot`), by its snake_case name.
    External(&'static str),
}

impl ResourceClass {
    pub const BUILTIN: [ResourceClass; 13] = [
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
        if super::is_unknown(&self.id) {
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
}

impl OpSpec {
    /// The class of the instance this operation creates, for kinds that create one.
    pub fn created_class(&self) -> Option<ResourceClass> {
        match self {
            OpSpec::RdsNew(_) => Some(ResourceClass::RdsInstance),
            OpSpec::DdsNew(_) => Some(ResourceClass::DdsInstance),
            _ => None,
        }
    }

    pub fn footprint(&self) -> Footprint {
        use ResourceClass as C;
        let mut fp = Footprint::default();
        match self {
            OpSpec::Rds(r) => {
                fp.writes
                    .push(Resource::new(C::RdsInstance, &r.target.instance_id));
                fp.reads
                    .push(Resource::new(C::RdsInstance, &r.source.instance_id));
                if let Some(b) = &r.source.backup_id {
                    fp.reads.push(Resource::new(C::RdsBackup, b));
                }
            }
            OpSpec::Ddm(r) => {
                fp.writes
                    .push(Resource::new(C::DdmInstance, &r.target.instance_id));
                fp.reads
                    .push(Resource::new(C::DdmInstance, &r.source.instance_id));
                for rel in &r.data_node_relations {
                    fp.writes
                        .push(Resource::new(C::RdsInstance, &rel.target_instance_id));
                    fp.reads
                        .push(Resource::new(C::RdsInstance, &rel.source_instance_id));
                }
            }
            OpSpec::DdmMetadata(r) => {
                fp.writes
                    .push(Resource::new(C::DdmInstance, &r.target.instance_id));
                fp.reads.push(Resource::new(C::DdmInstance, &r.instance_id));
                if let Some(b) = &r.source.backup_id {
                    fp.reads.push(Resource::new(C::DdmBackup, b));
                }
                for dn in &r.target.data_nodes {
                    fp.reads.push(Resource::new(C::RdsInstance, dn));
                }
            }
            OpSpec::Taurusdb(r) => {
                fp.writes
                    .push(Resource::new(C::TaurusdbInstance, &r.target_instance_id));
                fp.reads
                    .push(Resource::new(C::TaurusdbInstance, &r.source_instance_id));
                if let Some(b) = &r.backup_id {
                    fp.reads.push(Resource::new(C::TaurusdbBackup, b));
                }
            }
            OpSpec::Cbr(r) => {
                if let Some(s) = &r.server_id {
                    fp.writes.push(Resource::new(C::Server, s));
                }
                if let Some(v) = &r.volume_id {
                    fp.writes.push(Resource::new(C::Volume, v));
                }
                for m in &r.mappings {
                    fp.writes.push(Resource::new(C::Volume, &m.volume_id));
                }
                fp.reads.push(Resource::new(C::CbrBackup, &r.backup_id));
            }
            OpSpec::Dcs(r) => {
                fp.writes
                    .push(Resource::new(C::DcsInstance, &r.instance_id));
                fp.reads.push(Resource::new(C::DcsBackup, &r.backup_id));
            }
            OpSpec::DdsRecovery(r) => {
                fp.writes
                    .push(Resource::new(C::DdsInstance, &r.target.instance_id));
                fp.reads
                    .push(Resource::new(C::DdsInstance, &r.source.instance_id));
                if let Some(b) = &r.source.backup_id {
                    fp.reads.push(Resource::new(C::DdsBackup, b));
                }
            }
            OpSpec::DdsCollections(r) => {
                fp.writes
                    .push(Resource::new(C::DdsInstance, &r.instance_id));
            }
            // The instance it creates is written under its output's name; the graph adds
            // it (see `graph::build`), because only the graph knows the operation's name.
            OpSpec::RdsNew(r) | OpSpec::DdsNew(r) => {
                let (instance, backup) = if matches!(self, OpSpec::RdsNew(_)) {
                    (C::RdsInstance, C::RdsBackup)
                } else {
                    (C::DdsInstance, C::DdsBackup)
                };
                if let Some(i) = &r.restore_point.instance_id {
                    fp.reads.push(Resource::new(instance, i));
                }
                if let Some(b) = &r.restore_point.backup_id {
                    fp.reads.push(Resource::new(backup, b));
                }
            }
            OpSpec::External(e) => fp = e.footprint.clone(),
        }
        fp.reads.sort();
        fp.reads.dedup();
        fp.writes.sort();
        fp.writes.dedup();
        fp
    }
}
