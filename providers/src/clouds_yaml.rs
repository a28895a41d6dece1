//! `clouds.yaml` (+ `secure.yaml`) entries, found and merged the way openstacksdk does, by `OS_CLOUD`.

use crate::env::{self, Env};
use rewind_base::Secret;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// One `clouds.<name>` entry after `secure.yaml` is merged in. Keys rewind does not use are
/// ignored, as other tools share the file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CloudEntry {
    #[serde(default)]
    pub auth: AuthSection,
    /// `region_name`, else the first of `regions` (openstacksdk's default region).
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
    /// Also read from `tenant_id` and from the entry's top level, as openstacksdk does.
    pub project_id: Option<String>,
    /// Also read from `tenant_name` and from the entry's top level, as openstacksdk does.
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
    #[error("{path}: {message}", path = path.display())]
    Parse { path: PathBuf, message: String },
    /// The file an `OS_CLIENT_*_FILE` variable names is not there; falling through to another
    /// file could select a different cloud with the same name.
    #[error("{var} is {path}, which cannot be read: {reason}", path = path.display())]
    Unreadable {
        var: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{}", not_found(cloud, file.as_deref(), secure.as_deref(), defined, searched))]
    NotFound {
        cloud: String,
        /// The clouds.yaml that was read (the first one found), if any.
        file: Option<PathBuf>,
        /// The secure.yaml merged into it, if any.
        secure: Option<PathBuf>,
        /// The names of the clouds the files define (names only, never their contents).
        defined: Vec<String>,
        searched: Vec<PathBuf>,
    },
}

fn not_found(
    cloud: &str,
    file: Option<&Path>,
    secure: Option<&Path>,
    defined: &[String],
    searched: &[PathBuf],
) -> String {
    let Some(file) = file.or(secure) else {
        let searched: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
        return format!(
            "cloud `{cloud}` ({}): no clouds.yaml found (looked for: {})",
            env::CLOUD,
            searched.join(", ")
        );
    };
    let mut read = file.display().to_string();
    if let Some(secure) = secure.filter(|s| *s != file) {
        read = format!("{read} (with {})", secure.display());
    }
    if defined.is_empty() {
        format!(
            "cloud `{cloud}` ({}) is not defined in {read}, which defines no clouds",
            env::CLOUD
        )
    } else {
        format!(
            "cloud `{cloud}` ({}) is not defined in {read}; defined clouds: {}",
            env::CLOUD,
            defined.join(", ")
        )
    }
}

/// openstacksdk's file names, in its order of preference within a directory.
const SUFFIXES: [&str; 3] = ["yaml", "yml", "json"];

/// Where clouds.yaml is looked for, first match wins: `OS_CLIENT_CONFIG_FILE`, then the
/// working directory, the user's config directory (`$XDG_CONFIG_HOME/openstack`,
/// `~/.config/openstack`) and `/etc/openstack`.
pub fn search_paths(env: Env<'_>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = env::first(env, &[env::CLIENT_CONFIG_FILE])
        .map(PathBuf::from)
        .into_iter()
        .collect();
    for dir in search_dirs(env) {
        paths.extend(SUFFIXES.iter().map(|s| dir.join(format!("clouds.{s}"))));
    }
    paths
}

