//! Typed probes: the definitions, the result type, and the runner that applies timeout and policy.

pub mod exec;
pub mod expect;
pub mod mysql;
mod output;
pub mod redis;
mod schema;
mod spec;
pub mod tcp;

use std::time::{Duration, Instant};

pub use expect::Expect;
pub use output::MAX_OUTPUT_BYTES;
pub use schema::probe_schema;
pub use spec::{
    Check, ExecCheck, MysqlCheck, OnError, ProbeSpec, ProbeSpecError, RedisCheck, TcpCheck,
};

use crate::target::Target;

/// Which kind of probe produced a result.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    Mysql,
    Redis,
    Tcp,
    Exec,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mysql => "mysql",
            Self::Redis => "redis",
            Self::Tcp => "tcp",
            Self::Exec => "exec",
        }
    }
}

impl std::fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one probe run found. Never holds a password: every text is scrubbed before it lands here.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
// Each flag is a field of report.json that readers (CI, dashboards) test on its own.
#[allow(clippy::struct_excessive_bools)]
pub struct ProbeResult {
    pub name: String,
    pub kind: ProbeKind,
    /// The check held.
    pub passed: bool,
    /// The check did not hold, and the probe's policy is `on_error: warn`: the drill goes on.
    pub warned: bool,
    /// The policy the probe ran under.
    pub on_error: OnError,
    /// One line: what was expected and what was found (or why it could not be checked).
    pub detail: String,
    /// Captured output (query rows, the reply, a command's stdout and stderr), bounded in size.
    pub output: String,
    pub started_at: jiff::Timestamp,
    #[serde(with = "crate::report::ms", rename = "duration_ms")]
    pub duration: Duration,
    /// The probe ran out of its `timeout:`.
    #[serde(default)]
    pub timed_out: bool,
    /// The probe was never run (a rehearsal whose instance has no real address): neither
    /// passed nor failed, and the drill cannot pass while one is left unrun.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_run: bool,
}

impl ProbeResult {
    /// A failed probe whose policy is `fail`: the drill fails.
    pub fn fails_drill(&self) -> bool {
        !self.passed && !self.warned && !self.not_run
    }

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

    pub fn finished_at(&self) -> jiff::Timestamp {
        let d = jiff::SignedDuration::try_from(self.duration).unwrap_or(jiff::SignedDuration::MAX);
        self.started_at.checked_add(d).unwrap_or(self.started_at)
    }
}

/// What a kind's check returns before the runner adds name, timing and policy.
pub(crate) struct Outcome {
    pub passed: bool,
    pub detail: String,
    pub output: String,
}

impl Outcome {
    pub(crate) fn error(detail: impl Into<String>) -> Self {
        Self {
            passed: false,
            detail: detail.into(),
            output: String::new(),
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
                        crate::report::human(clock.elapsed()),
                        crate::report::human(spec.timeout)
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
