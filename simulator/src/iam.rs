//! IAM (Keystone v3): password tokens whose catalog points here; catalog, project, versions.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::http::header::HeaderName;
use serde_json::{Value, json};

use crate::aksk::sha256_hex;
use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::route::{Ctx, Routed, segs};
use crate::service::Service;
use crate::state::Token;
use crate::timefmt;

const DEFAULT_TOKEN_TTL_SECONDS: u64 = 24 * 60 * 60;

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3", "auth", "tokens"]) => Routed::global(false, issue_token),
        ("GET", ["v3", "auth", "catalog"]) => Routed::global(true, |cx| Ok(show_catalog(cx))),
        ("GET", ["v3", "projects"]) => Routed::global(true, |cx| Ok(list_projects(cx))),
        ("GET", ["v3"]) => {
            Routed::global(false, |cx| Ok(Reply::ok(json!({ "version": version(cx) }))))
        }
        ("GET", []) => Routed::global(false, |cx| {
            Ok(Reply::json(
                StatusCode::MULTIPLE_CHOICES,
                json!({ "versions": { "values": [version(cx)] } }),
            ))
        }),
        _ => return None,
    })
}

fn unauthorized() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "", "Unauthorized.")
}

fn issue_token(cx: &mut Ctx<'_>) -> ApiResult {
    let body = cx.req.json().map_err(|m| ApiError::bad_request("", m))?;
    let identity = &body["auth"]["identity"];
    let methods: Vec<&str> = identity["methods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !methods.contains(&"password") {
        return Err(ApiError::bad_request(
            "",
            "Expecting to find identity.methods containing \"password\"; only password \
             authentication is simulated.",
        ));
    }
    let user = &identity["password"]["user"];
    let creds = &cx.st.world.credentials;
    let domain = &user["domain"];
    let domain_ok = match (domain["id"].as_str(), domain["name"].as_str()) {
        (Some(id), _) => id == creds.domain.id,
        (None, Some(name)) => name == creds.domain.name,
        // A user ID is unique without a domain; a user name is not.
        (None, None) => user["id"].is_string(),
    };
    let found = creds
        .users
        .iter()
        .find(|u| match (user["id"].as_str(), user["name"].as_str()) {
            (Some(id), _) => u.id == id,
            (None, Some(name)) => u.name == name,
            (None, None) => false,
        });
    let Some(found) = found.filter(|u| domain_ok && user["password"].as_str() == Some(&u.password))
    else {
        return Err(unauthorized());
    };
    let scope = &body["auth"]["scope"];
    let project = &scope["project"];
    let project_scoped = project.is_object();
    if project_scoped {
        let matches = match (project["id"].as_str(), project["name"].as_str()) {
            (Some(id), _) => id == creds.project.id,
            (None, Some(name)) => name == creds.project.name,
            (None, None) => false,
        };
        if !matches {
            return Err(unauthorized());
        }
    }
    let user = found.clone();
    let (project_id, project_name) = (creds.project.id.clone(), creds.project.name.clone());
    let domain = creds.domain.clone();
    let region = creds.region();
    let ttl = cx
        .st
        .world
        .faults
        .token_ttl_seconds
        .unwrap_or(DEFAULT_TOKEN_TTL_SECONDS);
    let expires = cx
        .now
        .saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX));
    let token = cx.st.token_id();
    cx.st.tokens.insert(
        token.clone(),
        Token {
            project_id: project_scoped.then(|| project_id.clone()),
            user: user.id.clone(),
            expires_ms: expires,
        },
    );
    let mut body = json!({
        "methods": ["password"],
        "expires_at": timefmt::iam(expires),
        "issued_at": timefmt::iam(cx.now),
        "user": {
            "domain": { "id": domain.id, "name": domain.name },
            "id": user.id,
            "name": user.name,
            "password_expires_at": "",
        },
        "roles": [{ "id": "0bb2b1a2b3c4d5e6f708192a3b4c5d6e", "name": "te_admin" }],
    });
    if project_scoped {
        body["project"] = json!({
            "id": project_id,
            "name": project_name,
            "domain": { "id": domain.id, "name": domain.name },
        });
        if cx.req.q("nocatalog") != Some("true") {
            body["catalog"] = catalog(cx.origins, &project_id, &region);
        }
    } else {
        body["domain"] = json!({ "id": domain.id, "name": domain.name });
    }
    Ok(Reply::json(StatusCode::CREATED, json!({ "token": body }))
        .with_header(HeaderName::from_static("x-subject-token"), token))
}

