//! The JSON Schema of the spec file (the raw shape, kept apart from the validated model).

use schemars::{JsonSchema, schema_for};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A time: RFC 3339 with an offset, integer epoch milliseconds, or a `${...}` reference.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Time {
    Millis(i64),
    Text(String),
}

/// A rewind restore spec (`restore.yaml`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RestoreSpec {
    /// Spec format version; 1.
    version: Option<u32>,
    cloud: Option<Cloud>,
    /// Values usable as `${var.NAME}`; override with `--var NAME=VALUE`.
    vars: Option<BTreeMap<String, serde_json::Value>>,
    /// The restore operations, by name.
    restores: BTreeMap<String, Operation>,
}

/// Where the cloud is. Credentials never live in the spec.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Cloud {
    region: Option<String>,
    project_id: Option<String>,
    endpoints: Option<Endpoints>,
}

/// Endpoint overrides per service (may carry a path prefix).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Endpoints {
    rds: Option<String>,
    ddm: Option<String>,
    taurusdb: Option<String>,
    cbr: Option<String>,
    dcs: Option<String>,
}

/// One restore operation; the fields of each kind mirror its API body.
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", deny_unknown_fields)]
#[allow(dead_code)]
enum Operation {
    /// RDS for MySQL point-in-time or backup restore: `POST /v3/{project_id}/instances/recovery`.
    #[serde(rename = "rds.restore")]
    Rds {
        source: RdsSource,
        target: InstanceRef,
        depends_on: Option<Vec<String>>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// DDM restore to a new instance: `POST .../instances/{instance_id}/backups/recovery`.
    #[serde(rename = "ddm.restore")]
    Ddm {
        /// Path parameter; defaults to `source.instance_id`.
        instance_id: Option<String>,
        source: DdmSource,
        target: InstanceRef,
        data_node_relations: Vec<DataNodeRelation>,
        depends_on: Option<Vec<String>>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// DDM metadata restore: `POST .../instances/{instance_id}/backups/metadata-recovery`.
    #[serde(rename = "ddm.metadata_restore")]
    DdmMetadata {
        /// Path parameter: the source DDM instance.
        instance_id: String,
        source: MetadataSource,
        target: MetadataTarget,
        depends_on: Option<Vec<String>>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// TaurusDB restore to the original or an existing instance: `POST /v3/{project_id}/instances/restore`.
    #[serde(rename = "taurusdb.restore")]
    Taurusdb {
        source_instance_id: String,
        target_instance_id: String,
        /// `backup` or `timestamp`; inferred when omitted.
        #[serde(rename = "type")]
        restore_type: Option<String>,
        backup_id: Option<String>,
        restore_time: Option<Time>,
        depends_on: Option<Vec<String>>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// CBR restore of a backup to a server or disk: `POST /v3/{project_id}/backups/{backup_id}/restore`.
    #[serde(rename = "cbr.restore")]
    Cbr {
        /// Path parameter.
        backup_id: String,
        server_id: Option<String>,
        volume_id: Option<String>,
        mappings: Option<Vec<CbrMapping>>,
        /// Power the server on afterwards; default true, always sent.
        power_on: Option<bool>,
        resource_id: Option<String>,
        details: Option<CbrDetails>,
        depends_on: Option<Vec<String>>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// DCS (Redis) instance restore: `POST /v2/{project_id}/instances/{instance_id}/restores`.
    #[serde(rename = "dcs.restore")]
    Dcs {
        /// Path parameter.
        instance_id: String,
        backup_id: String,
        /// At most 128 bytes.
        remark: Option<String>,
        depends_on: Option<Vec<String>>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct InstanceRef {
    instance_id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RdsSource {
    instance_id: String,
    /// `backup` or `timestamp`; inferred when omitted.
    #[serde(rename = "type")]
    restore_type: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<Time>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DdmSource {
    instance_id: String,
    restore_time: Time,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DataNodeRelation {
    source_instance_id: String,
    target_instance_id: String,
}

/// Exactly one of `restore_time` and `backup_id`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct MetadataSource {
    restore_time: Option<Time>,
    backup_id: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct MetadataTarget {
    instance_id: String,
    /// RDS instances that already completed their point-in-time recovery.
    data_nodes: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CbrMapping {
    backup_id: String,
    volume_id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CbrDetails {
    destination_path: String,
}

/// The schema as pretty JSON, ending with a newline (the committed file's exact bytes).
pub fn spec_schema_json() -> String {
    let schema = schema_for!(RestoreSpec);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
