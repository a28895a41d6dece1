//! The world's RDS instances, backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Job, LastRestore, Window};
use crate::timefmt::ms;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsWorld {
    pub instances: BTreeMap<String, RdsInstance>,
    pub backups: BTreeMap<String, RdsBackup>,
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsInstance {
    pub name: String,
    /// `ACTIVE`, `RESTORING`, `FAILED`, `BUILD`, ... (otc-api.md §2.5).
    pub status: String,
    /// `mysql`, `postgresql` or `sqlserver`.
    pub engine: String,
    pub version: String,
    /// Storage in GB.
    pub volume_size: u32,
    pub vpc_name: String,
    pub restore_windows: Vec<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_restore: Option<LastRestore>,
}

impl Default for RdsInstance {
    fn default() -> Self {
        RdsInstance {
            name: String::new(),
            status: "ACTIVE".to_owned(),
            engine: "mysql".to_owned(),
            version: "8.0".to_owned(),
            volume_size: 40,
            vpc_name: "vpc-default".to_owned(),
            restore_windows: Vec::new(),
            last_restore: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsBackup {
    pub instance_id: String,
    pub name: String,
    /// `BUILDING`, `COMPLETED`, `FAILED` or `DELETING`.
    pub status: String,
    /// `auto`, `manual`, `fragment` or `incremental`.
    #[serde(rename = "type")]
    pub backup_type: String,
    #[serde(with = "ms")]
    pub begin_time: i64,
    #[serde(with = "ms")]
    pub end_time: i64,
    /// Size in KB.
    pub size: u64,
}

impl Default for RdsBackup {
    fn default() -> Self {
        RdsBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "COMPLETED".to_owned(),
            backup_type: "auto".to_owned(),
            begin_time: 0,
            end_time: 0,
            size: 2_803_112,
        }
    }
}
