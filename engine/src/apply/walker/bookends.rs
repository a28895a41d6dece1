//! The walk's two ends: renames and forgets first, then the ready queue seeded with what needs
//! work; and the outcome once nothing more can move.

use super::{Phase, Walker};
use crate::apply::{ApplyError, Event};
use crate::plan::Action;

impl Walker<'_> {
    pub(super) fn forget(&mut self) -> Result<(), ApplyError> {
        // Renames first: the record must be under its new name before `seed` reads it. The
        // new record is durable before the old one goes, so a crash between the two leaves
        // a record to forget, never an operation to restore again.
        for m in &self.plan.moved {
            let Some(mut record) = self.state.get(&m.from)? else {
                continue;
            };
            if self.state.get(&m.to)?.is_some() {
                continue;
            }
            record.name.clone_from(&m.to);
            self.state.put(&record, &format!("moved from {}", m.from))?;
            self.state.remove(&m.from, &format!("moved to {}", m.to))?;
            self.outcome.moved.push(m.to.clone());
            self.hooks.on_event(&Event::Moved {
                from: m.from.clone(),
                to: m.to.clone(),
            });
        }
        for name in &self.plan.renamed_inputs {
            let Some(step) = self.plan.step(name) else {
                continue;
            };
            let Some(mut record) = self.state.get(name)? else {
                continue;
            };
            record.request = step.request.clone();
            record.inputs_digest.clone_from(&step.inputs_digest);
            self.state.put(
                &record,
                "inputs follow a renamed operation; nothing restored",
            )?;
        }
        for name in &self.plan.forget {
            self.state
                .remove(name, "forgotten: no longer in the spec")?;
            self.outcome.forgotten.push(name.clone());
            self.hooks.on_event(&Event::Forgot { name: name.clone() });
        }
        Ok(())
    }

    /// Loads records, settles the operations that need no work, and fills the ready queue.
    pub(super) fn seed(&mut self) -> Result<(), ApplyError> {
        for i in 0..self.runs.len() {
            self.runs[i].record = self.state.get(&self.runs[i].op.name)?;
        }
        for i in 0..self.runs.len() {
            match self.runs[i].action {
                Action::Unchanged | Action::Moved => {
                    // Done before its dependents are released: a dependent that is itself
                    // unchanged must never reach the ready queue.
                    self.runs[i].phase = Phase::Done;
                    self.unready(i);
                    self.outcome.unchanged.push(self.runs[i].op.name.clone());
                    self.succeed_deps(i);
                }
                Action::Blocked => {
                    let name = self.runs[i].op.name.clone();
                    self.runs[i].phase = Phase::Done;
                    self.outcome.unknown.push(name.clone());
                    let reason = self.runs[i]
                        .record
                        .as_ref()
                        .and_then(|r| r.last_error.clone())
                        .unwrap_or_else(|| "the last submit's outcome is unknown".to_owned());
                    let generic =
                        format!("run `rewind apply --resubmit {name}` after checking the cloud");
                    let reason = self.unknown_hint(i, &reason, &generic);
                    self.emit(&Event::Unknown {
                        name: name.clone(),
                        reason,
                    });
                    self.skip_dependents(i, &name);
                }
                _ => {}
            }
        }
        for i in 0..self.runs.len() {
            if self.runs[i].phase == Phase::Waiting && self.runs[i].waiting_on == 0 {
                self.make_ready(i);
            }
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> super::ApplyOutcome {
        let mut running = Vec::new();
        for i in 0..self.runs.len() {
            match self.runs[i].phase {
                Phase::Polling | Phase::Reconciling | Phase::Submitting => {
                    running.push(self.runs[i].op.name.clone());
                }
                Phase::Preparing => {
                    let name = self.runs[i].op.name.clone();
                    self.outcome.skipped.push(name.clone());
                    self.hooks.on_event(&Event::Skipped {
                        name,
                        because: "apply was interrupted".to_owned(),
                    });
                }
                Phase::Waiting if self.stop_launching => {
                    // Never started because apply stopped launching (Ctrl-C or --fail-fast).
                    let name = self.runs[i].op.name.clone();
                    self.outcome.skipped.push(name.clone());
                    let because = if self.outcome.interrupted {
                        "apply was interrupted"
                    } else {
                        "--fail-fast after a failure"
                    };
                    self.hooks.on_event(&Event::Skipped {
                        name,
                        because: because.to_owned(),
                    });
                }
                _ => {}
            }
        }
        if self.outcome.interrupted {
            self.hooks.on_event(&Event::Interrupted {
                running: running.clone(),
            });
        }
        self.outcome.in_flight.extend(running);
        let o = &mut self.outcome;
        for v in [
            &mut o.succeeded,
            &mut o.failed,
            &mut o.skipped,
            &mut o.unknown,
            &mut o.in_flight,
            &mut o.timed_out,
        ] {
            v.sort();
            v.dedup();
        }
        let outcome = self.outcome.clone();
        self.hooks.on_event(&Event::Finished {
            outcome: outcome.clone(),
        });
        outcome
    }
}
