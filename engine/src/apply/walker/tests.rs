//! The loop's own resource use: finished tasks are reaped, so a long apply stays flat.

use super::run;
use crate::apply::{ApplyOptions, PollPolicy, RecordingHooks};
use crate::compile::compile;
use crate::kinds::Service;
use crate::plan::{self, PlanOptions};
use crate::provider::{
    BoxFuture, Check, Handle, Operation, Percent, PollOutcome, Provider, ProviderError, Providers,
    SubmitError,
};
use crate::spec::LoadOptions;
use crate::state::{JournalEntry, OpRecord, RunEntry, StateError, StateMeta, StateStore};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const POLLS: u32 = 5_000;

/// Running for `POLLS` polls, then done.
struct Slow(AtomicU32);

impl Provider for Slow {
    fn service(&self) -> Service {
        Service::Rds
    }
    fn preflight<'a>(
        &'a self,
        _: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn submit<'a>(&'a self, _: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async {
            Ok(Handle::Job {
                job_id: "j".to_owned(),
            })
        })
    }
    fn poll<'a>(
        &'a self,
        _: &'a Operation,
        _: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(if n >= POLLS {
                PollOutcome::Succeeded {
                    outputs: BTreeMap::new(),
                }
            } else {
                PollOutcome::Running {
                    percent: Percent::running(f64::from(n) / 100.0),
                    handle: None,
                }
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

/// A state that keeps only the latest record (a journal of 10,000 writes is not the point);
/// with `refuse_success`, the write of a `succeeded` record fails (a full disk, say).
#[derive(Default)]
pub(super) struct Latest(BTreeMap<String, OpRecord>, bool);

impl StateStore for Latest {
    fn meta(&self) -> Result<StateMeta, StateError> {
        Ok(StateMeta {
            lineage: "t".to_owned(),
            serial: 0,
        })
    }
    fn get(&self, name: &str) -> Result<Option<OpRecord>, StateError> {
        Ok(self.0.get(name).cloned())
    }
    fn list(&self) -> Result<Vec<OpRecord>, StateError> {
        Ok(self.0.values().cloned().collect())
    }
    fn put(&mut self, record: &OpRecord, _: &str) -> Result<u64, StateError> {
        if self.1 && record.status == crate::state::Status::Succeeded {
            return Err(StateError::Storage("No space left on device".to_owned()));
        }
        self.0.insert(record.name.clone(), record.clone());
        Ok(0)
    }
    fn remove(&mut self, name: &str, _: &str) -> Result<u64, StateError> {
        self.0.remove(name);
        Ok(0)
    }
    fn journal(&self) -> Result<Vec<JournalEntry>, StateError> {
        Ok(Vec::new())
    }
    fn put_run(&mut self, _: &RunEntry) -> Result<(), StateError> {
        Ok(())
    }
    fn runs(&self) -> Result<Vec<RunEntry>, StateError> {
        Ok(Vec::new())
    }
}

#[tokio::test(start_paused = true)]
async fn five_thousand_polls_hold_one_task_at_a_time() {
    let text = "restores:\n  a:\n    kind: rds.restore\n    source: { instance_id: 000000000000000000000000000003e9in01, restore_time: 1747732352076 }\n    target: { instance_id: 000000000000000000000000000007d1in01 }\n";
    let c = compile("t.yaml", text, &LoadOptions::default()).expect("compiles");
    let mut state = Latest::default();
    let p = plan::build(
        "t.yaml",
        &c.spec,
        &c.graph,
        &state.meta().expect("meta"),
        &[],
        &PlanOptions::default(),
    );
    let slow = Arc::new(Slow(AtomicU32::new(0)));
    let providers: Providers = [(Service::Rds, slow.clone() as Arc<dyn Provider>)]
        .into_iter()
        .collect();
    let opts = ApplyOptions {
        poll: PollPolicy {
            first: Duration::ZERO,
            min: Duration::ZERO,
            max: Duration::from_millis(1),
            ..PollPolicy::default()
        },
        ..ApplyOptions::default()
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut hooks = RecordingHooks::default();
    let (outcome, counters) = run(&p, &mut state, &providers, &mut hooks, &opts, rx)
        .await
        .expect("apply");
    assert!(outcome.ok(), "{outcome:?}");
    assert_eq!(slow.0.load(Ordering::SeqCst), POLLS);
    // prepare + submit + 5,000 polls, each reaped before the next is spawned.
    assert_eq!(counters.spawned, u64::from(POLLS) + 2);
    assert!(
        counters.peak_tasks <= 2,
        "held {} tasks at once",
        counters.peak_tasks
    );
}

#[tokio::test(start_paused = true)]
async fn restored_is_told_only_once_its_write_is_durable() {
    let text = "restores:\n  a:\n    kind: rds.restore\n    source: { instance_id: 000000000000000000000000000003e9in01, restore_time: 1747732352076 }\n    target: { instance_id: 000000000000000000000000000007d1in01 }\n";
    let c = compile("t.yaml", text, &LoadOptions::default()).expect("compiles");
    let mut state = Latest(BTreeMap::new(), true);
    let p = plan::build(
        "t.yaml",
        &c.spec,
        &c.graph,
        &state.meta().expect("meta"),
        &[],
        &PlanOptions::default(),
    );
    // Its first poll ends it.
    let done = Arc::new(Slow(AtomicU32::new(POLLS - 1)));
    let providers: Providers = [(Service::Rds, done as Arc<dyn Provider>)]
        .into_iter()
        .collect();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut hooks = RecordingHooks::default();
    let result = run(
        &p,
        &mut state,
        &providers,
        &mut hooks,
        &ApplyOptions::default(),
        rx,
    )
    .await;
    assert!(result.is_err(), "the failed write stops the apply");
    assert!(
        hooks
            .events
            .iter()
            .any(|e| matches!(e, crate::apply::Event::Submitted { .. })),
        "{:?}",
        hooks.events
    );
    assert!(
        !hooks
            .events
            .iter()
            .any(|e| matches!(e, crate::apply::Event::Succeeded { .. })),
        "no success told for a write that failed: {:?}",
        hooks.events
    );
}
