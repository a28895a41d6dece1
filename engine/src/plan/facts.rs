//! What a reviewer must confirm of each step: kind, source, point in time or backup, target.

use crate::kinds::{OpSpec, Resource};
use serde::{Deserialize, Serialize};

/// The facts of one operation, taken from its body; renderers print them as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// What it restores from: instances (or, with none, the backup it reads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<Resource>,
    /// The point in time it restores to, epoch ms UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_in_time: Option<i64>,
    /// The point in time as the spec wrote it, when it had an offset other than UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_written: Option<String>,
    /// The backup it restores, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    /// When that backup ended (epoch ms), if the preflight learned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_end: Option<i64>,
    /// What it overwrites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<Resource>,
    /// Names of the instances it creates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creates: Vec<String>,
}

/// The name of the preflight check a provider may add to say when the backup ended; its
/// `observed` is RFC 3339. Preflight copies it into [`Facts::backup_end`].
pub const BACKUP_END_CHECK: &str = "backup end time";

/// The facts of `spec`; `as_written` is the spec's own text of its point in time.
pub fn facts(spec: &OpSpec, as_written: Option<&str>) -> Facts {
    let fp = spec.footprint();
    let named = spec.source_and_target().map(|(s, _)| s);
    let mut source: Vec<Resource> = fp
        .reads
        .iter()
        .filter(|r| !r.class.is_backup() && named.as_ref().is_none_or(|s| *s == r.id))
        .cloned()
        .collect();
    if let Some((own, _)) = spec.own_source() {
        // Collections, tables and caches come back from the instance's own backups and logs.
        source = vec![own];
    } else if source.is_empty() {
        source.clone_from(&fp.reads);
    }
    let point_in_time = spec.restore_time();
    Facts {
        source,
        point_in_time,
        as_written: as_written
            .filter(|_| point_in_time.is_some())
            .map(str::to_owned),
        backup: spec.backup_id(),
        backup_end: None,
        target: fp.writes,
        creates: spec.created_name().into_iter().collect(),
    }
}

/// An epoch-ms time as RFC 3339 in UTC, to the second (or the millisecond when it has them).
pub fn rfc3339(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) if ms % 1000 == 0 => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => format!("{ms} (epoch ms, out of range)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_in_utc_to_the_second_or_millisecond() {
        assert_eq!(rfc3339(1_795_143_600_000), "2026-11-20T03:00:00Z");
        assert_eq!(rfc3339(1_795_143_600_123), "2026-11-20T03:00:00.123Z");
        assert!(rfc3339(i64::MAX).contains("out of range"));
    }
}
