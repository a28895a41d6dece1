//! A provider's `first_poll_after` sets the first poll after a submit, within the policy's
//! `min` and `max`.

use super::run;
use super::tests::Latest;
use crate::apply::{ApplyOptions, PollPolicy, RecordingHooks};
use crate::compile::compile;
use crate::kinds::Service;
use crate::plan::{self, PlanOptions};
use crate::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, Providers,
    SubmitError,
};
use crate::spec::LoadOptions;
use crate::state::StateStore;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Asks for its first poll after `after`, and notes when it came.
struct Hinting {
    after: Option<Duration>,
    submitted: Mutex<Option<Instant>>,
    first_poll: Mutex<Option<Duration>>,
}

impl Provider for Hinting {
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
            *self.submitted.lock().unwrap() = Some(Instant::now());
            Ok(Handle::Job {
                job_id: "j".to_owned(),
            })
        })
    }
    fn first_poll_after(&self, _: &Handle) -> Option<Duration> {
        self.after
    }
    fn poll<'a>(
        &'a self,
        _: &'a Operation,
        _: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(async {
            let since = self.submitted.lock().unwrap().map(|t| t.elapsed());
            self.first_poll
                .lock()
                .unwrap()
                .get_or_insert(since.unwrap_or_default());
            Ok(PollOutcome::Succeeded {
                outputs: BTreeMap::new(),
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

/// When the first poll came after the submit, for a provider that asks for `after`.
async fn first_poll(after: Option<Duration>) -> Duration {
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
    let hinting = Arc::new(Hinting {
        after,
        submitted: Mutex::new(None),
        first_poll: Mutex::new(None),
    });
    let providers: Providers = [(Service::Rds, hinting.clone() as Arc<dyn Provider>)]
        .into_iter()
        .collect();
    let opts = ApplyOptions {
        poll: PollPolicy {
            first: Duration::from_secs(5),
            min: Duration::from_secs(1),
            max: Duration::from_secs(60),
            ..PollPolicy::default()
        },
        ..ApplyOptions::default()
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut hooks = RecordingHooks::default();
    let (outcome, _) = run(&p, &mut state, &providers, &mut hooks, &opts, rx)
        .await
        .expect("apply");
    assert!(outcome.ok(), "{outcome:?}");
    let first = *hinting.first_poll.lock().unwrap();
    first.expect("polled")
}

#[tokio::test(start_paused = true)]
async fn the_first_poll_follows_the_hint_within_the_policy() {
    let around = |d: Duration, want: u64| {
        let want = Duration::from_secs(want);
        assert!(
            d >= want && d < want + Duration::from_millis(100),
            "first poll after {d:?}, wanted {want:?}"
        );
    };
    around(first_poll(None).await, 5);
    around(first_poll(Some(Duration::from_secs(20))).await, 20);
    around(first_poll(Some(Duration::from_secs(3600))).await, 60);
    around(first_poll(Some(Duration::ZERO)).await, 1);
}
