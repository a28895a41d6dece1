//! The restore kinds: the built-in typed bodies, plugin kinds, and their declarations.

pub mod builtin;
mod create;
mod decl;
mod footprint;
mod names;
mod request;
pub mod services;

pub use builtin::rds_restore_tables::{
    MysqlDatabase, PgDatabase, PgSchema, RdsTablesRestore, Rename, TableObjects,
};
pub use builtin::{builtin_decls, schema_generator};
pub use create::{
    DdsCollection, DdsCollections, DdsDatabase, RestoreNew, RestorePoint, SENSITIVE, Secret,
    SecretRef,
};
pub use decl::{Access, COMMON_KEYS, FootprintRule, KindDecl, is_unknown, output_template};
pub use footprint::{Footprint, Resource, ResourceClass};
pub use names::intern;
pub use request::ApiRequest;

use serde::{Deserialize, Serialize};
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

/// A restore kind as written in the spec (`kind: rds.restore`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    RdsRestore,
    DdmRestore,
    DdmMetadataRestore,
    TaurusdbRestore,
    CbrRestore,
    DcsRestore,
    /// RDS restore into a new instance (`POST /v3/{project_id}/instances` + `restore_point`).
    RdsRestoreNew,
    /// DDS restore into a new instance.
    DdsRestoreNew,
    /// DDS restore to the original instance.
    DdsRestore,
    /// DDS database and collection point-in-time restore.
    DdsRestoreCollections,
    /// RDS table- and database-level point-in-time restore.
    RdsRestoreTables,
    /// GaussDB (openGauss) restore into a new instance.
    GaussdbRestoreNew,
    /// A kind declared by an external provider, e.g. `evs.snapshot_rollback` (interned).
    External(&'static str),
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::RdsRestore,
        Kind::DdmRestore,
        Kind::DdmMetadataRestore,
        Kind::TaurusdbRestore,
        Kind::CbrRestore,
        Kind::DcsRestore,
        Kind::RdsRestoreNew,
        Kind::DdsRestoreNew,
        Kind::DdsRestore,
        Kind::DdsRestoreCollections,
        Kind::RdsRestoreTables,
        Kind::GaussdbRestoreNew,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RdsRestore => "rds.restore",
            Kind::DdmRestore => "ddm.restore",
            Kind::DdmMetadataRestore => "ddm.metadata_restore",
            Kind::TaurusdbRestore => "taurusdb.restore",
            Kind::CbrRestore => "cbr.restore",
            Kind::DcsRestore => "dcs.restore",
            Kind::RdsRestoreNew => "rds.restore_new",
            Kind::DdsRestoreNew => "dds.restore_new",
            Kind::DdsRestore => "dds.restore",
            Kind::DdsRestoreCollections => "dds.restore_collections",
            Kind::RdsRestoreTables => "rds.restore_tables",
            Kind::GaussdbRestoreNew => "gaussdb.restore_new",
            Kind::External(name) => name,
        }
    }

    /// A built-in kind by name; plugin kinds are looked up in their declarations.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A built-in kind by name, else the external kind of that name.
    pub fn parse_any(s: &str) -> Kind {
        Kind::parse(s).unwrap_or_else(|| Kind::External(intern(s)))
    }

    pub fn service(self) -> Service {
        match self {
            Kind::External(name) => {
                Service::External(intern(name.split_once('.').map_or(name, |(svc, _)| svc)))
            }
            builtin => builtin::get(builtin).map_or(Service::External(""), |b| b.service),
        }
    }
}

names::string_serde!(Kind, Kind::parse_any);
names::string_serde!(Service, Service::parse_any);

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
    #[serde(rename = "rds.restore_new")]
    RdsNew(RestoreNew),
    #[serde(rename = "dds.restore_new")]
    DdsNew(RestoreNew),
    /// Same body as `rds.restore`: `{source, target}`.
    #[serde(rename = "dds.restore")]
    DdsRecovery(RdsRestore),
    #[serde(rename = "dds.restore_collections")]
    DdsCollections(DdsCollections),
    #[serde(rename = "rds.restore_tables")]
    RdsTables(RdsTablesRestore),
    #[serde(rename = "gaussdb.restore_new")]
    GaussdbNew(RestoreNew),
    /// A plugin kind: its body as JSON, checked against the kind's declared schema.
    #[serde(untagged)]
    External(ExternalOp),
}

/// The body of a plugin kind, with the footprint its declaration derived at load time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalOp {
    pub kind: Kind,
    /// The body as written (secrets only as references, never values).
    pub body: serde_json::Value,
    #[serde(default)]
    pub footprint: Footprint,
    /// The secret references at the body's sensitive fields, by JSON pointer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<(String, SecretRef)>,
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
            OpSpec::RdsNew(_) => Kind::RdsRestoreNew,
            OpSpec::DdsNew(_) => Kind::DdsRestoreNew,
            OpSpec::DdsRecovery(_) => Kind::DdsRestore,
            OpSpec::DdsCollections(_) => Kind::DdsRestoreCollections,
            OpSpec::RdsTables(_) => Kind::RdsRestoreTables,
            OpSpec::GaussdbNew(_) => Kind::GaussdbRestoreNew,
            OpSpec::External(e) => e.kind,
        }
    }

    /// The declaration of a built-in operation's kind; `None` for a plugin kind.
    pub fn builtin(&self) -> Option<&'static builtin::Builtin> {
        match self {
            OpSpec::External(_) => None,
            _ => builtin::get(self.kind()),
        }
    }

    /// The restore target that a restore "to the original" would also read from, if the
    /// kind has such a notion: `(source, target)` instance IDs.
    pub fn source_and_target(&self) -> Option<(String, String)> {
        builtin::source_and_target(self.builtin()?, self)
    }

    /// The point in time it restores to (epoch ms), when the spec names one; a restore from a
    /// backup names none (its backup's end time is the recovery point).
    pub fn restore_time(&self) -> Option<i64> {
        builtin::restore_time(self.builtin()?, self)
    }

    /// The existing instance a restore overwrites, with its service: what a drill's probes
    /// check. A create has none (its instance is an output), nor has CBR or a plugin kind.
    pub fn existing_target(&self) -> Option<(Service, String)> {
        builtin::existing_target(self.builtin()?, self)
    }

    /// The secret references the operation uses, by JSON pointer into its request body.
    pub fn secret_refs(&self) -> Vec<(String, SecretRef)> {
        match self {
            OpSpec::External(e) => e.secrets.clone(),
            _ => self
                .builtin()
                .map(|b| builtin::secret_refs(b, self))
                .unwrap_or_default(),
        }
    }

    /// The name of the instance this operation creates (its `name`), for kinds that create one.
    pub fn created_name(&self) -> Option<String> {
        self.created_class()?;
        let body = self.request().body;
        body.get("name")?.as_str().map(str::to_owned)
    }

    /// The class of the instance this operation creates, for kinds that create one.
    pub fn created_class(&self) -> Option<ResourceClass> {
        self.builtin()?.creates
    }

    /// What the operation reads and overwrites: its kind's footprint rules applied to its
    /// body (a plugin kind's were applied when it was lowered).
    pub fn footprint(&self) -> Footprint {
        let mut fp = match self {
            OpSpec::External(e) => e.footprint.clone(),
            _ => self
                .builtin()
                .map(|b| builtin::footprint(b, self))
                .unwrap_or_default(),
        };
        for list in [&mut fp.reads, &mut fp.writes] {
            list.sort();
            list.dedup();
        }
        fp
    }
}
