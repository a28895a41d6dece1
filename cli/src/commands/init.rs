//! `rewind init`: reads the cloud (or a rehearsal simulator) and writes a spec that validates as it stands.

mod ddm;
mod deleted;
mod fleet;
mod names;
mod shared;
mod single;
mod world;
mod yaml;

use crate::args::{InitArgs, InitService, Targets};
use crate::error::CliError;
use crate::printer::Printer;
use crate::simulate::Rehearsal;
use rewind_providers::discover::Discover;
use rewind_providers::{CloudConfig, CloudSettings};
use shared::Point;
use std::io::Write;
use std::process::ExitCode;

/// A usage mistake: exit status 2, before anything is read from the cloud.
fn usage(message: impl Into<String>) -> CliError {
    CliError::hint(message, "see `rewind init --help`")
}

fn point(args: &InitArgs) -> Result<Point, CliError> {
    match (&args.at, args.backup) {
        (Some(text), None) => {
            let ts = crate::words::user_time("--at", text).map_err(usage)?;
            Ok(Point::At(ts.as_millisecond()))
        }
        (None, Some(_)) => Ok(Point::LatestBackup),
        (Some(_), Some(_)) => Err(usage("give --at TIME or --backup latest, not both")),
        (None, None) => Err(usage(
            "give the restore point: --at TIME or --backup latest",
        )),
    }
}

fn check_usage(args: &InitArgs) -> Result<Point, CliError> {
    if let Some(deleted) = &args.deleted {
        if args.service != InitService::Rds {
            return Err(usage(format!(
                "--deleted rebuilds RDS instances from the recycle bin: `rewind init rds --deleted NAME|ID`, not {}",
                args.service.name()
            )));
        }
        if args.targets != Targets::New {
            return Err(usage(
                "a deleted instance is rebuilt into a new instance: drop --targets existing",
            ));
        }
        if deleted.trim().is_empty() {
            return Err(usage(
                "--deleted must name a deleted instance (its name or ID)",
            ));
        }
        // The recycle backup is the restore point.
        return Ok(Point::LatestBackup);
    }
    let point = point(args)?;
    let service = args.service;
    if args.target_ddm.is_some() && service != InitService::Ddm {
        return Err(usage("--target-ddm applies to `rewind init ddm` only"));
    }
    match (service, point) {
        (InitService::Ddm, Point::LatestBackup) => {
            return Err(usage(
                "`rewind init ddm` restores a point in time: give --at TIME",
            ));
        }
        (InitService::Dcs | InitService::Cbr, Point::At(_)) => {
            return Err(usage(format!(
                "{} restores backups, not points in time: give --backup latest",
                service.name()
            )));
        }
        _ => {}
    }
    if args.instance.trim().is_empty() {
        return Err(usage("--instance must name an instance ID"));
    }
    Ok(point)
}

pub fn exec(args: &InitArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let point = match check_usage(args) {
        Ok(p) => p,
        Err(e) => {
            crate::render::errors::print(&e, printer);
            return Ok(ExitCode::from(1));
        }
    };
    let out = args.out.as_str();
    if out != "-" && !args.force && std::path::Path::new(out).exists() {
        return Err(CliError::hint(
            format!("{out} exists already; rewind init does not overwrite it"),
            "pass --force to replace it, or -o OTHER.yaml (-o - prints to stdout)",
        ));
    }
    let text = crate::ops::plan::runtime()?.block_on(scaffold(args, point))?;
    if out == "-" {
        printer.out(&text);
        return Ok(ExitCode::SUCCESS);
    }
    write_file(out, &text, args.force)?;
    // A spec written from the simulator names the simulator's IDs: its next step is a
    // rehearsal, never a plan against the real cloud.
    let sim = if args.simulate { " --simulate" } else { "" };
    printer.info(&format!(
        "wrote {out}; next: `rewind validate -f {out}`, then `rewind plan -f {out}{sim}`"
    ));
    Ok(ExitCode::SUCCESS)
}

fn write_file(path: &str, text: &str, force: bool) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // Another process may have written it since the check above.
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        CliError::msg(format!(
            "cannot write {path}: {}",
            crate::words::write_reason(&e)
        ))
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            CliError::msg(format!(
                "cannot write {path}: {}",
                crate::words::write_reason(&e)
            ))
        })
}

async fn scaffold(args: &InitArgs, point: Point) -> Result<String, CliError> {
    let rehearsal = if args.simulate {
        Some(world::start(args, point).await?)
    } else {
        None
    };
    let config = cloud_config(rehearsal.as_ref())?;
    let cloud = rewind_providers::connect(config).map_err(|e| CliError::msg(e.to_string()))?;
    let d = Discover::new(std::sync::Arc::clone(cloud.client()));
    let mut scaffold = match (args.service, point, &args.deleted) {
        (_, _, Some(wanted)) => deleted::scaffold(cloud.client(), wanted).await?,
        (InitService::Ddm, Point::At(at), None) => ddm::scaffold(&d, args, at).await?,
        _ => single::scaffold(&d, args, point).await?,
    };
    let mut header = vec![format!(
        "Scaffolded by `rewind init {}` from {}.",
        args.service.name(),
        if args.simulate {
            "the rehearsal simulator"
        } else {
            "the cloud"
        }
    )];
    header.push(format!(
        "Check it, then: rewind validate && rewind plan{}",
        if args.simulate { " --simulate" } else { "" }
    ));
    header.append(&mut scaffold.header);
    scaffold.header = header;
    if let Some(r) = rehearsal {
        r.sim.shutdown().await;
    }
    Ok(scaffold.render())
}

fn cloud_config(rehearsal: Option<&Rehearsal>) -> Result<CloudConfig, CliError> {
    if let Some(r) = rehearsal {
        return r.cloud_config();
    }
    CloudConfig::resolve(
        &CloudSettings::default(),
        rewind_providers::env::process_env,
    )
    .map_err(|e| {
        CliError::hint(
            e.to_string(),
            "set OS_* credentials (see the README), or --simulate to try it against the simulator",
        )
    })
}
