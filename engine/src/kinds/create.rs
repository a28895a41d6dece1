//! Bodies of the kinds that create an instance or restore DDS, and secret references.

use super::bodies::RestoreType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// What every rendered request, plan, state record and log shows in place of a secret.
pub use rewind_base::SENSITIVE;

/// `rds.restore_new` and `dds.restore_new`: `POST /v3/{project_id}/instances` with the create
/// body plus `restore_point`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreNew {
    /// The new instance's name: the idempotency key, unique in the project before the POST.
    pub name: String,
    pub restore_point: RestorePoint,
    /// The root password: always a secret reference, never a value.
    pub password: Option<SecretRef>,
    /// Every other create field, exactly as the API names it, in spec order.
    pub create: Map<String, Value>,
}

/// `restore_point` of a create; fields are sent only when written (or, for `type`, inferred).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestorePoint {
    pub instance_id: Option<String>,
    #[serde(rename = "type")]
    pub restore_type: Option<RestoreType>,
    pub backup_id: Option<String>,
    /// Epoch milliseconds, UTC.
    pub restore_time: Option<i64>,
}

/// `dds.restore_collections`: `POST .../instances/{instance_id}/restore/collections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdsCollections {
    /// Path parameter.
    pub instance_id: String,
    pub restore_collections: Vec<DdsDatabase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdsDatabase {
    pub database: String,
    /// Epoch milliseconds; restores the whole database.
    pub restore_database_time: Option<i64>,
    pub collections: Vec<DdsCollection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdsCollection {
    pub old_name: String,
    pub new_name: Option<String>,
    /// Epoch milliseconds.
    pub restore_collection_time: i64,
}

/// A reference to a secret: `secrets.NAME` (declared under `secrets:`) or `env.VAR`. Only the
/// name is ever stored; the value is looked up in memory at submit time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SecretRef {
    pub name: String,
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}}}", self.name)
    }
}

/// A secret's value, held in memory only: the one secret type of rewind, shared with the
/// providers and the drills.
pub use rewind_base::Secret;
