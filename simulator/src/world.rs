//! The simulated world and its YAML form; each service's collections live in `world/<svc>.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::errors::SimError;
use crate::faults::Faults;
pub(crate) use crate::timefmt::secs_to_ms;
use crate::timefmt::{ms, opt_ms};

mod cbr;
mod dcs;
mod ddm;
mod dds;
mod evs;
mod gaussdb;
mod rds;
mod rds_history;
mod taurusdb;

pub use cbr::*;
pub use dcs::*;
pub use ddm::*;
pub use dds::*;
pub use evs::{EvsSnapshot, EvsVolume, EvsWorld};
pub use gaussdb::*;
pub use rds::*;
pub use rds_history::*;
pub use taurusdb::*;

/// The whole simulated cloud. Every collection is keyed by ID, so iteration is deterministic.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct World {
    /// Simulated time at start; `None` starts at the real current time.
    #[serde(with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    /// Seconds the simulated cloud's clock is off from `now` (or from the real time): `-300`
    /// plays a cloud whose clock runs five minutes behind the machine's. Records, job times
    /// and the `Date` header of every answer all follow it.
    #[serde(skip_serializing_if = "is_zero")]
    pub clock_offset_seconds: i64,
    pub credentials: Credentials,
    pub durations: Durations,
    pub faults: Faults,
    pub rds: RdsWorld,
    pub ddm: DdmWorld,
    pub taurusdb: TaurusdbWorld,
    pub cbr: CbrWorld,
    pub dcs: DcsWorld,
    pub flow_control: crate::flow::FlowControl,
    pub evs: EvsWorld,
    pub dds: DdsWorld,
    pub gaussdb: GaussdbWorld,
    /// Durations of the creates, deletes and DDS restores (apart from `durations`, whose
    /// struct other crates build field by field).
    pub job_durations: JobDurations,
    /// The address a restore to a new instance reports, by the new instance's name; the key
    /// `"*"` is the default. Unlisted names get a made-up private IP and the engine's port.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub new_instance_addresses: BTreeMap<String, Address>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl World {
    /// Parses a world file (YAML; see the README for the format).
    pub fn from_yaml(text: &str) -> Result<World, SimError> {
        let world: World =
            serde_saphyr::from_str(text).map_err(|e| SimError::World(e.to_string()))?;
        world.validate()?;
        Ok(world)
    }

    /// The world as YAML, which [`World::from_yaml`] reads back unchanged.
    pub fn to_yaml(&self) -> Result<String, SimError> {
        serde_saphyr::to_string(self).map_err(|e| SimError::World(e.to_string()))
    }

    /// Every instance, backup, server, volume and snapshot ID the world holds (not jobs).
    pub fn ids(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        out.extend(self.rds.instances.keys().cloned());
        out.extend(self.rds.backups.keys().cloned());
        out.extend(self.rds.recycle_bin.keys().cloned());
        out.extend(self.ddm.instances.keys().cloned());
        out.extend(self.ddm.backups.keys().cloned());
        out.extend(self.taurusdb.instances.keys().cloned());
        out.extend(self.taurusdb.backups.keys().cloned());
        out.extend(self.cbr.backups.keys().cloned());
        out.extend(self.cbr.servers.keys().cloned());
        out.extend(self.dcs.instances.keys().cloned());
        out.extend(self.dcs.backups.keys().cloned());
        out.extend(self.evs.volumes.keys().cloned());
        out.extend(self.evs.snapshots.keys().cloned());
        out.extend(self.dds.instances.keys().cloned());
        out.extend(self.dds.backups.keys().cloned());
        out.extend(self.gaussdb.instances.keys().cloned());
        out.extend(self.gaussdb.backups.keys().cloned());
        out
    }

    /// Default credentials (one user with a password, one AK/SK pair, project `eu-de`), the
    /// clock starting at `now_ms`, and nothing else.
    pub fn healthy(now_ms: i64) -> World {
        World {
            now: Some(now_ms),
            ..World::default()
        }
    }

    /// Checks what serde cannot: rates, durations and references.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |msg: String| Err(SimError::World(msg));
        if self.credentials.users.is_empty() {
            return bad("credentials.users must list at least one user".to_owned());
        }
        if self.credentials.project.id.is_empty() || self.credentials.project.name.is_empty() {
            return bad("credentials.project needs an id and a name".to_owned());
        }
        for (kind, secs) in self.durations.all() {
            if !secs.is_finite() || secs < 0.0 {
                return bad(format!("durations.{kind} must be a number of seconds >= 0"));
            }
        }
        self.faults.validate().map_err(SimError::World)?;
        for (id, b) in &self.rds.backups {
            if !self.rds.instances.contains_key(&b.instance_id) {
                return bad(format!(
                    "rds backup {id} names unknown instance {}",
                    b.instance_id
                ));
            }
        }
        for (id, d) in &self.ddm.instances {
            for dn in &d.data_nodes {
                if !self.rds.instances.contains_key(dn) {
                    return bad(format!(
                        "ddm instance {id} lists unknown rds data node {dn}"
                    ));
                }
            }
        }
        for (id, b) in &self.ddm.backups {
            if !self.ddm.instances.contains_key(&b.instance_id) {
                return bad(format!(
                    "ddm backup {id} names unknown instance {}",
                    b.instance_id
                ));
            }
        }
        for (id, b) in &self.taurusdb.backups {
            if !self.taurusdb.instances.contains_key(&b.instance_id) {
                return bad(format!(
                    "taurusdb backup {id} names unknown instance {}",
                    b.instance_id
                ));
            }
        }
        for (id, b) in &self.dcs.backups {
            if !self.dcs.instances.contains_key(&b.instance_id) {
                return bad(format!(
                    "dcs backup {id} names unknown instance {}",
                    b.instance_id
                ));
            }
        }
        for (id, b) in &self.dds.backups {
            if !self.dds.instances.contains_key(&b.instance_id) {
                return bad(format!(
                    "dds backup {id} names unknown instance {}",
                    b.instance_id
                ));
            }
        }
        for (kind, secs) in self.job_durations.all() {
            if !secs.is_finite() || secs < 0.0 {
                return bad(format!(
                    "job_durations.{kind} must be a number of seconds >= 0"
                ));
            }
        }
        let addresses = self
            .rds
            .instances
            .iter()
            .filter_map(|(id, i)| Some((id, i.address.as_ref()?)))
            .chain(
                self.dds
                    .instances
                    .iter()
                    .filter_map(|(id, i)| Some((id, i.address.as_ref()?))),
            )
            .chain(
                self.dcs
                    .instances
                    .iter()
                    .filter_map(|(id, i)| Some((id, i.address.as_ref()?))),
            )
            .chain(self.new_instance_addresses.iter());
        for (at, address) in addresses {
            if address.ip.parse::<std::net::IpAddr>().is_err() {
                return bad(format!(
                    "the address of {at}: ip {:?} is not an IP address",
                    address.ip
                ));
            }
        }
        self.flow_control.validate()
    }

    /// The address a new instance named `name` reports, if the world maps one.
    pub(crate) fn new_address(&self, name: &str) -> Option<Address> {
        self.new_instance_addresses
            .get(name)
            .or_else(|| self.new_instance_addresses.get("*"))
            .cloned()
    }

    /// The IDs of every DDM instance that uses `rds_id` as a data node.
    pub(crate) fn ddm_owners_of(&self, rds_id: &str) -> Vec<String> {
        self.ddm
            .instances
            .iter()
            .filter(|(_, d)| d.data_nodes.iter().any(|n| n == rds_id))
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Who may call the cloud, and the one project it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Credentials {
    pub domain: Domain,
    pub project: Project,
    pub users: Vec<User>,
    pub access_keys: Vec<AccessKey>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            domain: Domain::default(),
            project: Project::default(),
            users: vec![User::default()],
            access_keys: vec![AccessKey::default()],
        }
    }
}

