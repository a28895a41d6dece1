//! Reading the environment: the lookup closure type, and each service's endpoint variable.
//
// The names themselves live in `rewind_base::env`, re-exported here for the providers' readers.

pub use rewind_base::env::*;

/// A way to read the environment; tests pass a closure over a map instead of mutating the process.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as a lookup. Empty values count as unset, as in the OpenStack tools.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Reads the first of `names` that is set to a non-empty value.
pub(crate) fn first(env: Env<'_>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| env(name).filter(|v| !v.trim().is_empty()))
}

/// The endpoint override variable of a service.
pub fn endpoint_var(service: rewind_engine::kinds::Service) -> &'static str {
    match rewind_engine::kinds::services::spec(service) {
        Some(row) => row.endpoint_var,
        None => rewind_engine::kinds::intern(&format!(
            "{ENDPOINT_PREFIX}{}",
            service.as_str().to_uppercase()
        )),
    }
}
