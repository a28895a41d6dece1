//! The environment variable names the drills crate reads or sets (all named in `rewind_base::env`).

pub use rewind_base::env::{
    PROBE_NAME, TARGET_HOST, TARGET_ID, TARGET_PASSWORD, TARGET_PORT, TARGET_USER,
};
