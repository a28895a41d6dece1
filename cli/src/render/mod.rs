//! Text and JSON views of engine values; they build strings, the printer writes them.

pub mod apply;
pub mod drill;
pub mod errors;
pub mod facts;
pub mod markdown;
pub mod plan;
pub mod progress;

/// An instant in epoch milliseconds as RFC 3339, to the second (the number itself when out
/// of range).
pub fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| format!("{t:.0}"))
}
