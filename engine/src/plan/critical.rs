//! Expected durations and the critical path: which operations decide how long apply takes.

use super::step::{Action, Step};
use crate::kinds::Kind;
use crate::state::{OpRecord, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The chain of operations with the longest expected duration, start to end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalPath {
    pub names: Vec<String>,
    /// Sum of the expected durations along `names`.
    pub duration_ms: u64,
}

/// Built-in expected duration of a restore of `kind`, when state has no earlier run of it:
/// the kind's declared figure (15 minutes for a plugin kind). The figures only order the
/// launches, so what matters is that a database restore outweighs a cache restore.
pub fn default_expected(kind: Kind) -> Duration {
    let minutes = crate::kinds::builtin::get(kind).map_or(15, |b| b.expected_minutes);
    Duration::from_secs(minutes * 60)
}

/// How long a finished record took: from its last submit to the poll that saw it succeed.
fn recorded_ms(r: &OpRecord) -> Option<u64> {
    if r.status != Status::Succeeded {
        return None;
    }
    let took = r.updated_at.checked_sub(r.submitted_at?)?;
    u64::try_from(took).ok().filter(|ms| *ms > 0)
}

/// Expected duration per operation name: its own last successful run, else the median of
/// the successful runs of its kind in this state, else the built-in default of its kind.
/// Operations with nothing to do expect 0.
pub fn expected(steps: &[Step], records: &[OpRecord]) -> BTreeMap<String, u64> {
    let mut by_kind: BTreeMap<Kind, Vec<u64>> = BTreeMap::new();
    let mut own = BTreeMap::new();
    for r in records {
        if let Some(ms) = recorded_ms(r) {
            by_kind.entry(r.kind).or_default().push(ms);
            own.insert(r.name.as_str(), ms);
        }
    }
    for v in by_kind.values_mut() {
        v.sort_unstable();
    }
    steps
        .iter()
        .map(|s| {
            let ms = if matches!(
                s.action,
                Action::Unchanged | Action::Blocked | Action::Forget | Action::Moved
            ) {
                0
            } else if let Some(ms) = own.get(s.name.as_str()) {
                *ms
            } else if let Some(v) = by_kind.get(&s.kind).filter(|v| !v.is_empty()) {
                v[v.len() / 2]
            } else {
                u64::try_from(default_expected(s.kind).as_millis()).unwrap_or(u64::MAX)
            };
            (s.name.clone(), ms)
        })
        .collect()
}

/// Fills each step's `expected_ms` and `path_ms` (its own duration plus the longest chain of
/// dependents after it) and returns the critical path. `steps` are in execution order.
pub fn weigh(steps: &mut [Step], records: &[OpRecord]) -> CriticalPath {
    let expected = expected(steps, records);
    let index: BTreeMap<String, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    let mut dependents = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        for a in &s.after {
            if let Some(&p) = index.get(a) {
                dependents[p].push(i);
            }
        }
    }
    // Reverse execution order: every dependent is weighed before what it waits for.
    let mut next: Vec<Option<usize>> = vec![None; steps.len()];
    for i in (0..steps.len()).rev() {
        let own = expected.get(&steps[i].name).copied().unwrap_or(0);
        let best = dependents[i].iter().copied().max_by(|&a, &b| {
            steps[a]
                .path_ms
                .cmp(&steps[b].path_ms)
                .then_with(|| steps[b].name.cmp(&steps[a].name))
        });
        steps[i].expected_ms = own;
        steps[i].path_ms = own.saturating_add(best.map_or(0, |b| steps[b].path_ms));
        next[i] = best;
    }
    let start = (0..steps.len())
        .filter(|&i| steps[i].path_ms > 0)
        .max_by(|&a, &b| {
            steps[a]
                .path_ms
                .cmp(&steps[b].path_ms)
                .then_with(|| steps[b].name.cmp(&steps[a].name))
        });
    let Some(start) = start else {
        return CriticalPath::default();
    };
    let mut names = Vec::new();
    let mut at = Some(start);
    while let Some(i) = at {
        if steps[i].expected_ms > 0 {
            names.push(steps[i].name.clone());
        }
        at = next[i];
    }
    CriticalPath {
        names,
        duration_ms: steps[start].path_ms,
    }
}
