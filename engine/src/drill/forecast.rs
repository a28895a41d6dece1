//! The RTO forecast: p50 and p95 per kind from past drills, and along a plan's critical path.

use super::DrillRecord;
use std::collections::BTreeMap;

/// Drills of a kind needed before its figures are used.
pub const MIN_SAMPLES: usize = 3;

/// How long operations of one kind took to be ready in past drills.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KindForecast {
    pub kind: String,
    pub samples: usize,
    pub p50_ms: u64,
    pub p95_ms: u64,
}

/// The forecast RTO of a set of operations: the longest chain by p50 and by p95.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanForecast {
    pub p50_ms: u64,
    pub p95_ms: u64,
    /// The chain that sets `p95_ms`, first to last.
    pub critical_path: Vec<String>,
    /// Kinds with fewer than [`MIN_SAMPLES`] drills: the forecast is `None` while any remain.
    pub missing: Vec<String>,
}

/// Per kind, from every operation that became ready in `records`.
pub fn per_kind(_records: &[DrillRecord]) -> BTreeMap<String, KindForecast> {
    BTreeMap::new()
}

/// One operation to forecast: its name, its kind and the operations it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastOp {
    pub name: String,
    pub kind: String,
    pub after: Vec<String>,
}

/// The forecast for `ops`; `None` when a kind has too few samples (see `missing` via
/// [`missing_kinds`]).
pub fn forecast(
    _ops: &[ForecastOp],
    _per_kind: &BTreeMap<String, KindForecast>,
) -> Option<PlanForecast> {
    None
}

/// Kinds among `ops` with fewer than [`MIN_SAMPLES`] samples.
pub fn missing_kinds(
    _ops: &[ForecastOp],
    _per_kind: &BTreeMap<String, KindForecast>,
) -> Vec<String> {
    Vec::new()
}
