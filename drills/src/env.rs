//! Every environment variable name the drills crate reads or sets.

/// Set for an `exec` probe's command: the target's host.
pub const TARGET_HOST: &str = "REWIND_TARGET_HOST";
/// Set for an `exec` probe's command: the target's port.
pub const TARGET_PORT: &str = "REWIND_TARGET_PORT";
/// Set for an `exec` probe's command: the restored instance's ID.
pub const TARGET_ID: &str = "REWIND_TARGET_ID";
/// Set for an `exec` probe's command: the login name (empty when the target has none).
pub const TARGET_USER: &str = "REWIND_TARGET_USER";
/// Set for an `exec` probe's command: the password (empty when the target has none).
pub const TARGET_PASSWORD: &str = "REWIND_TARGET_PASSWORD";
/// Set for an `exec` probe's command: the probe's name.
pub const PROBE_NAME: &str = "REWIND_PROBE_NAME";
