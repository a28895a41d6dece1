//! Scalar rules of the spec: restore times and the ID shape of each service.

use super::diagnostic::{Code, Diagnostic, Span};
use super::yaml::{Node, Value};

/// 2000-01-01T00:00:00Z: no cloud backup predates it, and smaller values are mistakes.
const MIN_TIME_MS: i64 = 946_684_800_000;
/// 2100-01-01T00:00:00Z.
const MAX_TIME_MS: i64 = 4_102_444_800_000;

/// A restore time: RFC 3339 with an offset, or integer epoch milliseconds.
/// The text of a time in `node` that means `ms` and carries an offset other than UTC (`Z`,
/// `+00:00`): how the spec wrote the point in time, for plans to show beside UTC.
pub fn written_offset(node: &Node, ms: i64) -> Option<String> {
    match &node.value {
        Value::Str(s) => {
            let t = s.parse::<jiff::Timestamp>().ok()?;
            let utc = s.ends_with(['Z', 'z']) || s.ends_with("+00:00") || s.ends_with("-00:00");
            (t.as_millisecond() == ms && !utc).then(|| s.clone())
        }
        Value::Seq(items) => items.iter().find_map(|n| written_offset(n, ms)),
        Value::Map(entries) => entries.iter().find_map(|(_, n)| written_offset(n, ms)),
        _ => None,
    }
}

pub fn time_ms(node: &Node, path: &str) -> Result<i64, Diagnostic> {
    let bad = |msg: String, hint: &str| {
        Diagnostic::new(Code::BadTime, msg)
            .at(node.span)
            .with_hint(hint.to_owned())
    };
    let ms = match &node.value {
        Value::Int(i) => *i,
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<i64>().map_err(|_| {
                bad(
                    format!("`{path}` is too large to be a time"),
                    "use epoch milliseconds",
                )
            })?
        }
        Value::Str(s) => match s.parse::<jiff::Timestamp>() {
            Ok(ts) => ts.as_millisecond(),
            Err(_) if s.parse::<jiff::civil::DateTime>().is_ok() => {
                return Err(bad(
                    format!("`{path}` has no UTC offset: {s:?}"),
                    "add `Z` or an offset such as `+01:00`; a restore time must be unambiguous",
                ));
            }
            Err(_) => {
                return Err(bad(
                    format!("`{path}` is not a valid time: {s:?}"),
                    "use RFC 3339 with an offset (2026-11-20T03:00:00Z) or epoch milliseconds",
                ));
            }
        },
        other => {
            return Err(Diagnostic::new(
                Code::WrongType,
                format!("`{path}` must be a time, found {}", other.type_name()),
            )
            .at(node.span)
            .with_hint(
                "use RFC 3339 with an offset (2026-11-20T03:00:00Z) or epoch milliseconds",
            ));
        }
    };
    let written_as_number = match &node.value {
        Value::Int(_) => true,
        Value::Str(s) => s.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    if written_as_number && (0..100_000_000_000).contains(&ms) {
        return Err(bad(
            format!("`{path}` = {ms} looks like epoch seconds, not milliseconds"),
            "multiply by 1000, or write the time in RFC 3339",
        ));
    }
    if !(MIN_TIME_MS..MAX_TIME_MS).contains(&ms) {
        return Err(bad(
            format!("`{path}` = {ms} is out of range (years 2000 to 2099)"),
            "check the value; epoch milliseconds have 13 digits",
        ));
    }
    Ok(ms)
}

