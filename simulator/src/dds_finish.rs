//! How a DDS job's end changes the world: restored instances and collections, deletions.

use crate::world::{JobEffect, LastRestore, World, set};

/// Applies the end of a DDS job to the world.
pub(crate) fn finish(world: &mut World, effect: &JobEffect, ok: bool, at: i64) {
    match effect {
        JobEffect::DdsRestore {
            target_instance_id,
            created,
            restore_time,
            backup_id,
            ..
        } => {
            if let Some(inst) = world.dds.instances.get_mut(target_instance_id) {
                inst.actions.clear();
                let status = match (ok, created) {
                    (true, _) => "normal",
                    (false, true) => "createfail",
                    (false, false) => "abnormal",
                };
                set(&mut inst.status, status);
                if ok {
                    inst.last_restore = Some(LastRestore {
                        restore_time: *restore_time,
                        backup_id: backup_id.clone(),
                        completed_at: at,
                    });
                }
            }
        }
        JobEffect::DdsCollections {
            instance_id,
            restored,
        } => {
            if let Some(inst) = world.dds.instances.get_mut(instance_id) {
                inst.actions.clear();
                if ok {
                    for (db, names) in restored {
                        let have = inst.databases.entry(db.clone()).or_default();
                        for n in names {
                            if !have.contains(n) {
                                have.push(n.clone());
                            }
                        }
                    }
                }
            }
        }
        JobEffect::DdsDelete { instance_id } => {
            if ok {
                world.dds.instances.remove(instance_id);
                world
                    .dds
                    .backups
                    .retain(|_, b| &b.instance_id != instance_id);
            } else if let Some(inst) = world.dds.instances.get_mut(instance_id) {
                inst.deleting = false;
            }
        }
        _ => {}
    }
}
