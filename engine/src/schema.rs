//! The JSON Schema of the spec file (the raw shape, kept apart from the validated model).

use schemars::{JsonSchema, schema_for};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A time: RFC 3339 with an offset, integer epoch milliseconds, or a `${...}` reference; an
/// RDS restore's `restore_time` may also be `latest` or `random_within 7d` (chosen by a drill).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Time {
    Millis(i64),
    Text(String),
}

/// An integer, or the same number written as a string (the API documents some numbers as
/// strings; rewind sends each as its API page types it).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum IntOrText {
    Int(i64),
    Text(String),
}

/// Where a secret comes from, read at submit time and in memory only: never a literal.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)]
enum SecretSource {
    /// An environment variable's name.
    Env(String),
    /// A file whose contents (without a trailing newline) are the value.
    File(String),
}

/// What `for_each:` ranges over: a list (each element its own key), a mapping (key to
/// value), or `${var.NAME}` naming one.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum ForEach {
    Var(String),
    List(Vec<serde_json::Value>),
    Map(BTreeMap<String, serde_json::Value>),
}

/// A rewind restore spec (`restore.yaml`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RestoreSpec {
    /// Spec format version; 1.
    version: Option<u32>,
    cloud: Option<Cloud>,
    /// Values usable as `${var.NAME}`; override with `--var NAME=VALUE`. A list or mapping
    /// feeds `for_each:` (override it in YAML flow style: `--var 'NAME=[a, b]'`).
    vars: Option<BTreeMap<String, serde_json::Value>>,
    /// Named secrets, usable as `${secrets.NAME}` in sensitive fields only.
    secrets: Option<BTreeMap<String, SecretSource>>,
    /// The restore operations, by name.
    restores: BTreeMap<String, Operation>,
    /// Restore drills, by name: scratch restores, probes, RTO/RPO budgets and clean-up.
    drills: Option<BTreeMap<String, Drill>>,
    /// Renames: state recorded under `from` follows the operation to `to`, never restored again.
    moved: Option<Vec<MovedEntry>>,
}

/// One rename of an operation.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct MovedEntry {
    /// The old name, as state knows it.
    from: String,
    /// The new name, an operation of `restores`.
    to: String,
}

/// A restore drill. Every target its operations overwrite must be created by the drill or be
/// listed under `scratch`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Drill {
    /// The operations it runs; default: every operation of the spec.
    operations: Option<Vec<String>>,
    /// Existing instances (IDs) the drill may overwrite.
    scratch: Option<Vec<String>>,
    /// RTO budget: a duration such as 45m (1s to 30 days).
    rto: Option<String>,
    /// RPO budget: a duration such as 26h (1s to 30 days).
    rpo: Option<String>,
    /// `delete`, `keep` or `keep DURATION` for both outcomes, or one rule per outcome.
    cleanup: Option<DrillCleanup>,
    /// Where the reports go, relative to the spec; default under the state directory.
    report_dir: Option<String>,
    /// How probes log in, per operation.
    logins: Option<BTreeMap<String, DrillLogin>>,
    /// Probes per operation, run in order once that operation's restore has succeeded.
    probes: Option<BTreeMap<String, Vec<Probe>>>,
    /// When `rewind drill --due` runs this drill.
    schedule: Option<DrillSchedule>,
    /// A webhook on failure and recovery (and every run with `when: always`).
    notify: Option<DrillNotify>,
}

/// A drill's webhook.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DrillNotify {
    /// The webhook URL, or `${secrets.NAME}`.
    url: String,
    /// `generic` (default), `slack`, `mattermost` or `teams`.
    format: Option<String>,
    /// `failure` (default: on failure and on recovery) or `always`.
    when: Option<String>,
}

/// A drill's schedule: one run per cron slot.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DrillSchedule {
    /// Five fields (minute hour day-of-month month day-of-week), or six with seconds first.
    cron: String,
    /// IANA time zone of the cron fields (default UTC), such as Europe/Berlin.
    time_zone: Option<String>,
    /// How late a slot may start and still be on time (default 1h); later is a catch-up.
    window: Option<String>,
}

/// A clean-up rule for both outcomes, or one per outcome.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum DrillCleanup {
    Both(String),
    Each {
        /// `delete` (default), `keep` or `keep DURATION`.
        on_success: Option<String>,
        /// `delete`, `keep` or `keep DURATION` (default `keep 24h`).
        on_failure: Option<String>,
    },
}

