//! `clouds.yaml` entries (OpenStack's file, as OTC tools write it), found by `OS_CLOUD`.

use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    clouds: BTreeMap<String, CloudEntry>,
}

/// One `clouds.<name>` entry. Keys rewind does not use are ignored, as other tools share the file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CloudEntry {
    #[serde(default)]
    pub auth: AuthSection,
    pub region_name: Option<String>,
    /// OTC tools keep AK/SK beside `auth` (python-otcextensions).
    pub ak: Option<String>,
    pub sk: Option<Secret>,
    pub security_token: Option<Secret>,
}

#[derive(Clone, Default, Deserialize)]
pub struct AuthSection {
    pub auth_url: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub token: Option<Secret>,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub user_domain_name: Option<String>,
    pub domain_name: Option<String>,
    pub project_domain_name: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<Secret>,
}

/// By hand so that an `auth_url` with a password in it prints without one.
impl std::fmt::Debug for AuthSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSection")
            .field(
                "auth_url",
                &self.auth_url.as_deref().map(crate::endpoint::redact_url),
            )
            .field("username", &self.username)
            .field("password", &self.password)
            .field("token", &self.token)
            .field("project_id", &self.project_id)
            .field("project_name", &self.project_name)
            .field("user_domain_name", &self.user_domain_name)
            .field("domain_name", &self.domain_name)
            .field("project_domain_name", &self.project_domain_name)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudsYamlError {
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cloud `{cloud}` (OS_CLOUD) is in none of: {}", searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotFound {
        cloud: String,
        searched: Vec<PathBuf>,
    },
}

/// The search order of the OpenStack tools: the working directory, the user's config, `/etc`.
pub fn search_paths(home: Option<&str>) -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("clouds.yaml")];
    if let Some(home) = home {
        paths.push(Path::new(home).join(".config/openstack/clouds.yaml"));
    }
    paths.push(PathBuf::from("/etc/openstack/clouds.yaml"));
    paths
}

/// The entry named `cloud` from the first file in `paths` that has it.
pub fn find(cloud: &str, paths: &[PathBuf]) -> Result<CloudEntry, CloudsYamlError> {
    for path in paths {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        // Only the position is reported: the parser's message can quote a value, and a
        // value in this file may be a password.
        let file: File = serde_saphyr::from_str(&text).map_err(|e| CloudsYamlError::Parse {
            path: path.clone(),
            message: match e.location() {
                Some(at) => format!(
                    "not a valid clouds.yaml (line {}, column {})",
                    at.line(),
                    at.column()
                ),
                None => "not a valid clouds.yaml".to_owned(),
            },
        })?;
        if let Some(entry) = file.clouds.get(cloud) {
            let mut entry = entry.clone();
            // `{region_name}` in auth_url is an OpenStack placeholder (GOPHER loader.go).
            if let (Some(url), Some(region)) = (&entry.auth.auth_url, &entry.region_name) {
                entry.auth.auth_url = Some(url.replace("{region_name}", region));
            }
            return Ok(entry);
        }
    }
    Err(CloudsYamlError::NotFound {
        cloud: cloud.to_owned(),
        searched: paths.to_vec(),
    })
}
