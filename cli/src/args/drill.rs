//! `rewind drill`'s flags: run (now or `--due`), history, cleanup, metrics.

use super::simulate::SimulateArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

pub(super) const DRILL_LONG: &str = "\
Run one of the spec's `drills:`: its restores onto scratch instances (new ones it creates, or
existing ones it lists under `scratch:`; anything else is refused before any request), then
its probes against the restored targets, then its clean-up policy. RTO (first submit to the
last passed probe, along the critical path) and RPO (drill start to the restored recovery
point) are checked against the drill's budgets and journaled in state; report.md,
report.json, junit.xml and report.html are written on every drill, pass or fail.

Examples:
  # Rehearse against the built-in simulator (nothing real is touched)
  rewind drill nightly -f examples/drill.yaml --simulate
  # In the cloud; keep the scratch instances whatever the policy says
  rewind drill nightly --keep
  # Past drills of this state, with RTO/RPO trends
  rewind drill history
  # Delete every scratch instance a crashed or kept drill left behind
  rewind drill cleanup
  # From cron or a timer: run each drill whose `schedule:` slot has come, once per slot
  rewind drill --due
  # What --due would run now, what it would record as missed, and when each drill runs next
  rewind drill --due --dry-run";

pub(super) const DRILL_AFTER: &str = "\
Exit status:
  0  the drill passed: every restore succeeded, every probe ran and none with on_error: fail
     failed, budgets met, clean-up done
  1  the drill failed or is INCOMPLETE (probes that did not run; the reports say why), or it
     could not start (bad spec, locked state, leftovers of an earlier drill: run
     `rewind drill cleanup`)
  With --due: 0 when no drill was due, when another caller already claimed the slot (it names
  that run), or when every due drill passed; 1 when a due drill failed or could not start.";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DrillArgs {
    #[command(subcommand)]
    pub command: Option<DrillCommand>,
    #[command(flatten)]
    pub run: DrillRunArgs,
}

#[derive(Debug, Args, Default)]
#[allow(clippy::struct_excessive_bools)]
pub struct DrillRunArgs {
    /// The drill (a key of `drills:`); may be left out when the spec has only one.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Keep every scratch instance, whatever the drill's clean-up policy says.
    #[arg(long)]
    pub keep: bool,
    /// Write this run's reports into DIR itself (a fixed place, e.g. for CI artifacts;
    /// overwritten by the next run) [default: a `run-NNNN/` folder of its own under the
    /// drill's `report_dir:` (relative to the spec), else under <state dir>/drills/NAME/].
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Skip preflight checks before the restores.
    #[arg(long)]
    pub offline: bool,
    /// Who ran this drill, for the audit trail [default: USER@HOST].
    #[arg(long, value_name = "WHO")]
    pub approver: Option<String>,
    /// Run every drill with a `schedule:` whose slot has come (only NAME with a name), once
    /// per slot: call it from cron, a systemd timer or a CronJob as often as you like.
    #[arg(long)]
    pub due: bool,
    /// With --due: say what would run (and what is missed), and when each drill runs next.
    #[arg(long, requires = "due")]
    pub dry_run: bool,
    /// A dead-man switch (healthchecks.io style): POST URL/start when the drill starts, then
    /// URL on success or URL/fail on failure; an alarm there fires when no drill ran at all.
    #[arg(
        long,
        value_name = "URL",
        env = "REWIND_PING_URL",
        hide_env_values = true
    )]
    pub ping: Option<String>,
    /// With --due --dry-run, or in a rehearsal (--due --simulate): decide which slots are due
    /// as if it were this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME", requires = "due")]
    pub at: Option<String>,
    #[command(flatten)]
    pub sim: SimulateArgs,
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Past drills: outcome, RTO and RPO against their budgets, and the trend per drill.
    History {
        /// Only this drill.
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
    /// Delete the scratch instances that drills left behind: crashed ones, failed deletes,
    /// and kept ones whose time is up.
    Cleanup {
        /// Also delete instances kept with `keep` (no end) or whose keep time has not run out.
        #[arg(long)]
        all: bool,
        /// Clean up what rehearsal drills left, in the world kept beside `--state DIR`.
        #[command(flatten)]
        sim: SimulateArgs,
    },
    /// Prometheus metrics from the drill journal (last success, status, RTO, RPO, budgets,
    /// leaked scratch instances, runs by outcome, restore durations by kind): printed, written
    /// for node_exporter (--textfile) or pushed (--push).
    Metrics {
        /// Write DIR/rewind_drills.prom atomically, for node_exporter's textfile collector.
        #[arg(long, value_name = "DIR")]
        textfile: Option<PathBuf>,
        /// PUT them to this Pushgateway (URL, or URL/metrics/job/NAME).
        #[arg(long, value_name = "URL")]
        push: Option<String>,
    },
}