/// What an ID field must look like.
#[derive(Debug, Clone, Copy)]
pub enum IdShape {
    /// 32 hex characters plus `inNN`, where NN names the service.
    Instance(InstanceService),
    /// 32 hex characters plus `brNN`.
    Backup,
    /// A UUID (CBR and DCS).
    Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceService {
    Rds,
    Ddm,
    Taurusdb,
    Dds,
}

/// The people's name and instance-ID suffixes of each service with suffixed IDs.
//
// This repeats the service table's suffixes (`kinds::services::SERVICES`) on purpose: the table
// names `kinds::Service`, and the kind files import this module, so reading the table from here
// would pull `syntax` into the kinds' import circle. `engine/tests/id_suffixes.rs` holds the two
// equal until the table sits below `syntax`.
const SUFFIXES: [(&str, &[&str]); 5] = [
    ("RDS", &["in01", "in03", "in04"]),
    ("DDM", &["in09"]),
    ("TaurusDB", &["in07"]),
    ("DDS", &["in02"]),
    ("GaussDB", &["in14"]),
];

/// "a DDM", "an RDS": the article as the name is spoken.
fn with_article(owner: &str) -> String {
    let article = if owner.starts_with(['A', 'E', 'I', 'O', 'U', 'R']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {owner}")
}

impl InstanceService {
    fn row(self) -> (&'static str, &'static [&'static str]) {
        SUFFIXES[match self {
            InstanceService::Rds => 0,
            InstanceService::Ddm => 1,
            InstanceService::Taurusdb => 2,
            InstanceService::Dds => 3,
        }]
    }

    fn suffixes(self) -> &'static [&'static str] {
        self.row().1
    }

    /// "an RDS instance (suffix in01, in03 or in04)".
    fn name(self) -> String {
        let (owner, suffixes) = self.row();
        let list = match suffixes.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => suffixes.join(""),
        };
        format!("{} instance (suffix {list})", with_article(owner))
    }

    fn owner_of(suffix: &str) -> Option<&'static str> {
        SUFFIXES
            .iter()
            .find(|(_, suffixes)| suffixes.contains(&suffix))
            .map(|(owner, _)| *owner)
    }
}

fn hex32(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Checks an ID's shape; references are resolved before this runs.
pub fn check_id(id: &str, span: Span, path: &str, shape: IdShape) -> Result<(), Diagnostic> {
    let bad = |what: &str, hint: String| {
        Diagnostic::new(Code::BadId, format!("`{path}` = {id:?} is not {what}"))
            .at(span)
            .with_hint(hint)
    };
    match shape {
        IdShape::Uuid if uuid(id) => Ok(()),
        IdShape::Uuid => Err(bad(
            "a UUID",
            "CBR and DCS IDs look like 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029".to_owned(),
        )),
        IdShape::Backup => {
            let ok = id.is_ascii()
                && id.len() == 36
                && hex32(&id[..32])
                && id[32..].starts_with("br")
                && id[34..].bytes().all(|b| b.is_ascii_digit());
            if ok {
                Ok(())
            } else {
                Err(bad(
                    "a backup ID",
                    "backup IDs are 32 lowercase hex characters plus `brNN`, e.g. defa45b24d314e878fde930a61732e9dbr09".to_owned(),
                ))
            }
        }
        IdShape::Instance(service) => {
            let well_formed = id.is_ascii()
                && id.len() == 36
                && hex32(&id[..32])
                && id[32..].starts_with("in")
                && id[34..].bytes().all(|b| b.is_ascii_digit());
            if !well_formed {
                return Err(bad(
                    &service.name(),
                    "instance IDs are 32 lowercase hex characters plus `inNN`, e.g. 7edae0250ebc464897bd92b8d3e8b769in01".to_owned(),
                ));
            }
            let suffix = &id[32..];
            if service.suffixes().contains(&suffix) {
                return Ok(());
            }
            let hint = match InstanceService::owner_of(suffix) {
                Some(owner) => format!(
                    "the suffix `{suffix}` belongs to {} instance",
                    with_article(owner)
                ),
                None => format!("the suffix `{suffix}` is not a known service suffix"),
            };
            Err(bad(&service.name(), hint))
        }
    }
}

/// Longest `timeout:` accepted: beyond this, waiting is not what the user wants.
pub const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// A `timeout:` (or `[timeouts]`) value: a friendly duration (`90s`, `45m`, `6h`), 1 s to
/// 30 days.
pub fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration"))?;
    let d = std::time::Duration::try_from(d).map_err(|_| format!("`{text}` is negative"))?;
    if d < std::time::Duration::from_secs(1) || d > MAX_TIMEOUT {
        return Err(format!("`{text}` is out of range (1s to 30 days)"));
    }
    Ok(d)
}

