//! Operations the commands wrap, as cargo's `ops` are: each takes the command's session and
//! options, does the work through the engine, and reports through the printer.
//!
//! A command module (`commands::*`) turns flags into a call here; nothing here imports a
//! command.

pub mod apply;
pub mod audit;
pub mod drill;
pub mod plan;
pub mod shared_budget;
pub mod validate;
