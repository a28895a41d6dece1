//! The world's DDM instances, metadata backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Job, Window};
use crate::timefmt::{ms, opt_ms};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdmWorld {
    pub instances: BTreeMap<String, DdmInstance>,
    pub backups: BTreeMap<String, DdmBackup>,
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdmInstance {
    pub name: String,
    /// `RUNNING`, `RESTORE`, `ERROR`, ... (otc-api.md §1.5).
    pub status: String,
    pub version: String,
    /// IDs of the RDS instances associated with this DDM instance.
    pub data_nodes: Vec<String>,
    /// Logical schemas; a restore target must have none.
    pub schemas: Vec<String>,
    /// DDM accounts; a restore target must have none.
    pub accounts: Vec<String>,
    pub vpc_name: String,
    /// The instance's own restorable ranges. Empty means "whatever its data nodes allow".
    pub restore_windows: Vec<Window>,
}

impl Default for DdmInstance {
    fn default() -> Self {
        DdmInstance {
            name: String::new(),
            status: "RUNNING".to_owned(),
            version: "3.0.8".to_owned(),
            data_nodes: Vec::new(),
            schemas: Vec::new(),
            accounts: Vec::new(),
            vpc_name: "vpc-default".to_owned(),
            restore_windows: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdmBackup {
    pub instance_id: String,
    pub name: String,
    /// `creating`, `normal`, `deleted` or `createfail`.
    pub status: String,
    /// `auto_metadata` or `metadata`.
    pub backup_type: String,
    #[serde(with = "ms")]
    pub created: i64,
    /// When it last changed (a finished backup: when it finished); absent, `created`.
    #[serde(with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
    /// Size in KB.
    pub file_size: u64,
}

impl Default for DdmBackup {
    fn default() -> Self {
        DdmBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "normal".to_owned(),
            backup_type: "auto_metadata".to_owned(),
            created: 0,
            updated: None,
            file_size: 17,
        }
    }
}