fn search_dirs(env: Env<'_>) -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::new()];
    if let Some(xdg) = env::first(env, &[env::XDG_CONFIG_HOME]) {
        dirs.push(Path::new(&xdg).join("openstack"));
    }
    if let Some(home) = env::first(env, &[env::HOME]) {
        dirs.push(Path::new(&home).join(".config/openstack"));
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs.dedup();
    dirs
}

/// Where secure.yaml is looked for: `OS_CLIENT_SECURE_FILE`, then `secure.*` in each
/// directory of `clouds_paths`, in order. So a secure.yaml beside the file that
/// `OS_CLIENT_CONFIG_FILE` names is its pair, and otherwise the directories are openstacksdk's.
fn secure_paths(clouds_paths: &[PathBuf], env: Env<'_>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = env::first(env, &[env::CLIENT_SECURE_FILE])
        .map(PathBuf::from)
        .into_iter()
        .collect();
    let mut dirs: Vec<&Path> = Vec::new();
    for path in clouds_paths {
        let dir = path.parent().unwrap_or(Path::new(""));
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        paths.extend(SUFFIXES.iter().map(|s| dir.join(format!("secure.{s}"))));
    }
    paths
}

/// The entry named `cloud`: the first clouds.yaml of `paths` that exists (the others are not
/// read, as in openstacksdk), deep-merged with the first secure.yaml found, secure winning.
pub fn find(cloud: &str, paths: &[PathBuf], env: Env<'_>) -> Result<CloudEntry, CloudsYamlError> {
    let clouds = first_file(
        paths,
        env::first(env, &[env::CLIENT_CONFIG_FILE]).as_deref(),
        env::CLIENT_CONFIG_FILE,
    )?;
    let secure_candidates = secure_paths(paths, env);
    let secure = first_file(
        &secure_candidates,
        env::first(env, &[env::CLIENT_SECURE_FILE]).as_deref(),
        env::CLIENT_SECURE_FILE,
    )?;
    let mut merged = Map::new();
    for (path, text) in clouds.iter().chain(secure.iter()) {
        merge(&mut merged, clouds_of(path, text)?);
    }
    let Some(entry) = merged.remove(cloud) else {
        return Err(CloudsYamlError::NotFound {
            cloud: cloud.to_owned(),
            file: clouds.map(|(p, _)| p),
            secure: secure.map(|(p, _)| p),
            defined: merged.keys().cloned().collect(),
            searched: paths.to_vec(),
        });
    };
    let origin = clouds
        .as_ref()
        .or(secure.as_ref())
        .map(|(p, _)| p.clone())
        .unwrap_or_default();
    entry_from(cloud, &origin, entry)
}

/// The first readable file of `candidates`. The one an environment variable named must exist.
fn first_file(
    candidates: &[PathBuf],
    named: Option<&str>,
    var: &'static str,
) -> Result<Option<(PathBuf, String)>, CloudsYamlError> {
    for path in candidates {
        match std::fs::read_to_string(path) {
            Ok(text) => return Ok(Some((path.clone(), text))),
            Err(e) if named.is_some_and(|n| Path::new(n) == path) => {
                return Err(CloudsYamlError::Unreadable {
                    var,
                    path: path.clone(),
                    reason: e.to_string(),
                });
            }
            Err(_) => {}
        }
    }
    Ok(None)
}

/// The `clouds:` mapping of one file.
fn clouds_of(path: &Path, text: &str) -> Result<Map<String, Value>, CloudsYamlError> {
    // Only the position is reported: the parser's message can quote a value, and a value
    // in these files may be a password.
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| CloudsYamlError::Parse {
        path: path.to_owned(),
        message: match e.location() {
            Some(at) => format!(
                "not a valid clouds.yaml (line {}, column {})",
                at.line(),
                at.column()
            ),
            None => "not a valid clouds.yaml".to_owned(),
        },
    })?;
    match doc {
        Value::Null => Ok(Map::new()),
        Value::Object(mut top) => match top.remove("clouds") {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(clouds)) => Ok(clouds),
            Some(_) => Err(CloudsYamlError::Parse {
                path: path.to_owned(),
                message: "`clouds` must be a mapping of cloud names to entries".into(),
            }),
        },
        _ => Err(CloudsYamlError::Parse {
            path: path.to_owned(),
            message: "not a valid clouds.yaml (the top level must be a mapping)".into(),
        }),
    }
}

