//! `rewind.toml` and the precedence of settings: flag, then environment, then file, then default.

use rewind_engine::apply::{ApplyOptions, PollPolicy};
use rewind_engine::kinds::Service;
use rewind_engine::spec::{Code, Diagnostic, Report, Span};
use rewind_providers::RetryPolicy;
use rewind_state::Location;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

mod check;
mod model;

pub use model::{
    DEFAULT_PARALLELISM, FileSettings, MAX_LOST_GRACE, MAX_PARALLELISM, MAX_POLL_SECS,
    MAX_RETRY_SECS, MIN_LOCK_LEASE, PollingSettings, ProviderSettings, RateLimitSettings,
    RetrySettings, SETTINGS_FILE, SimulatorSettings, TIME_SCALE_RANGE, TimeoutSettings,
};

use check::{check_ranges, timeouts};

/// Settings after precedence was applied; every value is in range.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the state lives, parsed once.
    pub state: Location,
    pub parallelism: usize,
    pub limits: BTreeMap<Service, usize>,
    pub endpoints: BTreeMap<Service, String>,
    pub sim_time_scale: Option<f64>,
    pub sim_seed: Option<u64>,
    /// The polling policy in real time (not yet scaled for a rehearsal).
    pub poll: PollPolicy,
    pub reconcile_delay: Duration,
    pub retry_base: Option<Duration>,
    pub retry_cap: Option<Duration>,
    pub timeouts: TimeoutSettings,
    pub rate_limits: RateLimitSettings,
}

impl Settings {
    /// The client's retry policy with `[retry]` applied.
    pub fn retry_policy(&self, mut base: RetryPolicy) -> RetryPolicy {
        if let Some(b) = self.retry_base {
            base.base = b;
        }
        if let Some(c) = self.retry_cap {
            base.cap = c;
        }
        base
    }
}

/// Reads `rewind.toml` beside the spec. Only a missing file means "no settings": a file
/// that cannot be read, is not UTF-8, or holds a bad value is a located error.
pub fn read_file(spec_dir: &Path) -> Result<FileSettings, Report> {
    let path = spec_dir.join(SETTINGS_FILE);
    let name = path.display().to_string();
    let whole_file = |message: String, hint: &str| {
        Report::new(
            &name,
            Arc::from(""),
            vec![Diagnostic::new(Code::Config, message).with_hint(hint.to_owned())],
        )
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileSettings::default()),
        Err(e) => {
            return Err(whole_file(
                format!("cannot read {name}: {}", crate::words::io_reason(&e)),
                "fix its permissions, or remove it to use the defaults",
            ));
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        whole_file(
            format!(
                "{name} is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            "save it as UTF-8",
        )
    })?;
    let fail = |message: String, span: Option<std::ops::Range<usize>>, hint: &str| {
        let mut d = Diagnostic::new(Code::Config, message).with_hint(hint.to_owned());
        if let Some(r) = span {
            let (line, column) = line_col(&text, r.start);
            d = d.at(Span::new(r.start, r.len().max(1), line, column));
        }
        Report::new(&name, Arc::from(text.as_str()), vec![d])
    };
    let mut file: FileSettings = toml::from_str(&text).map_err(|e| {
        fail(
            e.message().to_owned(),
            e.span(),
            "keys: state, lock_lease, parallelism, [limits], [endpoints], [simulator] time_scale/seed, [polling] first/min/max/reconcile_delay, [retry] base/cap, [timeouts] default/lost_grace/lost_polls/<kind>",
        )
    })?;
    // A `[limits]` key may name a plugin service; which ones exist is known only once the
    // plugins are described (`check_limit_services`), so here only its shape is checked.
    for key in file.limits.keys() {
        if Service::parse(key).is_none() && !is_service_name(key) {
            let offset = key_offset(&text, key).unwrap_or(0);
            return Err(fail(
                format!("unknown service `{key}`"),
                Some(offset..offset + key.len()),
                "services: rds, ddm, taurusdb, cbr, dcs, or a plugin's (the part of its kind names before the dot)",
            ));
        }
    }
    for key in file.endpoints.keys() {
        if Service::parse(key).is_none() {
            let offset = key_offset(&text, key).unwrap_or(0);
            return Err(fail(
                format!("unknown service `{key}`"),
                Some(offset..offset + key.len()),
                "services: rds, ddm, taurusdb, cbr, dcs",
            ));
        }
    }
    check_ranges(&file).map_err(|b| fail(b.message, b.span, &b.hint))?;
    file.text = Arc::from(text.as_str());
    Ok(file)
}

