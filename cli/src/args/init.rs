//! `rewind init`'s flags: which service, which instance or backup, where to write.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

pub(super) const INIT_LONG: &str = "\
Write a restore spec from what the cloud holds, so nobody types 32-hex IDs during an incident.
rewind init only reads (never restores). The spec it writes validates as it stands; comments
name the API each ID came from, `vars:` hold the time and the names of new instances, and
`secrets:` say which environment variable holds the new instances' root password.

Same cloud answers, same bytes: lists are sorted and the picks are the first in ID order.

Examples:
  # A DDM instance at a point in time: a new RDS instance per data node, then the metadata
  rewind init ddm --instance 1f5c9fd6cd984056ba89c8c87cc03278in09 --at 2026-11-30T02:00:00Z
  # The same onto existing RDS instances that DDM lists as available (they are overwritten)
  rewind init ddm --instance ...in09 --at 2026-11-30T02:00:00Z --targets existing
  # One RDS instance from its newest backup, into a new instance; print instead of writing
  rewind init rds --instance ...in01 --backup latest -o -
  # A point-in-time restore onto an existing instance (checked against the window)
  rewind init rds --instance ...in01 --at 2026-11-30T02:00:00Z --targets existing --target ...in01
  # Someone deleted it: rebuild an RDS instance from the recycle bin (by name or ID)
  rewind init rds --deleted orders-mysql
  # Redis from its newest backup; a server from its newest CBR backup
  rewind init dcs --instance 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77 --backup latest
  rewind init cbr --instance 94eba8b2-acc9-4d82-badc-127144cc5526 --backup latest
  # Try it with no cloud: against the simulator, then rehearse the result
  rewind init ddm --simulate --instance 1f5c9fd6cd984056ba89c8c87cc03278in09 --at 2026-11-30T02:00:00Z
  rewind apply --simulate --auto-approve";

pub(super) const INIT_AFTER: &str = "\
Exit status:
  0  the spec was written
  1  the cloud said no (unknown instance, time outside the window, no backup, no target, a
     deleted instance not in the recycle bin or not rebuildable yet),
     the output file exists (use --force), or a usage mistake (missing or contradictory
     flags): like every rewind command, init keeps 2 for `plan --detailed-exitcode`";

/// What `rewind init` scaffolds a restore of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitService {
    Ddm,
    Rds,
    Taurusdb,
    Dds,
    Dcs,
    Cbr,
}

impl InitService {
    /// The service as people write it.
    pub fn display(self) -> &'static str {
        match self {
            InitService::Ddm => "DDM",
            InitService::Rds => "RDS",
            InitService::Taurusdb => "TaurusDB",
            InitService::Dds => "DDS",
            InitService::Dcs => "DCS",
            InitService::Cbr => "CBR",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InitService::Ddm => "ddm",
            InitService::Rds => "rds",
            InitService::Taurusdb => "taurusdb",
            InitService::Dds => "dds",
            InitService::Dcs => "dcs",
            InitService::Cbr => "cbr",
        }
    }
}

/// Where restored data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Targets {
    /// New instances, created by the restore (nothing is overwritten).
    New,
    /// Existing instances, overwritten.
    Existing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackupPick {
    /// The newest finished backup.
    Latest,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The service of the instance to restore.
    #[arg(value_enum)]
    pub service: InitService,
    /// The source instance ID (for cbr: the server or volume).
    #[arg(
        long,
        value_name = "ID",
        default_value = "",
        hide_default_value = true,
        required_unless_present = "deleted"
    )]
    pub instance: String,
    /// rds: rebuild a deleted instance from the recycle bin (ID or name), from its recycle
    /// backup, into a new instance; instead of --instance, --at and --backup.
    #[arg(
        long,
        value_name = "NAME|ID",
        conflicts_with_all = ["instance", "at", "backup", "target", "target_ddm"]
    )]
    pub deleted: Option<String>,
    /// Restore to this point in time (RFC 3339, e.g. 2026-11-30T02:00:00Z); checked against
    /// the restorable window.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Restore a backup: `latest` picks the newest finished one.
    #[arg(long, value_enum, value_name = "latest")]
    pub backup: Option<BackupPick>,
    /// Restore into new instances (created) or existing ones (overwritten).
    #[arg(long, value_enum, default_value_t = Targets::New)]
    pub targets: Targets,
    /// ddm: the DDM instance to restore the metadata to [default: the first available].
    #[arg(long, value_name = "ID")]
    pub target_ddm: Option<String>,
    /// rds, dds, taurusdb with existing targets: the instance to overwrite.
    #[arg(long, value_name = "ID")]
    pub target: Option<String>,
    /// Where to write the spec; `-` prints it.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "FILE",
        default_value = "restore.yaml"
    )]
    pub out: String,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Read an in-process simulator instead of the cloud; its world holds the instance.
    #[arg(long)]
    pub simulate: bool,
    /// With --simulate: use this world file instead of a generated one.
    #[arg(long, value_name = "FILE", requires = "simulate")]
    pub world: Option<PathBuf>,
}
