//! The creates and deletes the simulator accepted, in order, so tests can count them.

use serde::{Deserialize, Serialize};

use crate::service::Service;

/// An accepted restore to a new instance (`POST /v3/{project_id}/instances`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Creation {
    pub service: Service,
    pub instance_id: String,
    pub name: String,
    pub source_instance_id: String,
    pub job_id: String,
    /// Simulated time of the POST, epoch milliseconds.
    pub at_ms: i64,
}

/// An accepted `DELETE /v3/{project_id}/instances/{instance_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub service: Service,
    pub instance_id: String,
    pub name: String,
    pub job_id: String,
    pub at_ms: i64,
}

#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub creations: Vec<Creation>,
    pub deletions: Vec<Deletion>,
}
