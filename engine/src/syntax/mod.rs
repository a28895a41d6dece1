//! The located YAML tree and the checks every body is lowered with; knows no kind.

pub mod cx;
pub mod diagnostic;
pub mod obj;
pub mod secret_ref;
pub mod suggest;
pub mod value;
pub mod yaml;
