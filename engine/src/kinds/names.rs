//! Interned names of plugin kinds and services, and their serde as plain strings.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Returns a `'static` copy of `name`, leaking each distinct name once. Plugin kinds and
/// services are few and live for the whole process, and a `'static` name keeps `Kind` and
/// `Service` `Copy`, so every existing use of them stays as it is.
pub fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(BTreeSet::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = names.get(name) {
        return found;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Serializes a type as its `as_str()` and reads it back through `$parse`.
macro_rules! string_serde {
    ($ty:ty, $parse:path) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                if text.is_empty() {
                    return Err(serde::de::Error::custom("an empty name"));
                }
                Ok($parse(&text))
            }
        }
    };
}

pub(crate) use string_serde;
