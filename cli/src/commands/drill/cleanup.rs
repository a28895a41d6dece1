//! `rewind drill cleanup`: deletes whatever a crashed, failed or kept drill left behind.

use crate::error::CliError;
use crate::ops::drill::cleanup::{Waits, delete};
use crate::ops::drill::journal::Journal;
use crate::printer::{Printer, Style};
use crate::session::Session;
use rewind_drills::CleanupAction;
use rewind_engine::drill::{DrillOutcome, ScratchStatus};
use std::process::ExitCode;

/// What a clean-up with nothing of its own kind to delete says; `other` counts the drill runs
/// of the other kind (rehearsal or real) that left instances, which it must not call deleted.
fn nothing_to_clean(simulate: bool, other: usize) -> String {
    match (simulate, other) {
        (true, 0) => {
            "Nothing to clean up: every rehearsal drill's scratch instances are deleted.".to_owned()
        }
        (false, 0) => {
            "Nothing to clean up: every drill's scratch instances are deleted.".to_owned()
        }
        (true, n) => format!(
            "Nothing to clean up in the rehearsal world. {n} real drill run(s) left instances \
             in the cloud: `rewind drill cleanup` without --simulate deletes them."
        ),
        (false, n) => format!(
            "Nothing to clean up in the cloud. {n} rehearsal drill run(s) left instances in \
             their simulated world: `rewind drill cleanup --simulate` (with the same --state) \
             deletes them."
        ),
    }
}

/// `rewind drill cleanup`.
pub fn exec(
    session: &Session,
    all: bool,
    sim: &crate::args::SimulateArgs,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let loaded = session.loaded()?;
    let settings = session.settings(None)?;
    if sim.simulate && session.global().state.is_none() {
        printer
            .info("A rehearsal without --state DIR keeps nothing, so it left nothing to clean up.");
        return Ok(ExitCode::SUCCESS);
    }
    if !settings.state.may_exist() {
        printer.info("No state, so no drill has left anything behind.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut state = session.open(&settings.state, &session.command_line("drill cleanup"))?;
    let now = jiff::Timestamp::now().as_millisecond();
    let (open, other): (Vec<_>, Vec<_>) = state
        .runs()?
        .into_iter()
        .filter(|r| {
            r.drill.as_ref().is_some_and(|d| {
                d.outcome == DrillOutcome::Running || d.scratch.iter().any(|s| s.status.is_open())
            })
        })
        // A rehearsal's instances live in its simulated world, a real drill's in the cloud:
        // each clean-up deletes only its own.
        .partition(|r| {
            r.drill
                .as_ref()
                .is_some_and(|d| d.simulated == sim.simulate)
        });
    if open.is_empty() {
        printer.info(&nothing_to_clean(sim.simulate, other.len()));
        return Ok(ExitCode::SUCCESS);
    }
    let rt = crate::ops::plan::runtime()?;
    let rehearsal = rt.block_on(crate::ops::plan::maybe_simulate(
        loaded,
        sim,
        &settings,
        &settings.state,
    ))?;
    let time_scale = rehearsal.as_ref().map_or(1.0, |r| r.time_scale);
    let config = crate::ops::plan::cloud_config(loaded, &settings, rehearsal.as_ref())?;
    let config = rt.block_on(crate::ops::shared_budget::attach(
        config,
        &settings,
        rehearsal.is_some(),
        "rewind drill cleanup",
    ));
    let providers = {
        let _guard = rt.enter();
        crate::ops::plan::providers(session, config)?
    };
    let waits = Waits::from_settings(&settings, time_scale);
    let (mut deleted, mut kept, mut failed) = (0, 0, 0);
    for run in open {
        let id = run.id;
        let mut journal = Journal::resume(&mut *state, run)?;
        if journal
            .record()
            .is_some_and(|d| d.outcome == DrillOutcome::Running)
        {
            // The state lock is ours, so no drill is running: this one crashed or was killed.
            journal.update(|run, d| {
                d.outcome = DrillOutcome::Failed;
                d.finished_at.get_or_insert(now);
                d.failures
                    .push("interrupted: the drill did not finish (crashed or killed)".to_owned());
                "failed".clone_into(&mut run.outcome);
                run.finished_at.get_or_insert(now);
            })?;
        }
        let name = journal
            .record()
            .map(|d| d.drill.clone())
            .unwrap_or_default();
        printer.info(&format!("Drill `{name}` (run {id}):"));
        let count = journal.record().map_or(0, |d| d.scratch.len());
        for i in 0..count {
            let Some(s) = journal.record().and_then(|d| d.scratch.get(i)).cloned() else {
                continue;
            };
            if !s.status.is_open() {
                continue;
            }
            if s.status == ScratchStatus::Kept && !all && s.keep_until.is_none_or(|t| t > now) {
                let until = s.keep_until.map_or_else(
                    || "kept (no end: `rewind drill cleanup --all` deletes it)".to_owned(),
                    |t| format!("kept until {}", crate::render::when(t)),
                );
                printer.info(&format!(
                    "  {} {}: {until}",
                    s.operation,
                    s.instance_id.as_deref().unwrap_or(&s.name)
                ));
                kept += 1;
                continue;
            }
            let r = rt.block_on(delete(&mut journal, i, &providers, waits, printer))?;
            if r.action == CleanupAction::Deleted {
                deleted += 1;
            } else {
                failed += 1;
                printer.error(&format!(
                    "  {} {} ({}): {}",
                    printer.paint("✗", Style::Red),
                    r.instance_id,
                    r.operation,
                    r.detail.unwrap_or_default()
                ));
            }
        }
    }
    printer.info(&format!(
        "Clean-up: {deleted} deleted, {kept} kept, {failed} failed{}.",
        if rehearsal.is_some() {
            " (in the rehearsal world; nothing real was touched)"
        } else {
            ""
        }
    ));
    if let Some(r) = rehearsal {
        rt.block_on(r.finish(printer));
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
