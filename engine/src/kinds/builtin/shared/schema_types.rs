//! Schema types several built-in kinds share (`$defs` of the spec schema).
#![allow(dead_code)] // only their JSON Schema is used

use schemars::JsonSchema;
use serde::Deserialize;

/// A time: RFC 3339 with an offset, integer epoch milliseconds, or a `${...}` reference; an
/// RDS restore's `restore_time` may also be `latest` or `random_within 7d` (chosen by a drill).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Time {
    Millis(i64),
    Text(String),
}

/// An integer, or the same number written as a string (the API documents some numbers as
/// strings; rewind sends each as its API page types it).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IntOrText {
    Int(i64),
    Text(String),
}

/// Where the new RDS instance's data comes from.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RdsRestorePoint {
    /// The source RDS instance.
    instance_id: String,
    /// `backup` or `timestamp`; inferred when omitted, always sent.
    #[serde(rename = "type")]
    restore_type: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<Time>,
}

/// Where the new DDS instance's data comes from: `backup_id`, or `instance_id` and `restore_time`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DdsRestorePoint {
    /// The source DDS instance; required for a point in time.
    instance_id: Option<String>,
    /// `backup` or `timestamp`; sent when written, and always for a point in time.
    #[serde(rename = "type")]
    restore_type: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<Time>,
}

/// Primary/standby configuration.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ha {
    /// `ha` (case-insensitive).
    mode: String,
    /// MySQL: `async` or `semisync`; PostgreSQL: `async` or `sync`; SQL Server: `sync`.
    replication_mode: String,
}

/// Automated backups of the new instance.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupStrategy {
    /// One hour in UTC, `hh:mm-HH:MM` (DDS: on the hour), e.g. `23:00-00:00`.
    start_time: String,
    /// Retention in days: RDS 1-732 (sent as a number), DDS 0-732 (sent as a string).
    keep_days: Option<IntOrText>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// `CLOUDSSD` or `ESSD`.
    #[serde(rename = "type")]
    volume_type: String,
    /// GB: 40 to 4000, a multiple of 10, at least the source's.
    size: IntOrText,
}

/// One node type of a DDS instance.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DdsFlavor {
    /// `mongos`, `shard`, `config` (cluster), `replica` or `single`.
    #[serde(rename = "type")]
    node_type: String,
    /// Node count, sent as a number; not sent for shard nodes.
    num: Option<IntOrText>,
    /// Disk size in GB, sent as a string: 10 to 2000, a multiple of 10; none for mongos.
    size: Option<IntOrText>,
    spec_code: String,
}

/// One database to restore: `restore_database_time` (whole database) or `collections`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DdsDatabase {
    database: String,
    collections: Option<Vec<DdsCollection>>,
    restore_database_time: Option<Time>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DdsCollection {
    old_name: String,
    new_name: Option<String>,
    restore_collection_time: Time,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceRef {
    instance_id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RdsSource {
    instance_id: String,
    /// `backup` or `timestamp`; inferred when omitted.
    #[serde(rename = "type")]
    restore_type: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<Time>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DdmSource {
    instance_id: String,
    restore_time: Time,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataNodeRelation {
    source_instance_id: String,
    target_instance_id: String,
}

/// Exactly one of `restore_time` and `backup_id`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataSource {
    restore_time: Option<Time>,
    backup_id: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataTarget {
    instance_id: String,
    /// RDS instances that already completed their point-in-time recovery.
    data_nodes: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CbrMapping {
    backup_id: String,
    volume_id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CbrDetails {
    destination_path: String,
}