/// Whether a value still holds an output placeholder (it is "known after apply").
pub fn is_unknown(value: &str) -> bool {
    value.contains("${restores.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(value: Value) -> Node {
        Node {
            value,
            span: Span::new(0, 1, 1, 1),
        }
    }

    #[test]
    fn times_accept_rfc3339_with_offset_and_millis() {
        let t = time_ms(&node(Value::Str("2026-11-20T03:00:00Z".into())), "t").unwrap();
        assert_eq!(t, 1_795_143_600_000);
        let t = time_ms(&node(Value::Str("2026-11-20T04:00:00+01:00".into())), "t").unwrap();
        assert_eq!(t, 1_795_143_600_000);
        assert_eq!(
            time_ms(&node(Value::Int(1_747_732_352_076)), "t").unwrap(),
            1_747_732_352_076
        );
        assert_eq!(
            time_ms(&node(Value::Str("1747732352076".into())), "t").unwrap(),
            1_747_732_352_076
        );
    }

    #[test]
    fn times_reject_ambiguous_or_implausible_values() {
        let e = time_ms(&node(Value::Str("2026-11-20T03:00:00".into())), "t").unwrap_err();
        assert!(e.message.contains("no UTC offset"), "{e:?}");
        let e = time_ms(&node(Value::Int(1_747_732_352)), "t").unwrap_err();
        assert!(e.message.contains("epoch seconds"), "{e:?}");
        let e = time_ms(&node(Value::Int(9_999_999_999_999)), "t").unwrap_err();
        assert!(e.message.contains("out of range"), "{e:?}");
        let e = time_ms(&node(Value::Bool(true)), "t").unwrap_err();
        assert_eq!(e.code, Code::WrongType);
    }

    #[test]
    fn ids_are_checked_per_service() {
        let s = Span::new(0, 1, 1, 1);
        let rds = IdShape::Instance(InstanceService::Rds);
        assert!(check_id("7edae0250ebc464897bd92b8d3e8b769in01", s, "x", rds).is_ok());
        let e = check_id("1f5c9fd6cd984056ba89c8c87cc03278in09", s, "x", rds).unwrap_err();
        assert!(e.hint.unwrap().contains("DDM"));
        assert!(check_id("not-an-id", s, "x", rds).is_err());
        assert!(
            check_id(
                "defa45b24d314e878fde930a61732e9dbr09",
                s,
                "x",
                IdShape::Backup
            )
            .is_ok()
        );
        assert!(
            check_id(
                "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029",
                s,
                "x",
                IdShape::Uuid
            )
            .is_ok()
        );
        assert!(check_id("8ba256cb-e5ac-44f6-a3da", s, "x", IdShape::Uuid).is_err());
        let e = check_id("1f5c9fd6cd984056ba89c8c87cc0327", s, "x", rds).unwrap_err();
        assert_eq!(
            e.message,
            r#"`x` = "1f5c9fd6cd984056ba89c8c87cc0327" is not an RDS instance (suffix in01, in03 or in04)"#
        );
        let ddm = IdShape::Instance(InstanceService::Ddm);
        let e = check_id("7edae0250ebc464897bd92b8d3e8b769in01", s, "x", ddm).unwrap_err();
        assert_eq!(
            e.message,
            r#"`x` = "7edae0250ebc464897bd92b8d3e8b769in01" is not a DDM instance (suffix in09)"#
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("the suffix `in01` belongs to an RDS instance")
        );
        // Multi-byte input must not panic on slicing.
        assert!(check_id("ééééééééééééééééééééééééééééééééin01", s, "x", rds).is_err());
    }
}
