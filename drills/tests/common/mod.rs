//! Test helpers: the crate's own `testing` module, shared with the end-to-end tests.
#![allow(dead_code, unused_imports)]

pub use rewind_drills::testing::*;
