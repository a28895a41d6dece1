//! A drill's journal: its run entry (command `drill`) in the state's audit trail, rewritten and
//! flushed at every transition that a crash must not lose.

use crate::error::CliError;
use rewind_engine::drill::{DrillRecord, ScratchInstance};
use rewind_engine::state::{RunEntry, StateStore};

/// The run entry of one drill and the state that keeps it.
pub struct Journal<'a> {
    state: &'a mut dyn StateStore,
    run: RunEntry,
}

impl<'a> Journal<'a> {
    /// Takes over a run entry that already holds a drill record (a new one, or one found by
    /// `rewind drill cleanup`).
    pub fn resume(state: &'a mut dyn StateStore, run: RunEntry) -> Result<Self, CliError> {
        if run.drill.is_none() {
            return Err(CliError::msg(format!("run {} is not a drill", run.id)));
        }
        Ok(Journal { state, run })
    }

    pub fn run(&self) -> &RunEntry {
        &self.run
    }

    /// Every run of the state (this one as last flushed).
    pub fn runs(&self) -> Result<Vec<RunEntry>, CliError> {
        Ok(self.state.runs()?)
    }

    pub fn record(&self) -> Option<&DrillRecord> {
        self.run.drill.as_ref()
    }

    /// Changes the record and flushes it before returning.
    pub fn update(
        &mut self,
        f: impl FnOnce(&mut RunEntry, &mut DrillRecord),
    ) -> Result<(), CliError> {
        if let Some(mut record) = self.run.drill.take() {
            f(&mut self.run, &mut record);
            self.run.drill = Some(record);
        }
        self.state.put_run(&self.run)?;
        Ok(())
    }

    /// Changes scratch instance `i` and flushes.
    pub fn scratch(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut ScratchInstance),
    ) -> Result<(), CliError> {
        self.update(|_, r| {
            if let Some(s) = r.scratch.get_mut(i) {
                f(s);
            }
        })
    }
}
