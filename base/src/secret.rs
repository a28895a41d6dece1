//! `Secret`: the one type that holds a password, token or secret key, and never shows it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What every rendering of a secret prints in place of its value.
pub const SENSITIVE: &str = "(sensitive)";

/// A credential, held in memory only. `Debug`, `Display` and `Serialize` print [`SENSITIVE`];
/// [`Secret::expose`] is the one way to the value, at the one place it is sent (a request's
/// signature or header, a driver's handshake, a child's environment). It deserializes from a
/// string, so that a credentials file (clouds.yaml) can hold one; it never serializes its value,
/// so it cannot reach state, plans or reports.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the value replaced by [`SENSITIVE`]: for captured output
    /// and driver errors, which may echo what they were given.
    pub fn scrub(&self, text: &str) -> String {
        // An empty or one-character value would redact noise, not a secret.
        if self.0.len() < 2 {
            return text.to_owned();
        }
        text.replace(&self.0, SENSITIVE)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SENSITIVE)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SENSITIVE)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(SENSITIVE)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_or_serializes_its_value() {
        let s = Secret::new("hunter2-Hunter2");
        assert_eq!(format!("{s:?} {s}"), "(sensitive) (sensitive)");
        assert_eq!(format!("{:?}", Some(&s)), "Some((sensitive))");
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"(sensitive)\"")
        );
        assert_eq!(s.expose(), "hunter2-Hunter2");
    }

    #[test]
    fn scrubs_its_value_from_text_and_reads_from_a_file() {
        let s: Secret = serde_json::from_str("\"hunter22\"").expect("a string");
        assert_eq!(s.expose(), "hunter22");
        assert_eq!(s.scrub("pw=hunter22;"), "pw=(sensitive);");
        assert_eq!(Secret::new("x").scrub("x y"), "x y");
    }
}
