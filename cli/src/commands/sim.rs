//! `rewind sim`: the OTC API simulator as a foreground process.

use crate::args::SimArgs;
use crate::error::CliError;
use crate::printer::Printer;
use rewind_sim::{SimConfig, World};
use std::fmt::Write as _;
use std::process::ExitCode;

pub fn exec(args: &SimArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let now = jiff::Timestamp::now().as_millisecond();
    let world = match &args.world {
        Some(path) => {
            let text = crate::load::read_text(path)?;
            World::from_yaml(&text).map_err(|e| {
                CliError::hint(
                    format!("world file {}: {e}", path.display()),
                    "see simulator/README.md for the format",
                )
            })?
        }
        None => World::healthy(now),
    };
    if !(args.time_scale >= 0.0 && args.time_scale.is_finite()) {
        return Err(CliError::msg(format!(
            "--time-scale must be 0 or more, not {}",
            args.time_scale
        )));
    }
    let config = SimConfig {
        listen: args.listen,
        seed: args.seed,
        time_scale: args.time_scale,
        world,
        ..SimConfig::default()
    };
    let rt = super::plan::runtime()?;
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
