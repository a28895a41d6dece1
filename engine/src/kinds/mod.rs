//! The six restore kinds: their typed bodies, mirroring each API's request fields.

mod footprint;
mod request;

pub use footprint::{Footprint, Resource, ResourceClass};
pub use request::ApiRequest;

use serde::{Deserialize, Serialize};
use std::fmt;

/// The cloud service that runs a kind; also the unit of per-service concurrency limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Rds,
    Ddm,
    Taurusdb,
    Cbr,
    Dcs,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Rds,
        Service::Ddm,
        Service::Taurusdb,
        Service::Cbr,
        Service::Dcs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Rds => "rds",
            Service::Ddm => "ddm",
            Service::Taurusdb => "taurusdb",
            Service::Cbr => "cbr",
            Service::Dcs => "dcs",
        }
    }

    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|svc| svc.as_str() == s)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A restore kind as written in the spec (`kind: rds.restore`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    #[serde(rename = "rds.restore")]
    RdsRestore,
    #[serde(rename = "ddm.restore")]
    DdmRestore,
    #[serde(rename = "ddm.metadata_restore")]
    DdmMetadataRestore,
    #[serde(rename = "taurusdb.restore")]
    TaurusdbRestore,
    #[serde(rename = "cbr.restore")]
    CbrRestore,
    #[serde(rename = "dcs.restore")]
    DcsRestore,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::RdsRestore,
        Kind::DdmRestore,
        Kind::DdmMetadataRestore,
        Kind::TaurusdbRestore,
        Kind::CbrRestore,
        Kind::DcsRestore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RdsRestore => "rds.restore",
            Kind::DdmRestore => "ddm.restore",
            Kind::DdmMetadataRestore => "ddm.metadata_restore",
            Kind::TaurusdbRestore => "taurusdb.restore",
            Kind::CbrRestore => "cbr.restore",
            Kind::DcsRestore => "dcs.restore",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn service(self) -> Service {
        match self {
            Kind::RdsRestore => Service::Rds,
            Kind::DdmRestore | Kind::DdmMetadataRestore => Service::Ddm,
            Kind::TaurusdbRestore => Service::Taurusdb,
            Kind::CbrRestore => Service::Cbr,
            Kind::DcsRestore => Service::Dcs,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `type` of an RDS or TaurusDB restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestoreType {
    Backup,
    Timestamp,
}

impl RestoreType {
    pub fn as_str(self) -> &'static str {
        match self {
            RestoreType::Backup => "backup",
            RestoreType::Timestamp => "timestamp",
        }
    }
}

/// `{instance_id}` objects (`target` of RDS and DDM restores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRef {
    pub instance_id: String,
}

/// `rds.restore`: RDS `POST /v3/{project_id}/instances/recovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdsRestore {
    pub source: RdsSource,
    pub target: InstanceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdsSource {
    pub instance_id: String,
    #[serde(rename = "type")]
    pub restore_type: RestoreType,
    pub backup_id: Option<String>,
    /// Epoch milliseconds, UTC.
    pub restore_time: Option<i64>,
}

/// `ddm.restore`: DDM `POST /v3/{project_id}/instances/{instance_id}/backups/recovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdmRestore {
    /// Path parameter; defaults to `source.instance_id`.
    pub instance_id: String,
    pub source: DdmSource,
    pub target: InstanceRef,
    pub data_node_relations: Vec<DataNodeRelation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdmSource {
    pub instance_id: String,
    pub restore_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataNodeRelation {
    pub source_instance_id: String,
    pub target_instance_id: String,
}

/// `ddm.metadata_restore`: DDM `POST .../instances/{instance_id}/backups/metadata-recovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdmMetadataRestore {
    /// Path parameter: the source DDM instance.
    pub instance_id: String,
    pub source: MetadataSource,
    pub target: MetadataTarget,
}

/// Exactly one of the two is set; the loader enforces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataSource {
    pub restore_time: Option<i64>,
    pub backup_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataTarget {
    pub instance_id: String,
    pub data_nodes: Vec<String>,
}

/// `taurusdb.restore`: TaurusDB `POST /v3/{project_id}/instances/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaurusdbRestore {
    pub source_instance_id: String,
    pub target_instance_id: String,
    #[serde(rename = "type")]
    pub restore_type: RestoreType,
    pub backup_id: Option<String>,
    pub restore_time: Option<i64>,
}

/// `cbr.restore`: CBR `POST /v3/{project_id}/backups/{backup_id}/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CbrRestore {
    /// Path parameter.
    pub backup_id: String,
    pub server_id: Option<String>,
    pub volume_id: Option<String>,
    pub mappings: Vec<CbrMapping>,
    /// Always sent, default `true`.
    pub power_on: bool,
    pub resource_id: Option<String>,
    pub details: Option<CbrDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CbrMapping {
    pub backup_id: String,
    pub volume_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CbrDetails {
    pub destination_path: String,
}

/// `dcs.restore`: DCS `POST /v2/{project_id}/instances/{instance_id}/restores`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcsRestore {
    /// Path parameter.
    pub instance_id: String,
    pub backup_id: String,
    pub remark: Option<String>,
}

/// A validated, fully resolved operation body (no `${...}` left).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum OpSpec {
    #[serde(rename = "rds.restore")]
    Rds(RdsRestore),
    #[serde(rename = "ddm.restore")]
    Ddm(DdmRestore),
    #[serde(rename = "ddm.metadata_restore")]
    DdmMetadata(DdmMetadataRestore),
    #[serde(rename = "taurusdb.restore")]
    Taurusdb(TaurusdbRestore),
    #[serde(rename = "cbr.restore")]
    Cbr(CbrRestore),
    #[serde(rename = "dcs.restore")]
    Dcs(DcsRestore),
}

impl OpSpec {
    pub fn kind(&self) -> Kind {
        match self {
            OpSpec::Rds(_) => Kind::RdsRestore,
            OpSpec::Ddm(_) => Kind::DdmRestore,
            OpSpec::DdmMetadata(_) => Kind::DdmMetadataRestore,
            OpSpec::Taurusdb(_) => Kind::TaurusdbRestore,
            OpSpec::Cbr(_) => Kind::CbrRestore,
            OpSpec::Dcs(_) => Kind::DcsRestore,
        }
    }

    /// The restore target that a restore "to the original" would also read from, if the
    /// kind has such a notion: `(source, target)` instance IDs.
    pub fn source_and_target(&self) -> Option<(&str, &str)> {
        match self {
            OpSpec::Rds(r) => Some((&r.source.instance_id, &r.target.instance_id)),
            OpSpec::Ddm(r) => Some((&r.source.instance_id, &r.target.instance_id)),
            OpSpec::DdmMetadata(r) => Some((&r.instance_id, &r.target.instance_id)),
            OpSpec::Taurusdb(r) => Some((&r.source_instance_id, &r.target_instance_id)),
            OpSpec::Cbr(_) | OpSpec::Dcs(_) => None,
        }
    }
}
