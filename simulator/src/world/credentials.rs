//! Who may call the simulated cloud: the domain, the one project, users and AK/SK pairs.

use serde::{Deserialize, Serialize};

/// Who may call the cloud, and the one project it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Credentials {
    pub domain: Domain,
    pub project: Project,
    pub users: Vec<User>,
    pub access_keys: Vec<AccessKey>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            domain: Domain::default(),
            project: Project::default(),
            users: vec![User::default()],
            access_keys: vec![AccessKey::default()],
        }
    }
}

impl Credentials {
    /// `OS_*` variables for the first user.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let user = self.users.first().cloned().unwrap_or_default();
        vec![
            ("OS_PROJECT_ID".to_owned(), self.project.id.clone()),
            ("OS_PROJECT_NAME".to_owned(), self.project.name.clone()),
            ("OS_USERNAME".to_owned(), user.name),
            ("OS_PASSWORD".to_owned(), user.password),
            ("OS_USER_DOMAIN_NAME".to_owned(), self.domain.name.clone()),
        ]
    }

    /// The region is the project name up to the first `_`, as the OTC SDKs derive it.
    pub(crate) fn region(&self) -> String {
        self.project
            .name
            .split('_')
            .next()
            .unwrap_or("eu-de")
            .to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Domain {
    pub id: String,
    pub name: String,
}

impl Default for Domain {
    fn default() -> Self {
        Domain {
            id: "b7f2d5f1c8e04a6f9d3e2a1b0c9d8e7f".to_owned(),
            name: "OTC00000000001000000001".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Project {
    pub id: String,
    pub name: String,
}

impl Default for Project {
    fn default() -> Self {
        // The project ID used by the DDM documentation examples, so they run verbatim.
        Project {
            id: "619d3e78f61b4be68bc5aa0b59edcf7b".to_owned(),
            name: "eu-de".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub name: String,
    pub password: String,
}

impl Default for User {
    fn default() -> Self {
        User {
            id: "4c5b2a1f0e9d48c7b6a5f4e3d2c1b0a9".to_owned(),
            name: "rewind".to_owned(),
            password: "rewind-sim-password".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessKey {
    pub access: String,
    pub secret: String,
    /// The user the key belongs to; empty means the first user.
    pub user: String,
}

impl Default for AccessKey {
    fn default() -> Self {
        // The pair from the documented signing test vector (otc-api.md §6.2).
        AccessKey {
            access: "QTWAOYTTINDUT2QVKYUC".to_owned(),
            secret: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc".to_owned(),
            user: String::new(),
        }
    }
}
