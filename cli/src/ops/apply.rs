//! `apply` as an operation: plan against state, check against the cloud, confirm, run, record.

use crate::args::ApplyArgs;
use crate::error::CliError;
use crate::load;
use crate::ops::audit;
use crate::ops::plan::{
    advise_blocked, cloud_config, compute, maybe_simulate, providers, runtime, state_location,
};
use crate::printer::Printer;
use crate::render;
use crate::render::apply::{created, print_result, summary, unknown_advice};
use crate::render::progress::{JsonHooks, TerminalHooks};
use crate::session::Session;
use rewind_engine::apply::{self, ApplyHooks, ApplyOptions, ApplyOutcome};
use rewind_engine::plan::{Plan, PlanOptions, check_fresh};
use rewind_state::Location;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

/// What to do after losing a PostgreSQL lock mid-apply.
const LOCK_LOST_HINT: &str = "the connection to PostgreSQL was lost, or the lock was force-unlocked; the restores already submitted go on in the cloud. Once the database answers, `rewind apply` re-attaches to them";

/// The hint for a state error that ended an apply.
fn error_hint(lock_lost: bool, location: &Location) -> &'static str {
    if lock_lost {
        LOCK_LOST_HINT
    } else if location.is_shared() {
        "the PostgreSQL state could not be written (connection lost, or the lock taken away); the last transition before this error is saved. Once the database answers, `rewind apply` re-attaches"
    } else {
        "the last transition before this error is saved; once the state can be written again (see above), `rewind apply` re-attaches"
    }
}

/// Stops the run (as a first Ctrl-C does) once the state's lock is lost: polling on
/// without a lock would follow jobs whose ends can no longer be recorded.
fn watch_lock(
    lost: Arc<AtomicBool>,
    printer: Printer,
    cancel: watch::Sender<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if lost.load(Ordering::SeqCst) {
                printer.info("\nStopping: the state lock was lost; no new restores will start.");
                let _ = cancel.send(true);
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    })
}

pub fn read_saved_plan(path: &std::path::Path) -> Result<Plan, CliError> {
    let text = load::read_text(path)?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| {
        CliError::hint(
            format!("{} is not a rewind plan file: {e}", path.display()),
            "make one with `rewind plan --out FILE`",
        )
    })?;
    if plan.format_version != rewind_engine::plan::PLAN_FORMAT_VERSION {
        return Err(CliError::hint(
            format!(
                "{} has plan format {}, this rewind reads {}",
                path.display(),
                plan.format_version,
                rewind_engine::plan::PLAN_FORMAT_VERSION
            ),
            "make a new plan with this version of rewind",
        ));
    }
    Ok(plan)
}

/// A rehearsal plan never runs against the cloud, and a plan checked against the cloud never
/// runs in a rehearsal: what it checked would not be what it runs against.
fn refuse_other_world(
    plan_simulated: bool,
    simulate: bool,
    path: &std::path::Path,
) -> Result<(), CliError> {
    match (plan_simulated, simulate) {
        (true, false) => Err(CliError::hint(
            format!(
                "{} is a rehearsal plan (made with --simulate); it cannot run against the real cloud",
                path.display()
            ),
            "apply it with --simulate (and the same --state), or make a real plan without --simulate",
        )),
        (false, true) => Err(CliError::hint(
            format!(
                "{} was planned against the real cloud; a rehearsal (--simulate) does not run it",
                path.display()
            ),
            "make a rehearsal plan with `rewind plan --simulate --out FILE`",
        )),
        _ => Ok(()),
    }
}

