//! The plugins of a run: discovery, their kinds, the providers they serve.

use crate::error::CliError;
use crate::settings;
use rewind_engine::kinds::{KindDecl, Service};
use rewind_engine::provider::Provider;
use rewind_providers::CloudConfig;
use rewind_providers::Credentials;
use rewind_providers::external::{self, Described, ExternalProvider, PluginCommand, Timeouts};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Seconds each plugin call may take (all calls); for slow plugins and for tests.
pub const TIMEOUT_VAR: &str = rewind_base::env::PLUGIN_TIMEOUT;

/// A plugin found and described: how to start it, and what it declared.
#[derive(Debug, Clone)]
pub struct Plugin {
    pub command: PluginCommand,
    pub described: Described,
}

fn timeouts() -> Timeouts {
    let secs = std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0);
    match secs {
        Some(s) => {
            let d = Duration::from_secs_f64(s);
            Timeouts {
                start: d,
                call: d,
                submit: d,
            }
        }
        None => Timeouts::default(),
    }
}

/// The plugins `rewind.toml`'s `[providers]` names, then those on `PATH`.
pub fn find(file: &settings::FileSettings) -> Vec<PluginCommand> {
    let configured: BTreeMap<String, Vec<String>> = file
        .providers
        .iter()
        .map(|(name, p)| (name.clone(), p.command.clone()))
        .collect();
    let path = std::env::var("PATH").ok();
    external::discover(&configured, path.as_deref())
}

pub fn describe_all(
    found: Vec<PluginCommand>,
) -> Vec<(PluginCommand, Result<Described, CliError>)> {
    found
        .into_iter()
        .map(|cmd| {
            let d = external::describe(&cmd, timeouts().start).map_err(|e| {
                CliError::hint(
                    e.to_string(),
                    format!(
                        "check the plugin's command ({}); its stderr is in the log (REWIND_LOG=info)",
                        cmd.argv.join(" ")
                    ),
                )
            });
            (cmd, d)
        })
        .collect()
}

/// Kinds, or services, that more than one plugin declares, as messages: rewind routes a kind
/// by its service to one plugin, so either clash leaves a kind without a clear owner.
pub fn clashes<'a>(plugins: impl IntoIterator<Item = (&'a str, &'a [KindDecl])>) -> Vec<String> {
    let mut kinds: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut services: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (plugin, declared) in plugins {
        for k in declared {
            let owners = kinds.entry(k.name.as_str()).or_default();
            if !owners.contains(&plugin) {
                owners.push(plugin);
            }
            let service = k.name.split_once('.').map_or(k.name.as_str(), |(s, _)| s);
            let owners = services.entry(service).or_default();
            if !owners.contains(&plugin) {
                owners.push(plugin);
            }
        }
    }
    let mut out: Vec<String> = kinds
        .iter()
        .filter(|(_, p)| p.len() > 1)
        .map(|(k, p)| format!("kind `{k}` is declared by plugins `{}`", p.join("`, `")))
        .collect();
    out.extend(
        services
            .iter()
            .filter(|(_, p)| p.len() > 1)
            .filter(|(svc, p)| {
                // Already said as a kind clash between the same plugins.
                !kinds
                    .iter()
                    .any(|(k, kp)| k.starts_with(&format!("{svc}.")) && kp == *p)
            })
            .map(|(svc, p)| format!("service `{svc}` has kinds in plugins `{}`", p.join("`, `"))),
    );
    out
}

/// Starts every plugin in `found` and returns them described. A plugin that does not answer
/// properly, or two that claim one kind or service, is an error naming them.
pub fn describe_strict(found: Vec<PluginCommand>) -> Result<Vec<Plugin>, CliError> {
    let mut ok = Vec::new();
    for (command, described) in describe_all(found) {
        ok.push(Plugin {
            command,
            described: described?,
        });
    }
    let clash = clashes(
        ok.iter()
            .map(|p| (p.command.name.as_str(), p.described.kinds.as_slice())),
    );
    if !clash.is_empty() {
        return Err(CliError::hint(
            format!("plugins disagree on who serves what: {}", clash.join("; ")),
            "each kind, and each service of plugin kinds, must come from one plugin: remove or rename one of them (`rewind providers` lists them)",
        ));
    }
    Ok(ok)
}

/// The plugins among `plugins` whose `hello` offers `validate`, with their kinds.
pub fn validating(plugins: &[Plugin]) -> Vec<(PluginCommand, Vec<KindDecl>)> {
    plugins
        .iter()
        .filter(|p| {
            p.described
                .capabilities
                .iter()
                .any(|c| c == external::VALIDATE)
        })
        .map(|p| (p.command.clone(), p.described.kinds.clone()))
        .collect()
}

/// Seconds a `validate` call may take.
pub fn validate_timeout() -> Duration {
    timeouts().call
}

/// What a plugin process needs to reach the same cloud as rewind: its environment.
fn plugin_env(config: &CloudConfig) -> Vec<(String, String)> {
    use rewind_base::env as var;
    let mut env = Vec::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            env.push((k.to_owned(), v.to_owned()));
        }
    };
    put(var::AUTH_URL, config.auth_url.as_deref());
    put(var::PROJECT_ID, config.project_id.as_deref());
    put(var::PROJECT_NAME, config.project_name.as_deref());
    put(var::REGION_NAME, config.region.as_deref());
    match &config.credentials {
        Credentials::Token { token } => put(var::AUTH_TOKEN, Some(token.expose())),
        Credentials::AkSk {
            access_key,
            secret_key,
            security_token,
        } => {
            put(var::ACCESS_KEY, Some(access_key));
            put(var::SECRET_KEY, Some(secret_key.expose()));
            put(
                var::SECURITY_TOKEN,
                security_token
                    .as_ref()
                    .map(rewind_providers::Secret::expose),
            );
        }
        Credentials::Password {
            username,
            password,
            domain_name,
        } => {
            put(var::USERNAME, Some(username));
            put(var::PASSWORD, Some(password.expose()));
            put(var::USER_DOMAIN_NAME, Some(domain_name));
        }
    }
    for (service, url) in &config.endpoints {
        env.push((
            rewind_providers::env::endpoint_var(*service).to_owned(),
            url.clone(),
        ));
    }
    env
}

/// One provider per plugin service (`evs` of `evs.snapshot_rollback`), for this run.
pub fn external(plugins: &[Plugin], config: &CloudConfig) -> Vec<(Service, Arc<dyn Provider>)> {
    let env = plugin_env(config);
    let mut out: Vec<(Service, Arc<dyn Provider>)> = Vec::new();
    for Plugin {
        command: cmd,
        described,
    } in plugins
    {
        let mut by_service: BTreeMap<Service, Vec<KindDecl>> = BTreeMap::new();
        for k in &described.kinds {
            by_service
                .entry(k.kind().service())
                .or_default()
                .push(k.clone());
        }
        for (service, kinds) in by_service {
            let mut cmd = cmd.clone();
            cmd.env.extend(env.iter().cloned());
            out.push((
                service,
                Arc::new(ExternalProvider::new(service, cmd, kinds, timeouts())),
            ));
        }
    }
    out
}
