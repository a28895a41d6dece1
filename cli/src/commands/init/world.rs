//! The rehearsal world of `rewind init --simulate`: the asked-for instance, healthy, with deterministic neighbours.

use super::names::{hex32, uuid};
use super::shared::Point;
use crate::args::{InitArgs, InitService};
use crate::error::CliError;
use crate::simulate::{DEFAULT_TIME_SCALE, Rehearsal};
use rewind_sim::{SimConfig, World};

/// A world holding `args.instance` (or a deleted RDS instance in the recycle bin, beside a
/// live one to copy the network from; a DDM instance gets two RDS data nodes, an empty target
/// DDM and two spare RDS instances; others get a backup), unless `--world` names one.
pub fn build(args: &InitArgs, now: i64, point: Point) -> World {
    let mut world = World::healthy(now);
    let asked = match point {
        Point::At(t) => Some(t),
        Point::LatestBackup => None,
    };
    let window = crate::simulate::restorable_window(now, asked);
    let id = args.instance.as_str();
    let seeded = |what: &str| hex32(&format!("{id}/{what}"));
    match args.service {
        InitService::Ddm => {
            let nodes: Vec<String> = (1..=2)
                .map(|n| format!("{}in01", seeded(&format!("dn{n}"))))
                .collect();
            world.ensure_ddm_instance(id, &nodes, window);
            world.ensure_ddm_instance(&format!("{}in09", seeded("target")), &[], window);
            for n in 1..=2 {
                world.ensure_rds_instance(&format!("{}in01", seeded(&format!("spare{n}"))), window);
            }
        }
        InitService::Rds if args.deleted.is_some() => {
            let wanted = args.deleted.as_deref().unwrap_or_default();
            // An ID stays an ID; a name gets an ID of its own.
            let is_id = wanted.len() == 36
                && wanted.ends_with("in01")
                && wanted[..32].chars().all(|c| c.is_ascii_hexdigit());
            let (deleted, name) = if is_id {
                (wanted.to_owned(), String::new())
            } else {
                (
                    format!("{}in01", hex32(&format!("{wanted}/deleted"))),
                    wanted.to_owned(),
                )
            };
            world.ensure_rds_recycled(&deleted, &name, now);
            // The bin keeps no network: a live neighbour lends its own.
            world.ensure_rds_instance(&format!("{}in01", hex32(&format!("{wanted}/live"))), window);
        }
        InitService::Rds => {
            world.ensure_rds_instance(id, window);
            world.ensure_rds_backup(id, &format!("{}br01", seeded("backup")));
            if let Some(t) = &args.target {
                world.ensure_rds_instance(t, window);
            }
        }
        InitService::Taurusdb => {
            world.ensure_taurusdb_instance(id, window);
            world.ensure_taurusdb_backup(id, &format!("{}br07", seeded("backup")));
            if let Some(t) = &args.target {
                world.ensure_taurusdb_instance(t, window);
            }
        }
        InitService::Dcs => {
            world.ensure_dcs_instance(id);
            world.ensure_dcs_backup(id, &uuid(&format!("{id}/backup")));
        }
        InitService::Cbr => {
            let child = (uuid(&format!("{id}/child")), uuid(&format!("{id}/volume")));
            world.ensure_cbr_backup(&uuid(&format!("{id}/backup")), Some(id), None, &[child]);
        }
        InitService::Dds => {
            world.ensure_dds_instance(id, window);
            world.ensure_dds_backup(id, &format!("{}br02", seeded("backup")));
            if let Some(t) = &args.target {
                world.ensure_dds_instance(t, window);
            }
        }
    }
    world
}

/// Starts the simulator over the generated world, or `--world FILE`.
pub async fn start(args: &InitArgs, point: Point) -> Result<Rehearsal, CliError> {
    let now = jiff::Timestamp::now().as_millisecond();
    let world = match &args.world {
        Some(path) => crate::simulate::read_world(path)?,
        None => build(args, now, point),
    };
    let config = SimConfig {
        world,
        time_scale: DEFAULT_TIME_SCALE,
        seed: 1,
        ..SimConfig::default()
    };
    let sim = rewind_sim::start(config)
        .await
        .map_err(|e| CliError::msg(format!("cannot start the simulator: {e}")))?;
    Ok(Rehearsal::unkept(sim, DEFAULT_TIME_SCALE))
}
