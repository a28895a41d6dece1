//! `rewind sim`: the OTC API simulator as a foreground process, its world built from a spec.

use crate::args::SimArgs;
use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use rewind_sim::{Ports, SimConfig, World};
use std::fmt::Write as _;
use std::process::ExitCode;

/// The default of `-f`: `rewind sim` builds from it only when it is there.
const DEFAULT_SPEC: &str = "restore.yaml";

/// The world to serve: `--world FILE`, else the one `--simulate` would build for the spec of
/// `-f` (when one is named or `restore.yaml` is here), else an empty healthy one.
fn world(session: &Session, args: &SimArgs, printer: &Printer) -> Result<World, CliError> {
    let now = jiff::Timestamp::now().as_millisecond();
    if let Some(path) = &args.world {
        return crate::simulate::read_world(path);
    }
    let global = session.global();
    let named = global.file.as_os_str() != DEFAULT_SPEC;
    if !named && !global.file.exists() {
        printer.info(&format!(
            "The world is empty: there is no {DEFAULT_SPEC} here. Give -f SPEC for the world \
             --simulate builds for it, or --world FILE."
        ));
        return Ok(World::healthy(now));
    }
    let loaded = session.loaded()?;
    let mut world = World::healthy(now);
    let invented = crate::simulate::extend_for(&mut world, &loaded.compiled.spec, now);
    printer.info(&format!(
        "The world holds the {} resource(s) {} names.",
        invented.len(),
        loaded.compiled.file
    ));
    Ok(world)
}

pub fn exec(session: &Session, args: &SimArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let world = world(session, args, printer)?;
    if let Some(out) = &args.write_world {
        let yaml = world
            .to_yaml()
            .map_err(|e| CliError::msg(format!("cannot write the world: {e}")))?;
        std::fs::write(out, yaml).map_err(|e| {
            CliError::msg(format!(
                "cannot write {}: {}",
                out.display(),
                crate::words::write_reason(&e)
            ))
        })?;
        printer.info(&format!(
            "Wrote the world to {}. Serve it with `rewind sim --world {}`, or rehearse in it \
             with `--simulate --world {}`.",
            out.display(),
            out.display(),
            out.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if !(args.time_scale >= 0.0 && args.time_scale.is_finite()) {
        return Err(CliError::msg(format!(
            "--time-scale must be 0 or more, not {}",
            args.time_scale
        )));
    }
    if args.port_base.is_some_and(|p| p == 0 || p > u16::MAX - 7) {
        return Err(CliError::msg(
            "--port-base must leave room for 8 ports: 1 to 65528",
        ));
    }
    let config = SimConfig {
        listen: args.listen,
        seed: args.seed,
        time_scale: args.time_scale,
        world,
        ports: args.port_base.map(Ports::from_base),
    };
    let rt = crate::ops::plan::runtime()?;
    rt.block_on(async {
        let sim = rewind_sim::start(config)
            .await
            .map_err(|e| CliError::msg(format!("cannot start the simulator: {e}")))?;
        let mut lines = String::new();
        for (k, v) in sim.endpoints().into_iter().chain(sim.credentials_env()) {
            let _ = writeln!(lines, "{k}={v}");
        }
        lines.push_str("ready");
        printer.out(&lines);
        let _ = tokio::signal::ctrl_c().await;
        sim.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