/// Deep merge, `over` winning; mappings merge key by key, anything else is replaced.
fn merge(base: &mut Map<String, Value>, over: Map<String, Value>) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn entry_from(cloud: &str, path: &Path, mut value: Value) -> Result<CloudEntry, CloudsYamlError> {
    // YAML writes `project_id: 123` or `password: 2024` unquoted; every field rewind reads
    // is a string.
    stringify_scalars(&mut value);
    let top = value.as_object().cloned().unwrap_or_default();
    // The serde message is not shown: it can quote the offending value.
    let mut entry: CloudEntry =
        serde_json::from_value(value).map_err(|_| CloudsYamlError::Parse {
            path: path.to_owned(),
            message: format!(
                "clouds.{cloud} has an unexpected shape (`auth` must be a mapping of strings)"
            ),
        })?;
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key).and_then(Value::as_str).map(str::to_owned)
    };
    let auth = top
        .get("auth")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // openstacksdk's backwards-compatible project keys, in its order.
    for (field, aliases) in [
        (&mut entry.auth.project_id, ["tenant_id", "project_id"]),
        (
            &mut entry.auth.project_name,
            ["tenant_name", "project_name"],
        ),
    ] {
        if field.is_none() {
            *field = aliases
                .iter()
                .find_map(|k| text(&auth, k).or_else(|| text(&top, k)));
        }
    }
    if entry.region_name.is_none() {
        entry.region_name = match top
            .get("regions")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
        {
            Some(Value::String(name)) => Some(name.clone()),
            Some(Value::Object(region)) => text(region, "name"),
            _ => None,
        };
    }
    // `{region_name}` in auth_url is an OpenStack placeholder (GOPHER loader.go).
    if let (Some(url), Some(region)) = (&entry.auth.auth_url, &entry.region_name) {
        entry.auth.auth_url = Some(url.replace("{region_name}", region));
    }
    Ok(entry)
}

