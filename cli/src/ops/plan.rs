//! What planning, applying and drilling share: the diff against state, the async runtime,
//! where requests go (cloud or rehearsal), the providers, the state's place, and the checks
//! of `--target`/`--exclude`/`--replace` and of blocked steps.

use crate::args::SimulateArgs;
use crate::error::CliError;
use crate::load::Loaded;
use crate::printer::Printer;
use crate::session::Session;
use crate::settings::Settings;
use crate::simulate::{self, Rehearsal};
use rewind_engine::plan::{self, Plan, PlanOptions};
use rewind_engine::provider::Providers;
use rewind_engine::state::StateStore;
use rewind_providers::{CloudConfig, CloudSettings};
use rewind_state::Location;

/// Diffs the loaded spec against `state`.
pub fn compute(
    loaded: &Loaded,
    state: &dyn StateStore,
    options: &PlanOptions,
) -> Result<Plan, CliError> {
    let meta = state.meta()?;
    let records = state.list()?;
    let c = &loaded.compiled;
    Ok(plan::build(
        &c.file, &c.spec, &c.graph, &meta, &records, options,
    ))
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))
}

/// Where requests go: the rehearsal simulator, or the real cloud from `OS_*`/clouds.yaml.
pub fn cloud_config(
    loaded: &Loaded,
    settings: &Settings,
    rehearsal: Option<&Rehearsal>,
) -> Result<CloudConfig, CliError> {
    if let Some(r) = rehearsal {
        let mut config = r.cloud_config()?;
        config.rate_limits = settings.rate_limits.limits(r.time_scale);
        return Ok(config);
    }
    let spec_cloud = &loaded.compiled.spec.cloud;
    let mut endpoints = settings.endpoints.clone();
    endpoints.extend(spec_cloud.endpoints.clone());
    let cloud = CloudSettings {
        region: spec_cloud.region.clone(),
        project_id: spec_cloud.project_id.clone(),
        endpoints,
    };
    let mut config = CloudConfig::resolve(&cloud, rewind_providers::env::process_env).map_err(|e| {
        CliError::hint(
            e.to_string(),
            "set OS_* credentials (see the README), use --offline to skip cloud checks, or --simulate to rehearse",
        )
    })?;
    config.retry = settings.retry_policy(config.retry);
    config.rate_limits = settings.rate_limits.limits(1.0);
    Ok(config)
}

/// The built-in providers and one per plugin service, for the plugins the session started.
pub fn providers(session: &Session, config: CloudConfig) -> Result<Providers, CliError> {
    let plugins = crate::plugins::external(session.plugins_started(), &config);
    let cloud = rewind_providers::connect(config).map_err(|e| CliError::msg(e.to_string()))?;
    Ok(rewind_engine::kinds::Service::ALL
        .into_iter()
        .map(|s| (s, cloud.provider(s)))
        .chain(plugins)
        .collect())
}

/// Starts the rehearsal simulator when asked for, over the world kept beside the state at
/// `state` if it is a directory.
pub async fn maybe_simulate(
    loaded: &Loaded,
    args: &SimulateArgs,
    settings: &Settings,
    state: &Location,
) -> Result<Option<Rehearsal>, CliError> {
    if !args.simulate {
        return Ok(None);
    }
    simulate::start(
        &loaded.compiled.spec,
        args,
        settings.sim_time_scale,
        settings.sim_seed,
        state.dir().map(simulate::place::Place::beside),
    )
    .await
    .map(Some)
}

/// A rehearsal on a PostgreSQL state keeps no world (there is no directory to keep it in):
/// the next command starts a new one, and says so here.
pub fn warn_unkept(rehearsal: Option<&Rehearsal>, printer: &Printer) {
    if rehearsal.is_some_and(|r| r.place.is_none()) {
        printer.error(
            "Warning: a rehearsal on a PostgreSQL state keeps no simulated world; the next --simulate command starts a new one (use --state DIR for a kept rehearsal)",
        );
    }
}

/// After preflight in a rehearsal: the checks on what the world invented are assumed.
pub fn mark_rehearsal(plan: &mut Plan, rehearsal: Option<&Rehearsal>) {
    if let Some(r) = rehearsal {
        plan::mark_assumed(plan, r.invented());
    }
}

/// State for a command: a throw-away directory for rehearsals (unless `--state` was given),
/// otherwise the configured one.
pub fn state_location(
    session: &Session,
    sim: &SimulateArgs,
    settings: &Settings,
) -> Result<(Location, Option<tempfile::TempDir>), CliError> {
    if sim.simulate && session.global().state.is_none() {
        let tmp = tempfile::Builder::new()
            .prefix("rewind-rehearsal-")
            .tempdir()
            .map_err(|e| {
                CliError::msg(format!("cannot create a rehearsal state directory: {e}"))
            })?;
        return Ok((Location::Dir(tmp.path().to_path_buf()), Some(tmp)));
    }
    Ok((settings.state.clone(), None))
}

/// Where a saved rehearsal plan made without `--state` keeps its rehearsal (state and world):
/// beside the plan file, so that `rewind apply FILE --simulate` finds it.
pub fn rehearsal_beside(plan_file: &std::path::Path) -> std::path::PathBuf {
    plan_file.with_extension("rehearsal")
}

/// Every `--target`, `--exclude` and `--replace` names an operation of the spec.
pub fn check_targeting(loaded: &Loaded, options: &PlanOptions) -> Result<(), CliError> {
    let unknown = options.targeting.unknown(&loaded.compiled.spec);
    let Some((flag, name)) = unknown.first() else {
        return Ok(());
    };
    // A fleet's name (`NAME` of `NAME[KEY]`) is accepted, so it is suggested too.
    let names: std::collections::BTreeSet<&str> = loaded
        .compiled
        .spec
        .ops
        .keys()
        .flat_map(|k| [k.as_str(), k.split_once('[').map_or(k.as_str(), |(f, _)| f)])
        .collect();
    let hint = rewind_engine::spec::did_you_mean(name, names).map_or_else(
        || "use an operation name from `restores:`".to_owned(),
        |s| format!("did you mean `{s}`?"),
    );
    Err(CliError::hint(
        format!("{flag} {name}: no such operation in the spec"),
        hint,
    ))
}

/// A blocked step whose provider has advice of its own (TaurusDB: check the console before
/// resubmitting) shows that advice instead of the generic `--resubmit` note.
pub fn advise_blocked(
    plan: &mut rewind_engine::plan::Plan,
    providers: &rewind_engine::provider::Providers,
) {
    for step in &mut plan.steps {
        if step.action != rewind_engine::plan::Action::Blocked {
            continue;
        }
        let op = rewind_engine::provider::Operation::new(
            step.name.clone(),
            step.spec.clone(),
            step.request.clone(),
        );
        if let Some(advice) = providers
            .get(&step.kind.service())
            .and_then(|p| p.unknown_advice(&op))
        {
            step.notes.retain(|n| !n.contains("--resubmit"));
            step.notes.push(advice);
        }
    }
}
