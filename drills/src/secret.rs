//! The redacting password type: its value leaves only through `expose`.

use std::fmt;

/// What every rendering of a secret prints in place of its value.
pub const SENSITIVE: &str = "(sensitive)";

/// A password (or token) for a probe's target. `Debug`, `Display` and `Serialize` print
/// [`SENSITIVE`]; there is deliberately no `Deserialize`, so a value never comes from a file.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it (a driver's handshake, a child's env).
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

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Password({SENSITIVE})")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SENSITIVE)
    }
}

impl serde::Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(SENSITIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_renders_the_value() {
        let p = Password::new("hunter22");
        assert_eq!(format!("{p}"), SENSITIVE);
        assert!(!format!("{p:?}").contains("hunter22"));
        assert_eq!(
            serde_json::to_string(&p).ok().as_deref(),
            Some("\"(sensitive)\"")
        );
        assert_eq!(p.scrub("pw=hunter22;"), "pw=(sensitive);");
        assert_eq!(p.expose(), "hunter22");
    }
}
