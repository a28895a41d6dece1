//! The whole-world reads that go through the service table: every ID, and validation.

use std::collections::BTreeSet;

use super::World;
use super::part::check_addresses;
use crate::errors::SimError;
use crate::services::SERVICES;

impl World {
    /// Every instance, backup, server, volume and snapshot ID the world holds (not jobs).
    pub fn ids(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for row in SERVICES {
            (row.world.ids)(self, &mut out);
        }
        out
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
        for row in SERVICES {
            (row.world.check)(self).map_err(SimError::World)?;
        }
        for (kind, secs) in self.job_durations.all() {
            if !secs.is_finite() || secs < 0.0 {
                return bad(format!(
                    "job_durations.{kind} must be a number of seconds >= 0"
                ));
            }
        }
        check_addresses(self.new_instance_addresses.iter()).map_err(SimError::World)?;
        self.flow_control.validate()
    }
}
