//! Test harness: a frozen-clock simulator on loopback, a connected `Cloud`, and run helpers.

pub mod fixtures;

use rewind_engine::kinds::{OpSpec, Service};
use rewind_engine::provider::{Handle, Operation, PollOutcome, Provider};
use rewind_providers::{Cloud, CloudConfig, CloudSettings, RetryPolicy, connect};
use rewind_sim::{FaultRule, Faults, SimClock, SimConfig, Simulator, World};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Polls at most this many times; every poll moves the simulated clock on.
pub const MAX_POLLS: usize = 50;

pub struct Harness {
    pub sim: Simulator,
    pub clock: SimClock,
}

/// A world whose clock starts at the real current time (so that "created after submit"
/// comparisons between the client's clock and the simulator's hold) and then stays frozen.
pub fn world() -> World {
    World::healthy(jiff::Timestamp::now().as_millisecond())
}

pub fn now(world: &World) -> i64 {
    world.now.unwrap_or_default()
}

/// Tiny delays: the tests exercise retries, not patience.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        read_attempts: 5,
        submit_attempts: 3,
        // Every 429 spends an attempt: the tests count them.
        throttled_attempts: 0,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
        retry_after_cap: Duration::from_millis(5),
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
    }
}

impl Harness {
    pub async fn start(world: World) -> Harness {
        let sim = rewind_sim::start(SimConfig {
            time_scale: 0.0,
            world,
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let clock = sim.clock();
        Harness { sim, clock }
    }

    /// The simulator's environment: IAM and every service endpoint, plus `extra`.
    pub fn env(&self, credentials: &[(String, String)]) -> BTreeMap<String, String> {
        self.sim
            .endpoints()
            .into_iter()
            .chain(credentials.iter().cloned())
            .collect()
    }

    /// Password credentials, every endpoint from `REWIND_ENDPOINT_*`.
    pub fn cloud(&self) -> Cloud {
        cloud_from(&self.env(&self.sim.credentials_env()))
    }

    pub fn faults(&self, rules: Vec<FaultRule>) {
        self.sim.set_faults(Faults {
            rules,
            token_ttl_seconds: None,
        });
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// Requests the simulator saw that match `method` and a path containing `fragment`.
    pub fn count(&self, method: &str, fragment: &str) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.method == method && r.path.contains(fragment))
            .count()
    }
}

/// A cloud configured from `env` alone, as the CLI would resolve it, with fast retries.
pub fn cloud_from(env: &BTreeMap<String, String>) -> Cloud {
    let mut config = CloudConfig::resolve(&CloudSettings::default(), |name| env.get(name).cloned())
        .expect("configuration resolves");
    config.retry = fast_retries();
    connect(config).expect("connects")
}

pub fn operation(name: &str, spec: OpSpec) -> Operation {
    let request = spec.request();
    Operation::new(name.to_owned(), spec, request)
}

pub fn provider(cloud: &Cloud, op: &Operation) -> Arc<dyn Provider> {
    let service: Service = op.spec.kind().service();
    cloud.provider(service)
}

/// Polls until the outcome is final, advancing the simulated clock by `step_secs` between
/// polls and folding refined handles in, as the engine would.
pub async fn poll_to_end(
    h: &Harness,
    provider: &dyn Provider,
    op: &Operation,
    mut handle: Handle,
    step_secs: u64,
) -> (
    PollOutcome,
    Handle,
    Vec<Option<rewind_engine::provider::Percent>>,
) {
    let mut seen = Vec::new();
    for _ in 0..MAX_POLLS {
        match provider.poll(op, &handle).await.expect("poll") {
            PollOutcome::Running {
                percent,
                handle: refined,
            } => {
                seen.push(percent);
                if let Some(refined) = refined {
                    handle = refined;
                }
                h.advance(step_secs);
            }
            // Not visible yet: a fresh job, as the engine would, is polled again.
            PollOutcome::NotFound { .. } => h.advance(step_secs),
            done => return (done, handle, seen),
        }
    }
    panic!("{} did not finish within {MAX_POLLS} polls", op.name);
}

pub fn assert_all_passed(checks: &[rewind_engine::provider::Check]) {
    assert!(!checks.is_empty());
    for c in checks {
        assert!(
            c.passed,
            "check failed: {} (observed {})",
            c.name, c.observed
        );
    }
}

pub fn failed(checks: &[rewind_engine::provider::Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.as_str())
        .collect()
}

pub fn succeeded(outcome: &PollOutcome) -> &BTreeMap<String, String> {
    match outcome {
        PollOutcome::Succeeded { outputs } => outputs,
        other => panic!("expected success, got {other:?}"),
    }
}

/// The simulator's name for an engine service.
pub fn sim_service(service: Service) -> rewind_sim::Service {
    match service {
        Service::Rds => rewind_sim::Service::Rds,
        Service::Ddm => rewind_sim::Service::Ddm,
        Service::Taurusdb => rewind_sim::Service::Taurusdb,
        Service::Cbr => rewind_sim::Service::Cbr,
        Service::Dcs => rewind_sim::Service::Dcs,
        Service::Dds => rewind_sim::Service::Dds,
        Service::Gaussdb => rewind_sim::Service::Gaussdb,
        Service::External(_) => {
            panic!("the simulator has no {service} in this harness yet")
        }
    }
}
