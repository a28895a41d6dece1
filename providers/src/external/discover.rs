//! Finding plugins (`rewind.toml` commands, `rewind-provider-NAME` on `PATH`) and describing them.

use super::connection::{Connection, PluginCommand};
use super::error::PluginError;
use rewind_engine::kinds::KindDecl;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const PREFIX: &str = "rewind-provider-";

/// Plugins by name: the configured ones, then executables on `path` (a `PATH` value) that
/// the configuration does not already name. Configuration wins on a name clash.
pub fn discover(
    configured: &BTreeMap<String, Vec<String>>,
    path: Option<&str>,
) -> Vec<PluginCommand> {
    let mut out: BTreeMap<String, PluginCommand> = configured
        .iter()
        .map(|(name, argv)| {
            (
                name.clone(),
                PluginCommand {
                    name: name.clone(),
                    argv: argv.clone(),
                    env: Vec::new(),
                },
            )
        })
        .collect();
    for dir in path.map(std::env::split_paths).into_iter().flatten() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(name) = file.to_str().and_then(|f| f.strip_prefix(PREFIX)) else {
                continue;
            };
            if name.is_empty() || out.contains_key(name) || !is_executable(&entry.path()) {
                continue;
            }
            out.insert(
                name.to_owned(),
                PluginCommand {
                    name: name.to_owned(),
                    argv: vec![entry.path().display().to_string()],
                    env: Vec::new(),
                },
            );
        }
    }
    out.into_values().collect()
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// What `hello` and `describe` said.
#[derive(Debug, Clone)]
pub struct Described {
    pub name: String,
    pub protocol_version: u64,
    pub capabilities: Vec<String>,
    pub kinds: Vec<KindDecl>,
}

/// Starts the plugin, asks for its kinds, and stops it.
pub fn describe(cmd: &PluginCommand, timeout: Duration) -> Result<Described, PluginError> {
    let conn = Connection::start(cmd, timeout)?;
    let result = conn.call("describe", &json!({}), timeout)?;
    let hello = conn.hello.clone();
    conn.shutdown(Duration::from_secs(1));
    let raw = result.get("kinds").cloned().unwrap_or(Value::Null);
    let mut kinds: Vec<KindDecl> = serde_json::from_value(raw).map_err(|e| {
        PluginError::garbage(
            &cmd.name,
            &format!("`describe` did not return valid kinds: {e}"),
        )
    })?;
    for k in &mut kinds {
        k.provider = Some(cmd.name.clone());
        if let Some(problem) = k.problem() {
            return Err(PluginError::garbage(&cmd.name, &problem));
        }
    }
    Ok(Described {
        name: cmd.name.clone(),
        protocol_version: hello
            .get("protocol_version")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        capabilities: hello
            .get("capabilities")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        kinds,
    })
}
