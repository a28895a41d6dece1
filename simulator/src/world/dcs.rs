//! The world's DCS instances, backups and restore records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Address;
use crate::timefmt::{ms, opt_ms};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DcsWorld {
    pub instances: BTreeMap<String, DcsInstance>,
    pub backups: BTreeMap<String, DcsBackup>,
    pub restores: BTreeMap<String, DcsRestore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DcsInstance {
    pub name: String,
    /// `RUNNING`, `RESTORING`, `ERROR`, ... (otc-api.md §5.4).
    pub status: String,
    pub engine: String,
    pub engine_version: String,
    /// `single`, `ha` or `cluster`; single-node instances cannot be restored.
    pub cache_mode: String,
    /// GB.
    pub capacity: u32,
    /// Where Redis answers; `None` reports `192.0.2.40:6379`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl Default for DcsInstance {
    fn default() -> Self {
        DcsInstance {
            name: String::new(),
            status: "RUNNING".to_owned(),
            engine: "Redis".to_owned(),
            engine_version: "6.0".to_owned(),
            cache_mode: "ha".to_owned(),
            capacity: 1,
            address: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DcsBackup {
    pub instance_id: String,
    pub name: String,
    /// `waiting`, `backuping`, `succeed`, `failed`, `expired` or `deleted`.
    pub status: String,
    /// `manual` or `auto`.
    pub backup_type: String,
    /// `"TRUE"` or `"FALSE"`, as the API spells it.
    pub is_support_restore: String,
    pub remark: String,
    #[serde(with = "ms")]
    pub created_at: i64,
    /// Bytes.
    pub size: u64,
}

impl Default for DcsBackup {
    fn default() -> Self {
        DcsBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "succeed".to_owned(),
            backup_type: "manual".to_owned(),
            is_support_restore: "TRUE".to_owned(),
            remark: String::new(),
            created_at: 0,
            size: 1_048_576,
        }
    }
}

/// A DCS restoration record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcsRestore {
    pub instance_id: String,
    pub backup_id: String,
    pub backup_name: String,
    pub backup_remark: String,
    pub restore_name: String,
    pub remark: String,
    /// `waiting`, `restoring`, `succeed` or `failed`.
    pub status: String,
    #[serde(with = "ms")]
    pub created_at: i64,
    pub duration_ms: i64,
    pub will_fail: bool,
    #[serde(default)]
    pub error_code: String,
    #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
}

impl DcsRestore {
    pub(crate) fn due(&self) -> i64 {
        self.created_at.saturating_add(self.duration_ms)
    }

    /// The first tenth of a restore is spent queued (`waiting`).
    pub(crate) fn started_at(&self) -> i64 {
        self.created_at.saturating_add(self.duration_ms / 10)
    }
}
