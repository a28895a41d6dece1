//! Kind declarations: name, body schema (sensitive fields marked), footprint rules, outputs.

use super::{Kind, ResourceClass};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Whether a footprint rule names something the kind reads or overwrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Reads,
    Writes,
}

/// One footprint rule: the field at `pointer` (a JSON pointer into the body; `*` matches
/// every element of an array) holds the ID of a `resource` of that type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FootprintRule {
    pub pointer: String,
    /// Resource type in snake_case, e.g. `rds_instance`, `volume`, or a plugin's own type.
    pub resource: String,
    pub access: Access,
}

impl FootprintRule {
    pub fn class(&self) -> ResourceClass {
        ResourceClass::parse_key(&self.resource)
    }
}

/// Everything rewind knows of a kind before any cloud call. Built-in kinds and plugin kinds
/// share this shape; plugin kinds arrive as data (from a plugin's `describe`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindDecl {
    /// `SERVICE.verb`; the part before the dot routes the kind to its provider.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// JSON Schema of the body (the operation's keys besides `kind`, `depends_on`, ...).
    /// A property with `"sensitive": true` takes a secret reference, never a value.
    pub schema: Value,
    #[serde(default)]
    pub footprint: Vec<FootprintRule>,
    /// Names of the values a succeeded run reports.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// The plugin that declared it; `None` for built-in kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

impl KindDecl {
    pub fn kind(&self) -> Kind {
        Kind::parse_any(&self.name)
    }

    /// JSON pointers (into the body) of the properties marked sensitive.
    pub fn sensitive_pointers(&self) -> Vec<String> {
        let mut out = Vec::new();
        sensitive_in(&self.schema, "", &mut out);
        out
    }

    /// Why this declaration cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        let Some((svc, verb)) = self.name.split_once('.') else {
            return Some(format!("kind `{}` is not named SERVICE.verb", self.name));
        };
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !ok(svc) || !ok(verb) {
            return Some(format!(
                "kind `{}`: use lowercase letters, digits and `_` around one dot",
                self.name
            ));
        }
        if self.provider.is_some() && Kind::parse(&self.name).is_some() {
            return Some(format!("kind `{}` is built in", self.name));
        }
        if self.schema.get("type").and_then(Value::as_str) != Some("object") {
            return Some(format!(
                "kind `{}`: its schema must be `\"type\": \"object\"`",
                self.name
            ));
        }
        for rule in &self.footprint {
            if !rule.pointer.starts_with('/') {
                return Some(format!(
                    "kind `{}`: footprint pointer {:?} must start with `/`",
                    self.name, rule.pointer
                ));
            }
        }
        None
    }
}

fn sensitive_in(schema: &Value, at: &str, out: &mut Vec<String>) {
    if schema.get("sensitive").and_then(Value::as_bool) == Some(true) {
        out.push(at.to_owned());
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            sensitive_in(v, &format!("{at}/{k}"), out);
        }
    }
    if let Some(items) = schema.get("items") {
        sensitive_in(items, &format!("{at}/*"), out);
    }
}

fn rule(pointer: &str, resource: ResourceClass, access: Access) -> FootprintRule {
    FootprintRule {
        pointer: pointer.to_owned(),
        resource: resource.key().to_owned(),
        access,
    }
}

