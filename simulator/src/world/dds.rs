//! The world's DDS (MongoDB) instances, backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Address, Job, LastRestore, Window};
use crate::timefmt::{ms, opt_ms};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdsWorld {
    pub instances: BTreeMap<String, DdsInstance>,
    pub backups: BTreeMap<String, DdsBackup>,
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdsInstance {
    pub name: String,
    /// `normal`, `abnormal`, `creating`, `createfail`, ... (`querying_instances_and_details.rst`).
    pub status: String,
    /// `Sharding`, `ReplicaSet` or `Single`.
    pub mode: String,
    /// The compatible MongoDB version: `3.4`, `4.0`, `4.2`, `4.4`, `5.0`.
    pub version: String,
    /// Storage per shard or replica set, GB.
    pub volume_size: u32,
    pub restore_windows: Vec<Window>,
    /// Databases and their collections, for database and collection PITR.
    pub databases: BTreeMap<String, Vec<String>>,
    /// Where MongoDB answers; `None` reports `192.0.2.21:8635`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub flavor_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_restore: Option<LastRestore>,
    /// Running operations, as `actions` reports them (`RESTORE`, `RESTORE_TO_NEW_INSTANCE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    #[serde(with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// A delete job is running; the instance disappears when it ends.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleting: bool,
}

impl Default for DdsInstance {
    fn default() -> Self {
        DdsInstance {
            name: String::new(),
            status: "normal".to_owned(),
            mode: "ReplicaSet".to_owned(),
            version: "4.0".to_owned(),
            volume_size: 10,
            restore_windows: Vec::new(),
            databases: BTreeMap::new(),
            address: None,
            flavor_ref: String::new(),
            last_restore: None,
            actions: Vec::new(),
            created: None,
            deleting: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdsBackup {
    pub instance_id: String,
    pub name: String,
    /// `BUILDING`, `COMPLETED`, `FAILED` or `DELETING`.
    pub status: String,
    /// `auto` or `manual` (the filter matches either spelling).
    #[serde(rename = "type")]
    pub backup_type: String,
    #[serde(with = "ms")]
    pub begin_time: i64,
    #[serde(with = "ms")]
    pub end_time: i64,
    /// KB.
    pub size: u64,
    pub description: String,
}

impl Default for DdsBackup {
    fn default() -> Self {
        DdsBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "COMPLETED".to_owned(),
            backup_type: "auto".to_owned(),
            begin_time: 0,
            end_time: 0,
            size: 2_048,
            description: String::new(),
        }
    }
}
