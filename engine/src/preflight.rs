//! Preflight: every restore the plan would submit is checked against the cloud, concurrently.

use crate::plan::Plan;
use crate::provider::{Check, Operation, Providers};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Fills `checks` of each step that submits. A transport failure becomes a failed check, so
/// the plan shows it in place rather than aborting.
pub async fn run(plan: &mut Plan, providers: &Providers, parallelism: usize) {
    let gate = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    for (i, step) in plan.steps.iter().enumerate() {
        if !step.action.submits() {
            continue;
        }
        let Some(provider) = providers.get(&step.kind.service()).cloned() else {
            continue;
        };
        let op = Operation::new(step.name.clone(), step.spec.clone(), step.request.clone());
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let checks = match provider.preflight(&op).await {
                Ok(c) => c,
                Err(e) => vec![Check {
                    name: "preflight".to_owned(),
                    passed: false,
                    observed: e.message,
                    assumed: false,
                }],
            };
            (i, checks)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, checks)) = joined {
            let step = &mut plan.steps[i];
            step.facts.backup_end = checks
                .iter()
                .find(|c| c.name == crate::plan::BACKUP_END_CHECK && c.passed)
                .and_then(|c| c.observed.parse::<jiff::Timestamp>().ok())
                .map(jiff::Timestamp::as_millisecond);
            step.checks = checks;
        }
    }
    plan.preflight = true;
}
