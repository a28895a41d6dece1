//! `rewind.toml` and the precedence of settings: flag, then environment, then file, then default.

use rewind_engine::kinds::Service;
use rewind_engine::spec::{Code, Diagnostic, Report, Span};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const DEFAULT_PARALLELISM: usize = 10;
pub const SETTINGS_FILE: &str = "rewind.toml";

/// The file as written. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// State directory, relative to the spec's directory.
    pub state: Option<String>,
    pub parallelism: Option<usize>,
    /// Per-service concurrency limits.
    #[serde(default)]
    pub limits: BTreeMap<String, usize>,
    /// Endpoint overrides per service.
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    #[serde(default)]
    pub simulator: SimulatorSettings,
    #[serde(default)]
    pub polling: PollingSettings,
    #[serde(default)]
    pub retry: RetrySettings,
    #[serde(default)]
    pub rate_limits: RateLimitSettings,
}

/// `[rate_limits]`: calls per minute for each API, shared by every request of a run.
/// Zero is refused by the type; `enabled = false` sends without pacing.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: Option<bool>,
    /// For every service without its own value (and IAM); 60 when absent.
    pub default: Option<std::num::NonZeroU32>,
    pub rds: Option<std::num::NonZeroU32>,
    pub ddm: Option<std::num::NonZeroU32>,
    pub taurusdb: Option<std::num::NonZeroU32>,
    pub cbr: Option<std::num::NonZeroU32>,
    pub dcs: Option<std::num::NonZeroU32>,
}

impl RateLimitSettings {
    /// The providers' budget; `time_scale` is the rehearsal's (1 against the cloud).
    pub fn limits(&self, time_scale: f64) -> rewind_providers::RateLimits {
        let mut limits = rewind_providers::RateLimits {
            enabled: self.enabled.unwrap_or(true),
            time_scale,
            ..rewind_providers::RateLimits::default()
        };
        if let Some(n) = self.default {
            limits.per_minute = n.get();
        }
        let own = [
            (Service::Rds, self.rds),
            (Service::Ddm, self.ddm),
            (Service::Taurusdb, self.taurusdb),
            (Service::Cbr, self.cbr),
            (Service::Dcs, self.dcs),
        ];
        for (service, n) in own {
            if let Some(n) = n {
                limits.per_service.insert(service, n.get());
            }
        }
        limits
    }
}

/// Backoff of retried requests (429, 5xx, network), in seconds.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySettings {
    /// First backoff; doubles with each attempt.
    pub base: Option<f64>,
    /// Longest backoff.
    pub cap: Option<f64>,
}

/// How apply follows jobs, in (real) seconds; with `--simulate` they are divided by the
/// time scale.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollingSettings {
    /// Wait before the first poll of a new job.
    pub first: Option<f64>,
    /// Shortest and longest wait between polls.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Wait before looking for the job of an ambiguous submit (doubles on each try).
    pub reconcile_delay: Option<f64>,
}

/// Defaults for `--simulate` and `rewind sim`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSettings {
    pub time_scale: Option<f64>,
    pub seed: Option<u64>,
}

/// Settings after precedence was applied.
#[derive(Debug, Clone)]
pub struct Settings {
    pub state_dir: PathBuf,
    pub parallelism: usize,
    pub limits: BTreeMap<Service, usize>,
    pub endpoints: BTreeMap<Service, String>,
    pub sim_time_scale: Option<f64>,
    pub sim_seed: Option<u64>,
    pub polling: PollingSettings,
    pub retry: RetrySettings,
    pub rate_limits: RateLimitSettings,
}

/// Reads `rewind.toml` beside the spec, if present. A bad file is a located error.
pub fn read_file(spec_dir: &Path) -> Result<FileSettings, Report> {
    let path = spec_dir.join(SETTINGS_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(FileSettings::default());
    };
    let name = path.display().to_string();
    let fail = |message: String, span: Option<std::ops::Range<usize>>, hint: &str| {
        let mut d = Diagnostic::new(Code::Config, message).with_hint(hint.to_owned());
        if let Some(r) = span {
            let (line, column) = line_col(&text, r.start);
            d = d.at(Span::new(r.start, r.len().max(1), line, column));
        }
        Report::new(&name, Arc::from(text.as_str()), vec![d])
    };
    let file: FileSettings = toml::from_str(&text).map_err(|e| {
        fail(
            e.message().to_owned(),
            e.span(),
            "keys: state, parallelism, [limits], [endpoints], [simulator] time_scale/seed, [polling] first/min/max/reconcile_delay, [retry] base/cap",
        )
    })?;
    for key in file.limits.keys().chain(file.endpoints.keys()) {
        if Service::parse(key).is_none() {
            let offset = key_offset(&text, key).unwrap_or(0);
            return Err(fail(
                format!("unknown service `{key}`"),
                Some(offset..offset + key.len()),
                "services: rds, ddm, taurusdb, cbr, dcs",
            ));
        }
    }
    let (p, r) = (&file.polling, &file.retry);
    if [p.first, p.min, p.max, p.reconcile_delay, r.base, r.cap]
        .into_iter()
        .flatten()
        .any(|s| !(s.is_finite() && s >= 0.0))
    {
        return Err(fail(
            "[polling] and [retry] values are seconds, 0 or more".to_owned(),
            None,
            "for example first = 5.0",
        ));
    }
    if file.parallelism == Some(0) || file.limits.values().any(|v| *v == 0) {
        return Err(fail(
            "limits must be at least 1".to_owned(),
            None,
            "remove the key for no limit",
        ));
    }
    Ok(file)
}

