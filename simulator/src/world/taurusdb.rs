//! The world's TaurusDB instances, backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Job, LastRestore, Window};
use crate::timefmt::ms;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaurusdbWorld {
    pub instances: BTreeMap<String, TaurusdbInstance>,
    pub backups: BTreeMap<String, TaurusdbBackup>,
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaurusdbInstance {
    pub name: String,
    /// `ACTIVE`, `RESTORING`, `FAILED`, ... (otc-api.md §3.3).
    pub status: String,
    pub version: String,
    pub restore_windows: Vec<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_restore: Option<LastRestore>,
}

impl Default for TaurusdbInstance {
    fn default() -> Self {
        TaurusdbInstance {
            name: String::new(),
            status: "ACTIVE".to_owned(),
            version: "8.0".to_owned(),
            restore_windows: Vec::new(),
            last_restore: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaurusdbBackup {
    pub instance_id: String,
    pub name: String,
    /// `BUILDING`, `COMPLETED`, `FAILED` or `AVAILABLE`.
    pub status: String,
    /// `auto` or `manual`.
    #[serde(rename = "type")]
    pub backup_type: String,
    #[serde(with = "ms")]
    pub begin_time: i64,
    #[serde(with = "ms")]
    pub end_time: i64,
    /// Size in MB.
    pub size: u64,
}

impl Default for TaurusdbBackup {
    fn default() -> Self {
        TaurusdbBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "COMPLETED".to_owned(),
            backup_type: "auto".to_owned(),
            begin_time: 0,
            end_time: 0,
            size: 2048,
        }
    }
}
