//! The simulated cloud's data: credentials, instances, backups, jobs, records, and the YAML form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::errors::SimError;
use crate::faults::Faults;
use crate::timefmt::{ms, opt_ms};

/// The whole simulated cloud. Every collection is keyed by ID, so iteration is deterministic.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct World {
    /// Simulated time at start; `None` starts at the real current time.
    #[serde(with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    pub credentials: Credentials,
    pub durations: Durations,
    pub faults: Faults,
    pub rds: RdsWorld,
    pub ddm: DdmWorld,
    pub taurusdb: TaurusdbWorld,
    pub cbr: CbrWorld,
    pub dcs: DcsWorld,
    pub flow_control: crate::flow::FlowControl,
    pub evs: crate::evs::EvsWorld,
}

impl World {
    /// Parses a world file (YAML; see the README for the format).
    pub fn from_yaml(text: &str) -> Result<World, SimError> {
        let world: World =
            serde_saphyr::from_str(text).map_err(|e| SimError::World(e.to_string()))?;
        world.validate()?;
        Ok(world)
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
        self.flow_control.validate()
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

pub(crate) fn secs_to_ms(secs: f64) -> i64 {
    (secs.max(0.0) * 1000.0).round() as i64
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

// ---------------------------------------------------------------- RDS

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsWorld {
    pub instances: BTreeMap<String, RdsInstance>,
    pub backups: BTreeMap<String, RdsBackup>,
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsInstance {
    pub name: String,
    /// `ACTIVE`, `RESTORING`, `FAILED`, `BUILD`, ... (otc-api.md §2.5).
    pub status: String,
    /// `mysql`, `postgresql` or `sqlserver`.
    pub engine: String,
    pub version: String,
    /// Storage in GB.
    pub volume_size: u32,
    pub vpc_name: String,
    pub restore_windows: Vec<Window>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_restore: Option<LastRestore>,
}

impl Default for RdsInstance {
    fn default() -> Self {
        RdsInstance {
            name: String::new(),
            status: "ACTIVE".to_owned(),
            engine: "mysql".to_owned(),
            version: "8.0".to_owned(),
            volume_size: 40,
            vpc_name: "vpc-default".to_owned(),
            restore_windows: Vec::new(),
            last_restore: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsBackup {
    pub instance_id: String,
    pub name: String,
    /// `BUILDING`, `COMPLETED`, `FAILED` or `DELETING`.
    pub status: String,
    /// `auto`, `manual`, `fragment` or `incremental`.
    #[serde(rename = "type")]
    pub backup_type: String,
    #[serde(with = "ms")]
    pub begin_time: i64,
    #[serde(with = "ms")]
    pub end_time: i64,
    /// Size in KB.
    pub size: u64,
}

impl Default for RdsBackup {
    fn default() -> Self {
        RdsBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "COMPLETED".to_owned(),
            backup_type: "auto".to_owned(),
            begin_time: 0,
            end_time: 0,
            size: 2_803_112,
        }
    }
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataNodeRelation {
    pub source_instance_id: String,
    pub target_instance_id: String,
}

// ---------------------------------------------------------------- DDM

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdmWorld {
    pub instances: BTreeMap<String, DdmInstance>,
    pub backups: BTreeMap<String, DdmBackup>,
    pub jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdmInstance {
    pub name: String,
    /// `RUNNING`, `RESTORE`, `ERROR`, ... (otc-api.md §1.5).
    pub status: String,
    pub version: String,
    /// IDs of the RDS instances associated with this DDM instance.
    pub data_nodes: Vec<String>,
    /// Logical schemas; a restore target must have none.
    pub schemas: Vec<String>,
    /// DDM accounts; a restore target must have none.
    pub accounts: Vec<String>,
    pub vpc_name: String,
    /// The instance's own restorable ranges. Empty means "whatever its data nodes allow".
    pub restore_windows: Vec<Window>,
}

impl Default for DdmInstance {
    fn default() -> Self {
        DdmInstance {
            name: String::new(),
            status: "RUNNING".to_owned(),
            version: "3.0.8".to_owned(),
            data_nodes: Vec::new(),
            schemas: Vec::new(),
            accounts: Vec::new(),
            vpc_name: "vpc-default".to_owned(),
            restore_windows: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdmBackup {
    pub instance_id: String,
    pub name: String,
    /// `creating`, `normal`, `deleted` or `createfail`.
    pub status: String,
    /// `auto_metadata` or `metadata`.
    pub backup_type: String,
    #[serde(with = "ms")]
    pub created: i64,
    /// Size in KB.
    pub file_size: u64,
}

impl Default for DdmBackup {
    fn default() -> Self {
        DdmBackup {
            instance_id: String::new(),
            name: String::new(),
            status: "normal".to_owned(),
            backup_type: "auto_metadata".to_owned(),
            created: 0,
            file_size: 17,
        }
    }
}

// ---------------------------------------------------------------- TaurusDB

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

// ---------------------------------------------------------------- CBR

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrWorld {
    pub backups: BTreeMap<String, CbrBackup>,
    /// ECS servers that server backups restore onto.
    pub servers: BTreeMap<String, CbrServer>,
    pub operation_logs: BTreeMap<String, OperationLog>,
}

impl CbrWorld {
    /// A top-level backup, or a child disk backup with its parent's ID.
    pub(crate) fn find_backup(&self, id: &str) -> Option<(Option<&str>, &CbrBackup)> {
        if let Some(b) = self.backups.get(id) {
            return Some((None, b));
        }
        self.backups
            .iter()
            .find(|(_, b)| b.children.iter().any(|c| c.id == id))
            .map(|(pid, b)| (Some(pid.as_str()), b))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrBackup {
    pub name: String,
    /// `available`, `restoring`, `protecting`, `error`, ... (otc-api.md §4.2).
    pub status: String,
    /// The backed-up server or disk.
    pub resource_id: String,
    /// `OS::Nova::Server`, `OS::Cinder::Volume` or `OS::Sfs::Turbo`.
    pub resource_type: String,
    pub resource_name: String,
    /// GB.
    pub resource_size: u32,
    pub vault_id: String,
    pub vault_name: String,
    #[serde(with = "ms")]
    pub created_at: i64,
    /// Disk-level backups of a server backup; restore `mappings` refer to these.
    pub children: Vec<CbrChildBackup>,
}

impl Default for CbrBackup {
    fn default() -> Self {
        CbrBackup {
            name: String::new(),
            status: "available".to_owned(),
            resource_id: String::new(),
            resource_type: "OS::Nova::Server".to_owned(),
            resource_name: String::new(),
            resource_size: 40,
            vault_id: "3b5816b5-f29c-4172-9d9a-76c719a659ce".to_owned(),
            vault_name: "vault-sim".to_owned(),
            created_at: 0,
            children: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrChildBackup {
    pub id: String,
    pub name: String,
    pub status: String,
    /// The disk (volume) this child backed up.
    pub resource_id: String,
    pub resource_type: String,
    pub resource_size: u32,
}

impl Default for CbrChildBackup {
    fn default() -> Self {
        CbrChildBackup {
            id: String::new(),
            name: String::new(),
            status: "available".to_owned(),
            resource_id: String::new(),
            resource_type: "OS::Cinder::Volume".to_owned(),
            resource_size: 40,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CbrServer {
    pub name: String,
    /// `ACTIVE`, `SHUTOFF` or `ERROR` (faulty).
    pub status: String,
}

impl Default for CbrServer {
    fn default() -> Self {
        CbrServer {
            name: String::new(),
            status: "ACTIVE".to_owned(),
        }
    }
}

/// A CBR task ("operation log") created by a restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationLog {
    pub operation_type: String,
    /// `waiting`, `running`, `success` or `failed`.
    pub status: String,
    pub backup_id: String,
    pub backup_name: String,
    /// The backed-up resource.
    pub resource_id: String,
    pub resource_name: String,
    pub resource_type: String,
    /// What the restore overwrites (server or disk).
    pub target_resource_id: String,
    pub target_resource_name: String,
    pub vault_id: String,
    pub vault_name: String,
    pub power_on: bool,
    pub request_id: String,
    #[serde(with = "ms")]
    pub created_at: i64,
    pub duration_ms: i64,
    pub will_fail: bool,
    #[serde(default)]
    pub fail_reason: String,
    #[serde(default, with = "opt_ms", skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
}

impl OperationLog {
    pub(crate) fn due(&self) -> i64 {
        self.created_at.saturating_add(self.duration_ms)
    }

    /// The first tenth of a restore is spent queued (`waiting`).
    pub(crate) fn started_at(&self) -> i64 {
        self.created_at.saturating_add(self.duration_ms / 10)
    }
}

// ---------------------------------------------------------------- DCS

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
