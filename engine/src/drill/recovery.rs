//! Recovery points chosen at run time: `restore_time: latest` and `restore_time: random_within
//! 7d`, picked from the windows the cloud offers when the plan is made, and pinned there.

use crate::kinds::OpSpec;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a spec wrote instead of a fixed `restore_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryChoice {
    /// The newest restorable point.
    Latest,
    /// A random point of the last `within` that the cloud can restore (seeded, recorded).
    RandomWithin(#[serde(with = "super::duration_ms")] Duration),
    /// `backup_id: latest`: the newest finished backup.
    LatestBackup,
}

/// Reads `latest` or `random_within DURATION`; `None` when `text` is neither (a time, then).
pub fn parse(text: &str) -> Option<Result<RecoveryChoice, String>> {
    let text = text.trim();
    if text == "latest" {
        return Some(Ok(RecoveryChoice::Latest));
    }
    let rest = text.strip_prefix("random_within")?;
    Some(match duration(rest.trim()) {
        Ok(d) => Ok(RecoveryChoice::RandomWithin(d)),
        Err(why) => Err(format!(
            "`random_within` takes a duration such as 7d: {why}"
        )),
    })
}

/// A duration as `timeout:` takes one, or whole days (`7d`), which a window is usually given in.
fn duration(text: &str) -> Result<Duration, String> {
    match text.strip_suffix('d').map(|n| n.trim().parse::<u64>()) {
        Some(Ok(days)) => {
            crate::syntax::value::parse_timeout(&format!("{}h", days.saturating_mul(24)))
        }
        _ => crate::syntax::value::parse_timeout(text),
    }
}

/// One recovery point chosen for an operation when its plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPick {
    pub operation: String,
    pub choice: RecoveryChoice,
    /// The instance whose windows were read.
    pub source: String,
    /// The newest point the cloud offered then (epoch ms).
    pub newest_offered: i64,
    /// The point chosen and pinned in the plan (epoch ms).
    pub chosen: i64,
    /// With `random_within`: the seed that chose it, so the choice can be repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// With `backup_id: latest`: the backup chosen (its completion time is `chosen`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
}

/// The point `choice` picks from `windows` (epoch ms, inclusive), or why there is none.
///
/// `random_within D` picks uniformly among the restorable milliseconds of the last `D` before
/// the newest point offered, from `seed`.
pub fn choose(choice: RecoveryChoice, windows: &[(i64, i64)], seed: u64) -> Result<i64, String> {
    let newest = windows
        .iter()
        .filter(|(s, e)| s <= e)
        .map(|(_, e)| *e)
        .max()
        .ok_or_else(|| "the cloud offers no restorable window".to_owned())?;
    let within = match choice {
        RecoveryChoice::Latest | RecoveryChoice::LatestBackup => return Ok(newest),
        RecoveryChoice::RandomWithin(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
    };
    let from = newest.saturating_sub(within);
    let mut parts: Vec<(i64, i64)> = windows
        .iter()
        .filter(|(s, e)| s <= e && *e >= from)
        .map(|(s, e)| ((*s).max(from), *e))
        .collect();
    parts.sort_unstable();
    let total: u64 = parts
        .iter()
        .map(|(s, e)| u64::try_from(e - s).unwrap_or(0) + 1)
        .sum();
    if total == 0 {
        return Ok(newest);
    }
    let mut pick = splitmix64(seed) % total;
    for (s, e) in parts {
        let len = u64::try_from(e - s).unwrap_or(0) + 1;
        if pick < len {
            return Ok(s + i64::try_from(pick).unwrap_or(0));
        }
        pick -= len;
    }
    Ok(newest)
}

/// The points inside both `a` and `b` (inclusive windows): where every source of a
/// consistency group can be restored to.
pub fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for (s1, e1) in a {
        for (s2, e2) in b {
            let (s, e) = ((*s1).max(*s2), (*e1).min(*e2));
            if s <= e {
                out.push((s, e));
            }
        }
    }
    out.sort_unstable();
    out
}

/// SplitMix64: a fixed, published mixing function, so that a recorded seed picks the same
/// point with every version of rewind (a general-purpose RNG crate does not promise that).
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The instance whose restorable windows a choice is read from, for the kinds that support
/// one: RDS, into an existing or a new instance (RDS lists an instance's windows in one call).
pub fn source(spec: &OpSpec) -> Option<&str> {
    match spec {
        OpSpec::Rds(r) => Some(r.source.instance_id.as_str()),
        OpSpec::RdsNew(r) => r.restore_point.instance_id.as_deref(),
        _ => None,
    }
}

/// The instance (CBR: the disk; DDM metadata: the path's source instance) whose newest backup
/// `backup_id: latest` restores, for the kinds that restore a backup of a source the spec
/// names. `None` for the others, and where
/// the source is not named: a DDS `restore_point` without `instance_id`, or a CBR server
/// restore, whose `mappings` name the disk backups of one server backup.
pub fn backup_source(spec: &OpSpec) -> Option<&str> {
    match spec {
        OpSpec::Dcs(r) => Some(r.instance_id.as_str()),
        OpSpec::Rds(r) | OpSpec::DdsRecovery(r) => Some(r.source.instance_id.as_str()),
        OpSpec::RdsNew(r) | OpSpec::DdsNew(r) => r.restore_point.instance_id.as_deref(),
        OpSpec::Taurusdb(r) => Some(r.source_instance_id.as_str()),
        OpSpec::DdmMetadata(r) => Some(r.instance_id.as_str()),
        OpSpec::Cbr(r) if r.server_id.is_none() => {
            r.resource_id.as_deref().or(r.volume_id.as_deref())
        }
        _ => None,
    }
}

/// The backup ID `spec` restores, where it names one.
fn backup_of(spec: &OpSpec) -> Option<&str> {
    match spec {
        OpSpec::Dcs(r) => Some(r.backup_id.as_str()),
        OpSpec::Cbr(r) => Some(r.backup_id.as_str()),
        OpSpec::Rds(r) | OpSpec::DdsRecovery(r) => r.source.backup_id.as_deref(),
        OpSpec::RdsNew(r) | OpSpec::DdsNew(r) => r.restore_point.backup_id.as_deref(),
        OpSpec::Taurusdb(r) => r.backup_id.as_deref(),
        OpSpec::DdmMetadata(r) => r.source.backup_id.as_deref(),
        _ => None,
    }
}

/// Pins `backup` as the operation's `backup_id`; false when the kind takes no latest backup.
pub fn pin_backup(spec: &mut OpSpec, backup: &str) -> bool {
    match spec {
        OpSpec::Dcs(r) => backup.clone_into(&mut r.backup_id),
        OpSpec::Cbr(r) => backup.clone_into(&mut r.backup_id),
        OpSpec::Rds(r) | OpSpec::DdsRecovery(r) => r.source.backup_id = Some(backup.to_owned()),
        OpSpec::RdsNew(r) | OpSpec::DdsNew(r) => {
            r.restore_point.backup_id = Some(backup.to_owned());
        }
        OpSpec::Taurusdb(r) => r.backup_id = Some(backup.to_owned()),
        OpSpec::DdmMetadata(r) => r.source.backup_id = Some(backup.to_owned()),
        _ => return false,
    }
    true
}

/// Whether `spec` holds the point `choice` asked for: a time for `latest`/`random_within`, a
/// backup ID for `backup_id: latest`. A plan whose submitting steps are not all pinned is not
/// applied.
pub fn is_pinned(spec: &OpSpec, choice: RecoveryChoice) -> bool {
    match (choice, spec) {
        (RecoveryChoice::LatestBackup, _) => backup_of(spec).is_none_or(|b| b != LATEST),
        (_, OpSpec::Rds(r)) => r.source.restore_time.is_some(),
        (_, OpSpec::RdsNew(r)) => r.restore_point.restore_time.is_some(),
        _ => true,
    }
}

pub use crate::syntax::cx::LATEST;

/// Pins `at` as the operation's `restore_time`; false when the kind has no such field.
pub fn pin(spec: &mut OpSpec, at: i64) -> bool {
    match spec {
        OpSpec::Rds(r) => r.source.restore_time = Some(at),
        OpSpec::RdsNew(r) => r.restore_point.restore_time = Some(at),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_parse_and_times_are_left_alone() {
        assert_eq!(parse("latest"), Some(Ok(RecoveryChoice::Latest)));
        assert_eq!(
            parse("random_within 7d"),
            Some(Ok(RecoveryChoice::RandomWithin(Duration::from_secs(
                7 * 86_400
            ))))
        );
        assert!(matches!(parse("random_within soon"), Some(Err(_))));
        assert_eq!(parse("2026-11-20T03:00:00Z"), None);
    }

    #[test]
    fn latest_is_the_newest_end_and_random_stays_inside_the_windows() {
        let windows = [(1_000, 2_000), (5_000, 9_000)];
        assert_eq!(choose(RecoveryChoice::Latest, &windows, 0), Ok(9_000));
        let d = RecoveryChoice::RandomWithin(Duration::from_millis(7_500));
        for seed in 0..500 {
            let t = choose(d, &windows, seed).expect("a point");
            assert!(
                (1_500..=2_000).contains(&t) || (5_000..=9_000).contains(&t),
                "{t}"
            );
            assert_eq!(
                choose(d, &windows, seed),
                Ok(t),
                "the same seed, the same point"
            );
        }
        let picks: std::collections::BTreeSet<i64> = (0..50)
            .map(|s| choose(d, &windows, s).expect("a point"))
            .collect();
        assert!(picks.len() > 40, "seeds spread the picks: {picks:?}");
        assert!(choose(RecoveryChoice::Latest, &[], 0).is_err());
    }

    #[test]
    fn a_group_restores_inside_every_sources_window() {
        let a = [(0, 100), (200, 300)];
        let b = [(50, 250)];
        assert_eq!(intersect(&a, &b), vec![(50, 100), (200, 250)]);
        assert_eq!(
            choose(RecoveryChoice::Latest, &intersect(&a, &b), 0),
            Ok(250)
        );
        assert!(intersect(&a, &[(101, 199)]).is_empty());
    }
}
