//! `CloudConfig`: region, project, endpoints and credentials resolved from settings, env and clouds.yaml.

use crate::budget::RateLimits;
use crate::clouds_yaml::{self, CloudEntry, CloudsYamlError};
use crate::endpoint::{Endpoint, EndpointError};
use crate::env::{self, Env};
use crate::retry::RetryPolicy;
use rewind_base::Secret;
use rewind_engine::kinds::Service;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The non-secret cloud settings of the spec's `cloud:` block (or `rewind.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloudSettings {
    pub region: Option<String>,
    pub project_id: Option<String>,
    /// Endpoint overrides; `REWIND_ENDPOINT_*` wins over these.
    pub endpoints: BTreeMap<Service, String>,
}

/// How requests are authenticated, in Terraform's precedence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A ready IAM token (`OS_AUTH_TOKEN`), sent as `X-Auth-Token`.
    Token { token: Secret },
    /// Every request signed with `SDK-HMAC-SHA256`.
    AkSk {
        access_key: String,
        secret_key: Secret,
        security_token: Option<Secret>,
    },
    /// A project-scoped token from IAM (`POST {auth_url}/auth/tokens`), renewed on a 401.
    Password {
        username: String,
        password: Secret,
        domain_name: String,
    },
}

impl Credentials {
    pub fn method(&self) -> &'static str {
        match self {
            Credentials::Token { .. } => "token",
            Credentials::AkSk { .. } => "AK/SK",
            Credentials::Password { .. } => "password",
        }
    }
}

/// Everything [`crate::connect`] needs. Fields are public so that a caller (the simulator
/// mode, a test) can build one directly instead of going through [`CloudConfig::resolve`].
/// `Debug` shows URLs without user info (they are refused, but may be printed first).
#[derive(Clone)]
pub struct CloudConfig {
    pub region: Option<String>,
    /// The project every `{project_id}` path is filled with; when absent it comes from the
    /// token (`token.project.id`) or, for AK/SK, from IAM by project name.
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    /// Final endpoint overrides (spec merged with `REWIND_ENDPOINT_*`), checked by `connect`.
    pub endpoints: BTreeMap<Service, String>,
    /// Keystone v3 root, e.g. `https://iam.eu-de.otc.t-systems.com/v3`.
    pub auth_url: Option<String>,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    /// The run's request budget per (service, API): `[rate_limits]` in `rewind.toml`.
    pub rate_limits: RateLimits,
}

