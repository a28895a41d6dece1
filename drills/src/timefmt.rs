//! Durations in reports: milliseconds on the wire, short human text on the page.

use std::time::Duration;

/// Serde for a `Duration` as whole milliseconds.
pub(crate) mod ms {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let n: u64 = serde::Deserialize::deserialize(d)?;
        Ok(Duration::from_millis(n))
    }
}

/// Serde for an `Option<Duration>` as whole milliseconds or null.
pub(crate) mod opt_ms {
    use std::time::Duration;

    #[allow(clippy::ref_option)]
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_millis() as u64),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let n: Option<u64> = serde::Deserialize::deserialize(d)?;
        Ok(n.map(Duration::from_millis))
    }
}

/// `850ms`, `12.3s`, `4m 05s`, `2h 03m`: short enough for a table cell.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    if s < 60 {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    if s < 3600 {
        return format!("{}m {:02}s", s / 60, s % 60);
    }
    if s < 86_400 {
        return format!("{}h {:02}m", s / 3600, (s % 3600) / 60);
    }
    format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600)
}

pub(crate) fn human(d: Duration) -> String {
    human_duration(d)
}

/// A budget margin: `4m 10s to spare` or `1m 02s over`.
pub fn human_margin(margin_ms: i64) -> String {
    let d = Duration::from_millis(margin_ms.unsigned_abs());
    if margin_ms >= 0 {
        format!("{} to spare", human_duration(d))
    } else {
        format!("{} over", human_duration(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_well() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_millis(12_345)), "12.3s");
        assert_eq!(human_duration(Duration::from_secs(245)), "4m 05s");
        assert_eq!(human_duration(Duration::from_secs(7380)), "2h 03m");
        assert_eq!(human_margin(-62_000), "1m 02s over");
    }
}
