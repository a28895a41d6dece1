//! Command-line flags (clap); turned into engine options by each command, never passed deeper.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod drill;
mod simulate;

pub use simulate::SimulateArgs;
pub(crate) use simulate::number;
mod init;

use drill::{DRILL_AFTER, DRILL_LONG};
pub use drill::{DrillArgs, DrillCommand, DrillRunArgs};
use init::{INIT_AFTER, INIT_LONG};
pub use init::{InitArgs, InitService, Targets};

const ABOUT: &str = "Plan and apply cloud restore runbooks on Open Telekom Cloud.";

const LONG_ABOUT: &str = "\
rewind restores databases, caches and servers to a point in time, in the right order, exactly
once. The runbook is a YAML spec (restore.yaml): `rewind plan` previews what will be restored
and overwritten, `rewind apply` runs it, and local state makes every restore happen once even
across crashes and Ctrl-C.

Try it with no cloud at all, against the built-in simulator:
  rewind apply -f examples/ddm-pitr.yaml --simulate --auto-approve";

const AFTER_HELP: &str = "\
Exit status:
  0  success (plan --detailed-exitcode: no changes)
  1  error: bad spec or flags, failed preflight, failed or interrupted restore, locked state
  2  plan --detailed-exitcode only: changes are pending

Credentials come from OS_* variables or clouds.yaml (OS_CLOUD); see the README.";

#[derive(Debug, Parser)]
#[command(name = "rewind", version = crate::commands::version::LONG, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

// Command-line switches are booleans by nature.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
pub struct Global {
    /// The restore spec.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "restore.yaml",
        value_name = "FILE"
    )]
    pub file: PathBuf,
    /// State: a directory (sled), or postgres://USER@HOST/DB for a state a team shares
    /// [default: .rewind/ beside the spec; env: REWIND_STATE; rewind.toml: state].
    #[arg(long, global = true, value_name = "DIR|URL")]
    pub state: Option<PathBuf>,
    /// PostgreSQL state: the workspace in the database [default: the spec's path inside its
    /// git repository, else its file name].
    #[arg(long, global = true, value_name = "NAME")]
    pub workspace: Option<String>,
    /// Wait this long for a state another process has locked, e.g. 30s or 5m
    /// [default: fail at once, naming the holder; `drill --due`: 10s].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<std::time::Duration>,
    /// Override a spec var: --var point_in_time=2026-11-20T03:00:00Z (repeatable).
    #[arg(long = "var", global = true, value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Machine-readable output: one JSON document, or one JSON event per line for apply.
    #[arg(long, global = true)]
    pub json: bool,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More detail (e.g. unchanged operations in plans).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// No ANSI colors (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec offline: syntax, fields, IDs, times, references, cycles, conflicts.
    Validate,
    /// Show what apply would restore and overwrite, with preflight checks against the cloud.
    Plan(PlanArgs),
    /// Run the restores: each submitted once, polled to completion, recorded durably.
    Apply(ApplyArgs),
    /// Print the dependency graph with the reason for every edge.
    Graph(GraphArgs),
    /// Inspect or edit state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print a saved plan file, e.g. as a pull-request comment with --format markdown.
    Show(ShowArgs),
    /// The audit trail: one entry per apply (commit, approver, digests, job IDs, outcome).
    History(HistoryArgs),
    /// Watch an apply from any terminal: its operations, percent done and ETA (never waits
    /// for the lock).
    ///
    /// With a PostgreSQL state it also lists the request budget shared by every rewind process
    /// of the cloud user: each API's limit, its rate now after any 429s, a Retry-After pause,
    /// and the processes that used it in the last ten minutes (`--json`: field `budgets`).
    /// With `[rate_limits] share = N` it shows this process's part of each limit.
    Status,
    /// What restores produced (instance IDs, addresses, ports), read from state.
    Output(OutputArgs),
    /// Print the JSON Schema of the spec (for editors: yaml-language-server).
    Schema,
    /// Run the OTC API simulator on loopback ports until Ctrl-C.
    #[command(after_help = SIM_AFTER)]
    Sim(SimArgs),
    /// Print a shell completion script; restore names are completed from the spec and state.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `rewind man > /usr/local/share/man/man1/rewind.1`.
    Man,
    /// Print the version, git commit and build date (`--json` for a JSON document).
    Version,
    /// List external providers (plugins) found in rewind.toml and on PATH, with their kinds.
    Providers,
    /// Write a spec from what the cloud holds: the data nodes, windows, backups and targets.
    #[command(long_about = INIT_LONG, after_help = INIT_AFTER)]
    Init(InitArgs),
    /// Rehearse a restore on scratch instances, verify the data, measure RTO and RPO, clean up.
    #[command(long_about = DRILL_LONG, after_help = DRILL_AFTER)]
    Drill(DrillArgs),
}