/// Apply's options from the settings, for a run `time_scale` times faster than real time.
pub fn apply_options(
    settings: &crate::settings::Settings,
    time_scale: f64,
    fail_fast: bool,
    secrets: std::sync::Arc<crate::secrets::SpecSecrets>,
) -> ApplyOptions {
    let scale = |d: std::time::Duration| scaled(d, time_scale);
    let t = &settings.timeouts;
    ApplyOptions {
        parallelism: settings.parallelism,
        limits: settings.limits.clone(),
        fail_fast,
        poll: settings.poll.scaled(time_scale),
        reconcile_delay: scale(settings.reconcile_delay),
        // Timeouts and the grace period are real time, like job durations: a rehearsal
        // runs them `time_scale` times faster.
        timeouts: rewind_engine::apply::Timeouts {
            default: scale(t.timeouts.default),
            per_kind: t
                .timeouts
                .per_kind
                .iter()
                .map(|(k, d)| (*k, scale(*d)))
                .collect(),
        },
        lost_grace: scale(t.lost_grace),
        lost_polls: t.lost_polls,
        secrets: rewind_engine::apply::SecretsHandle(Some(secrets)),
        ..ApplyOptions::default()
    }
}

/// `d` in a run `time_scale` times faster; saturating, so a tiny --time-scale cannot
/// overflow (and panic).
pub fn scaled(d: std::time::Duration, time_scale: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(d.as_secs_f64() / time_scale)
        .unwrap_or(std::time::Duration::MAX)
}

/// A rehearsal runs `time_scale` times faster: so do the operations' own `timeout:`s.
pub fn scale_step_timeouts(mut plan: Plan, time_scale: f64) -> Plan {
    for step in &mut plan.steps {
        if let Some(ms) = step.timeout_ms.as_mut() {
            // Rounded up, and at least 1 ms: a timeout never becomes "no time at all".
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let scaled = ((*ms as f64) / time_scale).ceil().max(1.0) as u64;
            *ms = scaled;
        }
    }
    plan
}

