//! The world's CBR backups, servers and operation logs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job::DEFAULT_FAIL_REASON;
use super::part::Part;
use super::{World, name_or, set};
use crate::timefmt::{ms, opt_ms};

/// CBR in the whole-world code: backups and servers, and operation logs that end restores.
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.cbr.backups.keys().cloned());
        out.extend(w.cbr.servers.keys().cloned());
    },
    check: |_| Ok(()),
    due: |w, now| {
        w.cbr
            .operation_logs
            .iter()
            .filter(|(_, log)| {
                matches!(log.status.as_str(), "waiting" | "running") && log.due() <= now
            })
            .map(|(id, log)| (log.due(), id.clone()))
            .collect()
    },
    finish: finish_operation_log,
    start: |w, now| {
        for log in w.cbr.operation_logs.values_mut() {
            if log.status == "waiting" && log.started_at() <= now {
                set(&mut log.status, "running");
            }
        }
    },
};

/// The end of a restore: the log says `success` (or `failed`), the backup is `available`
/// again and the server is on or off as the restore asked.
fn finish_operation_log(world: &mut World, id: &str) {
    let Some(log) = world.cbr.operation_logs.get_mut(id) else {
        return;
    };
    let ok = !log.will_fail;
    set(&mut log.status, if ok { "success" } else { "failed" });
    log.ended_at = Some(log.due());
    if !ok && log.fail_reason.is_empty() {
        set(&mut log.fail_reason, DEFAULT_FAIL_REASON);
    }
    let (backup_id, target, power_on) = (
        log.backup_id.clone(),
        log.target_resource_id.clone(),
        log.power_on,
    );
    if let Some(backup) = world.cbr.backups.get_mut(&backup_id) {
        set(&mut backup.status, "available");
    }
    if let Some(server) = world.cbr.servers.get_mut(&target) {
        set(
            &mut server.status,
            if power_on { "ACTIVE" } else { "SHUTOFF" },
        );
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrWorld {
    pub backups: BTreeMap<String, CbrBackup>,
    /// ECS servers that server backups restore onto.
    pub servers: BTreeMap<String, CbrServer>,
    pub operation_logs: BTreeMap<String, OperationLog>,
}

impl CbrWorld {
    /// A top-level backup, or a child disk backup with its parent's ID.
    pub(crate) fn find_backup(&self, id: &str) -> Option<(Option<&str>, &CbrBackup)> {
        if let Some(b) = self.backups.get(id) {
            return Some((None, b));
        }
        self.backups
            .iter()
            .find(|(_, b)| b.children.iter().any(|c| c.id == id))
            .map(|(pid, b)| (Some(pid.as_str()), b))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrBackup {
    pub name: String,
    /// `available`, `restoring`, `protecting`, `error`, ... (otc-api.md §4.2).
    pub status: String,
    /// The backed-up server or disk.
    pub resource_id: String,
    /// `OS::Nova::Server`, `OS::Cinder::Volume` or `OS::Sfs::Turbo`.
    pub resource_type: String,
    pub resource_name: String,
    /// GB.
    pub resource_size: u32,
    pub vault_id: String,
    pub vault_name: String,
    #[serde(with = "ms")]
    pub created_at: i64,
    /// Disk-level backups of a server backup; restore `mappings` refer to these.
    pub children: Vec<CbrChildBackup>,
}

impl Default for CbrBackup {
    fn default() -> Self {
        CbrBackup {
            name: String::new(),
            status: "available".to_owned(),
            resource_id: String::new(),
            resource_type: "OS::Nova::Server".to_owned(),
            resource_name: String::new(),
            resource_size: 40,
            vault_id: "3b5816b5-f29c-4172-9d9a-76c719a659ce".to_owned(),
            vault_name: "vault-sim".to_owned(),
            created_at: 0,
            children: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrChildBackup {
    pub id: String,
    pub name: String,
    pub status: String,
    /// The disk (volume) this child backed up.
    pub resource_id: String,
    pub resource_type: String,
    pub resource_size: u32,
}

impl Default for CbrChildBackup {
    fn default() -> Self {
        CbrChildBackup {
            id: String::new(),
            name: String::new(),
            status: "available".to_owned(),
            resource_id: String::new(),
            resource_type: "OS::Cinder::Volume".to_owned(),
            resource_size: 40,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrServer {
    pub name: String,
    /// `ACTIVE`, `SHUTOFF` or `ERROR` (faulty).
    pub status: String,
}

impl Default for CbrServer {
    fn default() -> Self {
        CbrServer {
            name: String::new(),
            status: "ACTIVE".to_owned(),
        }
    }
}

/// A CBR task ("operation log") created by a restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationLog {
    pub operation_type: String,
    /// `waiting`, `running`, `success` or `failed`.
    pub status: String,
    pub backup_id: String,
    pub backup_name: String,
    /// The backed-up resource.
    pub resource_id: String,
    pub resource_name: String,
    pub resource_type: String,
    /// What the restore overwrites (server or disk).
    pub target_resource_id: String,
    pub target_resource_name: String,
    pub vault_id: String,
    pub vault_name: String,
    pub power_on: bool,
    pub request_id: String,
    #[serde(with = "ms")]
    pub created_at: i64,
    pub duration_ms: i64,
    pub will_fail: bool,
    #[serde(default)]
    pub fail_reason: String,
    #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
}

impl OperationLog {
    pub(crate) fn due(&self) -> i64 {
        self.created_at.saturating_add(self.duration_ms)
    }

    /// The first tenth of a restore is spent queued (`waiting`).
    pub(crate) fn started_at(&self) -> i64 {
        self.created_at.saturating_add(self.duration_ms / 10)
    }
}

impl World {
    /// An `available` CBR backup: of a server (with `children` as its disk backups, each
    /// `(child backup id, volume id)`) when `server_id` or children are given, else of a disk.
    /// The server is created `ACTIVE` if missing.
    pub fn ensure_cbr_backup(
        &mut self,
        backup_id: &str,
        server_id: Option<&str>,
        volume_id: Option<&str>,
        children: &[(String, String)],
    ) {
        if let Some(server) = server_id {
            self.cbr
                .servers
                .entry(server.to_owned())
                .or_insert_with(|| CbrServer {
                    name: name_or("", "ecs", server),
                    ..CbrServer::default()
                });
        }
        let at = self.backup_time();
        let is_server = server_id.is_some() || !children.is_empty();
        let backup = self
            .cbr
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| {
                let resource_id = server_id
                    .or(volume_id)
                    .map_or_else(|| format!("resource-{backup_id}"), str::to_owned);
                CbrBackup {
                    name: name_or("", "backup", backup_id),
                    resource_name: name_or(
                        "",
                        if is_server { "ecs" } else { "volume" },
                        &resource_id,
                    ),
                    resource_id,
                    resource_type: if is_server {
                        "OS::Nova::Server"
                    } else {
                        "OS::Cinder::Volume"
                    }
                    .to_owned(),
                    created_at: at,
                    ..CbrBackup::default()
                }
            });
        for (child, volume) in children {
            if !backup.children.iter().any(|c| &c.id == child) {
                backup.children.push(CbrChildBackup {
                    id: child.clone(),
                    name: name_or("", "backup", child),
                    resource_id: volume.clone(),
                    ..CbrChildBackup::default()
                });
            }
        }
    }
}
