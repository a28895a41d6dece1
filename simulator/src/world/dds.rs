//! The world's DDS (MongoDB) instances, backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job::{end_job, jobs_due};
use super::part::{Part, check_addresses, check_backups};
use super::{Address, Job, JobEffect, LastRestore, Window, World, name_or, set};
use crate::ensure::cover;
use crate::timefmt::{ms, opt_ms};

/// DDS in the whole-world code: instances, backups, and jobs that end in restores (to the
/// instance, to a new one, of collections) and deletes.
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.dds.instances.keys().cloned());
        out.extend(w.dds.backups.keys().cloned());
    },
    check: |w| {
        check_backups(
            "dds",
            w.dds.backups.iter(),
            |b| &b.instance_id,
            &w.dds.instances,
        )?;
        check_addresses(
            w.dds
                .instances
                .iter()
                .filter_map(|(id, i)| Some((id, i.address.as_ref()?))),
        )
    },
    due: |w, now| jobs_due(&w.dds.jobs, now),
    finish: |w, id| end_job(w, |w| &mut w.dds.jobs, id, apply),
    start: |_, _| {},
};

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

/// Applies the end of a DDS job to the world.
fn apply(world: &mut World, effect: &JobEffect, ok: bool, at: i64) {
    match effect {
        JobEffect::DdsRestore {
            target_instance_id,
            created,
            restore_time,
            backup_id,
            ..
        } => {
            if let Some(inst) = world.dds.instances.get_mut(target_instance_id) {
                inst.actions.clear();
                let status = match (ok, created) {
                    (true, _) => "normal",
                    (false, true) => "createfail",
                    (false, false) => "abnormal",
                };
                set(&mut inst.status, status);
                LastRestore::remember(
                    &mut inst.last_restore,
                    ok,
                    *restore_time,
                    backup_id.as_deref(),
                    at,
                );
            }
        }
        JobEffect::DdsCollections {
            instance_id,
            restored,
        } => {
            if let Some(inst) = world.dds.instances.get_mut(instance_id) {
                inst.actions.clear();
                if ok {
                    for (db, names) in restored {
                        let have = inst.databases.entry(db.clone()).or_default();
                        for n in names {
                            if !have.contains(n) {
                                have.push(n.clone());
                            }
                        }
                    }
                }
            }
        }
        JobEffect::DdsDelete { instance_id } => {
            if ok {
                world.dds.instances.remove(instance_id);
                world
                    .dds
                    .backups
                    .retain(|_, b| &b.instance_id != instance_id);
            } else if let Some(inst) = world.dds.instances.get_mut(instance_id) {
                inst.deleting = false;
            }
        }
        _ => {}
    }
}

impl World {
    /// A `normal` 4.0 replica set whose restorable windows cover `window` (so it supports
    /// point-in-time, database and collection restores).
    pub fn ensure_dds_instance(&mut self, id: &str, window: (i64, i64)) {
        let inst = self
            .dds
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| DdsInstance {
                name: name_or("", "dds", id),
                ..DdsInstance::default()
            });
        cover(&mut inst.restore_windows, window);
    }

    /// A `COMPLETED` backup of `instance_id` (the instance is created, without windows, if
    /// missing).
    pub fn ensure_dds_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.dds
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| DdsInstance {
                name: name_or("", "dds", instance_id),
                ..DdsInstance::default()
            });
        let at = self.backup_time();
        self.dds
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| DdsBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                begin_time: at,
                end_time: at + 60_000,
                ..DdsBackup::default()
            });
    }
}