impl std::fmt::Debug for CloudConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let endpoints: BTreeMap<&Service, String> = self
            .endpoints
            .iter()
            .map(|(s, url)| (s, crate::endpoint::redact_url(url)))
            .collect();
        f.debug_struct("CloudConfig")
            .field("region", &self.region)
            .field("project_id", &self.project_id)
            .field("project_name", &self.project_name)
            .field("endpoints", &endpoints)
            .field(
                "auth_url",
                &self.auth_url.as_deref().map(crate::endpoint::redact_url),
            )
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("rate_limits", &self.rate_limits)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no OTC credentials: set {} (token), {} and {} (AK/SK), {}, {} and {} (password), or {} (clouds.yaml)",
        env::AUTH_TOKEN,
        env::ACCESS_KEY,
        env::SECRET_KEY,
        env::USERNAME,
        env::PASSWORD,
        env::USER_DOMAIN_NAME,
        env::CLOUD
    )]
    NoCredentials,
    #[error("{method} authentication needs {}", missing.join(", "))]
    Incomplete {
        method: &'static str,
        missing: Vec<&'static str>,
    },
    #[error("endpoint for {service}: {source}")]
    Endpoint {
        service: String,
        source: EndpointError,
    },
    #[error(transparent)]
    CloudsYaml(#[from] CloudsYamlError),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

impl CloudConfig {
    /// A configuration with only credentials; everything else at its default.
    pub fn new(credentials: Credentials) -> CloudConfig {
        CloudConfig {
            region: None,
            project_id: None,
            project_name: None,
            endpoints: BTreeMap::new(),
            auth_url: None,
            credentials,
            retry: RetryPolicy::default(),
            rate_limits: RateLimits::default(),
        }
    }

    /// Resolves settings against the environment: credentials in Terraform's order (token,
    /// AK/SK, password, then the `OS_CLOUD` entry of clouds.yaml); the spec's region and
    /// project win over `OS_*`; `REWIND_ENDPOINT_*` wins over the spec's endpoints.
    pub fn resolve(
        settings: &CloudSettings,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<CloudConfig, ConfigError> {
        let paths = clouds_yaml::search_paths(&env);
        CloudConfig::resolve_in(settings, &env, &paths)
    }

    /// [`CloudConfig::resolve`] with an explicit clouds.yaml search path.
    pub fn resolve_in(
        settings: &CloudSettings,
        env: Env<'_>,
        clouds_yaml_paths: &[PathBuf],
    ) -> Result<CloudConfig, ConfigError> {
        let var = |name: &str| env::first(env, &[name]);
        let from_env = credentials_from_env(env)?;
        let cloud = match (&from_env, var(env::CLOUD)) {
            (None, Some(name)) => Some(clouds_yaml::find(&name, clouds_yaml_paths, env)?),
            _ => None,
        };
        let credentials = match (from_env, &cloud) {
            (Some(credentials), _) => credentials,
            (None, Some(entry)) => credentials_from_cloud(entry)?,
            (None, None) => return Err(ConfigError::NoCredentials),
        };
        let entry = cloud.unwrap_or_default();
        let project_name = var(env::PROJECT_NAME).or(entry.auth.project_name);
        let region = settings
            .region
            .clone()
            .or_else(|| var(env::REGION_NAME))
            .or(entry.region_name)
            // OTC project names are `eu-de` or `eu-de_<sub>`: the region is the prefix.
            .or_else(|| {
                project_name
                    .as_deref()
                    .map(|p| p.split('_').next().unwrap_or(p).to_owned())
            });
        let project_id = settings
            .project_id
            .clone()
            .or_else(|| var(env::PROJECT_ID))
            .or(entry.auth.project_id);
        let auth_url = var(env::AUTH_URL).or(entry.auth.auth_url);
        let mut endpoints = settings.endpoints.clone();
        for service in Service::ALL {
            if let Some(url) = var(env::endpoint_var(service)) {
                endpoints.insert(service, url);
            }
        }
        Ok(CloudConfig {
            region,
            project_id,
            project_name,
            endpoints,
            auth_url,
            credentials,
            retry: RetryPolicy::default(),
            rate_limits: RateLimits::default(),
        })
    }

    /// The checked endpoint overrides.
    pub(crate) fn endpoint_overrides(&self) -> Result<BTreeMap<Service, Endpoint>, ConfigError> {
        self.endpoints
            .iter()
            .map(|(service, url)| {
                Endpoint::parse(url)
                    .map(|ep| (*service, ep))
                    .map_err(|source| ConfigError::Endpoint {
                        service: service.to_string(),
                        source,
                    })
            })
            .collect()
    }

    /// The IAM root: `auth_url`, else the region's default.
    pub(crate) fn iam_endpoint(&self) -> Result<Option<Endpoint>, ConfigError> {
        match (&self.auth_url, &self.region) {
            (Some(url), _) => {
                Endpoint::parse(url)
                    .map(Some)
                    .map_err(|source| ConfigError::Endpoint {
                        service: "iam".into(),
                        source,
                    })
            }
            (None, Some(region)) => Ok(Some(Endpoint::default_iam(region))),
            (None, None) => Ok(None),
        }
    }

    /// Fails early on a configuration that could never authenticate.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let method = self.credentials.method();
        let has_iam = self.iam_endpoint()?.is_some();
        let has_project = self.project_id.is_some();
        let has_scope = has_project || self.project_name.is_some() || self.region.is_some();
        match self.credentials {
            Credentials::Password { .. } if !has_iam => Err(ConfigError::Incomplete {
                method,
                missing: vec![env::AUTH_URL],
            }),
            Credentials::Password { .. } if !has_scope => Err(ConfigError::Incomplete {
                method,
                missing: vec![env::PROJECT_ID, env::PROJECT_NAME],
            }),
            // Without a project id, a token or AK/SK needs IAM to learn it.
            Credentials::Token { .. } if !has_project && !has_iam => Err(ConfigError::Incomplete {
                method,
                missing: vec![env::PROJECT_ID],
            }),
            Credentials::AkSk { .. } if !(has_project || has_iam && has_scope) => {
                Err(ConfigError::Incomplete {
                    method,
                    missing: vec![env::PROJECT_ID],
                })
            }
            _ => Ok(()),
        }
    }
}

fn credentials_from_env(env: Env<'_>) -> Result<Option<Credentials>, ConfigError> {
    if let Some(token) = env::first(env, &[env::AUTH_TOKEN, env::TOKEN]) {
        return Ok(Some(Credentials::Token {
            token: Secret::new(token),
        }));
    }
    let access_key = env::first(env, &[env::ACCESS_KEY]);
    let secret_key = env::first(env, &[env::SECRET_KEY]);
    match (access_key, secret_key) {
        (Some(access_key), Some(secret_key)) => {
            return Ok(Some(Credentials::AkSk {
                access_key,
                secret_key: Secret::new(secret_key),
                security_token: env::first(env, &[env::SECURITY_TOKEN]).map(Secret::new),
            }));
        }
        (Some(_), None) => {
            return Err(ConfigError::Incomplete {
                method: "AK/SK",
                missing: vec![env::SECRET_KEY],
            });
        }
        (None, Some(_)) => {
            return Err(ConfigError::Incomplete {
                method: "AK/SK",
                missing: vec![env::ACCESS_KEY],
            });
        }
        (None, None) => {}
    }
    let username = env::first(env, &[env::USERNAME]);
    let password = env::first(env, &[env::PASSWORD]);
    if username.is_none() && password.is_none() {
        return Ok(None);
    }
    let domain_name = env::first(env, &[env::USER_DOMAIN_NAME, env::DOMAIN_NAME]);
    match (username, password, domain_name) {
        (Some(username), Some(password), Some(domain_name)) => Ok(Some(Credentials::Password {
            username,
            password: Secret::new(password),
            domain_name,
        })),
        (username, password, domain) => {
            let mut missing = Vec::new();
            if username.is_none() {
                missing.push(env::USERNAME);
            }
            if password.is_none() {
                missing.push(env::PASSWORD);
            }
            if domain.is_none() {
                missing.push(env::USER_DOMAIN_NAME);
            }
            Err(ConfigError::Incomplete {
                method: "password",
                missing,
            })
        }
    }
}

fn credentials_from_cloud(entry: &CloudEntry) -> Result<Credentials, ConfigError> {
    let auth = &entry.auth;
    if let Some(token) = &auth.token {
        return Ok(Credentials::Token {
            token: token.clone(),
        });
    }
    let access_key = entry.ak.clone().or_else(|| auth.access_key.clone());
    let secret_key = entry.sk.clone().or_else(|| auth.secret_key.clone());
    if let (Some(access_key), Some(secret_key)) = (access_key, secret_key) {
        return Ok(Credentials::AkSk {
            access_key,
            secret_key,
            security_token: entry.security_token.clone(),
        });
    }
    let domain = auth
        .user_domain_name
        .clone()
        .or_else(|| auth.domain_name.clone());
    match (&auth.username, &auth.password, domain) {
        (Some(username), Some(password), Some(domain_name)) => Ok(Credentials::Password {
            username: username.clone(),
            password: password.clone(),
            domain_name,
        }),
        (username, password, domain) => {
            let mut missing = Vec::new();
            if username.is_none() {
                missing.push("clouds.yaml auth.username");
            }
            if password.is_none() {
                missing.push("clouds.yaml auth.password");
            }
            if domain.is_none() {
                missing.push("clouds.yaml auth.user_domain_name");
            }
            Err(ConfigError::Incomplete {
                method: "clouds.yaml",
                missing,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn resolve(
        settings: &CloudSettings,
        pairs: &[(&str, &str)],
    ) -> Result<CloudConfig, ConfigError> {
        CloudConfig::resolve_in(settings, &env_of(pairs), &[])
    }

    #[test]
    fn token_beats_aksk_beats_password() {
        let all = [
            ("OS_AUTH_TOKEN", "tok"),
            ("OS_ACCESS_KEY", "AK"),
            ("OS_SECRET_KEY", "SK"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_USER_DOMAIN_NAME", "d"),
            ("OS_PROJECT_ID", "pid"),
        ];
        let c = resolve(&CloudSettings::default(), &all).unwrap();
        assert!(matches!(c.credentials, Credentials::Token { .. }));
        let c = resolve(&CloudSettings::default(), &all[1..]).unwrap();
        assert!(matches!(c.credentials, Credentials::AkSk { .. }));
        let c = resolve(&CloudSettings::default(), &all[3..]).unwrap();
        assert!(matches!(c.credentials, Credentials::Password { .. }));
        assert_eq!(c.project_id.as_deref(), Some("pid"));
    }

    #[test]
    fn os_token_and_domain_name_are_fallbacks() {
        let c = resolve(&CloudSettings::default(), &[("OS_TOKEN", "tok")]).unwrap();
        assert_eq!(
            c.credentials,
            Credentials::Token {
                token: Secret::new("tok")
            }
        );
        let c = resolve(
            &CloudSettings::default(),
            &[
                ("OS_USERNAME", "u"),
                ("OS_PASSWORD", "p"),
                ("OS_DOMAIN_NAME", "OTC0001"),
            ],
        )
        .unwrap();
        assert!(
            matches!(c.credentials, Credentials::Password { ref domain_name, .. } if domain_name == "OTC0001")
        );
    }

    #[test]
    fn incomplete_credentials_name_what_is_missing() {
        let e = resolve(&CloudSettings::default(), &[("OS_ACCESS_KEY", "AK")]).unwrap_err();
        assert_eq!(
            e,
            ConfigError::Incomplete {
                method: "AK/SK",
                missing: vec!["OS_SECRET_KEY"]
            }
        );
        let e = resolve(&CloudSettings::default(), &[("OS_USERNAME", "u")]).unwrap_err();
        assert_eq!(
            e,
            ConfigError::Incomplete {
                method: "password",
                missing: vec!["OS_PASSWORD", "OS_USER_DOMAIN_NAME"]
            }
        );
        assert_eq!(
            resolve(&CloudSettings::default(), &[]).unwrap_err(),
            ConfigError::NoCredentials
        );
    }

    #[test]
    fn env_endpoints_beat_the_spec_and_spec_region_beats_env() {
        let settings = CloudSettings {
            region: Some("eu-nl".into()),
            project_id: None,
            endpoints: BTreeMap::from([
                (Service::Rds, "https://spec.example/rds".to_owned()),
                (Service::Dcs, "https://spec.example/dcs".to_owned()),
            ]),
        };
        let c = resolve(
            &settings,
            &[
                ("OS_AUTH_TOKEN", "t"),
                ("OS_REGION_NAME", "eu-de"),
                ("REWIND_ENDPOINT_RDS", "http://127.0.0.1:9"),
            ],
        )
        .unwrap();
        assert_eq!(c.region.as_deref(), Some("eu-nl"));
        assert_eq!(c.endpoints[&Service::Rds], "http://127.0.0.1:9");
        assert_eq!(c.endpoints[&Service::Dcs], "https://spec.example/dcs");
    }

    #[test]
    fn region_from_project_name_prefix() {
        let c = resolve(
            &CloudSettings::default(),
            &[("OS_AUTH_TOKEN", "t"), ("OS_PROJECT_NAME", "eu-de_sub")],
        )
        .unwrap();
        assert_eq!(c.region.as_deref(), Some("eu-de"));
    }

    #[test]
    fn bad_endpoints_are_refused() {
        let mut c = resolve(&CloudSettings::default(), &[("OS_AUTH_TOKEN", "t")]).unwrap();
        c.endpoints
            .insert(Service::Cbr, "http://cbr.example.com".into());
        assert!(matches!(
            c.endpoint_overrides(),
            Err(ConfigError::Endpoint { .. })
        ));
        c.endpoints
            .insert(Service::Cbr, "https://cbr.example.com/prefix".into());
        assert!(c.endpoint_overrides().is_ok());
    }

    #[test]
    fn debug_shows_no_secret() {
        let c = resolve(
            &CloudSettings::default(),
            &[
                ("OS_USERNAME", "u"),
                ("OS_PASSWORD", "pa55word-xyz"),
                ("OS_USER_DOMAIN_NAME", "d"),
            ],
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("pa55word-xyz"), "{shown}");
        assert!(shown.contains(rewind_base::SENSITIVE), "{shown}");
        let c = resolve(
            &CloudSettings::default(),
            &[
                ("OS_ACCESS_KEY", "AK"),
                ("OS_SECRET_KEY", "sk-secret-123"),
                ("OS_SECURITY_TOKEN", "st-456"),
            ],
        )
        .unwrap();
        let shown = format!("{c:?} {:?}", c.credentials);
        assert!(
            !shown.contains("sk-secret-123") && !shown.contains("st-456"),
            "{shown}"
        );
        let c = resolve(&CloudSettings::default(), &[("OS_AUTH_TOKEN", "tok-789")]).unwrap();
        assert!(!format!("{c:?}").contains("tok-789"));
    }

    #[test]
    fn clouds_yaml_is_used_when_env_has_no_credentials() {
        let dir = std::env::temp_dir().join(format!("rewind-clouds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("clouds.yaml");
        std::fs::write(
            &path,
            "clouds:\n  otc:\n    auth:\n      username: 'USER'\n      password: 'PASS-secret'\n      \
             project_name: 'eu-de'\n      auth_url: 'https://iam.{region_name}.otc.t-systems.com:443/v3'\n      \
             user_domain_name: 'OTC00000000001000000xxx'\n    region_name: eu-de\n    interface: public\n",
        )
        .unwrap();
        let env = env_of(&[("OS_CLOUD", "otc")]);
        let c = CloudConfig::resolve_in(
            &CloudSettings::default(),
            &env,
            &[dir.join("missing.yaml"), path.clone()],
        )
        .unwrap();
        assert!(
            matches!(c.credentials, Credentials::Password { ref username, .. } if username == "USER")
        );
        assert_eq!(
            c.auth_url.as_deref(),
            Some("https://iam.eu-de.otc.t-systems.com:443/v3")
        );
        assert_eq!(c.project_name.as_deref(), Some("eu-de"));
        assert!(!format!("{c:?}").contains("PASS-secret"));
        let env = env_of(&[("OS_CLOUD", "other")]);
        let e = CloudConfig::resolve_in(&CloudSettings::default(), &env, &[path]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::CloudsYaml(CloudsYamlError::NotFound { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
