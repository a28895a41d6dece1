//! Integration tests of the state crate: one binary, so child processes re-invoke it.

mod backup;
mod conformance;
mod corrupt;
mod crash;
mod lock;
mod roundtrip;
mod snapshot;
mod util;
mod went_back;
