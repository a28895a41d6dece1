//! `rewind plan`: the diff of spec against state, checked against the cloud unless `--offline`.

use crate::args::PlanArgs;
use crate::error::CliError;
use crate::ops::plan::{
    advise_blocked, check_targeting, cloud_config, compute, mark_rehearsal, maybe_simulate,
    providers, rehearsal_beside, runtime, state_location,
};
use crate::printer::Printer;
use crate::render;
use crate::session::Session;
use rewind_engine::plan::PlanOptions;
use rewind_engine::state::StateStore;
use rewind_state::Location;
use std::process::ExitCode;

pub fn exec(session: &Session, args: &PlanArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let global = session.global();
    let loaded = session.loaded()?;
    let settings = session.settings(None)?;
    session.check_limits()?;
    crate::ops::validate::plugin_checks(session, printer)?;
    let options = PlanOptions {
        resubmit: args.resubmit.iter().cloned().collect(),
        targeting: args.targeting.targeting(),
        simulated: args.sim.simulate,
    };
    check_targeting(loaded, &options)?;
    let (location, _tmp) = match &args.out {
        Some(out) if args.sim.simulate && global.state.is_none() => {
            (Location::Dir(rehearsal_beside(out)), None)
        }
        _ => state_location(session, &args.sim, &settings)?,
    };
    // A plan that is only looked at must not create state; a saved plan needs the state's
    // lineage, so `--out` creates it.
    let shared = location.is_shared();
    // A snapshot: a plan never waits for (or blocks) an apply's lock. Only a saved plan of a
    // state not yet created takes the lock, to create it and give the plan its lineage.
    let snapshot = if location.may_exist() {
        Some(session.read(&location)?).filter(|s| !(s.is_new() && args.out.is_some()))
    } else {
        None
    };
    // A sled state nobody holds is opened for real instead, as apply will open it: its
    // watermark is checked then, so a plan never shows a damaged state as if it were whole.
    let snapshot = snapshot.filter(|s| shared || s.holder.is_some());
    let sled_db = location.dir().is_some_and(|d| d.join("db").exists());
    let (mut plan, runs) = if let Some(state) = snapshot {
        (compute(loaded, &state, &options)?, state.runs()?)
    } else if args.out.is_some() || sled_db {
        let state = session.open(&location, &session.command_line("plan"))?;
        (compute(loaded, &state, &options)?, state.runs()?)
    } else {
        let empty = rewind_state::MemoryState::with_lineage("");
        (compute(loaded, &empty, &options)?, Vec::new())
    };
    if !args.offline {
        let rt = runtime()?;
        rt.block_on(async {
            let rehearsal = maybe_simulate(loaded, &args.sim, &settings, &location).await?;
            let config = cloud_config(loaded, &settings, rehearsal.as_ref())?;
            let config = crate::ops::shared_budget::attach(
                config,
                &settings,
                rehearsal.is_some(),
                "rewind plan",
            )
            .await;
            let providers = providers(session, config)?;
            // `restore_time: latest` / `random_within` / `backup_id: latest`: chosen now,
            // against the cloud, and pinned in the plan (and in a saved plan file).
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
            rewind_engine::preflight::run(&mut plan, &providers, settings.parallelism).await;
            advise_blocked(&mut plan, &providers);
            mark_rehearsal(&mut plan, rehearsal.as_ref());
            if let Some(r) = rehearsal {
                r.finish(printer).await;
            }
            Ok::<(), CliError>(())
        })?;
    }
    for name in crate::ops::drill::recovery::unpinned(&plan, &loaded.compiled.spec) {
        if let Some(step) = plan.steps.iter_mut().find(|s| s.name == name) {
            step.notes.push(
                "its recovery point (`latest`, `random_within`, `backup_id: latest`) is chosen against the cloud when the plan is made without --offline: apply refuses this plan".to_owned(),
            );
        }
    }
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(&plan).map_err(|e| CliError::msg(e.to_string()))?;
        std::fs::write(out, text + "\n").map_err(|e| {
            CliError::msg(format!(
                "cannot write the plan to {}: {}",
                out.display(),
                crate::words::write_reason(&e)
            ))
        })?;
    }
    if printer.json {
        printer.out(&serde_json::to_string(&plan).unwrap_or_default());
    } else if args.format == crate::args::PlanFormat::Markdown {
        printer.out(&render::markdown::plan(&plan));
    } else {
        printer.out(&render::plan::human(&plan, printer));
        if let Some(out) = &args.out {
            let rehearsal = match (args.sim.simulate, &global.state) {
                (true, Some(state)) => format!(" --simulate --state {}", state.display()),
                (true, None) => {
                    format!(" --simulate   (the rehearsal is kept in {location})")
                }
                (false, _) => String::new(),
            };
            printer.info(&format!(
                "Saved the plan to {}. Run it with: rewind apply {}{rehearsal}",
                out.display(),
                out.display()
            ));
        }
    }
    if !printer.json {
        for line in super::drill::forecast::lines(&loaded.compiled.spec, &plan, &runs) {
            match line {
                super::drill::forecast::Line::Info(text) => printer.info(&text),
                super::drill::forecast::Line::Warning(text) => {
                    printer.error(&format!("Warning: {text}"));
                }
            }
        }
    }
    let failed = plan.failed_checks();
    if !failed.is_empty() {
        return Err(CliError::hint(
            format!("{} preflight check(s) failed", failed.len()),
            "fix what the checks report, or skip them with --offline if you know better",
        ));
    }
    if args.detailed_exitcode && plan.has_changes() {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
