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
            props.insert(
                "depends_on".into(),
                json!({ "type": ["array", "null"], "items": { "type": "string" } }),
            );
            props.insert(
                "allow_overwrite_source".into(),
                json!({ "type": ["boolean", "null"] }),
            );
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
