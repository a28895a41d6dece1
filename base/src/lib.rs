//! What every rewind crate shares: the secret type and the environment variable names.
//
// A leaf crate, so that the engine, the providers, the drills and the CLI can all depend on it.

pub mod env;
pub mod secret;

pub use secret::{SENSITIVE, Secret};
