//! Every environment variable name rewind reads or sets, in one place.

// Credentials, in Terraform's precedence: token, AK/SK, password, clouds.yaml.
pub const AUTH_TOKEN: &str = "OS_AUTH_TOKEN";
pub const TOKEN: &str = "OS_TOKEN";
pub const ACCESS_KEY: &str = "OS_ACCESS_KEY";
pub const SECRET_KEY: &str = "OS_SECRET_KEY";
pub const SECURITY_TOKEN: &str = "OS_SECURITY_TOKEN";
pub const AUTH_URL: &str = "OS_AUTH_URL";
pub const USERNAME: &str = "OS_USERNAME";
pub const PASSWORD: &str = "OS_PASSWORD";
pub const USER_DOMAIN_NAME: &str = "OS_USER_DOMAIN_NAME";
pub const DOMAIN_NAME: &str = "OS_DOMAIN_NAME";
pub const PROJECT_ID: &str = "OS_PROJECT_ID";
pub const PROJECT_NAME: &str = "OS_PROJECT_NAME";
pub const REGION_NAME: &str = "OS_REGION_NAME";
pub const CLOUD: &str = "OS_CLOUD";
/// A clouds.yaml to read before the standard places (openstacksdk's override).
pub const CLIENT_CONFIG_FILE: &str = "OS_CLIENT_CONFIG_FILE";
/// A secure.yaml to merge before the standard places (openstacksdk's override).
pub const CLIENT_SECURE_FILE: &str = "OS_CLIENT_SECURE_FILE";
/// Used only to find `~/.config/openstack/clouds.yaml`.
pub const HOME: &str = "HOME";
/// Used only to find `$XDG_CONFIG_HOME/openstack/clouds.yaml`.
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";

// Endpoint overrides, one per service (the service table names each service's).
pub const ENDPOINT_RDS: &str = "REWIND_ENDPOINT_RDS";
pub const ENDPOINT_DDM: &str = "REWIND_ENDPOINT_DDM";
pub const ENDPOINT_TAURUSDB: &str = "REWIND_ENDPOINT_TAURUSDB";
pub const ENDPOINT_CBR: &str = "REWIND_ENDPOINT_CBR";
pub const ENDPOINT_DCS: &str = "REWIND_ENDPOINT_DCS";
pub const ENDPOINT_DDS: &str = "REWIND_ENDPOINT_DDS";
pub const ENDPOINT_GAUSSDB: &str = "REWIND_ENDPOINT_GAUSSDB";

// Read by the CLI.
pub const STATE: &str = "REWIND_STATE";
pub const PARALLELISM: &str = "REWIND_PARALLELISM";
pub const LOG: &str = "REWIND_LOG";
/// Set by the scripts of `rewind completions` when the shell asks rewind for candidates.
pub const COMPLETE: &str = "REWIND_COMPLETE";
/// Lock lease of PostgreSQL states, in seconds.
pub const LOCK_LEASE: &str = "REWIND_LOCK_LEASE";
/// Seconds each plugin call may take.
pub const PLUGIN_TIMEOUT: &str = "REWIND_PLUGIN_TIMEOUT";
/// A URL `rewind drill` pings with the outcome (`--ping-url`).
pub const PING_URL: &str = "REWIND_PING_URL";
/// Set for a plugin: it runs in a rehearsal (`REWIND_SIMULATE=1`).
pub const SIMULATE: &str = "REWIND_SIMULATE";
/// The prefix of a service's endpoint override (`REWIND_ENDPOINT_<SERVICE>`).
pub const ENDPOINT_PREFIX: &str = "REWIND_ENDPOINT_";

// Set for an `exec` probe's command (drills).
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

// Read by the tests' helpers (`testing` features).
/// `1`: a test that needs PostgreSQL, MariaDB or Redis fails instead of skipping.
pub const REQUIRE_SERVICES: &str = "REWIND_REQUIRE_SERVICES";
/// The PostgreSQL URL tests use.
pub const TEST_PG: &str = "REWIND_TEST_PG";
/// The MariaDB address tests use.
pub const TEST_MYSQL: &str = "REWIND_TEST_MYSQL";
/// The Redis address tests use.
pub const TEST_REDIS: &str = "REWIND_TEST_REDIS";
/// The Chromium binary the HTML report tests use.
pub const CHROMIUM: &str = "REWIND_CHROMIUM";
