//! `Part`: a service's share of the world, as whole-world code (IDs, checks, settling) reaches it.

use std::collections::BTreeSet;

use super::World;

/// What the world needs from one service's collections. Each service's `world/<svc>.rs`
/// declares its `PART`; its row in the service table (`services.rs`) carries it, and the
/// whole-world code (`World::ids`, `World::validate`, `lifecycle::settle`) reads only rows.
#[derive(Clone, Copy)]
pub(crate) struct Part {
    /// Adds the IDs of the service's instances, backups, servers, ... (not jobs).
    pub ids: fn(&World, &mut BTreeSet<String>),
    /// Checks what serde cannot: that records name records that exist, that addresses parse.
    pub check: fn(&World) -> Result<(), String>,
    /// The service's records (jobs, restore records, operation logs) due to end by `now`,
    /// as (due, id).
    pub due: fn(&World, i64) -> Vec<(i64, String)>,
    /// Ends record `id`, applying its effect to the world.
    pub finish: fn(&mut World, &str),
    /// Moves records that have started by `now` to their running status (after every due
    /// record has ended).
    pub start: fn(&mut World, i64),
}

impl Part {
    /// A service that holds nothing in the world (IAM), or settles its own records (EVS).
    pub const NONE: Part = Part {
        ids: |_, _| {},
        check: |_| Ok(()),
        due: |_, _| Vec::new(),
        finish: |_, _| {},
        start: |_, _| {},
    };
}

/// The address check every service with addresses makes: `ip` must parse.
pub(crate) fn check_addresses<'a>(
    addresses: impl Iterator<Item = (&'a String, &'a super::Address)>,
) -> Result<(), String> {
    for (at, address) in addresses {
        if address.ip.parse::<std::net::IpAddr>().is_err() {
            return Err(format!(
                "the address of {at}: ip {:?} is not an IP address",
                address.ip
            ));
        }
    }
    Ok(())
}

/// The reference check of a backup collection: each backup's instance must exist.
pub(crate) fn check_backups<'a, B: 'a, I>(
    service: &str,
    backups: impl Iterator<Item = (&'a String, &'a B)>,
    instance_of: impl Fn(&B) -> &str,
    instances: &std::collections::BTreeMap<String, I>,
) -> Result<(), String> {
    for (id, b) in backups {
        let instance = instance_of(b);
        if !instances.contains_key(instance) {
            return Err(format!(
                "{service} backup {id} names unknown instance {instance}"
            ));
        }
    }
    Ok(())
}
