//! The optional `validate` method: a plugin's semantic checks of its operations, offline.

use super::connection::{Connection, PluginCommand};
use super::error::PluginError;
use rewind_engine::kinds::OpSpec;
use rewind_engine::spec::OpDecl;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The capability a plugin names in `hello` when it answers `validate`.
pub const CAPABILITY: &str = "validate";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One failed check of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub op: String,
    pub severity: Severity,
    pub message: String,
    /// JSON pointer into the body of the field at fault, if the plugin named one.
    pub pointer: Option<String>,
}

#[derive(Deserialize)]
struct WireCheck {
    name: String,
    passed: bool,
    #[serde(default)]
    observed: Option<Value>,
    #[serde(default)]
    severity: Option<Severity>,
    #[serde(default)]
    pointer: Option<String>,
}

/// Starts the plugin once and asks `validate` for each operation. Sensitive fields are sent
/// as the spec writes them (`env:NAME`): validation needs no secret.
pub fn validate(
    cmd: &PluginCommand,
    ops: &[&OpDecl],
    timeout: Duration,
) -> Result<Vec<Finding>, PluginError> {
    if ops.is_empty() {
        return Ok(Vec::new());
    }
    let conn = Connection::start(cmd, timeout)?;
    let mut out = Vec::new();
    for op in ops {
        let OpSpec::External(ext) = &op.spec else {
            continue;
        };
        let params = json!({ "name": op.name, "kind": ext.kind.as_str(), "body": ext.body });
        let result = conn.call("validate", &params, timeout)?;
        let checks = result.get("checks").cloned().unwrap_or(Value::Null);
        let checks: Vec<WireCheck> = serde_json::from_value(checks)
            .map_err(|e| PluginError::garbage(&cmd.name, &format!("`validate` checks: {e}")))?;
        for c in checks.into_iter().filter(|c| !c.passed) {
            let observed = match c.observed {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => format!(": {s}"),
                Some(v) => format!(": {v}"),
            };
            out.push(Finding {
                op: op.name.clone(),
                severity: c.severity.unwrap_or(Severity::Error),
                message: format!("{}{observed}", c.name),
                pointer: c.pointer,
            });
        }
    }
    conn.shutdown(Duration::from_secs(1));
    Ok(out)
}
