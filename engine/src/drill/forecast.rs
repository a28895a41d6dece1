//! The RTO forecast: p50 and p95 per kind from past drills, and along a plan's critical path.

use super::{DrillOutcome, DrillRecord};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
///
/// A running drill's figures are partial, so only finished drills count. An operation's
/// sample is its own duration, from its own submit: to ready ([`DrillOpRecord::own_ms`]), or
/// to restored when it had no probe that passed (or the record predates `own_ms`).
/// `ready_ms` is never a sample: it runs from the drill's first submit, so an operation
/// after a chain would count the chain again when the forecast adds durations along it.
///
/// [`DrillOpRecord::own_ms`]: super::DrillOpRecord::own_ms
pub fn per_kind(records: &[DrillRecord]) -> BTreeMap<String, KindForecast> {
    let mut samples: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for record in records
        .iter()
        .filter(|r| r.outcome != DrillOutcome::Running)
    {
        for op in &record.operations {
            if let Some(ms) = op.own_ms.or(op.restore_ms) {
                samples.entry(op.kind.as_str()).or_default().push(ms);
            }
        }
    }
    samples
        .into_iter()
        .map(|(kind, mut values)| {
            values.sort_unstable();
            let forecast = KindForecast {
                kind: kind.to_owned(),
                samples: values.len(),
                p50_ms: nearest_rank(&values, 50),
                p95_ms: nearest_rank(&values, 95),
            };
            (kind.to_owned(), forecast)
        })
        .collect()
}