/// The service catalog: one entry per simulated service, each URL on that service's port.
pub(crate) fn catalog(origins: &BTreeMap<Service, String>, pid: &str, region: &str) -> Value {
    let origin = |s: Service| origins.get(&s).cloned().unwrap_or_default();
    let entries = [
        ("identity", "iam", format!("{}/v3", origin(Service::Iam))),
        ("rdsv3", "rds", format!("{}/v3/{pid}", origin(Service::Rds))),
        ("ddmv3", "ddm", format!("{}/v3/{pid}", origin(Service::Ddm))),
        (
            "gaussdb-mysql",
            "gaussdb-mysql",
            format!("{}/v3/{pid}", origin(Service::Taurusdb)),
        ),
        ("cbr", "cbr", format!("{}/v3/{pid}", origin(Service::Cbr))),
        ("dcsv2", "dcs", format!("{}/v2/{pid}", origin(Service::Dcs))),
        ("dds", "dds", format!("{}/v3/{pid}", origin(Service::Dds))),
        (
            "gaussdb",
            "gaussdb",
            format!("{}/v3/{pid}", origin(Service::Gaussdb)),
        ),
    ];
    let list: Vec<Value> = entries
        .iter()
        .map(|(kind, name, url)| {
            let id = &sha256_hex(kind.as_bytes())[..32];
            let endpoint_id = &sha256_hex(url.as_bytes())[..32];
            json!({
                "type": kind,
                "id": id,
                "name": name,
                "endpoints": [{
                    "id": endpoint_id,
                    "interface": "public",
                    "region": region,
                    "region_id": region,
                    "url": url,
                }],
            })
        })
        .collect();
    Value::Array(list)
}

fn show_catalog(cx: &Ctx<'_>) -> Reply {
    let creds = &cx.st.world.credentials;
    let own = cx.origins.get(&Service::Iam).map_or("", String::as_str);
    Reply::ok(json!({
        "catalog": catalog(cx.origins, &creds.project.id, &creds.region()),
        "links": { "self": format!("{own}/v3/auth/catalog") },
    }))
}

fn list_projects(cx: &Ctx<'_>) -> Reply {
    let creds = &cx.st.world.credentials;
    let p = &creds.project;
    let wanted = cx.req.q("name");
    let projects: Vec<Value> = std::iter::once(p)
        .filter(|p| wanted.is_none_or(|w| w == p.name))
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "domain_id": creds.domain.id,
                "enabled": true,
                "is_domain": false,
                "parent_id": creds.domain.id,
                "description": "",
                "links": { "self": format!("{}/v3/projects/{}", cx.origins.get(&Service::Iam).map_or("", String::as_str), p.id) },
            })
        })
        .collect();
    let own = cx.origins.get(&Service::Iam).map_or("", String::as_str);
    Reply::ok(json!({
        "links": { "self": format!("{own}/v3/projects"), "previous": null, "next": null },
        "projects": projects,
    }))
}

fn version(cx: &Ctx<'_>) -> Value {
    let iam = cx.origins.get(&Service::Iam).cloned().unwrap_or_default();
    json!({
        "id": "v3.0",
        "status": "stable",
        "updated": "2013-03-06T00:00:00Z",
        "links": [{ "rel": "self", "href": format!("{iam}/v3/") }],
        "media-types": [{ "base": "application/json", "type": "application/vnd.openstack.identity-v3+json" }],
    })
}
