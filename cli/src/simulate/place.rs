//! Rehearsal as a place: the simulated world kept beside the state a rehearsal uses.
//!
//! The world is saved to `<state>/rehearsal/world.yaml` (with `place.json` beside it) while
//! the simulator runs and when it stops, and reloaded by the next `--simulate` command on the
//! same state. So a rehearsal survives Ctrl-C, saved plans apply, and `drill cleanup
//! --simulate` finds the instances a drill left.

use crate::error::CliError;
use rewind_sim::World;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const DIR: &str = "rehearsal";
const WORLD: &str = "world.yaml";
const META: &str = "place.json";

/// What the place remembers besides the world.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Meta {
    /// How many commands have run in this world; it varies the simulator's seed, so that a
    /// later command never mints an ID an earlier one handed out.
    pub generation: u64,
    /// IDs the world invented because a spec named them.
    pub invented: BTreeSet<String>,
}

/// The directory of one rehearsal's world.
#[derive(Debug, Clone)]
pub struct Place {
    dir: PathBuf,
}

impl Place {
    /// The place beside the sled state at `state_dir` (a PostgreSQL state has no
    /// directory to keep a world in: `Location::dir` is `None` for it).
    pub fn beside(state_dir: &Path) -> Place {
        Place {
            dir: state_dir.join(DIR),
        }
    }

    pub fn world_file(&self) -> PathBuf {
        self.dir.join(WORLD)
    }

    /// The kept world and what the place remembers, if a rehearsal ran here before.
    pub fn load(&self) -> Result<Option<(World, Meta)>, CliError> {
        let path = self.world_file();
        if !path.exists() {
            return Ok(None);
        }
        let text = crate::load::read_text(&path)?;
        let world = World::from_yaml(&text).map_err(|e| {
            CliError::hint(
                format!("the rehearsal world kept at {}: {e}", path.display()),
                "delete that directory to start the rehearsal afresh",
            )
        })?;
        let meta = std::fs::read_to_string(self.dir.join(META))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Ok(Some((world, meta)))
    }

    /// Writes the world and meta atomically (a temporary file, then a rename), so a kill
    /// mid-write leaves the previous world.
    pub fn save(&self, world: &World, meta: &Meta) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let yaml = world.to_yaml().map_err(|e| e.to_string())?;
        let meta = serde_json::to_string_pretty(meta).map_err(|e| e.to_string())?;
        write_atomic(&self.dir.join(WORLD), &yaml)?;
        write_atomic(&self.dir.join(META), &meta)
    }
}

fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| {
        format!(
            "cannot write {}: {}",
            tmp.display(),
            crate::words::write_reason(&e)
        )
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        format!(
            "cannot write {}: {}",
            path.display(),
            crate::words::write_reason(&e)
        )
    })
}
