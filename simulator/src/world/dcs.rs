//! The world's DCS instances, backups and restore records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::part::{Part, check_addresses, check_backups};
use super::{Address, World, name_or, set};
use crate::timefmt::{ms, opt_ms};

/// DCS failure code for "data sync failed" (`dcs.08.0001`..`0008`, otc-api.md §5.2).
pub(crate) const DCS_FAIL_CODE: &str = "dcs.08.0007";

/// DCS in the whole-world code: instances, backups, and restore records.
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.dcs.instances.keys().cloned());
        out.extend(w.dcs.backups.keys().cloned());
    },
    check: |w| {
        check_backups(
            "dcs",
            w.dcs.backups.iter(),
            |b| &b.instance_id,
            &w.dcs.instances,
        )?;
        check_addresses(
            w.dcs
                .instances
                .iter()
                .filter_map(|(id, i)| Some((id, i.address.as_ref()?))),
        )
    },
    due: |w, now| {
        w.dcs
            .restores
            .iter()
            .filter(|(_, rec)| {
                matches!(rec.status.as_str(), "waiting" | "restoring") && rec.due() <= now
            })
            .map(|(id, rec)| (rec.due(), id.clone()))
            .collect()
    },
    finish: finish_restore,
    start: |w, now| {
        for rec in w.dcs.restores.values_mut() {
            if rec.status == "waiting" && rec.started_at() <= now {
                set(&mut rec.status, "restoring");
            }
        }
    },
};

/// The end of a restore record: `succeed` (or `failed` with the sync failure code), and the
/// instance `RUNNING` again.
fn finish_restore(world: &mut World, id: &str) {
    let Some(rec) = world.dcs.restores.get_mut(id) else {
        return;
    };
    let ok = !rec.will_fail;
    set(&mut rec.status, if ok { "succeed" } else { "failed" });
    rec.ended_at = Some(rec.due());
    if !ok {
        set(&mut rec.error_code, DCS_FAIL_CODE);
    }
    let instance = rec.instance_id.clone();
    if let Some(inst) = world.dcs.instances.get_mut(&instance) {
        set(&mut inst.status, "RUNNING");
    }
}

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

impl World {
    /// A `RUNNING` master/standby Redis instance.
    pub fn ensure_dcs_instance(&mut self, id: &str) {
        self.dcs
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| DcsInstance {
                name: name_or("", "dcs", id),
                ..DcsInstance::default()
            });
    }

    /// A `succeed`, restorable backup of `instance_id`.
    pub fn ensure_dcs_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.ensure_dcs_instance(instance_id);
        let at = self.backup_time();
        self.dcs
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| DcsBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                created_at: at,
                ..DcsBackup::default()
            });
    }
}