/// The `pct`th percentile of sorted `values` by nearest rank (the smallest value with at
/// least `pct`% of the values at or below it); 0 for no values.
pub fn nearest_rank(sorted: &[u64], pct: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (pct * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
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
    ops: &[ForecastOp],
    per_kind: &BTreeMap<String, KindForecast>,
) -> Option<PlanForecast> {
    if !missing_kinds(ops, per_kind).is_empty() {
        return None;
    }
    let graph = Chains::new(ops);
    let weight = |op: &ForecastOp, p95: bool| {
        per_kind
            .get(&op.kind)
            .map_or(0, |k| if p95 { k.p95_ms } else { k.p50_ms })
    };
    let (p50_ms, _) = graph.longest(|i| weight(&ops[i], false));
    let (p95_ms, path) = graph.longest(|i| weight(&ops[i], true));
    Some(PlanForecast {
        p50_ms,
        p95_ms,
        critical_path: path.into_iter().map(|i| ops[i].name.clone()).collect(),
        missing: Vec::new(),
    })
}

/// Kinds among `ops` with fewer than [`MIN_SAMPLES`] samples.
pub fn missing_kinds(ops: &[ForecastOp], per_kind: &BTreeMap<String, KindForecast>) -> Vec<String> {
    let kinds: BTreeSet<&str> = ops.iter().map(|o| o.kind.as_str()).collect();
    kinds
        .into_iter()
        .filter(|k| per_kind.get(*k).is_none_or(|f| f.samples < MIN_SAMPLES))
        .map(str::to_owned)
        .collect()
}

/// The operations as a graph of indices: `deps[i]` are the operations `i` waits for.
struct Chains {
    deps: Vec<Vec<usize>>,
    /// An order in which every operation comes after what it waits for, cycles aside.
    order: Vec<usize>,
}

impl Chains {
    fn new(ops: &[ForecastOp]) -> Chains {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            index.entry(op.name.as_str()).or_insert(i);
        }
        let deps: Vec<Vec<usize>> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let mut d: Vec<usize> = op
                    .after
                    .iter()
                    .filter_map(|a| index.get(a.as_str()).copied())
                    .filter(|&j| j != i)
                    .collect();
                let mut seen = BTreeSet::new();
                d.retain(|j| seen.insert(*j));
                d
            })
            .collect();
        // Kahn's algorithm; operations caught in a cycle never become free, and are taken
        // afterwards in input order, so that a cycle costs a shorter chain, never a hang.
        let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
        for (i, d) in deps.iter().enumerate() {
            for &j in d {
                dependents[j].push(i);
            }
        }
        let mut order = Vec::with_capacity(ops.len());
        let mut placed = vec![false; ops.len()];
        let mut queue: std::collections::VecDeque<usize> =
            (0..ops.len()).filter(|&i| waiting[i] == 0).collect();
        while let Some(i) = queue.pop_front() {
            if placed[i] {
                continue;
            }
            placed[i] = true;
            order.push(i);
            for &k in &dependents[i] {
                waiting[k] = waiting[k].saturating_sub(1);
                if waiting[k] == 0 {
                    queue.push_back(k);
                }
            }
        }
        order.extend((0..ops.len()).filter(|&i| !placed[i]));
        Chains { deps, order }
    }

    /// The longest chain by `weight`: its length and its operations, first to last.
    fn longest(&self, weight: impl Fn(usize) -> u64) -> (u64, Vec<usize>) {
        let n = self.deps.len();
        let mut finish: Vec<Option<u64>> = vec![None; n];
        let mut prev: Vec<Option<usize>> = vec![None; n];
        for &i in &self.order {
            let mut best: Option<(u64, usize)> = None;
            for &j in &self.deps[i] {
                if let Some(f) = finish[j]
                    && best.is_none_or(|(b, _)| f > b)
                {
                    best = Some((f, j));
                }
            }
            finish[i] = Some(weight(i).saturating_add(best.map_or(0, |(f, _)| f)));
            prev[i] = best.map(|(_, j)| j);
        }
        let mut end: Option<(u64, usize)> = None;
        for (i, f) in finish.iter().enumerate() {
            if let Some(f) = *f
                && end.is_none_or(|(b, _)| f > b)
            {
                end = Some((f, i));
            }
        }
        let Some((total, last)) = end else {
            return (0, Vec::new());
        };
        let mut path = vec![last];
        let mut at = last;
        // Each step moves to an operation placed earlier, so this ends; the bound is a guard.
        while let Some(p) = prev[at] {
            if path.len() > n {
                break;
            }
            path.push(p);
            at = p;
        }
        path.reverse();
        (total, path)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DrillOpRecord, DrillOutcome, DrillRecord};
    use super::*;

    fn record(outcome: DrillOutcome, ops: &[(&str, Option<u64>, Option<u64>)]) -> DrillRecord {
        DrillRecord {
            drill: "nightly".into(),
            simulated: true,
            outcome,
            started_at: 1_795_143_600_000,
            finished_at: None,
            operations: ops
                .iter()
                .enumerate()
                .map(|(i, (kind, restore_ms, own_ms))| DrillOpRecord {
                    name: format!("op-{i}"),
                    kind: (*kind).into(),
                    restore_ms: *restore_ms,
                    // From the drill's first submit: later than the operation's own
                    // duration, and never a sample.
                    ready_ms: own_ms.map(|ms| ms + 3_000),
                    own_ms: *own_ms,
                })
                .collect(),
            rto_ms: None,
            rto_budget_ms: None,
            rto_unverified: None,
            rpo_ms: None,
            rpo_budget_ms: None,
            critical_path: Vec::new(),
            scratch: Vec::new(),
            report_dir: None,
            failures: Vec::new(),
            recovery: Vec::new(),
            rpo_offered_ms: None,
            slot: None,
        }
    }

    fn op(name: &str, kind: &str, after: &[&str]) -> ForecastOp {
        ForecastOp {
            name: name.into(),
            kind: kind.into(),
            after: after.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn kinds(entries: &[(&str, usize, u64, u64)]) -> BTreeMap<String, KindForecast> {
        entries
            .iter()
            .map(|(k, samples, p50_ms, p95_ms)| {
                (
                    (*k).to_owned(),
                    KindForecast {
                        kind: (*k).to_owned(),
                        samples: *samples,
                        p50_ms: *p50_ms,
                        p95_ms: *p95_ms,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), 0);
        assert_eq!(nearest_rank(&[7], 50), 7);
        assert_eq!(nearest_rank(&[7], 95), 7);
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), 2);
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 95), 4);
        let hundred: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 50), 50);
        assert_eq!(nearest_rank(&hundred, 95), 95);
        let twenty: Vec<u64> = (1..=20).map(|v| v * 10).collect();
        assert_eq!(nearest_rank(&twenty, 95), 190);
    }

    #[test]
    fn per_kind_uses_own_then_restore_times_of_finished_drills() {
        let records = vec![
            record(
                DrillOutcome::Passed,
                &[
                    ("rds.restore_new", Some(400), Some(500)),
                    ("dcs.restore", Some(60), None),
                ],
            ),
            record(
                DrillOutcome::Failed,
                &[
                    ("rds.restore_new", Some(100), Some(300)),
                    ("dcs.restore", None, None),
                ],
            ),
            record(
                DrillOutcome::Passed,
                &[("rds.restore_new", None, Some(900))],
            ),
            // Partial figures of a drill still running are left out.
            record(DrillOutcome::Running, &[("rds.restore_new", None, Some(1))]),
        ];
        let got = per_kind(&records);
        assert_eq!(
            got,
            kinds(&[("dcs.restore", 1, 60, 60), ("rds.restore_new", 3, 500, 900)])
        );
    }

    #[test]
    fn missing_kinds_are_those_below_min_samples() {
        let per = kinds(&[("a", MIN_SAMPLES, 10, 20), ("b", MIN_SAMPLES - 1, 10, 20)]);
        let ops = [
            op("x", "a", &[]),
            op("y", "b", &[]),
            op("z", "c", &[]),
            op("w", "b", &[]),
        ];
        assert_eq!(
            missing_kinds(&ops, &per),
            vec!["b".to_owned(), "c".to_owned()]
        );
        assert_eq!(forecast(&ops, &per), None);
        assert!(missing_kinds(&ops[..1], &per).is_empty());
    }

    #[test]
    fn forecast_is_the_longest_chain_by_p50_and_by_p95() {
        // dn-1 and dn-2 run in parallel, metadata after both, cache alone.
        let per = kinds(&[
            ("rds.restore_new", 5, 600, 900),
            ("ddm.metadata_restore", 5, 100, 150),
            ("dcs.restore", 5, 650, 1000),
        ]);
        let ops = [
            op("dn-1", "rds.restore_new", &[]),
            op("dn-2", "rds.restore_new", &["elsewhere"]),
            op("metadata", "ddm.metadata_restore", &["dn-1", "dn-2"]),
            op("cache", "dcs.restore", &[]),
        ];
        let f = forecast(&ops, &per).expect("every kind has samples");
        // p50: dn + metadata = 700 beats cache = 650; p95: 900 + 150 = 1050 beats cache = 1000.
        assert_eq!(f.p50_ms, 700);
        assert_eq!(f.p95_ms, 1050);
        assert_eq!(f.critical_path, vec!["dn-1", "metadata"]);
        assert!(f.missing.is_empty());

        let slow_cache = kinds(&[
            ("rds.restore_new", 5, 600, 900),
            ("ddm.metadata_restore", 5, 100, 150),
            ("dcs.restore", 5, 650, 2000),
        ]);
        let f = forecast(&ops, &slow_cache).expect("forecast");
        assert_eq!((f.p50_ms, f.p95_ms), (700, 2000));
        assert_eq!(f.critical_path, vec!["cache"]);
    }

    #[test]
    fn forecast_of_a_long_chain_and_of_a_cycle_ends() {
        let per = kinds(&[("k", 3, 10, 20)]);
        let n = 2000;
        let chain: Vec<ForecastOp> = (0..n)
            .map(|i| {
                let after = if i == 0 {
                    Vec::new()
                } else {
                    vec![format!("op{}", i - 1)]
                };
                ForecastOp {
                    name: format!("op{i}"),
                    kind: "k".into(),
                    after,
                }
            })
            .collect();
        let f = forecast(&chain, &per).expect("forecast");
        assert_eq!(f.p95_ms, 20 * n);
        assert_eq!(f.critical_path.len(), 2000);
        assert_eq!(f.critical_path.first().map(String::as_str), Some("op0"));

        let cycle = [
            op("a", "k", &["b"]),
            op("b", "k", &["a"]),
            op("c", "k", &["a"]),
        ];
        let f = forecast(&cycle, &per).expect("a cycle still forecasts");
        assert!(f.p95_ms >= 20 && f.p95_ms <= 60, "{f:?}");
        assert!(!f.critical_path.is_empty());
        assert!(forecast(&[], &per).is_some_and(|f| f.p95_ms == 0 && f.critical_path.is_empty()));
    }

    /// Issue 23: three drills of a chain `dn` → `metadata` measured RTO 3.5 / 3.7 / 3.5 s
    /// (`dn` ready after 3.0 / 3.1 / 3.0 s, `metadata` 0.5 / 0.6 / 0.5 s after that). Adding
    /// ready times counted from the drill's first submit gave p50 6.5 s, p95 6.8 s; adding
    /// each operation's own duration gives the drills' own figures.
    #[test]
    fn forecast_of_three_drills_of_three_and_a_half_seconds_is_three_and_a_half() {
        let drill = |dn_ms: u64, metadata_ms: u64| {
            let mut r = record(DrillOutcome::Passed, &[]);
            r.operations = vec![
                DrillOpRecord {
                    name: "dn".into(),
                    kind: "rds.restore_new".into(),
                    restore_ms: Some(dn_ms - 200),
                    ready_ms: Some(dn_ms),
                    own_ms: Some(dn_ms),
                },
                DrillOpRecord {
                    name: "metadata".into(),
                    kind: "ddm.metadata_restore".into(),
                    restore_ms: Some(metadata_ms - 100),
                    ready_ms: Some(dn_ms + metadata_ms),
                    own_ms: Some(metadata_ms),
                },
            ];
            r.rto_ms = Some(dn_ms + metadata_ms);
            r
        };
        let records = [drill(3_000, 500), drill(3_100, 600), drill(3_000, 500)];
        let ops = [
            op("dn", "rds.restore_new", &[]),
            op("metadata", "ddm.metadata_restore", &["dn"]),
        ];
        let f = forecast(&ops, &per_kind(&records)).expect("three drills of each kind");
        assert_eq!((f.p50_ms, f.p95_ms), (3_500, 3_700), "{f:?}");
        assert_eq!(f.critical_path, vec!["dn", "metadata"]);

        // The old sampling (ready time from the drill's first submit) is what counted the
        // chain twice: the same records summed by it give the 6.5 s and 6.8 s.
        let mut old = records.clone();
        for r in &mut old {
            for o in &mut r.operations {
                o.own_ms = None;
                o.restore_ms = o.ready_ms;
            }
        }
        let f = forecast(&ops, &per_kind(&old)).expect("forecast");
        assert_eq!((f.p50_ms, f.p95_ms), (6_500, 6_800));
    }
}
