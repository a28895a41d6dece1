//! The world's RDS databases and tables over time (table-level restores) and its recycle bin.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{RdsWorld, World, name_or, set};
use crate::timefmt::{self, ms};

/// What an instance held: the databases and tables it holds now, and what was dropped when.
/// A table-level restore to time `t` can bring back what existed at `t`: everything listed now
/// plus everything dropped after `t` (the world models no creation times).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsContents {
    /// Tables by database. PostgreSQL tables are written `schema.table`.
    pub databases: BTreeMap<String, Vec<String>>,
    pub dropped: Vec<RdsDropped>,
}

/// A database (`table: None`) or a table dropped at `dropped_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsDropped {
    pub database: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(with = "ms")]
    pub dropped_at: i64,
}

impl RdsContents {
    /// The databases at time `t`, with their tables.
    pub fn at(&self, t: i64) -> BTreeMap<String, Vec<String>> {
        let mut out = self.databases.clone();
        for d in self.dropped.iter().filter(|d| d.dropped_at > t) {
            let tables = out.entry(d.database.clone()).or_default();
            if let Some(table) = &d.table
                && !tables.contains(table)
            {
                tables.push(table.clone());
            }
        }
        out
    }
}

/// An instance in the recycle bin (`querying_instances_in_the_recycle_bin.rst`, Table 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecycledInstance {
    pub name: String,
    /// `Single` or `Ha`.
    pub ha_mode: String,
    /// `mysql`, `postgresql` or `sqlserver`.
    pub engine: String,
    pub version: String,
    pub volume_type: String,
    /// GB.
    pub volume_size: u32,
    #[serde(with = "ms")]
    pub created_at: i64,
    #[serde(with = "ms")]
    pub deleted_at: i64,
    #[serde(with = "ms")]
    pub retained_until: i64,
    /// `BUILDING` until the recycle backup completes, then `COMPLETED`.
    pub recycle_status: String,
    /// The backup a rebuild restores from; one of `recycle_backups`.
    pub recycle_backup_id: String,
    pub recycle_backups: BTreeMap<String, RecycleBackup>,
}

impl Default for RecycledInstance {
    fn default() -> Self {
        RecycledInstance {
            name: String::new(),
            ha_mode: "Single".to_owned(),
            engine: "mysql".to_owned(),
            version: "8.0".to_owned(),
            volume_type: "CLOUDSSD".to_owned(),
            volume_size: 40,
            created_at: 0,
            deleted_at: 0,
            retained_until: 0,
            recycle_status: "COMPLETED".to_owned(),
            recycle_backup_id: String::new(),
            recycle_backups: BTreeMap::new(),
        }
    }
}

/// One backup kept with a recycled instance (Table 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecycleBackup {
    pub name: String,
    /// `BUILDING`, `COMPLETED` or `FAILED`.
    pub status: String,
    #[serde(with = "ms")]
    pub created_at: i64,
    #[serde(with = "ms")]
    pub updated_at: i64,
    /// MB.
    pub size: u64,
}

impl Default for RecycleBackup {
    fn default() -> Self {
        RecycleBackup {
            name: String::new(),
            status: "COMPLETED".to_owned(),
            created_at: 0,
            updated_at: 0,
            size: 3600,
        }
    }
}

impl RdsWorld {
    /// The end of a table- or database-level restore: the instance is `ACTIVE` again and, if
    /// it succeeded, holds the restored objects under their new names.
    pub(crate) fn restored(
        &mut self,
        instance_id: &str,
        restored: &BTreeMap<String, Vec<String>>,
        ok: bool,
    ) {
        if let Some(inst) = self.instances.get_mut(instance_id) {
            set(&mut inst.status, "ACTIVE");
        }
        if !ok {
            return;
        }
        let contents = self.contents.entry(instance_id.to_owned()).or_default();
        for (db, tables) in restored {
            let list = contents.databases.entry(db.clone()).or_default();
            for t in tables {
                if !list.contains(t) {
                    list.push(t.clone());
                }
            }
        }
    }
}

/// Days a deleted instance stays in the bin: the policy's default
/// (`querying_the_recycling_policy.rst`: 1 to 7 days, 7 unless changed).
pub(crate) const RETENTION_DAYS: i64 = 7;

impl World {
    /// Moves a deleted instance into the bin with a completed recycle backup. Read replicas never
    /// enter the bin; the world models none.
    pub(crate) fn recycle_rds(&mut self, id: &str, at: i64) {
        let Some(inst) = self.rds.instances.get(id) else {
            return;
        };
        let backup_id = format!("{}br01", id.trim_end_matches("in01"));
        let name = name_or(&inst.name, "rds", id);
        let backup = RecycleBackup {
            name: format!("{}-{id}-{}", inst.engine, timefmt::compact(at)),
            status: "COMPLETED".to_owned(),
            created_at: at,
            updated_at: at,
            ..RecycleBackup::default()
        };
        let volume_type = if inst.volume_type.is_empty() {
            "CLOUDSSD".to_owned()
        } else {
            inst.volume_type.clone()
        };
        let entry = RecycledInstance {
            name,
            ha_mode: inst.instance_type.clone(),
            engine: inst.engine.clone(),
            version: inst.version.clone(),
            volume_type,
            volume_size: inst.volume_size,
            created_at: inst.created.unwrap_or(0),
            deleted_at: at,
            retained_until: at.saturating_add(RETENTION_DAYS * 86_400_000),
            recycle_status: "COMPLETED".to_owned(),
            recycle_backup_id: backup_id.clone(),
            recycle_backups: [(backup_id, backup)].into_iter().collect(),
        };
        self.rds.recycle_bin.insert(id.to_owned(), entry);
    }
}
