//! Values known after apply: `${restores.X.outputs.Y}` becomes an edge, shows as unknown in
//! the plan, and is rendered into the request only once `X` has succeeded.

use rewind_engine::apply::{self, ApplyOptions, PollPolicy, RecordingHooks};
use rewind_engine::compile::compile;
use rewind_engine::kinds::Service;
use rewind_engine::plan::{self, Action, Plan, PlanOptions, check_fresh};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, Providers,
    SubmitError,
};
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::StateStore;
use rewind_state::MemoryState;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records each submitted wire body; every job succeeds on its first poll, and a restore
/// into an RDS instance reports that instance's private address.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(String, Value)>>,
    /// Names of the operations whose job had succeeded when each submit went out.
    done_at_submit: Mutex<BTreeMap<String, Vec<String>>>,
    done: Mutex<Vec<String>>,
}

impl Provider for Recorder {
    fn service(&self) -> Service {
        Service::Rds
    }
    fn preflight<'a>(
        &'a self,
        _: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            let done = self.done.lock().unwrap().clone();
            self.done_at_submit
                .lock()
                .unwrap()
                .insert(op.name.clone(), done);
            self.sent
                .lock()
                .unwrap()
                .push((op.name.clone(), op.wire_body()));
            Ok(Handle::Job {
                job_id: format!("job-{}", op.name),
            })
        })
    }
    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        _: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async move {
            self.done.lock().unwrap().push(op.name.clone());
            Ok(PollOutcome::Succeeded {
                outputs: BTreeMap::from([("private_ip".to_owned(), "10.0.0.7".to_owned())]),
            })
        })
    }
    fn reconcile<'a>(
        &'a self,
        _: &'a Operation,
        _: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async { Ok(None) })
    }
}

const NODE_A: &str = "0000000000000000000000000000000ain01";
const NODE_B: &str = "0000000000000000000000000000000bin01";

fn spec() -> String {
    let rds = |name: &str, source: &str, target: &str| {
        format!(
            "  {name}:\n    kind: rds.restore\n    source: {{ instance_id: {source}, restore_time: 1747732352076 }}\n    target: {{ instance_id: {target} }}\n"
        )
    };
    format!(
        "version: 1\nrestores:\n{}{}  metadata:\n    kind: ddm.metadata_restore\n    instance_id: 1111111111111111111111111111111cin09\n    source: {{ restore_time: 1747732352076 }}\n    target:\n      instance_id: 2222222222222222222222222222222din09\n      data_nodes:\n        - \"${{restores.node-a.outputs.instance_id}}\"\n        - \"${{restores.node-b.outputs.instance_id}}\"\n",
        rds("node-a", "9999999999999999999999999999999ain01", NODE_A),
        rds("node-b", "9999999999999999999999999999999bin01", NODE_B),
    )
}

fn plan_for(text: &str, state: &MemoryState) -> Plan {
    let c = compile("t.yaml", text, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    plan::build(
        "t.yaml",
        &c.spec,
        &c.graph,
        &state.meta().unwrap(),
        &state.list().unwrap(),
        &PlanOptions::default(),
    )
}

fn opts() -> ApplyOptions {
    ApplyOptions {
        poll: PollPolicy {
            first: Duration::from_millis(1),
            min: Duration::from_millis(1),
            max: Duration::from_millis(5),
            ..PollPolicy::default()
        },
        ..ApplyOptions::default()
    }
}

async fn apply(plan: &Plan, state: &mut MemoryState, fake: &Arc<Recorder>) -> apply::ApplyOutcome {
    let providers: Providers = Service::ALL
        .into_iter()
        .map(|s| (s, fake.clone() as Arc<dyn Provider>))
        .collect();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut hooks = RecordingHooks::default();
    apply::apply(plan, state, &providers, &mut hooks, &opts(), rx)
        .await
        .expect("apply")
}

#[test]
fn an_output_reference_is_an_edge_and_unknown_in_the_plan() {
    let state = MemoryState::new();
    let plan = plan_for(&spec(), &state);
    let meta = plan.step("metadata").unwrap();
    assert_eq!(meta.after, vec!["node-a".to_owned(), "node-b".to_owned()]);
    assert_eq!(
        meta.unknown,
        vec![
            "/target/data_nodes/0".to_owned(),
            "/target/data_nodes/1".to_owned()
        ]
    );
    assert_eq!(
        meta.request.body["target"]["data_nodes"][0],
        "${restores.node-a.outputs.instance_id}"
    );
    let json = serde_json::to_value(&plan).unwrap();
    let step = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "metadata")
        .unwrap();
    assert_eq!(step["unknown"].as_array().unwrap().len(), 2);
    // Steps without unknown values say nothing about them.
    let first = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "node-a")
        .unwrap();
    assert!(first.get("unknown").is_none());
}

#[test]
fn an_unknown_output_name_is_a_located_error() {
    let text = spec().replace("node-a.outputs.instance_id", "node-a.outputs.instance");
    let Err(err) = compile("t.yaml", &text, &LoadOptions::default()) else {
        panic!("refused")
    };
    let plain = err.plain();
    assert!(
        plain.contains("`restores.node-a` has no output `instance`"),
        "{plain}"
    );
    assert!(plain.contains("reports: instance_id, job_id"), "{plain}");
    assert!(plain.contains("t.yaml:18:11"), "{plain}");
}

#[tokio::test]
async fn outputs_are_rendered_at_submit_after_the_predecessors_succeed() {
    let mut state = MemoryState::new();
    let fake = Arc::new(Recorder::default());
    let plan = plan_for(&spec(), &state);
    let outcome = apply(&plan, &mut state, &fake).await;
    assert!(outcome.ok(), "{outcome:?}");

    let sent = fake.sent.lock().unwrap().clone();
    let (_, body) = sent.iter().find(|(n, _)| n == "metadata").unwrap();
    assert_eq!(
        body["target"]["data_nodes"],
        serde_json::json!([NODE_A, NODE_B])
    );
    let done = fake.done_at_submit.lock().unwrap()["metadata"].clone();
    assert!(done.contains(&"node-a".to_owned()) && done.contains(&"node-b".to_owned()));

    // The record holds what was sent; its digest is the template's, so nothing reruns.
    let record = state.get("metadata").unwrap().unwrap();
    assert_eq!(record.request.body["target"]["data_nodes"][1], NODE_B);
    let node_a = state.get("node-a").unwrap().unwrap();
    assert_eq!(node_a.outputs["instance_id"], NODE_A);
    assert_eq!(node_a.outputs["job_id"], "job-node-a");
    assert_eq!(node_a.outputs["private_ip"], "10.0.0.7");
    let again = plan_for(&spec(), &state);
    assert!(
        again.steps.iter().all(|s| s.action == Action::Unchanged),
        "{:?}",
        again.summary
    );
    assert!(!again.has_changes());
}

#[test]
fn a_saved_plan_with_unknown_values_stays_fresh() {
    let state = MemoryState::new();
    let saved = plan_for(&spec(), &state);
    let text = serde_json::to_string(&saved).unwrap();
    let reread: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(reread, saved);
    check_fresh(&reread, &plan_for(&spec(), &state)).expect("fresh");
}
