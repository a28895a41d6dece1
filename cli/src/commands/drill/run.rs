//! `rewind drill NAME`: journal, restore onto scratch, probe, measure, clean up, report.

use super::cleanup::{self, Waits};
use super::hooks::DrillHooks;
use super::journal::Journal;
use super::probing::{self, ProbeCtx};
use super::report::{self, Findings};
use crate::args::{DrillRunArgs, Global};
use crate::commands::apply::{apply_options, scale_step_timeouts};
use crate::commands::plan::{cloud_config, maybe_simulate, providers, runtime, state_dir};
use crate::error::CliError;
use crate::load::{self, Loaded};
use crate::printer::{Printer, Style};
use crate::render;
use crate::render::progress::{JsonHooks, TerminalHooks};
use crate::secrets::SpecSecrets;
use rewind_drills::ProbeSpec;
use rewind_drills::report::human_duration;
use rewind_engine::apply::{self, ApplyHooks};
use rewind_engine::drill::{
    Cleanup, DrillDecl, DrillOutcome, DrillRecord, ScratchInstance, ScratchStatus,
};
use rewind_engine::plan::{self, Plan, PlanOptions};
use rewind_engine::provider::{Operation, Providers, Secrets};
use rewind_engine::state::{RunEntry, StateMeta, StateStore};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

pub fn exec(global: &Global, args: &DrillRunArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let loaded = load::load(global)?;
    let drill = super::pick(&loaded.compiled.spec, args.name.as_deref())?.clone();
    let settings = crate::commands::settings_for(&loaded.dir, global, None)?;
    crate::commands::providers::check_limits(&loaded.dir)?;
    let (dir, tmp) = state_dir(global, &args.sim, &settings)?;
    let mut state = crate::commands::open_at(
        global,
        &dir,
        &crate::commands::command_line("drill", &loaded),
    )?;
    let at = Prepared {
        loaded: &loaded,
        settings: &settings,
        dir: &dir,
        rehearsal_state: tmp.is_some(),
    };
    run_drill(&at, args, printer, &drill, &mut *state, None)
}

/// What a drill run needs beyond its declaration: the loaded spec, settings and state place.
pub struct Prepared<'a> {
    pub loaded: &'a Loaded,
    pub settings: &'a crate::settings::Settings,
    pub dir: &'a std::path::Path,
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
    let loaded = at.loaded;
    let settings = at.settings;
    let dir = at.dir.to_path_buf();
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
            let base = if at.rehearsal_state
                || rewind_state::backend::is_postgres_url(&dir.to_string_lossy())
            {
                loaded.dir.join(".rewind")
            } else {
                dir.clone()
            };
            ReportDir::Under(base.join("drills").join(&drill.name))
        }
    };
    let claim = match slot {
        Some(slot) => Some(super::due::claim(state, loaded, &drill, &plan, args, slot)?),
        None => None,
    };
    let run = Run {
        loaded,
        drill: &drill,
        args,
        settings,
        secrets,
        probes,
        printer,
        report_root,
        rehearsal_state: at.rehearsal_state,
        state_dir: dir.clone(),
        claim,
    };
    let rt = runtime()?;
    rt.block_on(run.go(state, plan))
}

enum ReportDir {
    /// `--report-dir`: this directory.
    Exactly(PathBuf),
    /// A directory per run below this one.
    Under(PathBuf),
}

