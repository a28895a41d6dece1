//! The apply walker with a counting fake provider: what is submitted, and what never is.

use rewind_engine::apply::{self, ApplyOptions, PollPolicy, RecordingHooks};
use rewind_engine::compile::compile;
use rewind_engine::kinds::Service;
use rewind_engine::plan::{self, Action, PlanOptions};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, Providers,
    SubmitError,
};
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::StateStore;
use rewind_state::MemoryState;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Accepts every submit at once and reports every job done on the first poll.
#[derive(Default)]
struct Counting {
    submits: Mutex<BTreeMap<String, u32>>,
}

impl Provider for Counting {
    fn service(&self) -> Service {
        Service::Rds
    }
    fn preflight<'a>(
        &'a self,
        _op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            *self
                .submits
                .lock()
                .expect("lock")
                .entry(op.name.clone())
                .or_default() += 1;
            Ok(Handle::Job {
                job_id: format!("job-{}", op.name),
            })
        })
    }
    fn poll<'a>(
        &'a self,
        _op: &'a Operation,
        _h: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async {
            Ok(PollOutcome::Succeeded {
                outputs: BTreeMap::new(),
            })
        })
    }
    fn reconcile<'a>(
        &'a self,
        _op: &'a Operation,
        _since: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async { Ok(None) })
    }
}

fn rds(name: &str, n: u32, after: Option<&str>) -> String {
    let dep = after.map_or(String::new(), |a| format!("    depends_on: [{a}]\n"));
    format!(
        "  {name}:\n    kind: rds.restore\n{dep}    source: {{ instance_id: {:032x}in01, restore_time: 1747732352076 }}\n    target: {{ instance_id: {:032x}in01 }}\n",
        1000 + n,
        2000 + n
    )
}

async fn apply_spec(
    text: &str,
    state: &mut MemoryState,
    provider: &Arc<Counting>,
) -> apply::ApplyOutcome {
    let c = compile("t.yaml", text, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    let meta = state.meta().expect("meta");
    let records = state.list().expect("list");
    let p = plan::build(
        "t.yaml",
        &c.spec,
        &c.graph,
        &meta,
        &records,
        &PlanOptions::default(),
    );
    let providers: Providers = [(Service::Rds, provider.clone() as Arc<dyn Provider>)]
        .into_iter()
        .collect();
    let opts = ApplyOptions {
        poll: PollPolicy {
            first: Duration::ZERO,
            min: Duration::ZERO,
            ..PollPolicy::default()
        },
        ..ApplyOptions::default()
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut hooks = RecordingHooks::default();
    apply::apply(&p, state, &providers, &mut hooks, &opts, rx)
        .await
        .expect("apply")
}

#[tokio::test]
async fn succeeded_operations_are_never_submitted_again_when_others_change() {
    let provider = Arc::new(Counting::default());
    let mut state = MemoryState::with_lineage("t");
    // A chain a -> b -> c, all applied once.
    let chain = format!(
        "restores:\n{}{}{}",
        rds("a", 1, None),
        rds("b", 2, Some("a")),
        rds("c", 3, Some("b"))
    );
    let first = apply_spec(&chain, &mut state, &provider).await;
    assert!(first.ok(), "{first:?}");
    // A new operation is added after the chain: apply runs for it, and only for it.
    let grown = format!("{chain}{}", rds("d", 4, Some("c")));
    let c = compile("t.yaml", &grown, &LoadOptions::default()).expect("compiles");
    let p = plan::build(
        "t.yaml",
        &c.spec,
        &c.graph,
        &state.meta().expect("meta"),
        &state.list().expect("list"),
        &PlanOptions::default(),
    );
    let actions: Vec<(&str, Action)> = p
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.action))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("a", Action::Unchanged),
            ("b", Action::Unchanged),
            ("c", Action::Unchanged),
            ("d", Action::Restore)
        ]
    );
    let second = apply_spec(&grown, &mut state, &provider).await;
    assert!(second.ok(), "{second:?}");
    assert_eq!(second.unchanged, vec!["a", "b", "c"]);
    let submits = provider.submits.lock().expect("lock").clone();
    assert_eq!(
        submits,
        [("a", 1), ("b", 1), ("c", 1), ("d", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<BTreeMap<_, _>>(),
        "every operation submitted exactly once across both applies"
    );
}
