//! A drill's own plan (its operations alone, against empty state), its scratch instances, and whether it may start.

use crate::drill::{DrillDecl, DrillOutcome, ScratchInstance, ScratchStatus};
use crate::plan::{self, Plan, PlanOptions};
use crate::spec::Spec;
use crate::state::{RunEntry, StateMeta};

/// The plan of `drill`'s operations alone, against empty state: a drill restores every time
/// it runs, whatever `rewind apply` has recorded. `spec` is the compiled spec (with any
/// recovery points pinned); `file` names it in the plan. An error says why the operations do
/// not form a graph of their own.
pub fn plan(file: &str, spec: &Spec, drill: &DrillDecl, simulated: bool) -> Result<Plan, String> {
    let mut spec = spec.clone();
    spec.ops.retain(|name, _| drill.operations.contains(name));
    spec.broken.clear();
    let (graph, diags) = crate::graph::build(&spec);
    if let Some(d) = diags.first() {
        return Err(format!(
            "drill `{}`: its operations do not form a graph of their own: {}",
            drill.name, d.message
        ));
    }
    let meta = StateMeta {
        lineage: format!("drill-{}", drill.name),
        serial: 0,
    };
    Ok(plan::build(
        file,
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
pub fn planned_scratch(plan: &Plan) -> Vec<ScratchInstance> {
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

/// An earlier run of `drill` that did not finish or left scratch instances: the names this
/// run would create are taken, so it cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub run: u64,
    /// What it left, in words: "did not finish", or "left 2 scratch instance(s): …".
    pub what: String,
}

/// The first earlier run of `drill` that left something behind, if any.
pub fn leftover(runs: &[RunEntry], drill: &DrillDecl) -> Option<Leftover> {
    runs.iter().find_map(|run| {
        let d = run.drill.as_ref().filter(|d| d.drill == drill.name)?;
        let open: Vec<&ScratchInstance> = d.scratch.iter().filter(|s| s.status.is_open()).collect();
        if d.outcome != DrillOutcome::Running && open.is_empty() {
            return None;
        }
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
        Some(Leftover { run: run.id, what })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::spec::LoadOptions;

    const SPEC: &str = include_str!("../../../examples/drill.yaml");

    #[test]
    fn a_drill_plans_its_own_operations_against_empty_state() {
        let compiled = compile("drill.yaml", SPEC, &LoadOptions::default())
            .unwrap_or_else(|r| panic!("{}", r.plain()));
        let mut drill = compiled.spec.drills["nightly"].clone();
        let all = plan("drill.yaml", &compiled.spec, &drill, true).unwrap();
        assert_eq!(all.steps.len(), compiled.spec.ops.len());
        assert!(all.simulated);
        let scratch: Vec<(String, String)> = planned_scratch(&all)
            .into_iter()
            .inspect(|s| assert_eq!(s.status, ScratchStatus::Pending))
            .map(|s| (s.service, s.name))
            .collect();
        assert_eq!(
            scratch,
            [
                ("rds".to_owned(), "orders-dn-1-drill".to_owned()),
                ("rds".to_owned(), "orders-dn-2-drill".to_owned())
            ]
        );
        drill.operations = vec!["orders-dn-2".to_owned()];
        let one = plan("drill.yaml", &compiled.spec, &drill, false).unwrap();
        let names: Vec<&str> = one.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["orders-dn-2"]);
        assert_eq!(leftover(&[], &drill), None);
    }
}
