//! The world's TaurusDB instances, backups and jobs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job::{end_job, jobs_due};
use super::part::{Part, check_backups};
use super::{Job, JobEffect, LastRestore, Window, World, name_or, set};
use crate::ensure::cover;
use crate::timefmt::ms;

/// TaurusDB in the whole-world code: instances, backups, and jobs that end in restores.
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.taurusdb.instances.keys().cloned());
        out.extend(w.taurusdb.backups.keys().cloned());
    },
    check: |w| {
        check_backups(
            "taurusdb",
            w.taurusdb.backups.iter(),
            |b| &b.instance_id,
            &w.taurusdb.instances,
        )
    },
    due: |w, now| jobs_due(&w.taurusdb.jobs, now),
    finish: |w, id| end_job(w, |w| &mut w.taurusdb.jobs, id, apply),
    start: |_, _| {},
};

/// The end of a TaurusDB restore: the target is `ACTIVE` (or `FAILED`).
fn apply(world: &mut World, effect: &JobEffect, ok: bool, at: i64) {
    let JobEffect::TaurusdbRestore {
        target_instance_id,
        restore_time,
        backup_id,
        ..
    } = effect
    else {
        return;
    };
    if let Some(inst) = world.taurusdb.instances.get_mut(target_instance_id) {
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

impl World {
    /// An `ACTIVE` TaurusDB instance whose restorable windows cover `window`.
    pub fn ensure_taurusdb_instance(&mut self, id: &str, window: (i64, i64)) {
        let inst = self
            .taurusdb
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| TaurusdbInstance {
                name: name_or("", "taurusdb", id),
                ..TaurusdbInstance::default()
            });
        cover(&mut inst.restore_windows, window);
    }

    /// A `COMPLETED` TaurusDB backup of `instance_id`.
    pub fn ensure_taurusdb_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.taurusdb
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| TaurusdbInstance {
                name: name_or("", "taurusdb", instance_id),
                ..TaurusdbInstance::default()
            });
        let at = self.backup_time();
        self.taurusdb
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| TaurusdbBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                begin_time: at,
                end_time: at + 60_000,
                ..TaurusdbBackup::default()
            });
    }
}