const SIM_AFTER: &str = "\
The world: --world FILE, else the one --simulate would build for the spec of -f (every
instance, backup and window it names), else an empty one. It prints the environment a client
needs (OS_AUTH_URL, REWIND_ENDPOINT_*, OS_USERNAME, ...), then `ready`.

Examples:
  # Shell 1: the spec's world on stable ports, 60 simulated seconds per real second
  rewind sim -f examples/ddm-pitr.yaml --port-base 41000 --time-scale 60
  # Shell 2: export the printed lines, then
  rewind plan -f examples/ddm-pitr.yaml
  # A world file to start from (e.g. to give probe targets real loopback addresses)
  rewind sim -f examples/drill.yaml --write-world world.yaml";

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Skip preflight checks (no network, no credentials needed).
    #[arg(long)]
    pub offline: bool,
    /// Save the plan; `rewind apply FILE` runs exactly it, or refuses if it went stale.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Accept resubmitting an operation whose last submit has an unknown outcome.
    #[arg(long, value_name = "NAME")]
    pub resubmit: Vec<String>,
    /// `markdown`: a pull-request comment (summary first, overwrites in bold, details folded,
    /// under GitHub's 65,536 characters).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub targeting: TargetArgs,
    #[command(flatten)]
    pub sim: SimulateArgs,
}

/// Running part of a spec (plan and apply).
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Plan only NAME and the operations it waits for that have not succeeded yet
    /// (repeatable; a for_each fleet's NAME means all of its NAME[KEY] instances).
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
    /// Leave NAME out, with every operation that waits for it (repeatable).
    #[arg(long, value_name = "NAME")]
    pub exclude: Vec<String>,
    /// Run NAME again although it succeeded with these inputs: it overwrites its target
    /// again (repeatable).
    #[arg(long, value_name = "NAME")]
    pub replace: Vec<String>,
}

impl TargetArgs {
    pub fn targeting(&self) -> rewind_engine::plan::Targeting {
        rewind_engine::plan::Targeting {
            target: self.target.clone(),
            exclude: self.exclude.clone(),
            replace: self.replace.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `rewind plan --out FILE`.
    #[arg(value_name = "PLANFILE")]
    pub plan: PathBuf,
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `rewind plan --out FILE`.
    #[arg(value_name = "PLANFILE")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Skip preflight checks before applying.
    #[arg(long)]
    pub offline: bool,
    /// How many restores may run at once [default: 10; env: REWIND_PARALLELISM].
    #[arg(long, value_name = "N", value_parser = positive)]
    pub parallelism: Option<u32>,
    /// Stop launching new restores after the first failure (running ones are still followed).
    #[arg(long)]
    pub fail_fast: bool,
    /// Resubmit an operation whose last submit has an unknown outcome (after checking the cloud).
    #[arg(long, value_name = "NAME")]
    pub resubmit: Vec<String>,
    /// Who approved this run, for the audit trail [default: USER@HOST].
    #[arg(long, value_name = "WHO")]
    pub approver: Option<String>,
    #[command(flatten)]
    pub targeting: TargetArgs,
    #[command(flatten)]
    pub sim: SimulateArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Only this operation's outputs [default: every operation that has some].
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// One run in full: commit, digests, approver, times, every job ID, outcome (--json too).
    Show {
        /// The run number from `rewind history`.
        #[arg(value_parser = whole::<u64>)]
        run: u64,
    },
}

/// `30s`, `5m`, `1h30m`, or plain seconds.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let out_of_range = || {
        if text.starts_with('-') {
            format!("{text:?}: a duration cannot be negative")
        } else {
            format!("{text:?} is too long a duration")
        }
    };
    if let Ok(secs) = text.parse::<f64>() {
        return std::time::Duration::try_from_secs_f64(secs).map_err(|_| out_of_range());
    }
    let d: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 5m or 1h30m"))?;
    std::time::Duration::try_from(d).map_err(|_| out_of_range())
}

