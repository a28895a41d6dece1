//! `rewind graph`: DOT or Mermaid, each node with its plan action, each edge with its reason.

use crate::args::{GraphArgs, GraphFormat};
use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use rewind_engine::graph::{Format, render};
use rewind_engine::plan::Action;
use std::collections::BTreeMap;
use std::process::ExitCode;

pub fn exec(session: &Session, args: &GraphArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let loaded = session.loaded()?;
    let c = &loaded.compiled;
    let settings = session.settings(None)?;
    // The action shown on each node comes from state when there is one; a graph of a spec
    // never applied shows every node as a restore.
    let actions: BTreeMap<String, Action> = if settings.state.may_exist() {
        let state = session.read(&settings.state)?;
        let plan = crate::ops::plan::compute(
            loaded,
            &state,
            &rewind_engine::plan::PlanOptions::default(),
        )?;
        plan.steps
            .iter()
            .map(|s| (s.name.clone(), s.action))
            .collect()
    } else {
        BTreeMap::new()
    };
    let labels: BTreeMap<String, String> = c
        .spec
        .ops
        .iter()
        .map(|(name, op)| {
            let a = actions.get(name).copied().unwrap_or(Action::Restore);
            (
                name.clone(),
                format!("{} {} {}", a.symbol(), a.verb(), op.spec.kind()),
            )
        })
        .collect();
    let format = match args.format {
        GraphFormat::Dot => Format::Dot,
        GraphFormat::Mermaid => Format::Mermaid,
    };
    printer.out(&render(&c.graph, &labels, format));
    Ok(ExitCode::SUCCESS)
}
