//! Whether a saved plan still matches the spec and state it was made from.

use super::Plan;
use std::fmt;

/// Why a saved plan may not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    OtherState { saved: String, current: String },
    StateChanged { saved: u64, current: u64 },
    SpecChanged { changed: Vec<String> },
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Staleness::OtherState { saved, current } => write!(
                f,
                "the plan was made against another state (lineage {saved}, this state is {current})"
            ),
            Staleness::StateChanged { saved, current } => write!(
                f,
                "the state changed since the plan was made (serial {saved} -> {current}); another apply or `state rm` ran"
            ),
            Staleness::SpecChanged { changed } => write!(
                f,
                "the spec changed since the plan was made: {}",
                changed.join(", ")
            ),
        }
    }
}

/// Compares a saved plan with one freshly computed from the current spec and state.
pub fn check_fresh(saved: &Plan, current: &Plan) -> Result<(), Staleness> {
    if saved.lineage != current.lineage {
        return Err(Staleness::OtherState {
            saved: saved.lineage.clone(),
            current: current.lineage.clone(),
        });
    }
    if saved.serial != current.serial {
        return Err(Staleness::StateChanged {
            saved: saved.serial,
            current: current.serial,
        });
    }
    if saved.spec_digest != current.spec_digest {
        let mut changed = Vec::new();
        for s in &saved.steps {
            match current.step(&s.name) {
                None => changed.push(format!("{} removed", s.name)),
                Some(c) if c.inputs_digest != s.inputs_digest => {
                    changed.push(format!("{} inputs differ", s.name));
                }
                Some(c) if c.after != s.after => {
                    changed.push(format!("{} ordering differs", s.name));
                }
                Some(_) => {}
            }
        }
        for c in &current.steps {
            if saved.step(&c.name).is_none() {
                changed.push(format!("{} added", c.name));
            }
        }
        return Err(Staleness::SpecChanged { changed });
    }
    Ok(())
}
