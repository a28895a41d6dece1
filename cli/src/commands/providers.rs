//! `rewind providers`, and the plugins of a run: discovery, their kinds, their providers.

use crate::args::Global;
use crate::error::CliError;
use crate::printer::{Printer, Style};
use crate::settings;
use rewind_engine::kinds::{KindDecl, Service};
use rewind_engine::provider::Provider;
use rewind_providers::CloudConfig;
use rewind_providers::Credentials;
use rewind_providers::external::{self, Described, ExternalProvider, PluginCommand, Timeouts};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Seconds each plugin call may take (all calls); for slow plugins and for tests.
pub const TIMEOUT_VAR: &str = rewind_base::env::PLUGIN_TIMEOUT;

/// The plugins described while loading the spec, for the providers of the same run.
static FOUND: OnceLock<Vec<(PluginCommand, Described)>> = OnceLock::new();

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

fn find(dir: &Path) -> Result<Vec<PluginCommand>, CliError> {
    let file = settings::read_file(dir)?;
    let configured: BTreeMap<String, Vec<String>> = file
        .providers
        .into_iter()
        .map(|(name, p)| (name, p.command))
        .collect();
    let path = std::env::var("PATH").ok();
    Ok(external::discover(&configured, path.as_deref()))
}

fn describe_all(dir: &Path) -> Vec<(PluginCommand, Result<Described, CliError>)> {
    let Ok(found) = find(dir) else {
        return Vec::new();
    };
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

/// Starts every plugin found for the spec in `dir` and returns their kinds. A plugin that
/// does not answer properly is an error naming it.
pub fn kinds_for(dir: &Path) -> Result<Vec<KindDecl>, CliError> {
    find(dir)?;
    let mut ok = Vec::new();
    for (cmd, described) in describe_all(dir) {
        ok.push((cmd, described?));
    }
    let clash = clashes(
        ok.iter()
            .map(|(c, d)| (c.name.as_str(), d.kinds.as_slice())),
    );
    if !clash.is_empty() {
        return Err(CliError::hint(
            format!("plugins disagree on who serves what: {}", clash.join("; ")),
            "each kind, and each service of plugin kinds, must come from one plugin: remove or rename one of them (`rewind providers` lists them)",
        ));
    }
    let kinds = ok.iter().flat_map(|(_, d)| d.kinds.clone()).collect();
    let _ = FOUND.set(ok);
    Ok(kinds)
}

/// Checks `[limits]` keys that are not built-in services against the plugins' services,
/// describing the plugins first if loading the spec did not need them.
pub fn check_limits(dir: &Path) -> Result<(), CliError> {
    let file = settings::read_file(dir)?;
    if file.limits.keys().all(|k| Service::parse(k).is_some()) {
        return Ok(());
    }
    let services: std::collections::BTreeSet<String> = match FOUND.get() {
        Some(found) => found
            .iter()
            .flat_map(|(_, d)| d.kinds.iter().map(|k| k.name.clone()))
            .collect::<Vec<_>>(),
        None => kinds_for(dir)?
            .into_iter()
            .map(|k| k.name)
            .collect::<Vec<_>>(),
    }
    .into_iter()
    .filter_map(|name| name.split_once('.').map(|(svc, _)| svc.to_owned()))
    .collect();
    settings::check_limit_services(dir, &services)?;
    Ok(())
}

/// The plugins described for this run whose `hello` offers `validate`, with their kinds.
pub fn validating() -> Vec<(PluginCommand, Vec<KindDecl>)> {
    FOUND
        .get()
        .into_iter()
        .flatten()
        .filter(|(_, d)| d.capabilities.iter().any(|c| c == external::VALIDATE))
        .map(|(cmd, d)| (cmd.clone(), d.kinds.clone()))
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
pub fn external(config: &CloudConfig) -> Vec<(Service, Arc<dyn Provider>)> {
    let env = plugin_env(config);
    let mut out: Vec<(Service, Arc<dyn Provider>)> = Vec::new();
    for (cmd, described) in FOUND.get().into_iter().flatten() {
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

/// `rewind providers`: every plugin found, its protocol version and kinds.
pub fn exec(global: &Global, printer: &Printer) -> Result<ExitCode, CliError> {
    let dir = global
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    find(&dir)?;
    let all = describe_all(&dir);
    let mut failed = false;
    let mut doc = Vec::new();
    let clash = clashes(
        all.iter()
            .filter_map(|(c, d)| Some((c.name.as_str(), d.as_ref().ok()?.kinds.as_slice()))),
    );
    if all.is_empty() && !printer.json {
        printer.info("no providers found: add [providers.NAME] command = [...] to rewind.toml, or put rewind-provider-NAME on PATH");
    }
    for (cmd, described) in all {
        match described {
            Ok(d) => {
                if printer.json {
                    doc.push(serde_json::json!({
                        "name": d.name,
                        "command": cmd.argv,
                        "protocol_version": d.protocol_version,
                        "capabilities": d.capabilities,
                        "kinds": d.kinds,
                    }));
                } else {
                    printer.out(&format!(
                        "{} (protocol {}, {})",
                        printer.paint(&d.name, Style::Bold),
                        d.protocol_version,
                        cmd.argv.join(" ")
                    ));
                    for k in &d.kinds {
                        let writes: Vec<String> = k
                            .footprint
                            .iter()
                            .map(|r| {
                                format!("{} {:?} {}", r.resource, r.access, r.pointer)
                                    .to_lowercase()
                            })
                            .collect();
                        printer.out(&format!("  {}  {}", k.name, k.description));
                        if !writes.is_empty() {
                            printer.out(&format!("    footprint: {}", writes.join(", ")));
                        }
                        if !k.outputs.is_empty() {
                            printer.out(&format!("    outputs: {}", k.outputs.join(", ")));
                        }
                    }
                }
            }
            Err(e) => {
                failed = true;
                if printer.json {
                    doc.push(serde_json::json!({ "name": cmd.name, "command": cmd.argv, "error": e.to_string() }));
                } else {
                    crate::render::errors::print(&e, printer);
                }
            }
        }
    }
    if !clash.is_empty() {
        failed = true;
        if !printer.json {
            for c in &clash {
                crate::render::errors::print(
                    &CliError::hint(
                        format!("{c}; a spec using it is refused"),
                        "each kind, and each service of plugin kinds, must come from one plugin: remove or rename one",
                    ),
                    printer,
                );
            }
        }
    }
    if printer.json {
        printer.out(&serde_json::json!({ "providers": doc, "clashes": clash }).to_string());
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