/// A whole number in the user's terms (clap's own parser says "invalid digit found in
/// string").
pub(crate) fn whole<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr<Err = std::num::ParseIntError> + std::fmt::Display + num_bounds::Max,
{
    use std::num::IntErrorKind;
    text.trim()
        .parse()
        .map_err(|e: std::num::ParseIntError| match e.kind() {
            IntErrorKind::PosOverflow => format!("{text} is too large (at most {})", T::MAX),
            _ => format!("{text:?} is not a whole number"),
        })
}

/// A whole number of at least 1.
pub(crate) fn positive(text: &str) -> Result<u32, String> {
    match whole::<u32>(text)? {
        0 => Err("must be at least 1".to_owned()),
        n => Ok(n),
    }
}

mod num_bounds {
    /// The largest value, to say it when a number is too large.
    pub trait Max {
        const MAX: Self;
    }
    impl Max for u16 {
        const MAX: u16 = u16::MAX;
    }
    impl Max for u32 {
        const MAX: u32 = u32::MAX;
    }
    impl Max for u64 {
        const MAX: u64 = u64::MAX;
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Graphviz DOT, or Mermaid for Markdown.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// One line per recorded operation.
    List,
    /// One record, as JSON.
    Show { name: String },
    /// Forget a record (after a backup); nothing in the cloud is touched.
    Rm { name: String },
    /// Rename a record after renaming its operation, so it is not restored again.
    Mv {
        /// The name state knows.
        old: String,
        /// The operation's new name in the spec.
        new: String,
    },
    /// The whole state (records and journal) as JSON.
    Export,
    /// Release a PostgreSQL state lock, whoever holds it, from any machine.
    ForceUnlock {
        /// The lock ID that "state is locked by ..." names.
        lock_id: String,
    },
    /// Put a backup (`DIR/backups/state-*.json`) back as the state: for a state that was
    /// damaged, truncated or rolled back. The old database is kept aside as `db.damaged-*`.
    Restore {
        /// The backup file, as the error about the damaged state names it.
        backup: std::path::PathBuf,
        /// Also over a healthy state that is newer than the backup (it forgets what was
        /// recorded since; the old database is still kept aside).
        #[arg(long)]
        force: bool,
    },
    /// Copy this state into another, empty, backend and check the copy against the source.
    Migrate {
        /// Destination: a directory or a postgres:// URL (the workspace is the same name).
        #[arg(long, value_name = "DIR|URL")]
        to: String,
    },
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to bind; anything but loopback must be asked for explicitly.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: std::net::IpAddr,
    /// World file (YAML): credentials, instances, backups, windows, faults.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,
    /// Seed for generated IDs and injected faults.
    #[arg(long, default_value_t = 1, value_parser = whole::<u64>)]
    pub seed: u64,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0, value_parser = number)]
    pub time_scale: f64,
    /// Listen on PORT..PORT+7 (IAM, RDS, DDM, TaurusDB, CBR, DCS, EVS, DDS), so the printed
    /// variables stay valid across restarts; free ports are picked when not given.
    #[arg(long, value_name = "PORT", value_parser = whole::<u16>)]
    pub port_base: Option<u16>,
    /// Write the world (built from the spec of -f, or --world) to FILE as YAML and exit:
    /// a world file to start from.
    #[arg(long, value_name = "FILE")]
    pub write_world: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Install (re-run on upgrade; the script calls back into rewind for every TAB):
  bash:        echo 'source <(rewind completions bash)' >> ~/.bashrc
  zsh:         echo 'source <(rewind completions zsh)' >> ~/.zshrc
  fish:        echo 'rewind completions fish | source' >> ~/.config/fish/config.fish
  powershell:  Add-Content $PROFILE 'rewind completions powershell | Out-String | Invoke-Expression'")]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}
