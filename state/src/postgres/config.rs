//! A `postgres://` URL plus libpq's environment variables (PGHOST, ...) to a connection config.

use rewind_engine::state::StateError;
use std::time::Duration;
use tokio_postgres::Config;

/// Parses `url`, then fills what it leaves out from `env` the way libpq does: PGHOST,
/// PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGOPTIONS, PGAPPNAME, PGCONNECT_TIMEOUT.
pub fn build(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, StateError> {
    let mut config: Config = url
        .parse()
        .map_err(|e| StateError::Storage(format!("bad PostgreSQL URL {}: {e}", redact(url))))?;
    if config.get_hosts().is_empty() {
        let hosts = env("PGHOST").unwrap_or_else(|| "localhost".to_owned());
        for host in hosts.split(',').filter(|h| !h.is_empty()) {
            config.host(host);
        }
    }
    if config.get_ports().is_empty()
        && let Some(port) = env("PGPORT")
    {
        let port: u16 = port
            .parse()
            .map_err(|_| StateError::Storage(format!("PGPORT={port:?} is not a port")))?;
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".to_owned());
        config.user(user);
    }
    if config.get_password().is_none()
        && let Some(password) = env("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        config.dbname(db);
    }
    if config.get_options().is_none()
        && let Some(options) = env("PGOPTIONS")
    {
        config.options(options);
    }
    if config.get_application_name().is_none() {
        config.application_name(env("PGAPPNAME").unwrap_or_else(|| "rewind".to_owned()));
    }
    if config.get_connect_timeout().is_none() {
        let secs = env("PGCONNECT_TIMEOUT")
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(10);
        config.connect_timeout(Duration::from_secs(secs.max(1)));
    }
    Ok(config)
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => kv.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("&");
            format!("{path}?{query}")
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://me:s3cret@db:5432/x?password=s3cret&sslmode=disable"),
            "postgres://me:***@db:5432/x?password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
    }

    #[test]
    fn libpq_variables_fill_the_gaps() {
        let env = |k: &str| match k {
            "PGHOST" => Some("10.0.0.9".to_owned()),
            "PGPORT" => Some("6543".to_owned()),
            "PGUSER" => Some("ops".to_owned()),
            "PGDATABASE" => Some("rw".to_owned()),
            _ => None,
        };
        let c = build("postgres://", &env).unwrap();
        assert_eq!(c.get_ports(), &[6543]);
        assert_eq!(c.get_user(), Some("ops"));
        assert_eq!(c.get_dbname(), Some("rw"));
        let c = build("postgres://u@h:1/d", &env).unwrap();
        assert_eq!((c.get_user(), c.get_dbname()), (Some("u"), Some("d")));
        assert_eq!(c.get_ports(), &[1]);
    }
}