/// Credentials for one operation's probes.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DrillLogin {
    user: Option<String>,
    /// `${secrets.NAME}` only.
    password: Option<String>,
}

/// A probe: `name`, one of `mysql`, `redis`, `tcp`, `exec`, and optionally `timeout` and
/// `on_error` (`fail` or `warn`); see docs/DRILLS.md. Each probe is checked field by field
/// when the spec loads.
#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Probe {
    name: String,
    #[serde(flatten)]
    check: BTreeMap<String, serde_json::Value>,
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
    dds: Option<String>,
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
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
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
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
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
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
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
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
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
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
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
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// RDS restore into a new instance (MySQL, PostgreSQL, SQL Server): `POST /v3/{project_id}/instances` with `restore_point`.
    #[serde(rename = "rds.restore_new")]
    RdsNew {
        /// The new instance's name: 4 to 64 characters, starting with a letter; letters, digits, `-`, `_`. rewind makes sure it is unique before the create.
        name: String,
        restore_point: RdsRestorePoint,
        /// The root password: `${secrets.NAME}` or `${env.VAR}`, never a literal.
        #[schemars(extend("sensitive" = true))]
        password: String,
        ha: Option<Ha>,
        /// Parameter template ID.
        configuration_id: Option<String>,
        /// A string in the API (an integer is accepted): MySQL 1024-65535, PostgreSQL 2100-9500, SQL Server 1433 or 2100-9500.
        port: Option<IntOrText>,
        backup_strategy: Option<BackupStrategy>,
        disk_encryption_id: Option<String>,
        /// Specification code, e.g. `rds.mysql.n1.large`; also tells rewind the engine.
        flavor_ref: String,
        volume: Volume,
        /// AZ ID; one per node, comma-separated, for primary/standby instances.
        availability_zone: String,
        vpc_id: String,
        subnet_id: String,
        /// Floating IP address of the new instance.
        data_vip: Option<String>,
        security_group_id: Option<String>,
        /// SQL Server only (`rds.mssql...` flavors).
        collation: Option<String>,
        depends_on: Option<Vec<String>>,
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// DDS (MongoDB) restore into a new instance: `POST /v3/{project_id}/instances` with `restore_point`.
    #[serde(rename = "dds.restore_new")]
    DdsNew {
        /// The new instance's name: 4 to 64 characters, starting with a letter; letters, digits, `-`, `_`. rewind makes sure it is unique before the create.
        name: String,
        restore_point: DdsRestorePoint,
        /// The root password, optional: `${secrets.NAME}` or `${env.VAR}`, never a literal.
        #[schemars(extend("sensitive" = true))]
        password: Option<String>,
        availability_zone: String,
        vpc_id: String,
        subnet_id: String,
        security_group_id: String,
        disk_encryption_id: Option<String>,
        flavor: Vec<DdsFlavor>,
        backup_strategy: Option<BackupStrategy>,
        enterprise_project_id: Option<String>,
        /// `"1"` enables SSL (the default), `"0"` disables it.
        ssl_option: Option<IntOrText>,
        depends_on: Option<Vec<String>>,
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// DDS restore to the original instance: `POST /v3/{project_id}/instances/recovery`.
    #[serde(rename = "dds.restore")]
    DdsRestore {
        source: RdsSource,
        target: InstanceRef,
        depends_on: Option<Vec<String>>,
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
    /// DDS database and collection point-in-time restore (replica sets): `POST .../instances/{instance_id}/restore/collections`.
    #[serde(rename = "dds.restore_collections")]
    DdsCollections {
        /// Path parameter: the DDS instance (suffix `in02`).
        instance_id: String,
        restore_collections: Vec<DdsDatabase>,
        depends_on: Option<Vec<String>>,
        /// Makes this a fleet: one operation per element of a list or mapping (inline, or
        /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
        for_each: Option<ForEach>,
        allow_overwrite_source: Option<bool>,
        /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
        timeout: Option<String>,
    },
}

/// Where the new RDS instance's data comes from.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RdsRestorePoint {
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
#[allow(dead_code)]
struct DdsRestorePoint {
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
#[allow(dead_code)]
struct Ha {
    /// `ha` (case-insensitive).
    mode: String,
    /// MySQL: `async` or `semisync`; PostgreSQL: `async` or `sync`; SQL Server: `sync`.
    replication_mode: String,
}

/// Automated backups of the new instance.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct BackupStrategy {
    /// One hour in UTC, `hh:mm-HH:MM` (DDS: on the hour), e.g. `23:00-00:00`.
    start_time: String,
    /// Retention in days: RDS 1-732 (sent as a number), DDS 0-732 (sent as a string).
    keep_days: Option<IntOrText>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Volume {
    /// `CLOUDSSD` or `ESSD`.
    #[serde(rename = "type")]
    volume_type: String,
    /// GB: 40 to 4000, a multiple of 10, at least the source's.
    size: IntOrText,
}

/// One node type of a DDS instance.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DdsFlavor {
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
#[allow(dead_code)]
struct DdsDatabase {
    database: String,
    collections: Option<Vec<DdsCollection>>,
    restore_database_time: Option<Time>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DdsCollection {
    old_name: String,
    new_name: Option<String>,
    restore_collection_time: Time,
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

/// The schema as a JSON value.
pub fn spec_schema() -> serde_json::Value {
    serde_json::to_value(schema_for!(RestoreSpec)).unwrap_or_default()
}

/// The body part of one built-in kind's operation schema: its properties without the keys
/// every operation shares (`$ref`s still point into the spec schema's `$defs`).
pub fn kind_body_schema(schema: &serde_json::Value, kind: &str) -> Option<serde_json::Value> {
    let variants = schema.pointer("/$defs/Operation/oneOf")?.as_array()?;
    let mut variant = variants
        .iter()
        .find(|v| v.pointer("/properties/kind/const").and_then(|c| c.as_str()) == Some(kind))?
        .clone();
    let obj = variant.as_object_mut()?;
    if let Some(props) = obj.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for key in crate::spec::COMMON_KEYS {
            props.remove(*key);
        }
    }
    if let Some(req) = obj.get_mut("required").and_then(|r| r.as_array_mut()) {
        req.retain(|k| k.as_str() != Some("kind"));
    }
    Some(variant)
}

/// The spec schema with plugin kinds added as more operation variants, so editors validate
/// a mixed spec.
pub fn spec_schema_json_with(kinds: &[crate::kinds::KindDecl]) -> String {
    use serde_json::{Value, json};
    let mut schema = spec_schema();
    // The keys every operation shares (`depends_on`, `timeout`, ...), exactly as a built-in
    // kind declares them, so that a plugin kind can never lag behind a new common key.
    let common: serde_json::Map<String, Value> = schema
        .pointer("/$defs/Operation/oneOf/0/properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter(|(k, _)| *k != "kind" && crate::spec::COMMON_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Array(variants)) = schema.pointer_mut("/$defs/Operation/oneOf") {
        for decl in kinds.iter().filter(|d| d.provider.is_some()) {
            let mut props = serde_json::Map::new();
            props.insert(
                "kind".into(),
                json!({ "type": "string", "const": decl.name }),
            );
            if let Some(Value::Object(body)) = decl.schema.get("properties") {
                props.extend(body.clone());
            }
            props.extend(common.clone());
            let mut required = vec![json!("kind")];
            if let Some(Value::Array(r)) = decl.schema.get("required") {
                required.extend(r.iter().cloned());
            }
            variants.push(json!({
                "description": format!("{} (plugin {})", decl.description, decl.provider.as_deref().unwrap_or("")),
                "type": "object",
                "properties": props,
                "additionalProperties": false,
                "required": required,
            }));
        }
    }
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_kinds_accept_every_common_key() {
        let decl: crate::kinds::KindDecl = serde_json::from_value(serde_json::json!({
            "name": "evs.snapshot_rollback",
            "description": "roll back",
            "schema": {"type": "object", "properties": {"volume_id": {"type": "string"}},
                       "required": ["volume_id"], "additionalProperties": false},
            "provider": "evs"
        }))
        .unwrap();
        let schema: serde_json::Value =
            serde_json::from_str(&spec_schema_json_with(&[decl])).unwrap();
        let variants = schema
            .pointer("/$defs/Operation/oneOf")
            .and_then(serde_json::Value::as_array)
            .unwrap();
        let plugin = variants.last().unwrap();
        assert_eq!(
            plugin["properties"]["kind"]["const"],
            "evs.snapshot_rollback"
        );
        for key in crate::spec::COMMON_KEYS {
            assert!(
                plugin.pointer(&format!("/properties/{key}")).is_some(),
                "{key} missing from {plugin}"
            );
        }
    }
}
