//! The JSON Schema of the spec file: the raw shape, with one operation variant per kind
//! generated from the kind registry (plugin kinds added from their declarations).

use crate::kinds::builtin::TABLE;
use schemars::{JsonSchema, Schema, SchemaGenerator, schema_for};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

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

/// The keys every operation shares besides `kind`.
#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Common {
    depends_on: Option<Vec<String>>,
    /// Makes this a fleet: one operation per element of a list or mapping (inline, or
    /// `${var.NAME}`), named `NAME[KEY]`, with `${each.key}` and `${each.value}`.
    for_each: Option<ForEach>,
    allow_overwrite_source: Option<bool>,
    /// How long apply waits for it: `90s`, `45m`, `6h` (default from `rewind.toml`).
    timeout: Option<String>,
}

/// One restore operation; the fields of each kind mirror its API body.
#[allow(dead_code)] // only its JSON Schema is used
struct Operation(u8);

/// Only the schema is ever used; the spec is read by `spec`, with located errors.
impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Operation(0))
    }
}

impl JsonSchema for Operation {
    fn schema_name() -> Cow<'static, str> {
        "Operation".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let variants: Vec<Value> = TABLE
            .iter()
            .map(|e| {
                let body = (e.builtin.schema)(generator).to_value();
                let common = Common::json_schema(generator).to_value();
                operation_variant(e.kind.as_str(), &body, &common)
            })
            .collect();
        let schema = json!({
            "description": "One restore operation; the fields of each kind mirror its API body.",
            "oneOf": variants,
        });
        Schema::try_from(schema).unwrap_or_default()
    }
}

/// An operation variant: `kind`, then the body's properties, then the common keys; no other key.
fn operation_variant(kind: &str, body: &Value, common: &Value) -> Value {
    let mut props = Map::new();
    props.insert("kind".into(), json!({ "type": "string", "const": kind }));
    for part in [body, common] {
        if let Some(Value::Object(p)) = part.get("properties") {
            props.extend(p.clone());
        }
    }
    let mut required = vec![json!("kind")];
    if let Some(Value::Array(r)) = body.get("required") {
        required.extend(r.iter().cloned());
    }
    let mut variant = Map::new();
    if let Some(d) = body.get("description") {
        variant.insert("description".into(), d.clone());
    }
    variant.insert("type".into(), json!("object"));
    variant.insert("properties".into(), Value::Object(props));
    variant.insert("additionalProperties".into(), json!(false));
    variant.insert("required".into(), Value::Array(required));
    Value::Object(variant)
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

/// The spec schema with plugin kinds added as more operation variants, so editors validate
/// a mixed spec.
pub fn spec_schema_json_with(kinds: &[crate::kinds::KindDecl]) -> String {
    let mut schema = spec_schema();
    // The keys every operation shares (`depends_on`, `timeout`, ...), exactly as a built-in
    // kind declares them, so that a plugin kind can never lag behind a new common key.
    let common: Map<String, Value> = schema
        .pointer("/$defs/Operation/oneOf/0/properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter(|(k, _)| *k != "kind" && crate::kinds::COMMON_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Array(variants)) = schema.pointer_mut("/$defs/Operation/oneOf") {
        for decl in kinds.iter().filter(|d| d.provider.is_some()) {
            let mut props = Map::new();
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
        for key in crate::kinds::COMMON_KEYS {
            assert!(
                plugin.pointer(&format!("/properties/{key}")).is_some(),
                "{key} missing from {plugin}"
            );
        }
    }
}
