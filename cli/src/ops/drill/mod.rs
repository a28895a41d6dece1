//! A drill run as an operation: restore onto scratch, probe, measure RTO/RPO, clean up, report.

pub mod alerts;
pub mod cleanup;
pub mod evidence;
pub mod hooks;
pub mod journal;
pub mod probing;
pub mod recovery;
pub mod report;
pub mod simtime;

use crate::args::DrillRunArgs;
use crate::error::CliError;
use crate::load::Loaded;
use crate::ops::apply::{apply_options, scale_step_timeouts};
use crate::ops::plan::{cloud_config, maybe_simulate, providers};
use crate::printer::Printer;
use crate::render;
use crate::render::progress::{JsonHooks, TerminalHooks};
use crate::secrets::SpecSecrets;
use crate::session::Session;
use cleanup::Waits;
use hooks::DrillHooks;
use journal::Journal;
use probing::ProbeCtx;
use report::Findings;
use rewind_drills::ProbeSpec;
use rewind_engine::apply::{self, ApplyHooks};
use rewind_engine::drill::{Cleanup, DrillDecl, DrillOutcome, DrillRecord};
use rewind_engine::ops;
use rewind_engine::plan::Plan;
use rewind_engine::provider::{Operation, Providers};
use rewind_engine::state::{RunEntry, StateStore};
use rewind_state::Location;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Where a run's reports go.
pub enum ReportDir {
    /// `--report-dir`: this directory.
    Exactly(PathBuf),
    /// A directory per run below this one.
    Under(PathBuf),
}

/// One drill run under way: what `go` needs beyond the state and the plan.
pub struct Run<'a> {
    pub session: &'a Session,
    pub loaded: &'a Loaded,
    pub drill: &'a DrillDecl,
    pub args: &'a DrillRunArgs,
    pub settings: &'a crate::settings::Settings,
    pub secrets: Arc<SpecSecrets>,
    pub probes: BTreeMap<String, Vec<ProbeSpec>>,
    pub printer: &'a Printer,
    pub report_root: ReportDir,
    pub rehearsal_state: bool,
    pub location: Location,
    /// The run entry `--due` claimed for a slot, taken over instead of starting a new one.
    pub claim: Option<RunEntry>,
}