/// Runs `rewind apply` with `args`: plan, check, confirm, then every restore exactly once.
pub fn apply(session: &Session, args: &ApplyArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let saved = match &args.plan {
        Some(path) => Some(read_saved_plan(path)?),
        None => None,
    };
    // A saved plan names the spec it was made of; `-f` names another only when given.
    let own;
    let session = match &saved {
        Some(plan) if session.global().file.as_os_str() == "restore.yaml" => {
            own = session.for_file(plan.spec_file.clone().into());
            &own
        }
        _ => session,
    };
    let global = session.global();
    if let (Some(saved), Some(path)) = (&saved, &args.plan) {
        refuse_other_world(saved.simulated, args.sim.simulate, path)?;
    }
    let loaded = session.loaded()?;
    let parallelism = args.parallelism.map(|n| n as usize);
    let settings = session.settings(parallelism)?;
    session.check_limits()?;
    // Every offline check `rewind validate` runs, plugins' `validate` included, before the
    // state is opened or anything is sent: a saved plan was checked when it was made, but
    // the plugin or the spec beside it may have changed since.
    crate::ops::validate::plugin_checks(session, printer)?;
    let (location, tmp) = match &args.plan {
        Some(p)
            if args.sim.simulate
                && global.state.is_none()
                && crate::ops::plan::rehearsal_beside(p).exists() =>
        {
            (Location::Dir(crate::ops::plan::rehearsal_beside(p)), None)
        }
        _ => state_location(session, &args.sim, &settings)?,
    };
    let throw_away = tmp.is_some();
    let mut state = session.open(&location, &session.command_line("apply"))?;
    // A saved plan runs exactly the part of the spec it was made for.
    let targeting = match &saved {
        Some(plan) if args.targeting.targeting().is_empty() => plan.targeting.clone(),
        Some(_) => {
            return Err(CliError::hint(
                "--target, --exclude and --replace cannot change a saved plan",
                "make the plan with them: `rewind plan --target NAME --out FILE`",
            ));
        }
        None => args.targeting.targeting(),
    };
    let options = PlanOptions {
        resubmit: args.resubmit.iter().cloned().collect(),
        targeting,
        simulated: args.sim.simulate,
    };
    crate::ops::plan::check_targeting(loaded, &options)?;
    for name in &options.resubmit {
        if !loaded.compiled.spec.ops.contains_key(name) {
            return Err(CliError::hint(
                format!("--resubmit {name}: no such operation in the spec"),
                "use an operation name from `restores:`",
            ));
        }
    }
    let mut plan = compute(loaded, &state, &options)?;
    if let Some(saved) = &saved {
        check_fresh(saved, &plan).map_err(|s| {
            CliError::hint(
                format!("the saved plan is stale: {s}"),
                if saved.simulated {
                    "make a new one with `rewind plan --simulate --out FILE` (and the same --state)"
                } else {
                    "make a new one with `rewind plan --out FILE`"
                },
            )
        })?;
        // The recovery points the saved plan chose are the ones reviewed: apply restores
        // exactly those (`restore_time: latest` is not chosen again).
        for step in saved
            .steps
            .iter()
            .filter(|st| loaded.compiled.spec.recovery.contains_key(&st.name))
        {
            plan.pin_step(&step.name, step.spec.clone());
        }
    }
    // Every secret a submit needs is read once now, so that a missing one stops the run
    // before any restore starts, not halfway through it.
    let secrets = std::sync::Arc::new(crate::secrets::SpecSecrets::new(
        loaded.compiled.spec.secrets.clone(),
        loaded.dir.clone(),
        args.sim.simulate,
    ));
    crate::secrets::warn_stand_ins(&crate::secrets::stand_ins(&plan, &secrets), printer);
    let missing = crate::secrets::missing(&plan, &secrets);
    if !missing.is_empty() {
        return Err(CliError::hint(
            format!(
                "{} secret(s) cannot be read; nothing was restored:\n  {}",
                missing.len(),
                missing.join("\n  ")
            ),
            "set the environment variables, or fix the `secrets:` entries of the spec",
        ));
    }
    let rt = runtime()?;
    rt.block_on(async {
        let rehearsal = maybe_simulate(loaded, &args.sim, &settings, &location).await?;
        crate::ops::plan::warn_unkept(rehearsal.as_ref(), printer);
        let time_scale = rehearsal.as_ref().map_or(1.0, |r| r.time_scale);
        let config = cloud_config(loaded, &settings, rehearsal.as_ref())?;
        let config =
            crate::ops::shared_budget::attach(config, &settings, rehearsal.is_some(), "rewind apply").await;
        let providers = providers(session, config)?;
        if saved.is_none() {
            let seed = u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or_default();
            let picks = crate::ops::drill::recovery::pin_plan(
                &mut plan,
                &loaded.compiled.spec,
                &providers,
                seed,
            )
            .await?;
            for line in crate::ops::drill::recovery::describe(&picks) {
                printer.info(&line);
            }
        }
        let unpinned = crate::ops::drill::recovery::unpinned(&plan, &loaded.compiled.spec);
        if !unpinned.is_empty() {
            return Err(CliError::hint(
                format!(
                    "the recovery point of {} was never chosen (the plan was made with --offline); nothing was restored",
                    unpinned.join(", ")
                ),
                "make the plan against the cloud: `rewind plan --out FILE`, or apply without a plan file",
            ));
        }
        if !args.offline {
            rewind_engine::preflight::run(&mut plan, &providers, settings.parallelism).await;
        }
        advise_blocked(&mut plan, &providers);
        crate::ops::plan::mark_rehearsal(&mut plan, rehearsal.as_ref());
        if printer.json {
            printer.json_line(&serde_json::json!({"format_version": 1, "event": "plan", "summary": plan.summary, "spec_file": plan.spec_file, "critical_path": plan.critical_path, "simulated": plan.simulated}));
        } else {
            printer.out(&render::plan::human(&plan, printer));
        }
        let failed = plan.failed_checks();
        if !failed.is_empty() {
            return Err(CliError::hint(
                format!("{} preflight check(s) failed; nothing was restored", failed.len()),
                "fix what the checks report, or skip them with --offline if you know better",
            ));
        }
        if !plan.has_changes() {
            if plan.summary.blocked > 0 {
                return Err(CliError::hint("nothing can run: every pending restore is blocked", "see the notes above"));
            }
            printer.info("Nothing to do.");
            return Ok(ExitCode::SUCCESS);
        }
        if !args.auto_approve && saved.is_none() {
            match printer.prompt("Do you want to run these restores? Only 'yes' is accepted: ") {
                Some(answer) if answer == "yes" => {}
                Some(_) => {
                    printer.info("Apply cancelled; nothing was restored.");
                    return Ok(ExitCode::from(1));
                }
                None => {
                    return Err(CliError::hint(
                        "refusing to restore without confirmation: there is no terminal to ask",
                        "review `rewind plan`, then run with --auto-approve (or apply a saved plan file)",
                    ));
                }
            }
        }
        let backup = state.backup()?;
        tracing::info!(backup = %backup, "state backed up");
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let _stop = crate::stop::watch(
            printer.clone(),
            |signal| format!("\nStopping ({}): no new restores will start; recording the running ones (a second signal exits now)...", signal.name()),
            cancel_tx.clone(),
        );
        let lock_lost = state.lock_lost();
        let _lock_watch = lock_lost.clone().map(|lost| watch_lock(lost, printer.clone(), cancel_tx));
        let opts = apply_options(&settings, time_scale, args.fail_fast, secrets.clone());
        let plan = scale_step_timeouts(plan, time_scale);
        let mut terminal;
        let mut json;
        let hooks: &mut dyn ApplyHooks = if printer.json {
            json = JsonHooks::new(printer).scaled(time_scale);
            &mut json
        } else {
            terminal = TerminalHooks::new(printer).scaled(time_scale);
            &mut terminal
        };
        let mut run = audit::start(&mut *state, "apply", loaded, &plan, args.approver.as_deref())?;
        let result = apply::apply(&plan, &mut *state, &providers, hooks, &opts, cancel_rx).await;
        audit::finish(&mut *state, &mut run, &plan, result.as_ref().map_err(ToString::to_string).map(ApplyOutcome::ok));
        let lost = lock_lost.is_some_and(|l| l.load(Ordering::SeqCst));
        if !lost {
            // A backup of the state as this run left it: after damage, `state restore`
            // then puts back every handle this run recorded, not the state before it.
            match state.backup() {
                Ok(b) => tracing::info!(backup = %b, "state backed up after the run"),
                Err(e) => tracing::warn!(error = %e, "could not back up the state after the run"),
            }
        }
        let outcome = result.map_err(|e| CliError::hint(e.to_string(), error_hint(lost, &location)))?;
        if lost {
            return Err(CliError::hint(
                format!("lost the state lock on {}: apply stopped following its restores", state.location()),
                LOCK_LOST_HINT,
            ));
        }
        if !printer.json {
            let advised = unknown_advice(&plan, &outcome, &providers);
            let unkept = if throw_away {
                Some("the next `rewind apply --simulate` starts afresh (a kept --state DIR would resume them).")
            } else if rehearsal.as_ref().is_some_and(|r| r.place.is_none()) {
                // The records stay in the PostgreSQL state; the jobs they name do not.
                Some("the next `rewind apply --simulate` cannot re-attach to them; `rewind state rm NAME` clears each (a kept --state DIR would resume them).")
            } else {
                None
            };
            print_result(printer, &summary(&outcome, &advised, printer, unkept));
            created(&*state, &outcome, printer);
        }
        if let Some(r) = rehearsal {
            if !printer.json {
                let subs: u32 = r.sim.submissions().values().sum();
                print_result(printer, &format!("Rehearsal: the simulator accepted {subs} restore request(s); nothing real was touched."));
            }
            r.finish(printer).await;
        }
        Ok(if outcome.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}
