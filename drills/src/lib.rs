//! rewind's restore drills: typed probes that verify a restored target, and the drill reports.
//!
//! # Tour
//!
//! - [`probe`]: a [`ProbeSpec`] (parsed from the JSON value the spec's `drills:` section lowers
//!   to) is run against a [`Target`] by [`run_probe`], which always returns a [`ProbeResult`]:
//!   a failing or hanging probe is a result, never an error or a panic.
//!   Kinds: `mysql` ([`probe::mysql`]), `redis` ([`probe::redis`]), `tcp` ([`probe::tcp`]) and
//!   `exec` ([`probe::exec`]); expectations live in [`probe::expect`].
//! - [`measure`]: RTO (first submit to the last passed probe, per operation and end to end,
//!   with the critical path that set it) and RPO (drill start to the restored recovery point),
//!   each checked against its budget.
//! - [`report`]: one [`DrillReport`] value, rendered as `report.md`, `report.json`, `junit.xml`
//!   and `report.html`; [`report::write_all`] writes the four files.
//!
//! Secrets: a target's password is a [`Password`], whose `Debug`, `Display` and `Serialize`
//! print `(sensitive)`; probe results and errors scrub the value from any captured text.

pub mod env;
pub mod measure;
pub mod probe;
pub mod report;
mod target;
// Test helpers: for this crate's tests and, behind the `testing` feature, other crates' tests.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub(crate) mod timefmt;
pub mod timing;

pub use measure::{Budget, OperationRto, Rpo, RpoPoint, Rto, measure_rpo, measure_rto};
pub use probe::{
    Check, Expect, OnError, ProbeKind, ProbeResult, ProbeSpec, ProbeSpecError, run_probe,
    run_probes,
};
pub use report::{
    CleanupAction, CleanupResult, DrillProbe, DrillReport, FORMAT_VERSION, OpOutcome,
    OperationTiming, write_all,
};
pub use rewind_base::SENSITIVE;
/// A probe target's password: the one secret type of rewind.
pub type Password = rewind_base::Secret;
pub use target::Target;