impl Credentials {
    /// `OS_*` variables for the first user.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let user = self.users.first().cloned().unwrap_or_default();
        vec![
            ("OS_PROJECT_ID".to_owned(), self.project.id.clone()),
            ("OS_PROJECT_NAME".to_owned(), self.project.name.clone()),
            ("OS_USERNAME".to_owned(), user.name),
            ("OS_PASSWORD".to_owned(), user.password),
            ("OS_USER_DOMAIN_NAME".to_owned(), self.domain.name.clone()),
        ]
    }

    /// The region is the project name up to the first `_`, as the OTC SDKs derive it.
    pub(crate) fn region(&self) -> String {
        self.project
            .name
            .split('_')
            .next()
            .unwrap_or("eu-de")
            .to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Domain {
    pub id: String,
    pub name: String,
}

impl Default for Domain {
    fn default() -> Self {
        Domain {
            id: "b7f2d5f1c8e04a6f9d3e2a1b0c9d8e7f".to_owned(),
            name: "OTC00000000001000000001".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Project {
    pub id: String,
    pub name: String,
}

impl Default for Project {
    fn default() -> Self {
        // The project ID used by the DDM documentation examples, so they run verbatim.
        Project {
            id: "619d3e78f61b4be68bc5aa0b59edcf7b".to_owned(),
            name: "eu-de".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub name: String,
    pub password: String,
}

impl Default for User {
    fn default() -> Self {
        User {
            id: "4c5b2a1f0e9d48c7b6a5f4e3d2c1b0a9".to_owned(),
            name: "rewind".to_owned(),
            password: "rewind-sim-password".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessKey {
    pub access: String,
    pub secret: String,
    /// The user the key belongs to; empty means the first user.
    pub user: String,
}

impl Default for AccessKey {
    fn default() -> Self {
        // The pair from the documented signing test vector (otc-api.md §6.2).
        AccessKey {
            access: "QTWAOYTTINDUT2QVKYUC".to_owned(),
            secret: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc".to_owned(),
            user: String::new(),
        }
    }
}

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

/// Where an instance's database really answers, so probes in tests reach a real server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub ip: String,
    pub port: u16,
}

/// A restorable time range, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[serde(with = "ms")]
    pub start: i64,
    #[serde(with = "ms")]
    pub end: i64,
}

impl Window {
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t <= self.end
    }
}

/// The last completed restore of an instance; DDM metadata restore checks it on data nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastRestore {
    #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub restore_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    #[serde(with = "ms")]
    pub completed_at: i64,
}

// ---------------------------------------------------------------- jobs (RDS, DDM, TaurusDB)

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

/// Overwrites a string field in place (statuses change often; this avoids reallocating).
pub(crate) fn set(field: &mut String, value: &str) {
    value.clone_into(field);
}

/// A display name: the given one, or `prefix-` plus the ID's first 8 characters.
pub(crate) fn name_or(name: &str, prefix: &str, id: &str) -> String {
    if name.is_empty() {
        format!("{prefix}-{}", id.chars().take(8).collect::<String>())
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_world_file_is_the_default_world() {
        let world = World::from_yaml("{}").unwrap();
        assert_eq!(world, World::default());
        assert_eq!(world.credentials.project.name, "eu-de");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = World::from_yaml("rds:\n  instancez: {}\n").unwrap_err();
        assert!(err.to_string().contains("instancez"), "{err}");
    }

    #[test]
    fn backups_must_name_known_instances() {
        let yaml = "rds:\n  backups:\n    b1br01: { instance_id: nope }\n";
        let err = World::from_yaml(yaml).unwrap_err();
        assert!(err.to_string().contains("unknown instance"), "{err}");
    }

    #[test]
    fn times_accept_rfc3339_and_millis() {
        let yaml = "now: 2026-11-20T03:00:00Z\nrds:\n  instances:\n    a1in01:\n      restore_windows:\n        - { start: 1000, end: \"2026-11-20T03:00:00Z\" }\n";
        let world = World::from_yaml(yaml).unwrap();
        assert_eq!(world.now, Some(1_795_143_600_000));
        let w = world.rds.instances["a1in01"].restore_windows[0];
        assert_eq!((w.start, w.end), (1000, 1_795_143_600_000));
    }
}