fn stringify_scalars(value: &mut Value) {
    match value {
        Value::Number(n) => *value = Value::String(n.to_string()),
        Value::Bool(b) => *value = Value::String(b.to_string()),
        Value::Array(items) => items.iter_mut().for_each(stringify_scalars),
        Value::Object(map) => map.values_mut().for_each(stringify_scalars),
        Value::Null | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn search_order_is_openstacksdks_with_the_override_first() {
        let env = env_of(&[
            ("OS_CLIENT_CONFIG_FILE", "/x/my-clouds.yaml"),
            ("HOME", "/home/u"),
        ]);
        let paths = search_paths(&env);
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            shown,
            [
                "/x/my-clouds.yaml",
                "clouds.yaml",
                "clouds.yml",
                "clouds.json",
                "/home/u/.config/openstack/clouds.yaml",
                "/home/u/.config/openstack/clouds.yml",
                "/home/u/.config/openstack/clouds.json",
                "/etc/openstack/clouds.yaml",
                "/etc/openstack/clouds.yml",
                "/etc/openstack/clouds.json",
            ]
        );
        let secure: Vec<String> = secure_paths(&paths, &env)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(secure[0], "/x/secure.yaml");
        assert_eq!(secure[3], "secure.yaml");
        assert!(secure.contains(&"/home/u/.config/openstack/secure.yaml".to_owned()));
        assert_eq!(
            secure.last().map(String::as_str),
            Some("/etc/openstack/secure.json")
        );
        let env = env_of(&[
            ("OS_CLIENT_SECURE_FILE", "/s/sec.yaml"),
            ("XDG_CONFIG_HOME", "/xdg"),
        ]);
        let paths = search_paths(&env);
        assert_eq!(paths[3], Path::new("/xdg/openstack/clouds.yaml"));
        assert_eq!(secure_paths(&paths, &env)[0], Path::new("/s/sec.yaml"));
    }

    #[test]
    fn merge_is_deep_and_the_second_wins() {
        let mut base: Map<String, Value> = serde_json::from_str(
            r#"{"a": {"auth": {"username": "u", "password": "old"}, "region_name": "eu-de"}, "b": {}}"#,
        )
        .unwrap();
        let over =
            serde_json::from_str(r#"{"a": {"auth": {"password": "new"}}, "c": {"x": 1}}"#).unwrap();
        merge(&mut base, over);
        assert_eq!(
            Value::Object(base),
            serde_json::json!({"a": {"auth": {"username": "u", "password": "new"}, "region_name": "eu-de"}, "b": {}, "c": {"x": 1}})
        );
    }

    #[test]
    fn region_and_project_come_from_the_entry_in_every_spelling() {
        let entry = |yaml: &str| {
            let doc: Value = serde_saphyr::from_str(yaml).unwrap();
            entry_from("c", Path::new("clouds.yaml"), doc).unwrap()
        };
        let e = entry("auth:\n  project_name: eu-de_sub\n  project_id: 0123\nregion_name: eu-de\n");
        assert_eq!(e.auth.project_name.as_deref(), Some("eu-de_sub"));
        assert_eq!(e.region_name.as_deref(), Some("eu-de"));
        let e = entry("auth:\n  tenant_id: abc\n  tenant_name: eu-nl\nregions: [eu-nl, eu-de]\n");
        assert_eq!(e.auth.project_id.as_deref(), Some("abc"));
        assert_eq!(e.auth.project_name.as_deref(), Some("eu-nl"));
        assert_eq!(e.region_name.as_deref(), Some("eu-nl"));
        let e = entry(
            "project_id: top\nproject_name: eu-de\nregions:\n  - name: eu-de\n    values: {}\n",
        );
        assert_eq!(e.auth.project_id.as_deref(), Some("top"));
        assert_eq!(e.auth.project_name.as_deref(), Some("eu-de"));
        assert_eq!(e.region_name.as_deref(), Some("eu-de"));
        // An unquoted number is still a password.
        let e = entry("auth:\n  password: 20240101\n");
        assert_eq!(
            e.auth.password.as_ref().map(Secret::expose),
            Some("20240101")
        );
    }

    #[test]
    fn a_wrongly_shaped_entry_is_refused_without_quoting_it() {
        let doc: Value = serde_saphyr::from_str("auth: hunter2-secret\n").unwrap();
        let e = entry_from("c", Path::new("clouds.yaml"), doc).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("clouds.c"), "{e}");
    }

    /// A scratch directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("rewind-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_first_file_found_wins_and_secure_yaml_is_merged_over_it() {
        let s = Scratch::new("clouds-first");
        let first = s.write(
            "a/clouds.yaml",
            "clouds:\n  one:\n    auth: {username: u1, password: from-clouds}\n    region_name: eu-de\n",
        );
        let second = s.write(
            "b/clouds.yaml",
            "clouds:\n  two:\n    auth: {username: u2}\n",
        );
        s.write(
            "b/secure.yaml",
            "clouds:\n  one:\n    auth: {password: from-b}\n",
        );
        let secure = s.write(
            "s/custom-secure.yaml",
            "clouds:\n  one:\n    auth: {password: from-override}\n",
        );
        let paths = vec![first.clone(), second];
        let none = env_of(&[]);
        // b/secure.yaml is in the secure search (directory of a candidate), a/ has none.
        let e = find("one", &paths, &none).unwrap();
        assert_eq!(e.auth.username.as_deref(), Some("u1"));
        assert_eq!(e.auth.password.as_ref().map(Secret::expose), Some("from-b"));
        let over = env_of(&[("OS_CLIENT_SECURE_FILE", secure.to_str().unwrap())]);
        let e = find("one", &paths, &over).unwrap();
        assert_eq!(
            e.auth.password.as_ref().map(Secret::expose),
            Some("from-override")
        );
        // `two` is only in the second file, which openstacksdk never reads.
        let err = find("two", &paths, &none).unwrap_err();
        let CloudsYamlError::NotFound { file, defined, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(file.as_deref(), Some(first.as_path()));
        assert_eq!(defined, &["one".to_owned()]);
        let shown = err.to_string();
        assert!(shown.contains("defined clouds: one"), "{shown}");
        assert!(!shown.contains("from-"), "{shown}");
    }

    #[test]
    fn a_named_file_that_is_missing_is_an_error() {
        let s = Scratch::new("clouds-missing");
        let present = s.write("clouds.yaml", "clouds:\n  one: {}\n");
        let missing = s.0.join("nope/secure.yaml");
        let env = env_of(&[("OS_CLIENT_SECURE_FILE", missing.to_str().unwrap())]);
        let err = find("one", &[present], &env).unwrap_err();
        assert!(
            matches!(
                err,
                CloudsYamlError::Unreadable {
                    var: "OS_CLIENT_SECURE_FILE",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = find("one", &[s.0.join("none.yaml")], &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("no clouds.yaml found"), "{err}");
    }
}
