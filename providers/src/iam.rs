//! IAM answers: the password-token request body, and the project and catalog read from a token.

use crate::endpoint::{Endpoint, catalog_type};
use rewind_base::Secret;
use rewind_engine::kinds::Service;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Which project a password token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    ProjectId(String),
    ProjectName(String),
}

/// The body of `POST /v3/auth/tokens` (otc-api.md §6.1). It holds the password, so it is
/// built right before sending and never logged.
pub fn password_body(username: &str, password: &Secret, domain: &str, scope: &Scope) -> Value {
    let project = match scope {
        Scope::ProjectId(id) => json!({ "id": id }),
        Scope::ProjectName(name) => json!({ "name": name }),
    };
    json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": { "name": username, "password": password.expose(), "domain": { "name": domain } }
                }
            },
            "scope": { "project": project }
        }
    })
}

/// What a token body (`{"token": {...}}`) tells the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenInfo {
    pub project_id: Option<String>,
    pub expires_at: Option<jiff::Timestamp>,
    pub issued_at: Option<jiff::Timestamp>,
    /// Service origins from the catalog, for the services rewind drives.
    pub catalog: BTreeMap<Service, Endpoint>,
}

impl TokenInfo {
    pub fn from_body(body: &Value, region: Option<&str>) -> TokenInfo {
        let token = &body["token"];
        TokenInfo {
            project_id: token["project"]["id"].as_str().map(str::to_owned),
            expires_at: token["expires_at"].as_str().and_then(|t| t.parse().ok()),
            issued_at: token["issued_at"].as_str().and_then(|t| t.parse().ok()),
            catalog: catalog(&token["catalog"], region),
        }
    }
}

/// The public endpoint of each service, preferring the configured region. Entries whose URL
/// fails the endpoint rules (plain http to a remote host) are skipped, not trusted.
fn catalog(catalog: &Value, region: Option<&str>) -> BTreeMap<Service, Endpoint> {
    let mut found = BTreeMap::new();
    let entries = catalog.as_array().map(Vec::as_slice).unwrap_or_default();
    for service in Service::ALL {
        let Some(entry) = entries
            .iter()
            .find(|e| e["type"].as_str() == Some(catalog_type(service)))
        else {
            continue;
        };
        let endpoints = entry["endpoints"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let public = |e: &&Value| e["interface"].as_str().is_none_or(|i| i == "public");
        let in_region = |e: &&Value| {
            region.is_none_or(|r| {
                e["region"].as_str() == Some(r) || e["region_id"].as_str() == Some(r)
            })
        };
        let chosen = endpoints
            .iter()
            .filter(public)
            .find(in_region)
            .or_else(|| endpoints.iter().find(public));
        let Some(url) = chosen.and_then(|e| e["url"].as_str()) else {
            continue;
        };
        match Endpoint::origin_of(url) {
            Ok(ep) => {
                found.insert(service, ep);
            }
            Err(e) => tracing::warn!(%service, error = %e, "ignoring catalog endpoint"),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_body_matches_the_doc() {
        let body = password_body(
            "user A",
            &Secret::new("********"),
            "OTC00000000001000000xxx",
            &Scope::ProjectName("eu-de".into()),
        );
        let expected = json!({"auth": {"identity": {"methods": ["password"],
            "password": {"user": {"name": "user A", "password": "********",
                                  "domain": {"name": "OTC00000000001000000xxx"}}}},
            "scope": {"project": {"name": "eu-de"}}}});
        assert_eq!(body, expected);
    }

    #[test]
    fn token_body_gives_project_expiry_and_catalog() {
        let body = json!({"token": {
        "expires_at": "2015-11-09T01:42:57.527363Z",
        "project": {"id": "pid", "name": "eu-de"},
        "catalog": [
            {"type": "rdsv3", "endpoints": [
                {"interface": "internal", "region": "eu-de", "url": "https://internal.example/v3/x"},
                {"interface": "public", "region": "eu-nl", "url": "https://rds.eu-nl.otc.t-systems.com/v3/x"},
                {"interface": "public", "region": "eu-de", "url": "https://rds.eu-de.otc.t-systems.com/v3/$(tenant_id)s"}]},
            {"type": "dcsv2", "endpoints": [{"interface": "public", "region": "eu-de", "url": "http://evil.example/v2"}]},
            {"type": "cbr", "endpoints": [{"interface": "public", "region": "eu-de", "url": "http://127.0.0.1:4005/v3/x"}]}
        ]}});
        let info = TokenInfo::from_body(&body, Some("eu-de"));
        assert_eq!(info.project_id.as_deref(), Some("pid"));
        assert!(info.expires_at.is_some());
        assert_eq!(
            info.catalog[&Service::Rds].as_str(),
            "https://rds.eu-de.otc.t-systems.com"
        );
        assert_eq!(
            info.catalog[&Service::Cbr].as_str(),
            "http://127.0.0.1:4005"
        );
        assert!(!info.catalog.contains_key(&Service::Dcs));
        assert!(!info.catalog.contains_key(&Service::Ddm));
    }
}
