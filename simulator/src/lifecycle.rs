//! Advances jobs, DCS restore records and CBR operation logs with the clock; applies their end.

use crate::world::{JobEffect, LastRestore, World, set};

pub(crate) const DEFAULT_FAIL_REASON: &str =
    "The restoration failed (fault injected by the simulator).";

/// DCS failure code for "data sync failed" (`dcs.08.0001`..`0008`, otc-api.md §5.2).
pub(crate) const DCS_FAIL_CODE: &str = "dcs.08.0007";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Rds,
    Ddm,
    Taurusdb,
    Dds,
    Gaussdb,
    Cbr,
    Dcs,
}

/// Brings the world up to `now`: everything due ends, in the order it was due.
pub(crate) fn settle(world: &mut World, now: i64) {
    let mut due: Vec<(i64, Kind, String)> = Vec::new();
    for (kind, jobs) in [
        (Kind::Rds, &world.rds.jobs),
        (Kind::Ddm, &world.ddm.jobs),
        (Kind::Taurusdb, &world.taurusdb.jobs),
        (Kind::Dds, &world.dds.jobs),
        (Kind::Gaussdb, &world.gaussdb.jobs),
    ] {
        for (id, job) in jobs {
            if job.status == "Running" && job.due() <= now {
                due.push((job.due(), kind, id.clone()));
            }
        }
    }
    for (id, log) in &world.cbr.operation_logs {
        if matches!(log.status.as_str(), "waiting" | "running") && log.due() <= now {
            due.push((log.due(), Kind::Cbr, id.clone()));
        }
    }
    for (id, rec) in &world.dcs.restores {
        if matches!(rec.status.as_str(), "waiting" | "restoring") && rec.due() <= now {
            due.push((rec.due(), Kind::Dcs, id.clone()));
        }
    }
    due.sort();
    for (_, kind, id) in due {
        match kind {
            Kind::Rds | Kind::Ddm | Kind::Taurusdb | Kind::Dds | Kind::Gaussdb => {
                finish_job(world, kind, &id);
            }
            Kind::Cbr => finish_operation_log(world, &id),
            Kind::Dcs => finish_dcs_restore(world, &id),
        }
    }
    for log in world.cbr.operation_logs.values_mut() {
        if log.status == "waiting" && log.started_at() <= now {
            set(&mut log.status, "running");
        }
    }
    for rec in world.dcs.restores.values_mut() {
        if rec.status == "waiting" && rec.started_at() <= now {
            set(&mut rec.status, "restoring");
        }
    }
}

fn finish_job(world: &mut World, kind: Kind, id: &str) {
    let jobs = match kind {
        Kind::Rds => &mut world.rds.jobs,
        Kind::Ddm => &mut world.ddm.jobs,
        Kind::Dds => &mut world.dds.jobs,
        Kind::Gaussdb => &mut world.gaussdb.jobs,
        _ => &mut world.taurusdb.jobs,
    };
    let Some(job) = jobs.get_mut(id) else { return };
    let at = job.due();
    let ok = !job.will_fail;
    set(&mut job.status, if ok { "Completed" } else { "Failed" });
    job.ended = Some(at);
    if !ok && job.fail_reason.is_empty() {
        set(&mut job.fail_reason, DEFAULT_FAIL_REASON);
    }
    let effect = job.effect.clone();
    apply(world, &effect, ok, at);
}

