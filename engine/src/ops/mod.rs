//! Operations over a compiled spec that a command runs whole, as cargo's `ops` are: no I/O.
//!
//! A CLI command gathers its inputs (files, state, flags), calls an operation here, and
//! renders what comes back. An operation uses the pipeline modules; none of them uses it.

pub mod drill;
