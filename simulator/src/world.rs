//! The simulated world and its YAML form; each service's collections live in `world/<svc>.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::errors::SimError;
use crate::faults::Faults;
pub(crate) use crate::timefmt::secs_to_ms;
use crate::timefmt::{ms, opt_ms};

// Each service's collections, with the `Part` its row in the service table carries.
pub(crate) mod cbr;
pub(crate) mod dcs;
pub(crate) mod ddm;
pub(crate) mod dds;
pub(crate) mod evs;
pub(crate) mod gaussdb;
pub(crate) mod rds;
mod rds_history;
pub(crate) mod taurusdb;

mod checks;
mod credentials;
mod durations;
pub(crate) mod job;
pub(crate) mod part;

pub use cbr::{CbrBackup, CbrChildBackup, CbrServer, CbrWorld, OperationLog};
pub use credentials::{AccessKey, Credentials, Domain, Project, User};
pub use dcs::{DcsBackup, DcsInstance, DcsRestore, DcsWorld};
pub use ddm::{DdmBackup, DdmInstance, DdmWorld};
pub use dds::{DdsBackup, DdsInstance, DdsWorld};
pub use durations::{Durations, JobDurations};
pub use evs::{EvsSnapshot, EvsVolume, EvsWorld};
pub use gaussdb::{GaussdbBackup, GaussdbInstance, GaussdbWorld};
pub use job::{DataNodeRelation, Job, JobEffect};
pub use rds::{RdsBackup, RdsFlavor, RdsInstance, RdsWorld};
pub use rds_history::*;
pub use taurusdb::{TaurusdbBackup, TaurusdbInstance, TaurusdbWorld};

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

    /// Default credentials (one user with a password, one AK/SK pair, project `eu-de`), the
    /// clock starting at `now_ms`, and nothing else.
    pub fn healthy(now_ms: i64) -> World {
        World {
            now: Some(now_ms),
            ..World::default()
        }
    }

    /// The address a new instance named `name` reports, if the world maps one.
    pub(crate) fn new_address(&self, name: &str) -> Option<Address> {
        self.new_instance_addresses
            .get(name)
            .or_else(|| self.new_instance_addresses.get("*"))
            .cloned()
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

impl LastRestore {
    /// Remembers, on `last`, a restore that succeeded at `at` (a failed one leaves it).
    pub(crate) fn remember(
        last: &mut Option<LastRestore>,
        ok: bool,
        restore_time: Option<i64>,
        backup_id: Option<&str>,
        at: i64,
    ) {
        if ok {
            *last = Some(LastRestore {
                restore_time,
                backup_id: backup_id.map(str::to_owned),
                completed_at: at,
            });
        }
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
