//! Every environment variable name rewind reads, and the lookup closure type that reads them.

/// A way to read the environment; tests pass a closure over a map instead of mutating the process.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as a lookup. Empty values count as unset, as in the OpenStack tools.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Reads the first of `names` that is set to a non-empty value.
pub(crate) fn first(env: Env<'_>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| env(name).filter(|v| !v.trim().is_empty()))
}

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

pub const ENDPOINT_RDS: &str = "REWIND_ENDPOINT_RDS";
pub const ENDPOINT_DDM: &str = "REWIND_ENDPOINT_DDM";
pub const ENDPOINT_TAURUSDB: &str = "REWIND_ENDPOINT_TAURUSDB";
pub const ENDPOINT_CBR: &str = "REWIND_ENDPOINT_CBR";
pub const ENDPOINT_DCS: &str = "REWIND_ENDPOINT_DCS";

// Read by the CLI, kept here so that every name lives in one module.
pub const ENDPOINT_DDS: &str = "REWIND_ENDPOINT_DDS";
pub const STATE: &str = "REWIND_STATE";
pub const PARALLELISM: &str = "REWIND_PARALLELISM";
pub const LOG: &str = "REWIND_LOG";

/// The endpoint override variable of a service.
pub fn endpoint_var(service: rewind_engine::kinds::Service) -> &'static str {
    use rewind_engine::kinds::Service;
    match service {
        Service::Rds => ENDPOINT_RDS,
        Service::Ddm => ENDPOINT_DDM,
        Service::Taurusdb => ENDPOINT_TAURUSDB,
        Service::Cbr => ENDPOINT_CBR,
        Service::Dcs => ENDPOINT_DCS,
        Service::Dds => ENDPOINT_DDS,
        Service::Gaussdb => "REWIND_ENDPOINT_GAUSSDB",
        Service::External(name) => {
            rewind_engine::kinds::intern(&format!("REWIND_ENDPOINT_{}", name.to_uppercase()))
        }
    }
}

/// Set by the scripts of `rewind completions` when the shell asks rewind for candidates.
pub const COMPLETE: &str = "REWIND_COMPLETE";