/// A name a plugin kind's service part could have: lowercase letters, digits, `_`.
fn is_service_name(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks, once the plugins are described, that every `[limits]` key names a built-in
/// service or one of `plugin_services`; a key that names neither is located in the file.
pub fn check_limit_services(
    spec_dir: &Path,
    file: &FileSettings,
    plugin_services: &std::collections::BTreeSet<String>,
) -> Result<(), Report> {
    let Some(key) = file
        .limits
        .keys()
        .find(|k| Service::parse(k).is_none() && !plugin_services.contains(*k))
    else {
        return Ok(());
    };
    let path = spec_dir.join(SETTINGS_FILE);
    let text = &file.text;
    let offset = key_offset(text, key).unwrap_or(0);
    let (line, column) = line_col(text, offset);
    let known: Vec<&str> = Service::ALL
        .iter()
        .map(|s| s.as_str())
        .chain(plugin_services.iter().map(String::as_str))
        .collect();
    let d = Diagnostic::new(Code::Config, format!("unknown service `{key}`"))
        .with_hint(format!(
            "services: {} (plugin services come from `rewind providers`)",
            known.join(", ")
        ))
        .at(Span::new(offset, key.len().max(1), line, column));
    Err(Report::new(
        &path.display().to_string(),
        text.clone(),
        vec![d],
    ))
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
    workspace: &str,
    parallelism_flag: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, String> {
    use rewind_providers::env as vars;
    let state = match (state_flag, env(vars::STATE), file.state.clone()) {
        (Some(p), _, _) => Location::parse(&p.to_string_lossy(), workspace),
        (None, Some(e), _) => Location::parse(&e, workspace),
        // A URL is a server, not a directory beside the spec.
        (None, None, Some(f)) => match Location::parse(&f, workspace) {
            Location::Dir(d) => Location::Dir(spec_dir.join(d)),
            shared @ Location::Postgres { .. } => shared,
        },
        (None, None, None) => Location::Dir(spec_dir.join(".rewind")),
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
        .or(file.parallelism.as_ref().map(|p| *p.get_ref()))
        .unwrap_or(DEFAULT_PARALLELISM);
    let limits = file
        .limits
        .iter()
        .map(|(k, v)| (Service::parse_any(k), *v.get_ref()))
        .collect();
    // `read_file` checked every value; a file built another way is checked here again.
    check_ranges(&file).map_err(|b| b.message)?;
    let secs = |v: &Option<Spanned<f64>>| v.as_ref().map(|s| Duration::from_secs_f64(*s.get_ref()));
    let base = PollPolicy::default();
    let pol = &file.polling;
    let poll = PollPolicy {
        first: secs(&pol.first).unwrap_or(base.first),
        min: secs(&pol.min).unwrap_or(base.min),
        max: secs(&pol.max).unwrap_or(base.max),
        ..base
    };
    let reconcile_delay =
        secs(&pol.reconcile_delay).unwrap_or(ApplyOptions::default().reconcile_delay);
    let timeouts = timeouts(&file.timeouts).map_err(|b| b.message)?;
    let endpoints = file
        .endpoints
        .iter()
        .filter_map(|(k, v)| Some((Service::parse(k)?, v.clone())))
        .collect();
    Ok(Settings {
        state,
        parallelism,
        limits,
        endpoints,
        sim_time_scale: file.simulator.time_scale.map(|t| *t.get_ref()),
        sim_seed: file.simulator.seed,
        poll,
        reconcile_delay,
        retry_base: secs(&file.retry.base),
        retry_cap: secs(&file.retry.cap),
        timeouts,
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
            parallelism: Some(Spanned::new(0..1, 3)),
            state: Some("st".into()),
            ..FileSettings::default()
        };
        let env_set = |k: &str| match k {
            "REWIND_PARALLELISM" => Some("5".to_owned()),
            "REWIND_STATE" => Some("/env/state".to_owned()),
            _ => None,
        };
        let none = |_: &str| None;
        let s = resolve(dir, f(), Some(Path::new("/flag")), "w", Some(7), &env_set).unwrap();
        assert_eq!((s.state, s.parallelism), (Location::Dir("/flag".into()), 7));
        let s = resolve(dir, f(), None, "w", None, &env_set).unwrap();
        assert_eq!(
            (s.state, s.parallelism),
            (Location::Dir("/env/state".into()), 5)
        );
        let s = resolve(dir, f(), None, "w", None, &none).unwrap();
        assert_eq!(
            (s.state, s.parallelism),
            (Location::Dir("/specs/st".into()), 3)
        );
        let s = resolve(dir, FileSettings::default(), None, "w", None, &none).unwrap();
        assert_eq!(
            (s.state, s.parallelism),
            (Location::Dir("/specs/.rewind".into()), DEFAULT_PARALLELISM)
        );
    }

    #[test]
    fn a_url_is_a_shared_state_wherever_it_is_named() {
        let dir = Path::new("/specs");
        let url = "postgresql://rewind:pw@db/rewind";
        let f = FileSettings {
            state: Some(url.into()),
            ..FileSettings::default()
        };
        let s = resolve(dir, f, None, "team/a.yaml", None, &|_| None).unwrap();
        assert_eq!(
            s.state,
            Location::Postgres {
                url: url.into(),
                workspace: "team/a.yaml".into()
            }
        );
        let s = resolve(
            dir,
            FileSettings::default(),
            Some(Path::new(url)),
            "w",
            None,
            &|_| None,
        );
        assert!(s.unwrap().state.is_shared());
    }

    #[test]
    fn rate_limits_share_shared_and_window() {
        let f =
            file("[rate_limits]\ndefault = 40\nshare = 4\nshared = false\nwindow = 1\n").unwrap();
        assert_eq!(f.rate_limits.shared, Some(false));
        let limits = f.rate_limits.limits(1.0);
        assert_eq!((limits.limit(None), limits.own_limit(None)), (40, 10));
        assert_eq!(limits.window(), Duration::from_secs(1));
        // A rehearsal's window is shorter still.
        assert_eq!(
            f.rate_limits.limits(2.0).window(),
            Duration::from_millis(500)
        );
        // Zero processes or a zero window is refused, not divided by.
        assert!(file("[rate_limits]\nshare = 0\n").is_err());
        assert!(file("[rate_limits]\nwindow = 0\n").is_err());
        // More processes than calls would exceed the limit together: refused, located.
        let err = file("[rate_limits]\nrds = 10\nshare = 12\n").unwrap_err();
        let d = &err.diagnostics[0];
        assert!(
            d.message.contains("share = 12 is more than rds = 10"),
            "{}",
            d.message
        );
        assert_eq!(d.span.map(|s| (s.line, s.column)), Some((3, 9)));
        assert!(file("[rate_limits]\nrds = 10\nshare = 10\n").is_ok());
    }

    #[test]
    fn bad_keys_are_located() {
        let err = file("parallelism = 4\nparalelism = 5\n").unwrap_err();
        let d = &err.diagnostics[0];
        assert_eq!(d.span.map(|s| (s.line, s.column)), Some((2, 1)));
        assert!(d.message.contains("paralelism"), "{}", d.message);
        let err = file("[limits]\n\"rds-x\" = 2\n").unwrap_err();
        assert_eq!(err.diagnostics[0].span.map(|s| s.line), Some(2));
        assert!(
            file("parallelism = 4\n[limits]\nrds = 2\n[simulator]\ntime_scale = 60.0\n").is_ok()
        );
    }

    #[test]
    fn lock_lease_is_seconds_within_bounds() {
        let ok = file("lock_lease = 45.0\n").unwrap();
        assert_eq!(ok.lock_lease.map(|l| *l.get_ref()), Some(45.0));
        for text in [
            "state = \"x\"\nlock_lease = 0.05\n",
            "state = \"x\"\nlock_lease = 7200.0\n",
        ] {
            let err = file(text).unwrap_err();
            let d = &err.diagnostics[0];
            assert!(d.message.contains("lock_lease"), "{}", d.message);
            assert_eq!(d.span.map(|s| s.line), Some(2));
        }
    }

    #[test]
    fn a_plugin_service_limit_is_honoured_once_the_plugin_is_known() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "parallelism = 4\n[limits]\nrds = 2\nevs = 1\n",
        )
        .unwrap();
        let f = read_file(dir.path()).unwrap();
        let s = resolve(dir.path(), f.clone(), None, "w", None, &|_| None).unwrap();
        assert_eq!(s.limits.get(&Service::External("evs")), Some(&1));
        assert_eq!(s.limits.get(&Service::Rds), Some(&2));
        let evs: std::collections::BTreeSet<String> = ["evs".to_owned()].into();
        assert!(check_limit_services(dir.path(), &f, &evs).is_ok());
        let err =
            check_limit_services(dir.path(), &f, &std::collections::BTreeSet::new()).unwrap_err();
        let d = &err.diagnostics[0];
        assert_eq!(d.span.map(|s| (s.line, s.column)), Some((4, 1)));
        assert!(d.message.contains("`evs`"), "{}", d.message);
    }
}