fn apply(world: &mut World, effect: &JobEffect, ok: bool, at: i64) {
    match effect {
        JobEffect::RdsRestore {
            target_instance_id,
            restore_time,
            backup_id,
            ..
        } => {
            if let Some(inst) = world.rds.instances.get_mut(target_instance_id) {
                set(&mut inst.status, if ok { "ACTIVE" } else { "FAILED" });
                if ok {
                    inst.last_restore = Some(LastRestore {
                        restore_time: *restore_time,
                        backup_id: backup_id.clone(),
                        completed_at: at,
                    });
                }
            }
        }
        JobEffect::TaurusdbRestore {
            target_instance_id,
            restore_time,
            backup_id,
            ..
        } => {
            if let Some(inst) = world.taurusdb.instances.get_mut(target_instance_id) {
                set(&mut inst.status, if ok { "ACTIVE" } else { "FAILED" });
                if ok {
                    inst.last_restore = Some(LastRestore {
                        restore_time: *restore_time,
                        backup_id: backup_id.clone(),
                        completed_at: at,
                    });
                }
            }
        }
        JobEffect::DdmRestore {
            source_instance_id,
            target_instance_id,
            restore_time,
            data_node_relations,
        } => {
            for rel in data_node_relations {
                if let Some(dn) = world.rds.instances.get_mut(&rel.target_instance_id) {
                    set(&mut dn.status, if ok { "ACTIVE" } else { "FAILED" });
                    if ok {
                        dn.last_restore = Some(LastRestore {
                            restore_time: Some(*restore_time),
                            backup_id: None,
                            completed_at: at,
                        });
                    }
                }
            }
            let schemas = source_schemas(world, source_instance_id);
            if let Some(target) = world.ddm.instances.get_mut(target_instance_id) {
                set(&mut target.status, if ok { "RUNNING" } else { "ERROR" });
                if ok {
                    target.data_nodes = data_node_relations
                        .iter()
                        .map(|r| r.target_instance_id.clone())
                        .collect();
                    target.schemas = schemas;
                }
            }
        }
        JobEffect::RdsCreate {
            instance_id,
            restore_time,
            backup_id,
            ..
        } => {
            if let Some(inst) = world.rds.instances.get_mut(instance_id) {
                set(&mut inst.status, if ok { "ACTIVE" } else { "CREATE FAIL" });
                if ok {
                    inst.last_restore = Some(LastRestore {
                        restore_time: *restore_time,
                        backup_id: backup_id.clone(),
                        completed_at: at,
                    });
                }
            }
        }
        JobEffect::RdsTables {
            instance_id,
            restored,
        } => world.rds.restored(instance_id, restored, ok),
        JobEffect::RdsDelete { instance_id } => {
            if ok {
                world.recycle_rds(instance_id, at);
                world.rds.instances.remove(instance_id);
                world
                    .rds
                    .backups
                    .retain(|_, b| &b.instance_id != instance_id);
                // A DDM instance no longer lists a deleted data node, so the world stays one
                // that `World::validate` accepts (and a kept rehearsal world reloads).
                for ddm in world.ddm.instances.values_mut() {
                    ddm.data_nodes.retain(|dn| dn != instance_id);
                }
            } else if let Some(inst) = world.rds.instances.get_mut(instance_id) {
                inst.deleting = false;
            }
        }
        JobEffect::GaussdbCreate { .. } => world.finish_gaussdb(effect, ok, at),
        JobEffect::DdsRestore { .. }
        | JobEffect::DdsCollections { .. }
        | JobEffect::DdsDelete { .. } => crate::dds_finish::finish(world, effect, ok, at),
        JobEffect::DdmMetadataRestore {
            source_instance_id,
            target_instance_id,
            data_nodes,
            ..
        } => {
            let schemas = source_schemas(world, source_instance_id);
            if let Some(target) = world.ddm.instances.get_mut(target_instance_id) {
                set(&mut target.status, if ok { "RUNNING" } else { "ERROR" });
                if ok {
                    target.data_nodes.clone_from(data_nodes);
                    target.schemas = schemas;
                }
            }
        }
    }
}

fn source_schemas(world: &World, source: &str) -> Vec<String> {
    world
        .ddm
        .instances
        .get(source)
        .map(|s| s.schemas.clone())
        .unwrap_or_default()
}

fn finish_operation_log(world: &mut World, id: &str) {
    let Some(log) = world.cbr.operation_logs.get_mut(id) else {
        return;
    };
    let ok = !log.will_fail;
    set(&mut log.status, if ok { "success" } else { "failed" });
    log.ended_at = Some(log.due());
    if !ok && log.fail_reason.is_empty() {
        set(&mut log.fail_reason, DEFAULT_FAIL_REASON);
    }
    let (backup_id, target, power_on) = (
        log.backup_id.clone(),
        log.target_resource_id.clone(),
        log.power_on,
    );
    if let Some(backup) = world.cbr.backups.get_mut(&backup_id) {
        set(&mut backup.status, "available");
    }
    if let Some(server) = world.cbr.servers.get_mut(&target) {
        set(
            &mut server.status,
            if power_on { "ACTIVE" } else { "SHUTOFF" },
        );
    }
}

fn finish_dcs_restore(world: &mut World, id: &str) {
    let Some(rec) = world.dcs.restores.get_mut(id) else {
        return;
    };
    let ok = !rec.will_fail;
    set(&mut rec.status, if ok { "succeed" } else { "failed" });
    rec.ended_at = Some(rec.due());
    if !ok {
        set(&mut rec.error_code, DCS_FAIL_CODE);
    }
    let instance = rec.instance_id.clone();
    if let Some(inst) = world.dcs.instances.get_mut(&instance) {
        set(&mut inst.status, "RUNNING");
    }
}
