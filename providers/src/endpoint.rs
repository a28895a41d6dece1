//! Service endpoints: defaults per region, validated overrides with path prefixes, catalog origins.

use reqwest::Url;
use rewind_engine::kinds::Service;
use rewind_engine::kinds::services;
use std::fmt;
use std::net::IpAddr;

/// A validated base URL for one service (or IAM). An override may carry a path prefix (a
/// corporate gateway, say), which is kept in front of every documented path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Scheme, host, optional port and optional prefix, with no trailing slash.
    base: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("`{url}` is not a valid URL: {reason}")]
    Invalid { url: String, reason: String },
    #[error("`{url}` uses http:// for a host that is not loopback; use https://")]
    InsecureHttp { url: String },
    #[error("`{url}` must use https:// (or http:// on a loopback host)")]
    Scheme { url: String },
    #[error("`{url}` must not carry a query or fragment")]
    Extra { url: String },
    #[error(
        "`{url}` must not carry a user name or password; give credentials as OS_* variables or in clouds.yaml"
    )]
    UserInfo { url: String },
}

/// `raw` with any user info replaced by `***` and any query or fragment cut off, so that it
/// can be printed. Works on text that is not a valid URL too.
pub fn redact_url(raw: &str) -> String {
    let (scheme, rest) = match raw.find("://") {
        Some(i) => raw.split_at(i + 3),
        None => ("", raw),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("***@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    let tail = match tail.find(['?', '#']) {
        Some(cut) => format!("{}?***", &tail[..cut]),
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

impl Endpoint {
    /// Parses and checks an endpoint: https, or http only on a loopback host.
    pub fn parse(raw: &str) -> Result<Endpoint, EndpointError> {
        let raw = raw.trim();
        // Every error names the URL, so it names it without its user info: a password in it
        // would otherwise reach the terminal and the logs.
        let shown = redact_url(raw);
        let url = Url::parse(raw).map_err(|e| EndpointError::Invalid {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let Some(host) = url.host_str() else {
            return Err(EndpointError::Invalid {
                url: shown,
                reason: "no host".into(),
            });
        };
        // User info in a URL would reach every log line that names the URL.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(EndpointError::UserInfo { url: shown });
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => return Err(EndpointError::InsecureHttp { url: shown }),
            _ => return Err(EndpointError::Scheme { url: shown }),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(EndpointError::Extra { url: shown });
        }
        let base = format!("{}{}", origin(&url), url.path().trim_end_matches('/'));
        Ok(Endpoint { base })
    }

    /// Only the origin (`scheme://host:port`) of `raw`: catalog URLs end in a version and a
    /// project (`/v3/$(tenant_id)s`) that the documented paths already carry.
    pub fn origin_of(raw: &str) -> Result<Endpoint, EndpointError> {
        let url = Url::parse(raw.trim()).map_err(|e| EndpointError::Invalid {
            url: redact_url(raw.trim()),
            reason: e.to_string(),
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(EndpointError::UserInfo {
                url: redact_url(raw.trim()),
            });
        }
        Endpoint::parse(&origin(&url))
    }

    /// The documented public endpoint of `service` in `region`.
    pub fn default_for(service: Service, region: &str) -> Endpoint {
        // A plugin's service has no row: its name is its host.
        let host = match services::spec(service) {
            Some(row) => row.host,
            None => service.as_str(),
        };
        Endpoint {
            base: format!("https://{host}.{region}.{}", domain(region)),
        }
    }

    /// IAM's Keystone v3 root for `region`, used when `OS_AUTH_URL` is not set.
    pub fn default_iam(region: &str) -> Endpoint {
        // The Swiss region publishes IAM as `iam-pub` (otc-api.md §7).
        let host = if region == "eu-ch2" { "iam-pub" } else { "iam" };
        Endpoint {
            base: format!("https://{host}.{region}.{}/v3", domain(region)),
        }
    }

    /// The full URL of `path_and_query` (which starts with `/`) under this endpoint.
    pub fn join(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// The catalog `type` under which IAM lists `service`.
pub fn catalog_type(service: Service) -> &'static str {
    services::spec(service).map_or(service.as_str(), |row| row.catalog_type)
}

fn domain(region: &str) -> &'static str {
    if region == "eu-ch2" {
        "sc.otc.t-systems.com"
    } else {
        "otc.t-systems.com"
    }
}

/// `scheme://host[:port]`, with an IPv6 host in brackets.
fn origin(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_documented_hosts() {
        assert_eq!(
            Endpoint::default_for(Service::Rds, "eu-de").as_str(),
            "https://rds.eu-de.otc.t-systems.com"
        );
        assert_eq!(
            Endpoint::default_for(Service::Taurusdb, "eu-nl").as_str(),
            "https://gaussdb-mysql.eu-nl.otc.t-systems.com"
        );
        assert_eq!(
            Endpoint::default_for(Service::Dcs, "eu-ch2").as_str(),
            "https://dcs.eu-ch2.sc.otc.t-systems.com"
        );
        // The IMS endpoint table (before it moved to the web) lists `ddsv3` at
        // `https://dds.eu-de.otc.t-systems.com/v3/$(tenant_id)s`, as the DDS pages' examples do.
        assert_eq!(
            Endpoint::default_for(Service::Dds, "eu-de").as_str(),
            "https://dds.eu-de.otc.t-systems.com"
        );
        assert_eq!(catalog_type(Service::Dds), "ddsv3");
        assert_eq!(
            Endpoint::default_iam("eu-de").as_str(),
            "https://iam.eu-de.otc.t-systems.com/v3"
        );
        assert_eq!(
            Endpoint::default_iam("eu-ch2").as_str(),
            "https://iam-pub.eu-ch2.sc.otc.t-systems.com/v3"
        );
    }

    #[test]
    fn a_path_prefix_is_kept() {
        let ep = Endpoint::parse("https://gw.example/otc/rds/").unwrap();
        assert_eq!(
            ep.join("/v3/p/instances/recovery"),
            "https://gw.example/otc/rds/v3/p/instances/recovery"
        );
        let ep = Endpoint::parse("https://gw.example:8443/otc/rds").unwrap();
        assert_eq!(
            ep.join("/v3/p/jobs?id=1"),
            "https://gw.example:8443/otc/rds/v3/p/jobs?id=1"
        );
    }

    #[test]
    fn http_is_refused_unless_loopback() {
        assert!(matches!(
            Endpoint::parse("http://rds.eu-de.otc.t-systems.com"),
            Err(EndpointError::InsecureHttp { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://10.0.0.1:8080"),
            Err(EndpointError::InsecureHttp { .. })
        ));
        // Looks loopback-ish but is a public name.
        assert!(Endpoint::parse("http://127.0.0.1.example.com").is_err());
        for ok in [
            "http://127.0.0.1:4000",
            "http://127.8.9.10",
            "http://localhost:1",
            "http://[::1]:5000/x",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Endpoint::parse("http://[::1]:5000/x").unwrap().as_str(),
            "http://[::1]:5000/x"
        );
        assert!(matches!(
            Endpoint::parse("ftp://127.0.0.1"),
            Err(EndpointError::Scheme { .. })
        ));
        assert!(matches!(
            Endpoint::parse("https://u:p@gw.example"),
            Err(EndpointError::UserInfo { .. })
        ));
        assert!(matches!(
            Endpoint::parse("not a url"),
            Err(EndpointError::Invalid { .. })
        ));
    }

    #[test]
    fn no_error_repeats_the_password_of_a_url() {
        for raw in [
            "https://user:hunter2@gw.example/v3",
            "http://user:hunter2@evil.example",
            "ftp://user:hunter2@127.0.0.1",
            "https://user:hunter2@",
            "https://:hunter2@gw.example?x=1",
            "user:hunter2@gw.example",
            "https://gw.example/v3?password=hunter2",
        ] {
            let err = Endpoint::parse(raw).expect_err(raw);
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("hunter2"), "{raw}: {shown}");
            // A catalog URL keeps only its origin; whatever it refuses, it names without the password.
            if let Err(e) = Endpoint::origin_of(raw) {
                assert!(!format!("{e} {e:?}").contains("hunter2"), "{raw}: {e}");
            }
        }
        assert_eq!(
            redact_url("https://u:p@gw.example:8443/x?y#z"),
            "https://***@gw.example:8443/x?***"
        );
        assert_eq!(redact_url("https://gw.example/x"), "https://gw.example/x");
        assert!(Endpoint::origin_of("https://u:hunter2@rds.example/v3").is_err());
    }

    #[test]
    fn catalog_urls_keep_only_their_origin() {
        let ep =
            Endpoint::origin_of("https://rds.eu-de.otc.t-systems.com/v3/$(tenant_id)s").unwrap();
        assert_eq!(ep.as_str(), "https://rds.eu-de.otc.t-systems.com");
        let ep = Endpoint::origin_of("http://127.0.0.1:41002/v3/abc").unwrap();
        assert_eq!(ep.as_str(), "http://127.0.0.1:41002");
        assert!(Endpoint::origin_of("http://evil.example/v3").is_err());
    }
}
