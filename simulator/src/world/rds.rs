//! The world's RDS instances, backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job::{end_job, jobs_due};
use super::part::{Part, check_addresses, check_backups};
use super::{
    Address, Job, JobEffect, LastRestore, RdsContents, RecycledInstance, Window, World, name_or,
    set,
};
use crate::ensure::cover;
use crate::timefmt::{ms, opt_ms};

/// RDS in the whole-world code: instances and backups, jobs that end in restores, creates,
/// table restores and deletes.
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.rds.instances.keys().cloned());
        out.extend(w.rds.backups.keys().cloned());
    },
    check: |w| {
        check_backups(
            "rds",
            w.rds.backups.iter(),
            |b| &b.instance_id,
            &w.rds.instances,
        )?;
        check_addresses(
            w.rds
                .instances
                .iter()
                .filter_map(|(id, i)| Some((id, i.address.as_ref()?))),
        )
    },
    due: |w, now| jobs_due(&w.rds.jobs, now),
    finish: |w, id| end_job(w, |w| &mut w.rds.jobs, id, apply),
    start: |_, _| {},
};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsWorld {
    pub instances: BTreeMap<String, RdsInstance>,
    pub backups: BTreeMap<String, RdsBackup>,
    pub jobs: BTreeMap<String, Job>,
    /// The flavors `GET /v3/{project_id}/flavors/{engine}` lists and restores to a new
    /// instance accept; empty means the built-in catalog (`rds_new.rs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flavors: Vec<RdsFlavor>,
    /// Databases and tables by instance ID, for table- and database-level restores
    /// (`rds_tables.rs`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub contents: BTreeMap<String, RdsContents>,
    /// Deleted instances by ID (`rds_recycle.rs`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub recycle_bin: BTreeMap<String, RecycledInstance>,
    /// Plays a region whose API gateway does not publish the table-level restore APIs (OTC
    /// documents only their permission): they answer 404 `APIG.0101`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub table_restore_unavailable: bool,
}

/// One DB instance class (`querying_database_specifications.rst`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsFlavor {
    /// `rds.mysql.n1.large.2.ha`: the engine is the second dotted part (`mysql`, `pg`, `mssql`).
    pub spec_code: String,
    /// Engine versions the flavor serves, `["5.7", "8.0"]`.
    pub version_name: Vec<String>,
    /// `single`, `ha` or `replica`.
    #[serde(default = "single")]
    pub instance_mode: String,
    #[serde(default = "two")]
    pub vcpus: u32,
    /// GB.
    #[serde(default = "four")]
    pub ram: u32,
}

fn single() -> String {
    "single".to_owned()
}
fn two() -> u32 {
    2
}
fn four() -> u32 {
    4
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsInstance {
    pub name: String,
    /// Simulated time (epoch ms) before which instance lists leave this instance out: a
    /// create whose listing lags (the fault `list_invisible_seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed_from: Option<i64>,
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
    /// Where the database answers; `None` reports `192.0.2.10` and the engine's port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// `Single` or `Ha`.
    #[serde(rename = "type")]
    pub instance_type: String,
    /// Empty reports the engine's `n1.large` class.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub flavor_ref: String,
    /// Empty reports `CLOUDSSD`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub volume_type: String,
    /// SQL Server only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub disk_encryption_id: String,
    /// When a restore to a new instance created it.
    #[serde(with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// A delete job is running; the instance disappears when it ends.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleting: bool,
}

impl Default for RdsInstance {
    fn default() -> Self {
        RdsInstance {
            name: String::new(),
            listed_from: None,
            status: "ACTIVE".to_owned(),
            engine: "mysql".to_owned(),
            version: "8.0".to_owned(),
            volume_size: 40,
            vpc_name: "vpc-default".to_owned(),
            restore_windows: Vec::new(),
            last_restore: None,
            address: None,
            instance_type: "Single".to_owned(),
            flavor_ref: String::new(),
            volume_type: String::new(),
            collation: None,
            disk_encryption_id: String::new(),
            created: None,
            deleting: false,
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

/// The end of an RDS job.
fn apply(world: &mut World, effect: &JobEffect, ok: bool, at: i64) {
    match effect {
        JobEffect::RdsRestore {
            target_instance_id: id,
            restore_time,
            backup_id,
            ..
        }
        | JobEffect::RdsCreate {
            instance_id: id,
            restore_time,
            backup_id,
            ..
        } => {
            let failed = if matches!(effect, JobEffect::RdsCreate { .. }) {
                "CREATE FAIL"
            } else {
                "FAILED"
            };
            if let Some(inst) = world.rds.instances.get_mut(id) {
                set(&mut inst.status, if ok { "ACTIVE" } else { failed });
                LastRestore::remember(
                    &mut inst.last_restore,
                    ok,
                    *restore_time,
                    backup_id.as_deref(),
                    at,
                );
            }
        }
        JobEffect::RdsTables {
            instance_id,
            restored,
        } => world.rds.restored(instance_id, restored, ok),
        JobEffect::RdsDelete { instance_id } => {
            if ok {
                world.recycle_rds(instance_id, at);
                world.rds.instances.remove(instance_id);
                world
                    .rds
                    .backups
                    .retain(|_, b| &b.instance_id != instance_id);
                // A DDM instance no longer lists a deleted data node, so the world stays one
                // that `World::validate` accepts (and a kept rehearsal world reloads).
                for ddm in world.ddm.instances.values_mut() {
                    ddm.data_nodes.retain(|dn| dn != instance_id);
                }
            } else if let Some(inst) = world.rds.instances.get_mut(instance_id) {
                inst.deleting = false;
            }
        }
        _ => {}
    }
}

impl World {
    /// An `ACTIVE` MySQL instance whose restorable windows cover `window`.
    pub fn ensure_rds_instance(&mut self, id: &str, window: (i64, i64)) {
        let inst = self
            .rds
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| RdsInstance {
                name: name_or("", "rds", id),
                ..RdsInstance::default()
            });
        cover(&mut inst.restore_windows, window);
    }

    /// A `COMPLETED` backup of `instance_id` (the instance is created, without windows, if
    /// missing).
    pub fn ensure_rds_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.rds
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| RdsInstance {
                name: name_or("", "rds", instance_id),
                ..RdsInstance::default()
            });
        let at = self.backup_time();
        self.rds
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| RdsBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                begin_time: at,
                end_time: at + 60_000,
                ..RdsBackup::default()
            });
    }
}
