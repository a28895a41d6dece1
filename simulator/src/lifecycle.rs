//! Settles the world to a time: every service's due records end, in the order they were due.
//
// What "due" and "end" mean is each service's (its `Part` in `world/<svc>.rs`); this module
// only orders them across services, reading the service table.

use crate::services::SERVICES;
use crate::world::World;

/// Brings the world up to `now`: everything due ends, in the order it was due (ties in table
/// order, then by ID), then records that have started move to their running status.
pub(crate) fn settle(world: &mut World, now: i64) {
    let mut due: Vec<(i64, usize, String)> = Vec::new();
    for (row, module) in SERVICES.iter().enumerate() {
        due.extend(
            (module.world.due)(world, now)
                .into_iter()
                .map(|(at, id)| (at, row, id)),
        );
    }
    due.sort();
    for (_, row, id) in due {
        (SERVICES[row].world.finish)(world, &id);
    }
    for module in SERVICES {
        (module.world.start)(world, now);
    }
}
