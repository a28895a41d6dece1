//! Simulated seconds the restores, creates and deletes take (`durations:`, `job_durations:`).

use serde::{Deserialize, Serialize};

/// Simulated seconds each kind of restore takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Durations {
    pub rds_restore: f64,
    pub ddm_restore: f64,
    pub ddm_metadata_restore: f64,
    pub taurusdb_restore: f64,
    pub cbr_restore: f64,
    pub dcs_restore: f64,
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            rds_restore: 300.0,
            ddm_restore: 120.0,
            ddm_metadata_restore: 90.0,
            taurusdb_restore: 300.0,
            cbr_restore: 600.0,
            dcs_restore: 180.0,
        }
    }
}

impl Durations {
    pub(crate) fn all(&self) -> [(&'static str, f64); 6] {
        [
            ("rds_restore", self.rds_restore),
            ("ddm_restore", self.ddm_restore),
            ("ddm_metadata_restore", self.ddm_metadata_restore),
            ("taurusdb_restore", self.taurusdb_restore),
            ("cbr_restore", self.cbr_restore),
            ("dcs_restore", self.dcs_restore),
        ]
    }
}

/// Simulated seconds of the jobs added with restores to new instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobDurations {
    pub rds_create: f64,
    pub rds_delete: f64,
    pub dds_create: f64,
    pub dds_restore: f64,
    pub dds_collections: f64,
    pub dds_delete: f64,
}

impl Default for JobDurations {
    fn default() -> Self {
        JobDurations {
            rds_create: 600.0,
            rds_delete: 60.0,
            dds_create: 600.0,
            dds_restore: 300.0,
            dds_collections: 180.0,
            dds_delete: 60.0,
        }
    }
}

impl JobDurations {
    pub(crate) fn all(&self) -> [(&'static str, f64); 6] {
        [
            ("rds_create", self.rds_create),
            ("rds_delete", self.rds_delete),
            ("dds_create", self.dds_create),
            ("dds_restore", self.dds_restore),
            ("dds_collections", self.dds_collections),
            ("dds_delete", self.dds_delete),
        ]
    }
}
