//! Typed probes: the definitions, the result type, and the runner that applies timeout and policy.

pub mod exec;
pub mod expect;
pub mod mysql;
mod output;
pub mod redis;
mod result;
mod schema;
mod spec;
pub mod tcp;

use std::time::{Duration, Instant};

pub use expect::Expect;
pub use output::MAX_OUTPUT_BYTES;
pub(crate) use result::Outcome;
pub use result::ProbeResult;
pub use schema::probe_schema;
pub use spec::{
    Check, ExecCheck, MysqlCheck, OnError, ProbeKind, ProbeSpec, ProbeSpecError, RedisCheck,
    TcpCheck,
};

use crate::target::Target;

impl ProbeResult {
    /// A probe that was not run, with why (`detail`); see [`ProbeResult::not_run`].
    pub fn skipped(spec: &ProbeSpec, why: &str) -> Self {
        ProbeResult {
            name: spec.name.clone(),
            kind: spec.check.kind(),
            passed: false,
            warned: false,
            on_error: spec.on_error,
            detail: format!("not run: {why}"),
            output: String::new(),
            started_at: jiff::Timestamp::now(),
            duration: Duration::ZERO,
            timed_out: false,
            not_run: true,
        }
    }
}

/// Runs one probe against `target` within its timeout. Always returns a result: connection
/// errors, failed expectations and timeouts are failed results, never errors.
pub async fn run_probe(spec: &ProbeSpec, target: &Target) -> ProbeResult {
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let (outcome, timed_out) = match &spec.check {
        // `exec` keeps its own clock: on timeout it must kill the child's process group.
        Check::Exec(c) => exec::check(c, &spec.name, target, spec.timeout).await,
        check => {
            let run = async {
                match check {
                    Check::Mysql(c) => mysql::check(c, target).await,
                    Check::Redis(c) => redis::check(c, target).await,
                    Check::Tcp(c) => tcp::check(c, target).await,
                    Check::Exec(_) => Outcome::error("exec probes run on their own clock"),
                }
            };
            match tokio::time::timeout(spec.timeout, run).await {
                Ok(o) => (o, false),
                Err(_) => (
                    Outcome::error(format!(
                        "timed out after {} (timeout: {})",
                        crate::timefmt::human(clock.elapsed()),
                        crate::timefmt::human(spec.timeout)
                    )),
                    true,
                ),
            }
        }
    };
    let passed = outcome.passed;
    ProbeResult {
        name: spec.name.clone(),
        kind: spec.check.kind(),
        passed,
        warned: !passed && spec.on_error == OnError::Warn,
        on_error: spec.on_error,
        detail: target.scrub(&outcome.detail),
        output: output::bound(&target.scrub(&outcome.output)),
        started_at,
        duration: clock.elapsed(),
        timed_out,
        not_run: false,
    }
}

/// Runs `specs` one after another against `target`, in order (probes often build on each
/// other: the port first, then the data).
pub async fn run_probes(specs: &[ProbeSpec], target: &Target) -> Vec<ProbeResult> {
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        out.push(run_probe(spec, target).await);
    }
    out
}
