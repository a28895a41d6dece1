//! Asynchronous jobs (RDS, DDM, TaurusDB, DDS, GaussDB), what each does when it ends, and how one ends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{World, set};
use crate::timefmt::{ms, opt_ms};

/// Why a job failed when the fault that failed it gave no reason.
pub(crate) const DEFAULT_FAIL_REASON: &str =
    "The restoration failed (fault injected by the simulator).";

/// An asynchronous job as RDS, DDM and TaurusDB report it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub name: String,
    pub instance_id: String,
    pub instance_name: String,
    /// `Running`, `Completed` or `Failed`.
    pub status: String,
    #[serde(with = "ms")]
    pub created: i64,
    pub duration_ms: i64,
    /// Before this instant the job query answers "job does not exist" (DBS.200543).
    #[serde(with = "ms")]
    pub visible_at: i64,
    /// Decided at submission (fault injection); applied when the job ends.
    pub will_fail: bool,
    #[serde(default)]
    pub fail_reason: String,
    #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub ended: Option<i64>,
    pub effect: JobEffect,
}

impl Job {
    pub(crate) fn due(&self) -> i64 {
        self.created.saturating_add(self.duration_ms)
    }

    /// Progress percent while running (0..=99).
    pub(crate) fn percent(&self, now: i64) -> i64 {
        if self.duration_ms <= 0 {
            return 99;
        }
        (now.saturating_sub(self.created).max(0).saturating_mul(100) / self.duration_ms)
            .clamp(0, 99)
    }
}

/// What a job does to the world when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum JobEffect {
    RdsRestore {
        source_instance_id: String,
        target_instance_id: String,
        #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
        restore_time: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup_id: Option<String>,
    },
    DdmRestore {
        source_instance_id: String,
        target_instance_id: String,
        #[serde(with = "ms")]
        restore_time: i64,
        data_node_relations: Vec<DataNodeRelation>,
    },
    DdmMetadataRestore {
        source_instance_id: String,
        target_instance_id: String,
        #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
        restore_time: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup_id: Option<String>,
        data_nodes: Vec<String>,
    },
    TaurusdbRestore {
        source_instance_id: String,
        target_instance_id: String,
        #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
        restore_time: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup_id: Option<String>,
    },
    /// A restore to a new RDS instance: the instance goes `BUILD` → `ACTIVE` / `CREATE FAIL`.
    RdsCreate {
        source_instance_id: String,
        instance_id: String,
        #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
        restore_time: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup_id: Option<String>,
    },
    RdsDelete {
        instance_id: String,
    },
    /// A table- or database-level restore: the instance gains the restored objects under
    /// their new names (tables by database; a database restore lists the database with the
    /// tables it brings back).
    RdsTables {
        instance_id: String,
        restored: BTreeMap<String, Vec<String>>,
    },
    /// DDS restore to the original instance, or to a new one (`created`).
    DdsRestore {
        source_instance_id: String,
        target_instance_id: String,
        created: bool,
        #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
        restore_time: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup_id: Option<String>,
    },
    DdsCollections {
        instance_id: String,
        /// Collections the restore adds, per database (`new_name`, or `old_name` restored).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        restored: BTreeMap<String, Vec<String>>,
    },
    /// A GaussDB restore to a new instance: `BUILD` → `ACTIVE` / `FAILED`.
    GaussdbCreate {
        source_instance_id: String,
        instance_id: String,
        #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
        restore_time: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup_id: Option<String>,
    },
    DdsDelete {
        instance_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataNodeRelation {
    pub source_instance_id: String,
    pub target_instance_id: String,
}

/// The running jobs of `jobs` due by `now`, as (due, id).
pub(crate) fn jobs_due(jobs: &BTreeMap<String, Job>, now: i64) -> Vec<(i64, String)> {
    jobs.iter()
        .filter(|(_, job)| job.status == "Running" && job.due() <= now)
        .map(|(id, job)| (job.due(), id.clone()))
        .collect()
}

/// Ends job `id` of the map `jobs` picks (`Completed`, or `Failed` if a fault decided so),
/// then lets `apply` carry its effect into the world.
pub(crate) fn end_job(
    world: &mut World,
    jobs: fn(&mut World) -> &mut BTreeMap<String, Job>,
    id: &str,
    apply: fn(&mut World, &JobEffect, bool, i64),
) {
    let Some(job) = jobs(world).get_mut(id) else {
        return;
    };
    let at = job.due();
    let ok = !job.will_fail;
    set(&mut job.status, if ok { "Completed" } else { "Failed" });
    job.ended = Some(at);
    if !ok && job.fail_reason.is_empty() {
        set(&mut job.fail_reason, DEFAULT_FAIL_REASON);
    }
    let effect = job.effect.clone();
    apply(world, &effect, ok, at);
}
