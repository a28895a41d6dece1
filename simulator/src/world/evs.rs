//! EVS disks and snapshots in the world (`evs:` in a world file), and how rollbacks settle.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::part::Part;

/// EVS in the whole-world code: disks and snapshots. Rollbacks settle on their own
/// (`EvsWorld::settle`), when a request reads them.
pub(crate) const PART: Part = Part {
    ids: |w, out| {
        out.extend(w.evs.volumes.keys().cloned());
        out.extend(w.evs.snapshots.keys().cloned());
    },
    ..Part::NONE
};

/// EVS disks and snapshots (`evs:` in a world file).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvsWorld {
    pub volumes: BTreeMap<String, EvsVolume>,
    pub snapshots: BTreeMap<String, EvsSnapshot>,
    /// Simulated seconds a rollback takes; default 120.
    pub rollback_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvsVolume {
    pub name: String,
    /// `available`, `in-use`, `rollbacking`, `error_rollbacking`, ... (appendix/evs_disk_status).
    pub status: String,
    #[serde(default)]
    pub size: u32,
    /// Epoch ms of the last change (the API's `updated_at`).
    #[serde(default)]
    pub updated_at: i64,
    /// When a running rollback ends (epoch ms); `None` when none runs.
    #[serde(default)]
    pub rollback_until: Option<i64>,
    /// Fail the next rollback (ends in `error_rollbacking`).
    #[serde(default)]
    pub fail_rollback: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvsSnapshot {
    pub name: String,
    pub volume_id: String,
    /// `available`, `creating`, `rollbacking`, ... (appendix/evs_snapshot_status).
    pub status: String,
}

impl EvsWorld {
    /// A disk and a snapshot of it, both `available`, unless they exist already.
    pub fn ensure(&mut self, volume_id: &str, snapshot_id: &str) {
        self.volumes
            .entry(volume_id.to_owned())
            .or_insert_with(|| EvsVolume {
                name: format!("disk-{}", &volume_id[..volume_id.len().min(8)]),
                status: "available".to_owned(),
                size: 40,
                updated_at: 0,
                rollback_until: None,
                fail_rollback: false,
            });
        self.snapshots
            .entry(snapshot_id.to_owned())
            .or_insert_with(|| EvsSnapshot {
                name: format!("snap-{}", &snapshot_id[..snapshot_id.len().min(8)]),
                volume_id: volume_id.to_owned(),
                status: "available".to_owned(),
            });
    }

    /// Ends rollbacks whose time has come.
    pub(crate) fn settle(&mut self, now: i64) {
        for v in self.volumes.values_mut() {
            if let Some(until) = v.rollback_until
                && now >= until
            {
                v.rollback_until = None;
                let end = if v.fail_rollback {
                    "error_rollbacking"
                } else {
                    "available"
                };
                end.clone_into(&mut v.status);
                v.fail_rollback = false;
                v.updated_at = until;
            }
        }
        for s in self.snapshots.values_mut() {
            if s.status == "rollbacking"
                && self
                    .volumes
                    .get(&s.volume_id)
                    .is_none_or(|v| v.rollback_until.is_none())
            {
                "available".clone_into(&mut s.status);
            }
        }
    }
}
