//! The world's GaussDB (openGauss) instances, backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job::{end_job, jobs_due};
use super::part::Part;
use super::{Address, Job, JobEffect, LastRestore, Window, World, set};
use crate::timefmt::{ms, opt_ms};

/// GaussDB in the whole-world code: instances, backups, and jobs that end in creates.
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.gaussdb.instances.keys().cloned());
        out.extend(w.gaussdb.backups.keys().cloned());
    },
    check: |_| Ok(()),
    due: |w, now| jobs_due(&w.gaussdb.jobs, now),
    finish: |w, id| end_job(w, |w| &mut w.gaussdb.jobs, id, World::finish_gaussdb),
    start: |_, _| {},
};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussdbWorld {
    pub instances: BTreeMap<String, GaussdbInstance>,
    pub backups: BTreeMap<String, GaussdbBackup>,
    pub jobs: BTreeMap<String, Job>,
}

/// One instance (`querying_db_instances.rst`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussdbInstance {
    pub name: String,
    /// `BUILD`, `ACTIVE`, `FAILED`, ...
    pub status: String,
    /// `1.4`, `2.7`, ...
    pub version: String,
    /// `Enterprise` (distributed) or `Ha` (primary/standby, `centralization_standard`).
    #[serde(rename = "type")]
    pub instance_type: String,
    /// `gaussdb.opengauss.ee.dn.m6.large.8.in`, ...
    pub flavor_ref: String,
    /// GB.
    pub volume_size: u32,
    pub restore_windows: Vec<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_restore: Option<LastRestore>,
}

impl Default for GaussdbInstance {
    fn default() -> Self {
        GaussdbInstance {
            name: String::new(),
            status: "ACTIVE".to_owned(),
            version: "2.7".to_owned(),
            instance_type: "Ha".to_owned(),
            flavor_ref: "gaussdb.opengauss.ee.dn.m6.2xlarge.8.in".to_owned(),
            volume_size: 160,
            restore_windows: Vec::new(),
            address: None,
            created: None,
            last_restore: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussdbBackup {
    pub instance_id: String,
    pub name: String,
    /// `BUILDING`, `COMPLETED`, `FAILED`, `DELETING`.
    pub status: String,
    #[serde(with = "ms")]
    pub begin_time: i64,
    #[serde(with = "ms")]
    pub end_time: i64,
}

impl Default for GaussdbBackup {
    fn default() -> Self {
        GaussdbBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "COMPLETED".to_owned(),
            begin_time: 0,
            end_time: 0,
        }
    }
}

impl World {
    /// The end of a create: the instance is `ACTIVE` (or `FAILED`) and remembers what it restored.
    fn finish_gaussdb(&mut self, effect: &JobEffect, ok: bool, at: i64) {
        let JobEffect::GaussdbCreate {
            instance_id,
            restore_time,
            backup_id,
            ..
        } = effect
        else {
            return;
        };
        if let Some(inst) = self.gaussdb.instances.get_mut(instance_id) {
            set(&mut inst.status, if ok { "ACTIVE" } else { "FAILED" });
            LastRestore::remember(
                &mut inst.last_restore,
                ok,
                *restore_time,
                backup_id.as_deref(),
                at,
            );
        }
    }
}