impl Run<'_> {
    /// Restores, probes, measures, cleans up and reports; the run entry is journaled
    /// before the first request.
    pub async fn go(
        self,
        state: &mut dyn StateStore,
        mut plan: Plan,
    ) -> Result<ExitCode, CliError> {
        let printer = self.printer;
        let rehearsal =
            maybe_simulate(self.loaded, &self.args.sim, self.settings, &self.location).await?;
        crate::ops::plan::warn_unkept(rehearsal.as_ref(), printer);
        let time_scale = rehearsal.as_ref().map_or(1.0, |r| r.time_scale);
        let config = cloud_config(self.loaded, self.settings, rehearsal.as_ref())?;
        let config = crate::ops::shared_budget::attach(
            config,
            self.settings,
            rehearsal.is_some(),
            "rewind drill",
        )
        .await;
        let providers = providers(self.session, config)?;
        let claimed_slot = self
            .claim
            .as_ref()
            .and_then(|c| c.drill.as_ref())
            .and_then(|d| d.slot);
        // A slot's drill chooses the same random point every time it is repeated.
        let seed = claimed_slot.unwrap_or_else(|| jiff::Timestamp::now().as_millisecond());
        let picks = match recovery::resolve(
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
        crate::ops::plan::mark_rehearsal(&mut plan, rehearsal.as_ref());
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
            .map(|r| simtime::SimTime::start(&r.sim.clock()));
        let started = sim_time.map_or(started_real, |t| t.at(started_real));
        let slot = claimed_slot;
        let rpo_offered_ms = recovery::offered_rpo_ms(&picks, started.as_millisecond());
        if !printer.json {
            for line in recovery::describe(&picks) {
                printer.info(&line);
            }
        }
        let mut run = match self.claim.clone() {
            Some(claimed) => claimed,
            None => crate::ops::audit::start(
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
            rto_unverified: None,
            rpo_ms: None,
            rpo_budget_ms: report::ms_of(self.drill.rpo),
            critical_path: Vec::new(),
            scratch: ops::drill::planned_scratch(&plan),
            report_dir: None,
            failures: Vec::new(),
            recovery: picks,
            rpo_offered_ms,
            slot,
        });
        let previous_passed = alerts::previous_passed(&state.runs()?, &self.drill.name, run.id);
        let mut journal = Journal::resume(state, run)?;
        // Flushed before the first request that could create anything.
        journal.update(|_, _| {})?;
        if let Some(url) = &self.args.ping {
            let body = format!("drill {} run {} started", self.drill.name, journal.run().id);
            alerts::ping(url, alerts::Ping::Start, body, printer).await;
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
        // A kind whose provider cannot say what it restored still restored the point the
        // drill chose for it.
        let rpo = recovery::with_chosen_points(
            rpo,
            journal
                .run()
                .drill
                .as_ref()
                .map_or(&[][..], |d| &d.recovery),
            &records,
            started,
            self.drill.rpo,
        );
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
            let this = evidence::Point {
                run: audit.id,
                started_at: started.as_millisecond(),
                passed: failures.is_empty(),
                rto_ms: recovery_time_ms,
                rpo_ms: data_loss_ms,
            };
            let points =
                evidence::trend(&journal.runs().unwrap_or_default(), &self.drill.name, this);
            if let Err(e) = evidence::seal(&dir, &audit, &points) {
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
            d.rto_unverified.clone_from(&report.rto.result.unverified);
            d.rpo_ms = data_loss_ms;
            d.critical_path = critical;
            d.report_dir = Some(dir.display().to_string());
            d.failures.clone_from(&failures);
            if passed { "passed" } else { "failed" }.clone_into(&mut run.outcome);
            run.finished_at = Some(now);
            run.jobs = jobs;
        })?;
        render::drill::summary(
            printer,
            &report,
            &failures,
            &dir,
            written.is_ok(),
            self.rehearsal_state,
            rpo_offered_ms,
        );
        if let Some(decl) = &self.drill.notify {
            alerts::notify(decl, &self.secrets, journal.run(), previous_passed, printer).await;
        }
        if let Some(url) = &self.args.ping {
            let (what, body) = if passed {
                (alerts::Ping::Success, "passed".to_owned())
            } else {
                (alerts::Ping::Fail, failures.join("\n"))
            };
            alerts::ping(url, what, body, printer).await;
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
}

/// The drill `name`, or the spec's only drill when no name is given.
pub fn pick<'a>(
    spec: &'a rewind_engine::spec::Spec,
    name: Option<&str>,
) -> Result<&'a DrillDecl, CliError> {
    let names = || {
        spec.drills
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(n) => spec.drills.get(n).ok_or_else(|| {
            if spec.drills.is_empty() {
                CliError::hint(
                    format!("the spec has no drill `{n}`: it has no `drills:` section"),
                    "add one (see the README's \"Restore drills\"), or run `rewind validate`",
                )
            } else {
                CliError::hint(
                    format!("the spec has no drill `{n}`"),
                    format!("its drills: {}", names()),
                )
            }
        }),
        None => match spec.drills.len() {
            1 => spec
                .drills
                .values()
                .next()
                .ok_or_else(|| CliError::msg("the spec has no drills")),
            0 => Err(CliError::hint(
                "the spec has no `drills:` section",
                "add one (see the README's \"Restore drills\")",
            )),
            _ => Err(CliError::hint(
                "the spec has several drills: name the one to run",
                format!("rewind drill NAME, with NAME one of: {}", names()),
            )),
        },
    }
}

/// Journals the run entry of `drill` for schedule `slot`, flushed before anything is sent.
pub fn claim(
    state: &mut dyn StateStore,
    loaded: &Loaded,
    drill: &DrillDecl,
    plan: &rewind_engine::plan::Plan,
    args: &DrillRunArgs,
    slot: i64,
) -> Result<RunEntry, CliError> {
    let mut run = crate::ops::audit::start(state, "drill", loaded, plan, args.approver.as_deref())?;
    run.drill = Some(DrillRecord {
        slot: Some(slot),
        ..DrillRecord::running(&drill.name, run.started_at)
    });
    state.put_run(&run)?;
    Ok(run)
}
