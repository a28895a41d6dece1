//! Query strings and RFC 3986 percent-encoding, shared by URL building and AK/SK signing.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Ordered query parameters; values are encoded once, here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn new() -> Query {
        Query(Vec::new())
    }

    pub fn with(mut self, key: &str, value: impl std::fmt::Display) -> Query {
        self.0.push((key.to_owned(), value.to_string()));
        self
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// `?k=v&...` (empty when there are no parameters).
    pub fn to_suffix(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let joined: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!("?{}", joined.join("&"))
    }

    /// The signer's form: pairs sorted by encoded key, then encoded value.
    pub fn canonical(&self) -> String {
        let mut pairs: Vec<(String, String)> =
            self.0.iter().map(|(k, v)| (encode(k), encode(v))).collect();
        pairs.sort();
        let joined: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        joined.join("&")
    }
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(raw: &str) -> String {
    utf8_percent_encode(raw, RESERVED).to_string()
}

/// Decodes `%XX` escapes; a malformed escape is kept as written.
pub fn decode(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("a b/c:+~"), "a%20b%2Fc%3A%2B~");
        assert_eq!(decode("a%20b%2Fc%3A%2B~%zz"), "a b/c:+~%zz");
    }

    #[test]
    fn suffix_keeps_order_and_canonical_sorts() {
        let q = Query::new().with("z", 1).with("a", "x y");
        assert_eq!(q.to_suffix(), "?z=1&a=x%20y");
        assert_eq!(q.canonical(), "a=x%20y&z=1");
        assert_eq!(Query::new().to_suffix(), "");
    }
}
