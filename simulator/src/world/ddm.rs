//! The world's DDM instances, metadata backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job::{end_job, jobs_due};
use super::part::{Part, check_backups};
use super::{Job, JobEffect, LastRestore, Window, World, name_or, set};
use crate::ensure::cover;
use crate::timefmt::ms;

/// DDM in the whole-world code: instances over RDS data nodes, metadata backups, and jobs
/// that end in restores (which restore the data nodes too).
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.ddm.instances.keys().cloned());
        out.extend(w.ddm.backups.keys().cloned());
    },
    check: |w| {
        for (id, d) in &w.ddm.instances {
            for dn in &d.data_nodes {
                if !w.rds.instances.contains_key(dn) {
                    return Err(format!(
                        "ddm instance {id} lists unknown rds data node {dn}"
                    ));
                }
            }
        }
        check_backups(
            "ddm",
            w.ddm.backups.iter(),
            |b| &b.instance_id,
            &w.ddm.instances,
        )
    },
    due: |w, now| jobs_due(&w.ddm.jobs, now),
    finish: |w, id| end_job(w, |w| &mut w.ddm.jobs, id, apply),
    start: |_, _| {},
};

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
            file_size: 17,
        }
    }
}

/// The end of a DDM job.
fn apply(world: &mut World, effect: &JobEffect, ok: bool, at: i64) {
    match effect {
        JobEffect::DdmRestore {
            source_instance_id,
            target_instance_id,
            restore_time,
            data_node_relations,
        } => {
            for rel in data_node_relations {
                if let Some(dn) = world.rds.instances.get_mut(&rel.target_instance_id) {
                    set(&mut dn.status, if ok { "ACTIVE" } else { "FAILED" });
                    LastRestore::remember(&mut dn.last_restore, ok, Some(*restore_time), None, at);
                }
            }
            let nodes: Vec<String> = data_node_relations
                .iter()
                .map(|r| r.target_instance_id.clone())
                .collect();
            restored(world, source_instance_id, target_instance_id, &nodes, ok);
        }
        JobEffect::DdmMetadataRestore {
            source_instance_id,
            target_instance_id,
            data_nodes,
            ..
        } => restored(
            world,
            source_instance_id,
            target_instance_id,
            data_nodes,
            ok,
        ),
        _ => {}
    }
}

/// The target of a restore is `RUNNING` over `data_nodes` with the source's schemas, or `ERROR`.
fn restored(world: &mut World, source: &str, target: &str, data_nodes: &[String], ok: bool) {
    let schemas = world
        .ddm
        .instances
        .get(source)
        .map(|s| s.schemas.clone())
        .unwrap_or_default();
    if let Some(target) = world.ddm.instances.get_mut(target) {
        set(&mut target.status, if ok { "RUNNING" } else { "ERROR" });
        if ok {
            target.data_nodes = data_nodes.to_vec();
            target.schemas = schemas;
        }
    }
}

impl World {
    /// The IDs of every DDM instance that uses `rds_id` as a data node.
    pub(crate) fn ddm_owners_of(&self, rds_id: &str) -> Vec<String> {
        self.ddm
            .instances
            .iter()
            .filter(|(_, d)| d.data_nodes.iter().any(|n| n == rds_id))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// A `RUNNING` DDM instance over `data_nodes` (each an RDS instance, created if missing).
    /// An instance with data nodes gets a schema, so it works as a source; one without is
    /// empty, so it works as a restore target.
    pub fn ensure_ddm_instance(&mut self, id: &str, data_nodes: &[String], window: (i64, i64)) {
        for dn in data_nodes {
            self.ensure_rds_instance(dn, window);
        }
        let inst = self
            .ddm
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| DdmInstance {
                name: name_or("", "ddm", id),
                schemas: if data_nodes.is_empty() {
                    Vec::new()
                } else {
                    vec![format!("db_{}", id.chars().take(6).collect::<String>())]
                },
                ..DdmInstance::default()
            });
        for dn in data_nodes {
            if !inst.data_nodes.contains(dn) {
                inst.data_nodes.push(dn.clone());
            }
        }
        cover(&mut inst.restore_windows, window);
    }

    /// A `normal` metadata backup of `instance_id` (created, empty, if missing).
    pub fn ensure_ddm_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.ddm
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| DdmInstance {
                name: name_or("", "ddm", instance_id),
                ..DdmInstance::default()
            });
        let at = self.backup_time();
        self.ddm
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| DdmBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                backup_type: "metadata".to_owned(),
                created: at,
                ..DdmBackup::default()
            });
    }
}