/// A drill cannot start while an earlier run of it has instances left: their names are the
/// ones this run would create.
fn refuse_leftovers(runs: &[RunEntry], drill: &DrillDecl) -> Result<(), CliError> {
    for run in runs {
        let Some(d) = run.drill.as_ref().filter(|d| d.drill == drill.name) else {
            continue;
        };
        let open: Vec<&ScratchInstance> = d.scratch.iter().filter(|s| s.status.is_open()).collect();
        if d.outcome == DrillOutcome::Running || !open.is_empty() {
            let what = if open.is_empty() {
                "did not finish".to_owned()
            } else {
                format!(
                    "left {} scratch instance(s): {}",
                    open.len(),
                    open.iter()
                        .map(|s| format!("{} ({:?})", s.name, s.status).to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(CliError::hint(
                format!(
                    "drill `{}` run {} {what}; this drill did not start",
                    drill.name, run.id
                ),
                "run `rewind drill cleanup` first (with --all for instances kept on purpose)",
            ));
        }
    }
    Ok(())
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

/// The plan of the drill's operations alone, against empty state: a drill restores every
/// time it runs, whatever `rewind apply` has recorded.
pub(super) fn drill_plan(
    loaded: &Loaded,
    drill: &DrillDecl,
    simulated: bool,
) -> Result<Plan, CliError> {
    drill_plan_of(loaded, &loaded.compiled.spec, drill, simulated)
}

/// [`drill_plan`] of `spec` (the loaded spec with recovery points pinned).
pub(super) fn drill_plan_of(
    loaded: &Loaded,
    spec: &rewind_engine::spec::Spec,
    drill: &DrillDecl,
    simulated: bool,
) -> Result<Plan, CliError> {
    let mut spec = spec.clone();
    spec.ops.retain(|name, _| drill.operations.contains(name));
    spec.broken.clear();
    let (graph, diags) = rewind_engine::graph::build(&spec);
    if let Some(d) = diags.first() {
        return Err(CliError::msg(format!(
            "drill `{}`: its operations do not form a graph of their own: {}",
            drill.name, d.message
        )));
    }
    let meta = StateMeta {
        lineage: format!("drill-{}", drill.name),
        serial: 0,
    };
    Ok(plan::build(
        &loaded.compiled.file,
        &spec,
        &graph,
        &meta,
        &[],
        &PlanOptions {
            simulated,
            ..PlanOptions::default()
        },
    ))
}

/// The scratch instances the drill creates, all `pending`: journaled before the first request.
fn planned_scratch(plan: &Plan) -> Vec<ScratchInstance> {
    plan.steps
        .iter()
        .filter_map(|s| {
            let name = s.spec.created_name()?;
            Some(ScratchInstance {
                operation: s.name.clone(),
                service: s.spec.kind().service().as_str().to_owned(),
                name,
                instance_id: None,
                status: ScratchStatus::Pending,
                keep_until: None,
                detail: None,
            })
        })
        .collect()
}

struct Run<'a> {
    loaded: &'a Loaded,
    drill: &'a DrillDecl,
    args: &'a DrillRunArgs,
    settings: &'a crate::settings::Settings,
    secrets: Arc<SpecSecrets>,
    probes: BTreeMap<String, Vec<ProbeSpec>>,
    printer: &'a Printer,
    report_root: ReportDir,
    rehearsal_state: bool,
    state_dir: PathBuf,
    /// The run entry `--due` claimed for a slot, taken over instead of starting a new one.
    claim: Option<RunEntry>,
}

impl Run<'_> {
    async fn go(self, state: &mut dyn StateStore, mut plan: Plan) -> Result<ExitCode, CliError> {
        let printer = self.printer;
        let rehearsal =
            maybe_simulate(self.loaded, &self.args.sim, self.settings, &self.state_dir).await?;
        crate::commands::plan::warn_unkept(rehearsal.as_ref(), printer);
        let time_scale = rehearsal.as_ref().map_or(1.0, |r| r.time_scale);
        let providers = providers(cloud_config(
            self.loaded,
            self.settings,
            rehearsal.as_ref(),
        )?)?;
        let claimed_slot = self
            .claim
            .as_ref()
            .and_then(|c| c.drill.as_ref())
            .and_then(|d| d.slot);
        // A slot's drill chooses the same random point every time it is repeated.
        let seed = claimed_slot.unwrap_or_else(|| jiff::Timestamp::now().as_millisecond());
        let picks = match super::recovery::resolve(
            self.loaded,
            self.drill,
            &providers,
            u64::try_from(seed).unwrap_or_default(),
        )
        .await
        {
            Ok(Some((pinned, picks))) => {
                plan = rewind_engine::plan::Plan {
                    simulated: plan.simulated,
                    ..pinned
                };
                picks
            }
            Ok(None) => Vec::new(),
            Err(e) => {
                if let Some(mut claimed) = self.claim.clone() {
                    let now = jiff::Timestamp::now().as_millisecond();
                    claimed.outcome = format!("error: {e}");
                    claimed.finished_at = Some(now);
                    if let Some(d) = claimed.drill.as_mut() {
                        d.outcome = DrillOutcome::Failed;
                        d.finished_at = Some(now);
                        d.failures.push(format!("no recovery point chosen: {e}"));
                    }
                    state.put_run(&claimed)?;
                }
                return Err(e);
            }
        };
        if !self.args.offline {
            rewind_engine::preflight::run(&mut plan, &providers, self.settings.parallelism).await;
        }
        crate::commands::plan::mark_rehearsal(&mut plan, rehearsal.as_ref());
        if printer.json {
            printer.json_line(&serde_json::json!({"format_version": 1, "event": "plan", "drill": self.drill.name, "summary": plan.summary, "critical_path": plan.critical_path, "simulated": plan.simulated, "recovery": picks}));
        } else {
            printer.info(&format!(
                "Drill `{}`: {} restore(s) onto scratch instances.",
                self.drill.name,
                plan.steps.len()
            ));
            printer.out(&render::plan::human(&plan, printer));
        }
        let started_real = jiff::Timestamp::now();
        // A rehearsal reports in the simulator's time, the clock its jobs and budgets run on.
        let sim_time = rehearsal
            .as_ref()
            .map(|r| super::simtime::SimTime::start(&r.sim.clock()));
        let started = sim_time.map_or(started_real, |t| t.at(started_real));
        let slot = claimed_slot;
        let rpo_offered_ms = super::recovery::offered_rpo_ms(&picks, started.as_millisecond());
        if !printer.json {
            for line in super::recovery::describe(&picks) {
                printer.info(&line);
            }
        }
        let mut run = match self.claim.clone() {
            Some(claimed) => claimed,
            None => crate::commands::history::start(
                state,
                "drill",
                self.loaded,
                &plan,
                self.args.approver.as_deref(),
            )?,
        };
        run.drill = Some(DrillRecord {
            drill: self.drill.name.clone(),
            simulated: rehearsal.is_some(),
            outcome: DrillOutcome::Running,
            started_at: started_real.as_millisecond(),
            finished_at: None,
            operations: Vec::new(),
            rto_ms: None,
            rto_budget_ms: report::ms_of(self.drill.rto),
            rpo_ms: None,
            rpo_budget_ms: report::ms_of(self.drill.rpo),
            critical_path: Vec::new(),
            scratch: planned_scratch(&plan),
            report_dir: None,
            failures: Vec::new(),
            recovery: picks,
            rpo_offered_ms,
            slot,
        });
        let previous_passed =
            super::alerts::previous_passed(&state.runs()?, &self.drill.name, run.id);
        let mut journal = Journal::resume(state, run)?;
        // Flushed before the first request that could create anything.
        journal.update(|_, _| {})?;
        if let Some(url) = &self.args.ping {
            let body = format!("drill {} run {} started", self.drill.name, journal.run().id);
            super::alerts::ping(url, super::alerts::Ping::Start, body, printer).await;
        }

        let mut errors = Vec::new();
        let failed = plan.failed_checks().len();
        let plan = scale_step_timeouts(plan, time_scale);
        let (records, probed, jobs) = if failed == 0 {
            self.restore_and_probe(&plan, &providers, &mut journal, time_scale, &mut errors)
                .await
        } else {
            errors.push(format!(
                "{failed} preflight check(s) failed; nothing was restored"
            ));
            (Vec::new(), probing::Probed::default(), BTreeMap::new())
        };
        errors.extend(probed.errors.iter().cloned());
        let mut probed = probed;
        let mut ops = report::timings(&plan, &records, &probed.instances, started_real);
        if let Some(t) = &sim_time {
            t.convert(&mut ops, &mut probed.probes);
        }
        let rpo = self
            .rpo(&plan, &records, &providers, started, &mut errors)
            .await;
        let rto = rewind_drills::measure_rto(&ops, &probed.probes, self.drill.rto);
        let findings = Findings {
            ops,
            probes: probed.probes,
            rto,
            rpo,
        };
        let verdict = report::report(
            &self.drill.name,
            rehearsal.is_some(),
            started,
            findings.clone(),
            Vec::new(),
            errors.clone(),
        )
        .passed;
        let policy = if self.args.keep {
            Cleanup::Keep
        } else if verdict {
            self.drill.cleanup.on_success
        } else {
            self.drill.cleanup.on_failure
        };
        let waits = Waits::from_settings(self.settings, time_scale);
        let cleanup =
            cleanup::apply_policy(&mut journal, &records, policy, &providers, waits, printer)
                .await?;
        let op_records = report::op_records(&findings.ops, &findings.rto);
        let critical = findings.rto.critical_path.clone();
        let recovery_time_ms = report::ms_of(findings.rto.result.measured);
        let data_loss_ms = findings
            .rpo
            .as_ref()
            .and_then(|r| report::ms_of(r.result.measured));
        let mut report = report::report(
            &self.drill.name,
            rehearsal.is_some(),
            started,
            findings,
            cleanup,
            errors,
        );
        if let Some(t) = &sim_time {
            report.finished_at = t.at(report.finished_at);
            for c in &mut report.cleanup {
                c.at = c.at.map(|at| t.at(at));
            }
        }
        let run_id = journal.run().id;
        let dir = match &self.report_root {
            ReportDir::Exactly(d) => d.clone(),
            ReportDir::Under(base) if self.rehearsal_state => base.join(format!(
                "rehearsal-{}",
                started_real.strftime("%Y%m%dT%H%M%SZ")
            )),
            ReportDir::Under(base) => base.join(format!("run-{run_id:04}")),
        };
        let written = rewind_drills::write_all(&dir, &report);
        let now = jiff::Timestamp::now().as_millisecond();
        let mut failures = report.failures();
        if let Err(e) = &written {
            failures.push(format!("the reports could not be written: {e}"));
        } else {
            let mut audit = journal.run().clone();
            audit.jobs.clone_from(&jobs);
            let this = super::evidence::Point {
                run: audit.id,
                started_at: started.as_millisecond(),
                passed: failures.is_empty(),
                rto_ms: recovery_time_ms,
                rpo_ms: data_loss_ms,
            };
            let points =
                super::evidence::trend(&journal.runs().unwrap_or_default(), &self.drill.name, this);
            if let Err(e) = super::evidence::seal(&dir, &audit, &points) {
                failures.push(format!(
                    "the evidence could not be added to the reports: {e}"
                ));
            }
        }
        let passed = failures.is_empty();
        journal.update(|run, d| {
            d.outcome = if passed {
                DrillOutcome::Passed
            } else {
                DrillOutcome::Failed
            };
            d.finished_at = Some(now);
            d.operations = op_records;
            d.rto_ms = recovery_time_ms;
            d.rpo_ms = data_loss_ms;
            d.critical_path = critical;
            d.report_dir = Some(dir.display().to_string());
            d.failures.clone_from(&failures);
            if passed { "passed" } else { "failed" }.clone_into(&mut run.outcome);
            run.finished_at = Some(now);
            run.jobs = jobs;
        })?;
        self.summary(&report, &failures, &dir, written.is_ok());
        if let Some(decl) = &self.drill.notify {
            super::alerts::notify(decl, &self.secrets, journal.run(), previous_passed, printer)
                .await;
        }
        if let Some(url) = &self.args.ping {
            let (what, body) = if passed {
                (super::alerts::Ping::Success, "passed".to_owned())
            } else {
                (super::alerts::Ping::Fail, failures.join("\n"))
            };
            super::alerts::ping(url, what, body, printer).await;
        }
        if let Some(r) = rehearsal {
            r.finish(printer).await;
        }
        Ok(if passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    /// Runs the restores, probing each as soon as it has succeeded.
    async fn restore_and_probe(
        &self,
        plan: &Plan,
        providers: &Providers,
        journal: &mut Journal<'_>,
        time_scale: f64,
        errors: &mut Vec<String>,
    ) -> (
        Vec<rewind_engine::state::OpRecord>,
        probing::Probed,
        BTreeMap<String, String>,
    ) {
        let printer = self.printer;
        let opts = apply_options(self.settings, time_scale, false, self.secrets.clone());
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        // Without --state the world ends with the drill: no later clean-up can find anything.
        let left = if self.rehearsal_state {
            "what is left ends with this throw-away rehearsal"
        } else {
            "`rewind drill cleanup` removes what is left"
        };
        let ctrl_c = crate::stop::watch(
            printer.clone(),
            move |signal| {
                format!(
                    "\nStopping the drill ({}): no new restores will start; then clean-up runs (a second signal exits now; {left})...",
                    signal.name()
                )
            },
            cancel_tx,
        );
        let mut memory = rewind_state::MemoryState::with_lineage("drill");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut terminal;
        let mut json;
        let inner: &mut dyn ApplyHooks = if printer.json {
            json = JsonHooks::new(printer).scaled(time_scale);
            &mut json
        } else {
            terminal = TerminalHooks::new(printer).scaled(time_scale);
            &mut terminal
        };
        let mut hooks = DrillHooks {
            inner,
            succeeded: Some(tx),
            jobs: BTreeMap::new(),
        };
        let ctx = ProbeCtx {
            drill: self.drill,
            spec: &self.loaded.compiled.spec,
            providers,
            secrets: &self.secrets,
            probes: self.probes.clone(),
            printer,
            rehearsal: self.args.sim.simulate,
        };
        let walk = async {
            let r = apply::apply(plan, &mut memory, providers, &mut hooks, &opts, cancel_rx).await;
            // No restore is left to succeed: the probes finish what they have and stop.
            hooks.succeeded = None;
            r
        };
        let (result, probed) = tokio::join!(walk, probing::probe_loop(&ctx, rx, journal));
        ctrl_c.abort();
        match result {
            Ok(outcome) if outcome.interrupted => {
                errors.push("interrupted (Ctrl-C, SIGTERM or SIGHUP)".to_owned());
            }
            Ok(_) => {}
            Err(e) => errors.push(format!("the restores stopped: {e}")),
        }
        let records = rewind_engine::state::StateStore::list(&memory).unwrap_or_default();
        (records, probed, hooks.jobs)
    }

    /// Each succeeded restore's recovery point, as its provider knows it.
    async fn rpo(
        &self,
        plan: &Plan,
        records: &[rewind_engine::state::OpRecord],
        providers: &Providers,
        started: jiff::Timestamp,
        errors: &mut Vec<String>,
    ) -> Option<rewind_drills::Rpo> {
        let mut points = Vec::new();
        for step in &plan.steps {
            let ok = records.iter().any(|r| {
                r.name == step.name && r.status == rewind_engine::state::Status::Succeeded
            });
            let Some(provider) = providers.get(&step.kind.service()).filter(|_| ok) else {
                continue;
            };
            let op = Operation::new(step.name.clone(), step.spec.clone(), step.request.clone());
            match provider.recovery_point(&op).await {
                Ok(Some(ms)) => {
                    if let Ok(t) = jiff::Timestamp::from_millisecond(ms) {
                        points.push((step.name.clone(), t));
                    }
                }
                Ok(None) => {}
                Err(e) => errors.push(format!(
                    "the recovery point of `{}` is unknown: {}",
                    step.name, e.message
                )),
            }
        }
        if points.is_empty() && self.drill.rpo.is_none() {
            return None;
        }
        Some(rewind_drills::measure_rpo(started, &points, self.drill.rpo))
    }

    fn summary(
        &self,
        report: &rewind_drills::DrillReport,
        failures: &[String],
        dir: &std::path::Path,
        written: bool,
    ) {
        let printer = self.printer;
        let files = ["report.md", "report.json", "junit.xml", "report.html"];
        if printer.json {
            printer.json_line(&serde_json::json!({
                "format_version": 1,
                "event": "drill_finished",
                "time": jiff::Timestamp::now().to_string(),
                "drill": report.drill,
                "passed": failures.is_empty(),
                "simulated": report.simulated,
                "probes_not_run": report.probes_not_run(),
                "rto": report.rto,
                "rpo": report.rpo,
                "cleanup": report.cleanup,
                "failures": failures,
                "report_dir": dir.display().to_string(),
            }));
            return;
        }
        let verdict = if failures.is_empty() {
            printer.paint("PASSED", Style::Green)
        } else if failures.len() == 1 && report.probes_not_run() > 0 {
            printer.paint("INCOMPLETE", Style::Yellow)
        } else {
            printer.paint("FAILED", Style::Red)
        };
        let mut lines = vec![format!(
            "{}Drill `{}` {verdict} in {}{}.",
            if report.simulated { "REHEARSAL: " } else { "" },
            report.drill,
            human_duration(report.span()),
            if report.simulated {
                " of simulated time"
            } else {
                ""
            },
        )];
        lines.push(report::budget_line(
            "RTO",
            &report.rto.result,
            &report.rto.critical_path,
        ));
        if let Some(rpo) = &report.rpo {
            lines.push(report::budget_line("RPO", &rpo.result, &[]));
        }
        for c in &report.cleanup {
            lines.push(format!(
                "  clean-up: {} {} ({}): {}",
                c.service,
                c.instance_id,
                c.operation,
                c.action.describe()
            ));
        }
        if self.rehearsal_state
            && report.cleanup.iter().any(|c| {
                matches!(
                    c.action,
                    rewind_drills::CleanupAction::Kept
                        | rewind_drills::CleanupAction::KeptUntil { .. }
                )
            })
        {
            // Without --state the world ends with this command: "kept" would promise
            // instances that `drill cleanup` can never find.
            lines.push(
                "  (kept only in this throw-away rehearsal's world, which ends now: nothing is \
                 left to clean up; rehearse with --state DIR to keep a drill's instances)"
                    .to_owned(),
            );
        }
        for f in failures {
            lines.push(format!("  {} {f}", printer.paint("✗", Style::Red)));
        }
        if written {
            lines.push(format!(
                "Reports: {}",
                files
                    .iter()
                    .map(|f| dir.join(f).display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        printer.info(&lines.join("\n"));
    }
}
