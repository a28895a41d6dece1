//! `rewind drill --due`: each scheduled drill whose slot has come runs once per slot, the slot
//! claimed in state under the lock before any request; missed slots are recorded, not run.

use super::run::{self, Prepared};
use crate::args::DrillRunArgs;
use crate::error::CliError;
use crate::load::Loaded;
use crate::ops::plan::state_location;
use crate::printer::Printer;
use crate::session::Session;
use rewind_engine::drill::schedule::{self, Due, Schedule};
use rewind_engine::drill::{DrillDecl, DrillOutcome, DrillRecord};
use rewind_engine::state::{RunEntry, StateError, StateStore};
use rewind_state::Location;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long a caller that finds the state locked keeps looking for the holder's claim of the
/// due slot, when `--lock-timeout` says nothing: a `--due` holder claims it at once.
const CLAIM_WAIT: Duration = Duration::from_secs(10);

pub fn exec(
    session: &Session,
    args: &DrillRunArgs,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let global = session.global();
    let loaded = session.loaded()?;
    let scheduled = scheduled(loaded, args.name.as_deref())?;
    let settings = session.settings(None)?;
    session.check_limits()?;
    let (location, tmp) = state_location(session, &args.sim, &settings)?;
    if args.at.is_some() && !args.dry_run && !args.sim.simulate {
        return Err(CliError::hint(
            "--at runs a drill for a slot that has not come; it is only for --dry-run and rehearsals",
            "add --dry-run to see what would run then, or --simulate to rehearse it",
        ));
    }
    let now = match &args.at {
        Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| {
            CliError::hint(
                format!("--at {text:?} is not a time: {e}"),
                "write RFC 3339, such as 2026-12-07T02:00:00+01:00",
            )
        })?,
        None => jiff::Timestamp::now(),
    };
    if args.dry_run {
        let runs = read_runs(session, &location)?;
        return Ok(dry_run(&scheduled, now, &runs, printer));
    }
    let command = session.command_line("drill --due");
    let deadline = Instant::now() + global.lock_timeout.unwrap_or(CLAIM_WAIT);
    let mut state = loop {
        match session.try_open(&location, &command)? {
            Ok(state) => break state,
            Err(StateError::Locked { holder }) => {
                // Another caller holds the lock: if it has claimed every due slot, there is
                // nothing to do here. Its claim is written as soon as it holds the lock.
                if let Ok(runs) = read_runs(session, &location)
                    && let Some(lines) = all_claimed(&scheduled, now, &runs)
                {
                    for line in lines {
                        printer.info(&line);
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                if Instant::now() >= deadline {
                    // Another `--due` caller works through the due drills one by one, claiming
                    // each as it starts it: those it has not reached yet are its to run.
                    if holder.contains("drill --due") {
                        let runs = read_runs(session, &location).unwrap_or_default();
                        for (drill, schedule) in &scheduled {
                            let due = schedule::due(schedule, now, &recorded(&runs, &drill.name));
                            let line = match due.run {
                                Some(slot) => format!(
                                    "Drill `{}`: slot {} is left to the other caller, {holder}, which holds the state and runs the due drills in turn.",
                                    drill.name,
                                    zoned(schedule, slot.slot)
                                ),
                                None => idle_line(drill, schedule, now, &due, &runs),
                            };
                            printer.info(&line);
                        }
                        return Ok(ExitCode::SUCCESS);
                    }
                    return Err(StateError::Locked { holder }.into());
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let prepared = Prepared {
        session,
        settings: &settings,
        location: &location,
        rehearsal_state: tmp.is_some(),
    };
    let mut code = ExitCode::SUCCESS;
    for (drill, schedule) in &scheduled {
        let runs = state.runs()?;
        let due = schedule::due(schedule, now, &recorded(&runs, &drill.name));
        for slot in &due.missed {
            let id = record_missed(&mut *state, loaded, drill, args, slot.as_millisecond())?;
            printer.info(&format!(
                "Drill `{}`: slot {} was missed; recorded as run {id}, not run.",
                drill.name,
                zoned(schedule, *slot)
            ));
        }
        let Some(slot) = due.run else {
            printer.info(&idle_line(drill, schedule, now, &due, &runs));
            continue;
        };
        printer.info(&format!(
            "Drill `{}`: slot {} is due{}.",
            drill.name,
            zoned(schedule, slot.slot),
            if slot.catch_up {
                " (a catch-up: its window has passed)"
            } else {
                ""
            }
        ));
        let ran = run::run_drill(
            &prepared,
            args,
            printer,
            drill,
            &mut *state,
            Some(slot.slot.as_millisecond()),
        );
        match ran {
            Ok(c) if c == ExitCode::SUCCESS => {}
            Ok(c) => code = c,
            Err(e) => {
                // The other drills still get their slot; this one's error is shown now.
                printer.error(&named(&drill.name, &e.to_string()));
                code = ExitCode::from(1);
            }
        }
    }
    Ok(code)
}

/// The drills with a schedule (only `name`, when given).
fn scheduled(loaded: &Loaded, name: Option<&str>) -> Result<Vec<(DrillDecl, Schedule)>, CliError> {
    let spec = &loaded.compiled.spec;
    if let Some(n) = name {
        let d = crate::ops::drill::pick(spec, Some(n))?;
        let Some(s) = &d.schedule else {
            return Err(CliError::hint(
                format!("drill `{n}` has no `schedule:`, so it is never due"),
                "add `schedule: { cron: \"0 2 * * *\", time_zone: UTC, window: 2h }`, or run it now with `rewind drill NAME`",
            ));
        };
        return Ok(vec![(d.clone(), s.clone())]);
    }
    let out: Vec<_> = spec
        .drills
        .values()
        .filter_map(|d| Some((d.clone(), d.schedule.clone()?)))
        .collect();
    if out.is_empty() {
        return Err(CliError::hint(
            "no drill of the spec has a `schedule:`, so none is ever due",
            "add `schedule: { cron: \"0 2 * * *\", time_zone: UTC, window: 2h }` to a drill (see the README's \"Scheduled drills\")",
        ));
    }
    Ok(out)
}

/// The runs of the state as a reader sees them; none when the state does not exist yet.
fn read_runs(session: &Session, location: &Location) -> Result<Vec<RunEntry>, CliError> {
    if !location.may_exist() {
        return Ok(Vec::new());
    }
    Ok(StateStore::runs(&session.read(location)?)?)
}

/// The slots recorded for `drill` (claimed, run or missed).
fn recorded(runs: &[RunEntry], drill: &str) -> Vec<jiff::Timestamp> {
    slot_runs(runs, drill)
        .filter_map(|(_, d)| jiff::Timestamp::from_millisecond(d.slot?).ok())
        .collect()
}

fn slot_runs<'a>(
    runs: &'a [RunEntry],
    drill: &'a str,
) -> impl Iterator<Item = (&'a RunEntry, &'a DrillRecord)> + 'a {
    runs.iter().filter_map(move |r| {
        let d = r.drill.as_ref()?;
        (d.drill == drill && d.slot.is_some()).then_some((r, d))
    })
}

/// With the state locked by another caller: a line per drill when no drill is left due at
/// `now` (every due slot has been claimed), else `None`.
fn all_claimed(
    scheduled: &[(DrillDecl, Schedule)],
    now: jiff::Timestamp,
    runs: &[RunEntry],
) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    for (drill, schedule) in scheduled {
        let due = schedule::due(schedule, now, &recorded(runs, &drill.name));
        if due.run.is_some() {
            return None;
        }
        lines.push(idle_line(drill, schedule, now, &due, runs));
    }
    Some(lines)
}

/// Why `drill` does not run now: its newest slot already has a run (named), or none is due.
fn idle_line(
    drill: &DrillDecl,
    schedule: &Schedule,
    now: jiff::Timestamp,
    due: &Due,
    runs: &[RunEntry],
) -> String {
    let next = due.next.map_or_else(
        || "no later slot".to_owned(),
        |t| format!("next slot {}", zoned(schedule, t)),
    );
    let newest = slot_runs(runs, &drill.name)
        .filter(|(_, d)| d.slot.is_some_and(|s| s <= now.as_millisecond()))
        .max_by_key(|(_, d)| d.slot);
    match newest {
        Some((run, d)) if d.outcome != DrillOutcome::Missed => format!(
            "Drill `{}`: slot {} is run {} ({}, by {}); nothing to do; {next}.",
            drill.name,
            d.slot
                .and_then(|s| jiff::Timestamp::from_millisecond(s).ok())
                .map_or_else(String::new, |t| zoned(schedule, t)),
            run.id,
            outcome(d.outcome),
            run.approver,
        ),
        _ => format!("Drill `{}`: not due; {next}.", drill.name),
    }
}

/// `why` a drill could not run, naming the drill once (most errors already do).
fn named(drill: &str, why: &str) -> String {
    if why.contains(&format!("drill `{drill}`")) {
        why.to_owned()
    } else {
        format!("drill `{drill}`: {why}")
    }
}

fn outcome(o: DrillOutcome) -> &'static str {
    match o {
        DrillOutcome::Running => "running",
        DrillOutcome::Passed => "passed",
        DrillOutcome::Failed => "failed",
        DrillOutcome::Missed => "missed",
    }
}

/// A slot as the wall-clock time of its schedule's zone.
fn zoned(schedule: &Schedule, t: jiff::Timestamp) -> String {
    match schedule::parse_zone(&schedule.time_zone) {
        Ok(tz) => t.to_zoned(tz).to_string(),
        Err(_) => t.to_string(),
    }
}

/// Journals `slot` of `drill` as missed: a finished run entry that restored nothing.
fn record_missed(
    state: &mut dyn StateStore,
    loaded: &Loaded,
    drill: &DrillDecl,
    args: &DrillRunArgs,
    slot: i64,
) -> Result<u64, CliError> {
    let plan = run::drill_plan(loaded, drill, args.sim.simulate)?;
    let mut entry =
        crate::ops::audit::start(state, "drill", loaded, &plan, args.approver.as_deref())?;
    entry.planned.clear();
    "missed".clone_into(&mut entry.outcome);
    entry.finished_at = Some(entry.started_at);
    entry.drill = Some(DrillRecord {
        outcome: DrillOutcome::Missed,
        finished_at: Some(entry.started_at),
        slot: Some(slot),
        failures: vec!["missed: a later slot was run when the schedule was caught up".to_owned()],
        ..DrillRecord::running(&drill.name, entry.started_at)
    });
    state.put_run(&entry)?;
    Ok(entry.id)
}

/// `--due --dry-run`: what would run and what would be missed at `now`, and the next slots.
fn dry_run(
    scheduled: &[(DrillDecl, Schedule)],
    now: jiff::Timestamp,
    runs: &[RunEntry],
    printer: &Printer,
) -> ExitCode {
    let mut events = Vec::new();
    for (drill, schedule) in scheduled {
        let due = schedule::due(schedule, now, &recorded(runs, &drill.name));
        if printer.json {
            events.push(serde_json::json!({
                "drill": drill.name,
                "schedule": schedule,
                "run": due.run.map(|r| serde_json::json!({"slot": r.slot, "catch_up": r.catch_up})),
                "missed": due.missed,
                "next": due.next,
            }));
            continue;
        }
        let mut line = match due.run {
            Some(r) => format!(
                "Drill `{}` would run now for slot {}{}",
                drill.name,
                zoned(schedule, r.slot),
                if r.catch_up { " (a catch-up)" } else { "" }
            ),
            None => format!("Drill `{}` would not run now", drill.name),
        };
        if !due.missed.is_empty() {
            let _ = write!(
                line,
                "; {} slot(s) would be recorded as missed ({} to {})",
                due.missed.len(),
                zoned(schedule, due.missed[0]),
                zoned(schedule, due.missed[due.missed.len() - 1]),
            );
        }
        match due.next {
            Some(t) => {
                let _ = write!(line, "; next slot {}.", zoned(schedule, t));
            }
            None => line.push_str("; no later slot."),
        }
        printer.out(&line);
    }
    if printer.json {
        printer.out(
            &serde_json::json!({"format_version": 1, "now": now, "drills": events}).to_string(),
        );
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::named;

    #[test]
    fn an_error_names_its_drill_once() {
        assert_eq!(
            named(
                "nightly",
                "drill `nightly` run 1 left 1 scratch instance(s); this drill did not start"
            ),
            "drill `nightly` run 1 left 1 scratch instance(s); this drill did not start"
        );
        assert_eq!(
            named("nightly", "the state is locked"),
            "drill `nightly`: the state is locked"
        );
    }
}
