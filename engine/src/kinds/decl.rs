//! Kind declarations: name, body schema (sensitive fields marked), footprint rules, outputs.

use super::footprint::{Footprint, Resource, ResourceClass};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a footprint rule names something the kind reads or overwrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Reads,
    Writes,
    /// Writes new objects into the resource under new names and overwrites nothing (a
    /// table-level restore): ordered like a write, shown as what it is.
    Adds,
}

impl Access {
    /// Records `r` in `fp` as this access names it: an add is also a write, so it is ordered
    /// like one.
    pub fn record(self, fp: &mut Footprint, r: Resource) {
        match self {
            Access::Reads => fp.reads.push(r),
            Access::Writes => fp.writes.push(r),
            Access::Adds => {
                fp.adds.push(r.clone());
                fp.writes.push(r);
            }
        }
    }
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
    /// JSON pointers (into the body) of the properties marked sensitive.
    pub fn sensitive_pointers(&self) -> Vec<String> {
        let mut out = Vec::new();
        sensitive_in(&self.schema, "", &mut out);
        out
    }

    /// What is wrong with the declaration's own shape (name, schema, pointers), if anything;
    /// `KindDecl::problem` adds the check against the built-in kinds.
    pub(super) fn shape_problem(&self) -> Option<String> {
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

pub use crate::syntax::cx::COMMON_KEYS;

/// The placeholder an output has until its operation has run: the reference itself.
pub fn output_template(op: &str, output: &str) -> String {
    format!("${{restores.{op}.outputs.{output}}}")
}

pub use crate::syntax::value::is_unknown;
