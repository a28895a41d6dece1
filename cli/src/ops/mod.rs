//! Operations the commands wrap, as cargo's `ops` are: each takes the command's session and
//! options, does the work through the engine, and reports through the printer.
//!
//! A command module (`commands::*`) turns flags into a call here.

pub mod apply;
pub mod drill;
