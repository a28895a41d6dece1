//! What an apply says when it ends: the summary line, each unknown restore's advice, what it created.

use crate::printer::{Printer, Style};
use rewind_engine::apply::ApplyOutcome;
use rewind_engine::plan::Plan;
use std::fmt::Write as _;

/// The advice of each unknown operation whose provider has one of its own, by name.
pub fn unknown_advice(
    plan: &Plan,
    outcome: &ApplyOutcome,
    providers: &rewind_engine::provider::Providers,
) -> Vec<(String, String)> {
    plan.steps
        .iter()
        .filter(|step| outcome.unknown.contains(&step.name))
        .filter_map(|step| {
            let op = rewind_engine::provider::Operation::new(
                step.name.clone(),
                step.spec.clone(),
                step.request.clone(),
            );
            let advice = providers.get(&step.kind.service())?.unknown_advice(&op)?;
            Some((step.name.clone(), advice))
        })
        .collect()
}

pub fn summary(
    outcome: &ApplyOutcome,
    advised: &[(String, String)],
    p: &Printer,
    unkept: Option<&str>,
) -> String {
    let mut s = format!(
        "Apply {}: {} restored, {} unchanged, {} failed, {} skipped, {} unknown, {} still running, {} forgotten.",
        if outcome.ok() {
            p.paint("complete", Style::Green)
        } else {
            p.paint("incomplete", Style::Red)
        },
        outcome.succeeded.len(),
        outcome.unchanged.len(),
        outcome.failed.len(),
        outcome.skipped.len(),
        outcome.unknown.len(),
        outcome.in_flight.len(),
        outcome.forgotten.len(),
    );
    if !outcome.moved.is_empty() {
        let _ = write!(
            s,
            "\n{} record(s) moved to their new names ({}); nothing was restored for them.",
            outcome.moved.len(),
            outcome.moved.join(", ")
        );
    }
    if let Some(unkept) = unkept
        && !outcome.in_flight.is_empty()
    {
        // A rehearsal whose world is not kept: its jobs end with this command.
        let _ = write!(
            s,
            "\n{} restore(s) were still running in this rehearsal ({}), whose simulated world ends now: {unkept}",
            outcome.in_flight.len(),
            outcome.in_flight.join(", ")
        );
    } else if !outcome.in_flight.is_empty() {
        let _ = write!(
            s,
            "\n{} restore(s) are still running in the cloud ({}); `rewind apply` re-attaches to them.",
            outcome.in_flight.len(),
            outcome.in_flight.join(", ")
        );
    }
    let generic: Vec<&str> = outcome
        .unknown
        .iter()
        .filter(|n| !advised.iter().any(|(a, _)| a == *n))
        .map(String::as_str)
        .collect();
    if !generic.is_empty() {
        let _ = write!(
            s,
            "\nCheck the cloud for {}; then `rewind apply --resubmit NAME` to submit again, or `rewind state rm NAME`.",
            generic.join(", ")
        );
    }
    for (name, advice) in advised {
        let _ = write!(s, "\n{name}: {advice}.");
    }
    s
}

/// The apply's result (summary, what it created) goes to stdout with the plan, so
/// `rewind apply | tee apply.log` keeps how the run ended; progress stays on stderr.
pub fn print_result(p: &Printer, text: &str) {
    if !p.quiet {
        p.out(text);
    }
}

/// What this apply created: each new instance's name, ID, address and port, from state.
pub fn created(state: &dyn rewind_engine::state::StateStore, outcome: &ApplyOutcome, p: &Printer) {
    let Ok(records) = state.list() else { return };
    let lines = crate::commands::output::created_lines(&records, &outcome.succeeded);
    if !lines.is_empty() {
        print_result(
            p,
            &format!("Created (see `rewind output NAME`):\n{}", lines.join("\n")),
        );
    }
}
