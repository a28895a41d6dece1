//! Text and JSON views of engine values; they build strings, the printer writes them.

pub mod apply;
pub mod drill;
pub mod errors;
pub mod facts;
pub mod markdown;
pub mod plan;
pub mod progress;
