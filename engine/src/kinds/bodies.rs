//! The typed bodies of the built-in kinds whose files share them or predate the registry.

use serde::{Deserialize, Serialize};

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