/// Where `key = ...` is written as a key (not in a comment or a value).
fn key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed.strip_prefix(key).or_else(|| {
            trimmed
                .strip_prefix('"')
                .and_then(|t| t.strip_prefix(key))
                .and_then(|t| t.strip_prefix('"'))
        });
        if bare.is_some_and(|rest| rest.trim_start().starts_with('=')) {
            return Some(offset + indent);
        }
        offset += line.len();
    }
    None
}

fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, col as u32)
}

/// Applies precedence. `env` is a lookup so tests never touch the process environment.
pub fn resolve(
    spec_dir: &Path,
    file: FileSettings,
    state_flag: Option<&Path>,
    parallelism_flag: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, String> {
    use rewind_providers::env as vars;
    let state_dir = match (state_flag, env(vars::STATE), file.state) {
        (Some(p), _, _) => p.to_path_buf(),
        (None, Some(e), _) => PathBuf::from(e),
        (None, None, Some(f)) => spec_dir.join(f),
        (None, None, None) => spec_dir.join(".rewind"),
    };
    let env_parallelism = match env(vars::PARALLELISM) {
        Some(v) => Some(
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{}={v:?} is not a positive number", vars::PARALLELISM))?,
        ),
        None => None,
    };
    let parallelism = parallelism_flag
        .or(env_parallelism)
        .or(file.parallelism)
        .unwrap_or(DEFAULT_PARALLELISM);
    let limits = file
        .limits
        .iter()
        .filter_map(|(k, v)| Some((Service::parse(k)?, *v)))
        .collect();
    let endpoints = file
        .endpoints
        .iter()
        .filter_map(|(k, v)| Some((Service::parse(k)?, v.clone())))
        .collect();
    Ok(Settings {
        state_dir,
        parallelism,
        limits,
        endpoints,
        sim_time_scale: file.simulator.time_scale,
        sim_seed: file.simulator.seed,
        polling: file.polling,
        retry: file.retry,
        rate_limits: file.rate_limits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<FileSettings, Report> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SETTINGS_FILE), text).unwrap();
        read_file(dir.path())
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let dir = Path::new("/specs");
        let f = || FileSettings {
            parallelism: Some(3),
            state: Some("st".into()),
            ..FileSettings::default()
        };
        let env_set = |k: &str| match k {
            "REWIND_PARALLELISM" => Some("5".to_owned()),
            "REWIND_STATE" => Some("/env/state".to_owned()),
            _ => None,
        };
        let none = |_: &str| None;
        let s = resolve(dir, f(), Some(Path::new("/flag")), Some(7), &env_set).unwrap();
        assert_eq!((s.state_dir, s.parallelism), (PathBuf::from("/flag"), 7));
        let s = resolve(dir, f(), None, None, &env_set).unwrap();
        assert_eq!(
            (s.state_dir, s.parallelism),
            (PathBuf::from("/env/state"), 5)
        );
        let s = resolve(dir, f(), None, None, &none).unwrap();
        assert_eq!(
            (s.state_dir, s.parallelism),
            (PathBuf::from("/specs/st"), 3)
        );
        let s = resolve(dir, FileSettings::default(), None, None, &none).unwrap();
        assert_eq!(
            (s.state_dir, s.parallelism),
            (PathBuf::from("/specs/.rewind"), DEFAULT_PARALLELISM)
        );
    }

    #[test]
    fn bad_keys_are_located() {
        let err = file("parallelism = 4\nparalelism = 5\n").unwrap_err();
        let d = &err.diagnostics[0];
        assert_eq!(d.span.map(|s| (s.line, s.column)), Some((2, 1)));
        assert!(d.message.contains("paralelism"), "{}", d.message);
        let err = file("[limits]\nrsd = 2\n").unwrap_err();
        assert_eq!(err.diagnostics[0].span.map(|s| s.line), Some(2));
        assert!(
            file("parallelism = 4\n[limits]\nrds = 2\n[simulator]\ntime_scale = 60.0\n").is_ok()
        );
    }
}
