//! Time formats: each service's wire timestamp spelling, query parsing, and world-file times.

use jiff::Timestamp;

/// Real wall-clock time in epoch milliseconds; only used when the world sets no `now`.
pub(crate) fn system_now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

fn ts(ms: i64) -> Timestamp {
    // Out-of-range values only come from absurd world files; clamp rather than fail a reply.
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

fn seconds_part(ms: i64) -> String {
    ts(ms).strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// RDS, TaurusDB and DDM: `2018-08-06T10:41:14+0000`.
pub(crate) fn dbs(ms: i64) -> String {
    format!("{}+0000", seconds_part(ms))
}

/// DDS instance times: `2019-01-17T07:05:52` (no zone; UTC).
pub(crate) fn dds_local(ms: i64) -> String {
    seconds_part(ms)
}

/// DDS backup and create times: `2018-08-06 12:41:14` (UTC).
pub(crate) fn dds_spaced(ms: i64) -> String {
    ts(ms).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// CBR: `2019-05-23T14:31:36.007+00:00`.
pub(crate) fn cbr(ms: i64) -> String {
    format!("{}.{:03}+00:00", seconds_part(ms), ms.rem_euclid(1000))
}

/// DCS: `2017-07-18T21:41:20.721Z`.
pub(crate) fn dcs(ms: i64) -> String {
    format!("{}.{:03}Z", seconds_part(ms), ms.rem_euclid(1000))
}

/// DCS restore names: `restore_20170718214120`.
pub(crate) fn compact(ms: i64) -> String {
    ts(ms).strftime("%Y%m%d%H%M%S").to_string()
}

/// IAM: `2015-11-09T01:42:57.527000Z` (microseconds).
pub(crate) fn iam(ms: i64) -> String {
    format!("{}.{:06}Z", seconds_part(ms), ms.rem_euclid(1000) * 1000)
}

/// The HTTP `Date` header: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(ms: i64) -> String {
    ts(ms).strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// RFC 3339 in UTC, for the admin API.
pub(crate) fn rfc3339(ms: i64) -> String {
    ts(ms).to_string()
}

/// Parses a query-string instant: epoch milliseconds, RFC 3339, `yyyy-mm-ddThh:mm:ssZ`
/// (CBR filters), `yyyyMMddHHmmss` (DCS filters) or `yyyy-mm-dd hh:mm:ss` (DDS filters), the
/// last three read as UTC.
pub(crate) fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() != 14
        && let Ok(ms) = text.parse::<i64>()
    {
        return Some(ms);
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t.as_millisecond());
    }
    for format in [
        "%Y%m%d%H%M%S",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = jiff::civil::DateTime::strptime(format, text)
            && let Ok(zoned) = dt.to_zoned(jiff::tz::TimeZone::UTC)
        {
            return Some(zoned.timestamp().as_millisecond());
        }
    }
    None
}

/// Serde for world-file instants: integer epoch milliseconds or an RFC 3339 string in,
/// integer milliseconds out.
pub(crate) mod ms {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` hands us a reference
    pub(crate) fn serialize<S: Serializer>(value: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(MsVisitor)
    }

    pub(crate) struct MsVisitor;

    impl Visitor<'_> for MsVisitor {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("epoch milliseconds or an RFC 3339 time such as 2026-11-20T03:00:00Z")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("time out of range"))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            if let Ok(ms) = v.trim().parse::<i64>() {
                return Ok(ms);
            }
            v.trim()
                .parse::<jiff::Timestamp>()
                .map(jiff::Timestamp::as_millisecond)
                .map_err(|e| E::custom(format!("bad time {v:?}: {e}")))
        }
    }
}

/// Like [`ms`], for optional instants.
pub(crate) mod opt_ms {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    #[allow(clippy::ref_option)] // serde's `with` hands us a reference to the field
    pub(crate) fn serialize<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(v),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        d.deserialize_option(OptVisitor)
    }

    struct OptVisitor;

    impl<'de> Visitor<'de> for OptVisitor {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("null, epoch milliseconds or an RFC 3339 time")
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<i64>, D::Error> {
            super::ms::deserialize(d).map(Some)
        }
    }
}

/// Simulated seconds (from a world file) as milliseconds; negative counts as zero.
pub(crate) fn secs_to_ms(secs: f64) -> i64 {
    (secs.max(0.0) * 1000.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_docs() {
        let ms = 1_532_001_446_987;
        assert_eq!(dbs(ms), "2018-07-19T11:57:26+0000");
        assert_eq!(cbr(ms), "2018-07-19T11:57:26.987+00:00");
        assert_eq!(dcs(ms), "2018-07-19T11:57:26.987Z");
        assert_eq!(iam(ms), "2018-07-19T11:57:26.987000Z");
        assert_eq!(compact(ms), "20180719115726");
    }

    #[test]
    fn parses_every_query_spelling() {
        assert_eq!(parse_instant("1532001446987"), Some(1_532_001_446_987));
        assert_eq!(parse_instant("20180719115726"), Some(1_532_001_446_000));
        assert_eq!(
            parse_instant("2018-07-19T11:57:26Z"),
            Some(1_532_001_446_000)
        );
        assert_eq!(
            parse_instant("2018-07-19T11:57:26+00:00"),
            Some(1_532_001_446_000)
        );
        assert_eq!(parse_instant("yesterday"), None);
    }
}
