//! Timestamps as the services write them, to and from epoch milliseconds.

use jiff::Timestamp;
use jiff::fmt::strtime;

/// How far a service's clock may lag the client's when matching records "created at or
/// after submit": without it, a restore submitted a second after the server's clock would be
/// missed by reconcile and by CBR's log search.
pub const CLOCK_SKEW_MS: i64 = 60_000;

/// Parses the many documented forms: `2018-08-06T10:41:14+0000` (DBS jobs, DDM windows),
/// `2019-05-23T14:31:36.007+00:00` (CBR), `2017-07-18T21:41:20.721Z` (DCS), and a bare
/// local time, read as UTC. `None` when nothing fits.
pub fn parse_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts.as_millisecond());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(ts) = strtime::parse(format, text).and_then(|tm| tm.to_timestamp()) {
            return Some(ts.as_millisecond());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = strtime::parse(format, text).and_then(|tm| tm.to_datetime()) {
            return dt
                .to_zoned(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp().as_millisecond());
        }
    }
    None
}

/// A JSON value that is either epoch ms or one of the string forms of [`parse_ms`].
pub fn value_ms(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok().or_else(|| parse_ms(s)),
        _ => None,
    }
}

/// How the plan shows a moment: RFC 3339 in UTC.
pub fn show(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| format!("{ms} ms"), |ts| ts.to_string())
}

/// `strftime` of `ms` in UTC, for query parameters (`%Y%m%d%H%M%S` for DCS, ...).
pub fn format(ms: i64, pattern: &str) -> String {
    Timestamp::from_millisecond(ms)
        .map_or_else(|_| ms.to_string(), |ts| ts.strftime(pattern).to_string())
}

/// The client's clock, in epoch ms.
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_forms() {
        let base = parse_ms("2018-08-06T10:41:14Z").unwrap();
        assert_eq!(parse_ms("2018-08-06T10:41:14+0000"), Some(base));
        assert_eq!(parse_ms("2018-08-06T11:41:14+0100"), Some(base));
        assert_eq!(parse_ms("2018-08-06T10:41:14"), Some(base));
        assert_eq!(parse_ms("2018-08-06T10:41:14.007+00:00"), Some(base + 7));
        assert_eq!(parse_ms("2018-08-06T10:41:14.721Z"), Some(base + 721));
        assert_eq!(parse_ms("2018-08-06T10:41:14.5+0000"), Some(base + 500));
        assert_eq!(parse_ms("yesterday"), None);
        assert_eq!(
            value_ms(&serde_json::json!(1_532_001_446_987_i64)),
            Some(1_532_001_446_987)
        );
        assert_eq!(
            value_ms(&serde_json::json!("1532001446987")),
            Some(1_532_001_446_987)
        );
        assert_eq!(
            value_ms(&serde_json::json!("2018-08-06T10:41:14+0000")),
            Some(base)
        );
    }

    #[test]
    fn formatting() {
        let ms = parse_ms("2017-07-18T21:41:20Z").unwrap();
        assert_eq!(format(ms, "%Y%m%d%H%M%S"), "20170718214120");
        assert_eq!(show(ms), "2017-07-18T21:41:20Z");
    }
}
