//! Expectations (`= N`, `>= N`, `non-empty`, `checksum = V`…) and how a result is held to them.

use std::fmt;

use serde_json::Value;

/// What a probe's result must show. Written as a string in the spec:
/// `= N`, `>= N`, `> N`, `<= N`, `< N`, `non-empty`, `checksum = VALUE`; a bare number means `= N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Eq(i64),
    Ge(i64),
    Gt(i64),
    Le(i64),
    Lt(i64),
    /// At least one row (mysql), or a reply that is not nil, empty or zero-length (redis).
    NonEmpty,
    /// The scalar equals this text exactly (after trimming), e.g. a `CHECKSUM TABLE` value.
    Checksum(String),
}

/// Builds a comparison from its bound.
type MakeBound = fn(i64) -> Expect;

/// What a probe observed, reduced to what expectations look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Rows (mysql) or reply elements (redis: 1 for a scalar, 0 for nil).
    pub count: u64,
    /// The first row's last column (mysql: so `SELECT COUNT(*)` and `CHECKSUM TABLE` both work),
    /// or the reply itself (redis), as text; `None` for SQL NULL, a nil reply, or no rows.
    pub scalar: Option<String>,
}

impl Expect {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("non-empty") || t.eq_ignore_ascii_case("nonempty") {
            return Ok(Self::NonEmpty);
        }
        if let Some(rest) = strip_prefix_ci(t, "checksum") {
            let rest = rest.trim_start();
            let value = rest
                .strip_prefix("==")
                .or_else(|| rest.strip_prefix('='))
                .ok_or_else(|| format!("`{text}`: write `checksum = VALUE`"))?;
            let value = unquote(value.trim());
            if value.is_empty() {
                return Err(format!("`{text}`: the checksum value is empty"));
            }
            return Ok(Self::Checksum(value.to_owned()));
        }
        let ops: [(&str, MakeBound); 6] = [
            (">=", Self::Ge),
            ("<=", Self::Le),
            ("==", Self::Eq),
            ("=", Self::Eq),
            (">", Self::Gt),
            ("<", Self::Lt),
        ];
        for (op, make) in ops {
            if let Some(n) = t.strip_prefix(op) {
                let n = n
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("`{text}`: `{}` is not a whole number", n.trim()))?;
                return Ok(make(n));
            }
        }
        if let Ok(n) = t.parse::<i64>() {
            return Ok(Self::Eq(n));
        }
        Err(format!(
            "`{text}` is not an expectation (= N, >= N, > N, <= N, < N, non-empty, checksum = VALUE)"
        ))
    }

    pub fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) => Self::parse(s),
            Value::Number(n) => n
                .as_i64()
                .map(Self::Eq)
                .ok_or_else(|| format!("`{n}` is not a whole number")),
            _ => Err(
                "must be a string such as `= 42`, `>= 1`, `non-empty` or `checksum = VALUE`".into(),
            ),
        }
    }

    /// Holds `seen` to the expectation: `Ok(what was found)` or `Err(why it does not hold)`.
    pub fn check(&self, seen: &Observed) -> Result<String, String> {
        let bound = match self {
            Self::NonEmpty => {
                return if seen.count > 0 {
                    Ok(format!("{} found", plural(seen.count)))
                } else {
                    Err("empty result".into())
                };
            }
            Self::Checksum(want) => {
                return match seen.scalar.as_deref().map(str::trim) {
                    Some(got) if got == want => Ok(format!("checksum {got}")),
                    Some(got) => Err(format!("checksum {got}, expected {want}")),
                    None => Err(format!("no value, expected checksum {want}")),
                };
            }
            Self::Eq(n) | Self::Ge(n) | Self::Gt(n) | Self::Le(n) | Self::Lt(n) => *n,
        };
        let Some(text) = seen.scalar.as_deref() else {
            return Err(format!("no value, expected {self}"));
        };
        let got = text
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("`{}` is not a whole number, expected {self}", shorten(text)))?;
        let holds = match self {
            Self::Eq(_) => got == bound,
            Self::Ge(_) => got >= bound,
            Self::Gt(_) => got > bound,
            Self::Le(_) => got <= bound,
            Self::Lt(_) => got < bound,
            Self::NonEmpty | Self::Checksum(_) => false,
        };
        if holds {
            Ok(format!("got {got} ({self})"))
        } else {
            Err(format!("got {got}, expected {self}"))
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eq(n) => write!(f, "= {n}"),
            Self::Ge(n) => write!(f, ">= {n}"),
            Self::Gt(n) => write!(f, "> {n}"),
            Self::Le(n) => write!(f, "<= {n}"),
            Self::Lt(n) => write!(f, "< {n}"),
            Self::NonEmpty => f.write_str("non-empty"),
            Self::Checksum(v) => write!(f, "checksum = {v}"),
        }
    }
}

fn strip_prefix_ci<'a>(t: &'a str, prefix: &str) -> Option<&'a str> {
    let head = t.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &t[prefix.len()..])
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn plural(n: u64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(count: u64, scalar: Option<&str>) -> Observed {
        Observed {
            count,
            scalar: scalar.map(str::to_owned),
        }
    }

    #[test]
    fn parses_the_grammar() {
        assert_eq!(Expect::parse("= 42"), Ok(Expect::Eq(42)));
        assert_eq!(Expect::parse(">=10"), Ok(Expect::Ge(10)));
        assert_eq!(Expect::parse("< 3"), Ok(Expect::Lt(3)));
        assert_eq!(Expect::parse("7"), Ok(Expect::Eq(7)));
        assert_eq!(Expect::parse("non-empty"), Ok(Expect::NonEmpty));
        assert_eq!(
            Expect::parse("checksum = '12345'"),
            Ok(Expect::Checksum("12345".into()))
        );
        assert!(Expect::parse("about 3").is_err());
        assert!(Expect::parse(">= many").is_err());
        assert!(Expect::parse("checksum 5").is_err());
        for e in [
            "= 1",
            ">= 2",
            "> 3",
            "<= 4",
            "< 5",
            "non-empty",
            "checksum = ab",
        ] {
            assert_eq!(Expect::parse(e).map(|x| x.to_string()).as_deref(), Ok(e));
        }
    }

    #[test]
    fn checks_results() {
        assert!(Expect::Eq(3).check(&seen(1, Some("3"))).is_ok());
        assert_eq!(
            Expect::Eq(4).check(&seen(1, Some("3"))),
            Err("got 3, expected = 4".into())
        );
        assert!(Expect::Ge(3).check(&seen(1, Some("10"))).is_ok());
        assert!(Expect::Ge(3).check(&seen(0, None)).is_err());
        assert!(Expect::Eq(3).check(&seen(1, Some("abc"))).is_err());
        assert!(Expect::NonEmpty.check(&seen(2, None)).is_ok());
        assert!(Expect::NonEmpty.check(&seen(0, None)).is_err());
        assert!(
            Expect::Checksum("99".into())
                .check(&seen(1, Some("99")))
                .is_ok()
        );
        assert!(
            Expect::Checksum("99".into())
                .check(&seen(1, Some("98")))
                .is_err()
        );
    }
}