/// The built-in kinds as declarations: body schemas from the spec's JSON Schema, footprint
/// rules as pointers into the spec body (the same fields [`crate::kinds::Footprint`] reads).
pub fn builtin_decls() -> Vec<KindDecl> {
    use Access::{Reads, Writes};
    use ResourceClass as C;
    let schema = crate::schema::spec_schema();
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let footprint = match kind {
                Kind::RdsRestore => vec![
                    rule("/target/instance_id", C::RdsInstance, Writes),
                    rule("/source/instance_id", C::RdsInstance, Reads),
                    rule("/source/backup_id", C::RdsBackup, Reads),
                ],
                Kind::DdmRestore => vec![
                    rule("/target/instance_id", C::DdmInstance, Writes),
                    rule("/source/instance_id", C::DdmInstance, Reads),
                    rule(
                        "/data_node_relations/*/target_instance_id",
                        C::RdsInstance,
                        Writes,
                    ),
                    rule(
                        "/data_node_relations/*/source_instance_id",
                        C::RdsInstance,
                        Reads,
                    ),
                ],
                Kind::DdmMetadataRestore => vec![
                    rule("/target/instance_id", C::DdmInstance, Writes),
                    rule("/instance_id", C::DdmInstance, Reads),
                    rule("/source/backup_id", C::DdmBackup, Reads),
                    rule("/target/data_nodes/*", C::RdsInstance, Reads),
                ],
                Kind::TaurusdbRestore => vec![
                    rule("/target_instance_id", C::TaurusdbInstance, Writes),
                    rule("/source_instance_id", C::TaurusdbInstance, Reads),
                    rule("/backup_id", C::TaurusdbBackup, Reads),
                ],
                Kind::CbrRestore => vec![
                    rule("/server_id", C::Server, Writes),
                    rule("/volume_id", C::Volume, Writes),
                    rule("/mappings/*/volume_id", C::Volume, Writes),
                    rule("/backup_id", C::CbrBackup, Reads),
                ],
                Kind::DcsRestore => vec![
                    rule("/instance_id", C::DcsInstance, Writes),
                    rule("/backup_id", C::DcsBackup, Reads),
                ],
                Kind::RdsRestoreNew => vec![
                    rule("/restore_point/instance_id", C::RdsInstance, Reads),
                    rule("/restore_point/backup_id", C::RdsBackup, Reads),
                ],
                Kind::DdsRestoreNew => vec![
                    rule("/restore_point/instance_id", C::DdsInstance, Reads),
                    rule("/restore_point/backup_id", C::DdsBackup, Reads),
                ],
                Kind::DdsRestore => vec![
                    rule("/target/instance_id", C::DdsInstance, Writes),
                    rule("/source/instance_id", C::DdsInstance, Reads),
                    rule("/source/backup_id", C::DdsBackup, Reads),
                ],
                Kind::DdsRestoreCollections => {
                    vec![rule("/instance_id", C::DdsInstance, Writes)]
                }
                Kind::External(_) => Vec::new(),
            };
            KindDecl {
                name: kind.as_str().to_owned(),
                description: String::new(),
                schema: crate::schema::kind_body_schema(&schema, kind.as_str())
                    .unwrap_or_else(|| json!({ "type": "object" })),
                footprint,
                outputs: builtin_outputs(kind)
                    .iter()
                    .map(|o| (*o).to_owned())
                    .collect(),
                provider: None,
            }
        })
        .collect()
}

/// The values a succeeded run of a built-in kind reports, for `${restores.X.outputs.NAME}`.
pub fn builtin_outputs(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::RdsRestoreNew | Kind::DdsRestoreNew => {
            &["instance_id", "name", "job_id", "private_ip", "port"]
        }
        Kind::RdsRestore
        | Kind::DdmRestore
        | Kind::DdmMetadataRestore
        | Kind::TaurusdbRestore
        | Kind::DdsRestore
        | Kind::DdsRestoreCollections => &["instance_id", "job_id"],
        Kind::DcsRestore => &["instance_id", "restore_id"],
        Kind::CbrRestore => &["operation_log_id"],
        Kind::External(_) => &[],
    }
}

/// Body keys of a built-in kind that take only a secret reference.
pub fn builtin_sensitive(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::RdsRestoreNew | Kind::DdsRestoreNew => &["password"],
        _ => &[],
    }
}

/// The placeholder an output has until its operation has run: the reference itself.
pub fn output_template(op: &str, output: &str) -> String {
    format!("${{restores.{op}.outputs.{output}}}")
}

/// Whether a value still holds an output placeholder (it is "known after apply").
pub fn is_unknown(value: &str) -> bool {
    value.contains("${restores.")
}
