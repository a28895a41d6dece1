//! `rewind drill NAME`: checks what a drill needs (no leftovers, probes, secrets, a report
//! place), then hands it to [`crate::ops::drill`] to run.

use crate::args::DrillRunArgs;
use crate::error::CliError;
use crate::load::Loaded;
use crate::ops::drill::{ReportDir, Run};
use crate::ops::plan::{runtime, state_location};
use crate::printer::Printer;
use crate::secrets::SpecSecrets;
use crate::session::Session;
use rewind_drills::ProbeSpec;
use rewind_engine::drill::DrillDecl;
use rewind_engine::ops;
use rewind_engine::plan::Plan;
use rewind_engine::provider::Secrets;
use rewind_engine::state::{RunEntry, StateStore};
use rewind_state::Location;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

pub fn exec(
    session: &Session,
    args: &DrillRunArgs,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let loaded = session.loaded()?;
    let drill = crate::ops::drill::pick(&loaded.compiled.spec, args.name.as_deref())?.clone();
    let settings = session.settings(None)?;
    session.check_limits()?;
    let (location, tmp) = state_location(session, &args.sim, &settings)?;
    let mut state = session.open(&location, &session.command_line("drill"))?;
    let at = Prepared {
        session,
        settings: &settings,
        location: &location,
        rehearsal_state: tmp.is_some(),
    };
    run_drill(&at, args, printer, &drill, &mut *state, None)
}

/// What a drill run needs beyond its declaration: the session, settings and state place.
pub struct Prepared<'a> {
    pub session: &'a Session,
    pub settings: &'a crate::settings::Settings,
    pub location: &'a Location,
    /// The state is a throwaway rehearsal directory.
    pub rehearsal_state: bool,
}

/// Runs `drill` with `state` locked. With `slot` (epoch ms, from `--due`), the run entry is
/// claimed for that slot before the first request: another `--due` caller sees it and stops.
pub fn run_drill(
    at: &Prepared,
    args: &DrillRunArgs,
    printer: &Printer,
    drill: &DrillDecl,
    state: &mut dyn StateStore,
    slot: Option<i64>,
) -> Result<ExitCode, CliError> {
    let loaded = at.session.loaded()?;
    let settings = at.settings;
    let drill = drill.clone();
    refuse_leftovers(&state.runs()?, &drill)?;
    let probes = parse_probes(&drill)?;
    let plan = drill_plan(loaded, &drill, args.sim.simulate)?;
    let secrets = Arc::new(SpecSecrets::new(
        loaded.compiled.spec.secrets.clone(),
        loaded.dir.clone(),
        args.sim.simulate,
    ));
    crate::secrets::warn_stand_ins(&crate::secrets::stand_ins(&plan, &secrets), printer);
    let mut missing = crate::secrets::missing(&plan, &secrets);
    for (op, login) in &drill.logins {
        if let Some(reference) = &login.password
            && let Err(why) = secrets.resolve(reference)
        {
            missing.push(format!("the login of `{op}` needs {reference}: {why}"));
        }
    }
    if !missing.is_empty() {
        return Err(CliError::hint(
            format!(
                "{} secret(s) cannot be read; the drill did not start:\n  {}",
                missing.len(),
                missing.join("\n  ")
            ),
            "set the environment variables, or fix the `secrets:` entries of the spec",
        ));
    }
    let report_root = match (&args.report_dir, &drill.report_dir) {
        (Some(d), _) => ReportDir::Exactly(d.clone()),
        (None, Some(d)) => ReportDir::Under(loaded.dir.join(d)),
        (None, None) => {
            let base = match at.location.dir() {
                Some(dir) if !at.rehearsal_state => dir.to_path_buf(),
                _ => loaded.dir.join(".rewind"),
            };
            ReportDir::Under(base.join("drills").join(&drill.name))
        }
    };
    let claim = match slot {
        Some(slot) => Some(crate::ops::drill::claim(
            state, loaded, &drill, &plan, args, slot,
        )?),
        None => None,
    };
    let run = Run {
        session: at.session,
        loaded,
        drill: &drill,
        args,
        settings,
        secrets,
        probes,
        printer,
        report_root,
        rehearsal_state: at.rehearsal_state,
        location: at.location.clone(),
        claim,
    };
    let rt = runtime()?;
    rt.block_on(run.go(state, plan))
}

/// A drill cannot start while an earlier run of it has instances left: their names are the
/// ones this run would create.
fn refuse_leftovers(runs: &[RunEntry], drill: &DrillDecl) -> Result<(), CliError> {
    match ops::drill::leftover(runs, drill) {
        None => Ok(()),
        Some(left) => Err(CliError::hint(
            format!(
                "drill `{}` run {} {}; this drill did not start",
                drill.name, left.run, left.what
            ),
            "run `rewind drill cleanup` first (with --all for instances kept on purpose)",
        )),
    }
}

fn parse_probes(drill: &DrillDecl) -> Result<BTreeMap<String, Vec<ProbeSpec>>, CliError> {
    let mut out = BTreeMap::new();
    for (op, decls) in &drill.probes {
        let mut specs = Vec::with_capacity(decls.len());
        for d in decls {
            specs.push(ProbeSpec::from_value(&d.value).map_err(|e| {
                CliError::msg(format!(
                    "drills.{}.probes.{op} (line {}): {e}",
                    drill.name, d.span.line
                ))
            })?);
        }
        out.insert(op.clone(), specs);
    }
    Ok(out)
}

/// The plan of the drill's operations alone, against empty state (the engine's
/// [`ops::drill::plan`]).
pub(super) fn drill_plan(
    loaded: &Loaded,
    drill: &DrillDecl,
    simulated: bool,
) -> Result<Plan, CliError> {
    drill_plan_of(loaded, &loaded.compiled.spec, drill, simulated)
}

/// [`drill_plan`] of `spec` (the loaded spec with recovery points pinned).
fn drill_plan_of(
    loaded: &Loaded,
    spec: &rewind_engine::spec::Spec,
    drill: &DrillDecl,
    simulated: bool,
) -> Result<Plan, CliError> {
    ops::drill::plan(&loaded.compiled.file, spec, drill, simulated).map_err(CliError::msg)
}
