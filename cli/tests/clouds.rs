//! clouds.yaml + secure.yaml through OS_CLIENT_CONFIG_FILE, end to end: `rewind plan` authenticates against the simulator; a missing cloud is named without secrets.

use rewind_engine::compile::compile;
use rewind_engine::spec::LoadOptions;
use rewind_sim::{SimConfig, Simulator};
use std::path::{Path, PathBuf};
use std::process::Command;

/// In clouds.yaml: must be overridden by secure.yaml, or authentication fails.
const DECOY_PASSWORD: &str = "decoy-password-in-clouds-yaml";
/// Another cloud's password, in secure.yaml: must never be shown either.
const OTHER_PASSWORD: &str = "staging-secret-9f8e7d";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

struct Fixture {
    dir: tempfile::TempDir,
    sim: Simulator,
    /// Keeps the simulator serving while `rewind` runs; dropped after it.
    _runtime: tokio::runtime::Runtime,
    password: String,
}

/// A simulator whose world holds everything examples/ddm-pitr.yaml names, the spec in a
/// sandbox, and `conf/clouds.yaml` + `conf/secure.yaml` describing the simulator as cloud
/// `sim` (password only in secure.yaml) next to a cloud `staging`.
fn fixture() -> Fixture {
    let dir = tempfile::Builder::new()
        .prefix("rewind-clouds-test-")
        .tempdir()
        .expect("temp dir");
    let text = std::fs::read_to_string(workspace().join("examples/ddm-pitr.yaml")).expect("spec");
    std::fs::write(dir.path().join("restore.yaml"), &text).expect("write spec");
    let compiled = compile("restore.yaml", &text, &LoadOptions::default()).expect("compiles");
    let world =
        rewind_cli::simulate::world_for(&compiled.spec, jiff::Timestamp::now().as_millisecond());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime
        .block_on(rewind_sim::start(SimConfig {
            time_scale: 0.0,
            world,
            ..SimConfig::default()
        }))
        .expect("simulator starts");
    let creds: std::collections::BTreeMap<String, String> =
        sim.credentials_env().into_iter().collect();
    let auth_url = format!("{}/v3", sim.url(rewind_sim::Service::Iam));
    let conf = dir.path().join("conf");
    std::fs::create_dir(&conf).expect("mkdir");
    std::fs::write(
        conf.join("clouds.yaml"),
        format!(
            "clouds:\n  sim:\n    auth:\n      auth_url: {auth_url}\n      username: {user}\n      \
             password: {DECOY_PASSWORD}\n      user_domain_name: {domain}\n      \
             project_name: {project}\n    region_name: eu-de\n    interface: public\n  \
             staging:\n    auth:\n      auth_url: https://iam.eu-nl.otc.t-systems.com/v3\n      \
             username: ops\n      user_domain_name: OTC-EU-NL\n    region_name: eu-nl\n",
            user = creds["OS_USERNAME"],
            domain = creds["OS_USER_DOMAIN_NAME"],
            project = creds["OS_PROJECT_NAME"],
        ),
    )
    .expect("write clouds.yaml");
    std::fs::write(
        conf.join("secure.yaml"),
        format!(
            "clouds:\n  sim:\n    auth:\n      password: '{}'\n  staging:\n    auth:\n      password: {OTHER_PASSWORD}\n",
            creds["OS_PASSWORD"]
        ),
    )
    .expect("write secure.yaml");
    Fixture {
        dir,
        sim,
        _runtime: runtime,
        password: creds["OS_PASSWORD"].clone(),
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Fixture {
    /// `rewind ARGS` in the sandbox, with only OS_CLIENT_CONFIG_FILE, OS_CLOUD and `extra`.
    fn rewind(&self, cloud: &str, args: &[&str], extra: &[(&str, &str)]) -> Out {
        let out = Command::new(env!("CARGO_BIN_EXE_rewind"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .env("HOME", self.dir.path())
            .env(
                "OS_CLIENT_CONFIG_FILE",
                self.dir.path().join("conf/clouds.yaml"),
            )
            .env("OS_CLOUD", cloud)
            .envs(extra.iter().copied())
            .output()
            .expect("run rewind");
        Out {
            code: out.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(out.stdout).expect("UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("UTF-8"),
        }
    }

    fn assert_no_secret(&self, out: &Out) {
        for secret in [self.password.as_str(), DECOY_PASSWORD, OTHER_PASSWORD] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "a password is in the output:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
}

#[test]
fn a_clouds_and_secure_yaml_pair_from_os_client_config_file_authenticates_against_the_simulator() {
    let f = fixture();
    let out = f.rewind("sim", &["plan"], &[]);
    assert_eq!(
        out.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.contains("orders-metadata"), "{}", out.stdout);
    f.assert_no_secret(&out);
    let requests = f.sim.requests();
    let tokens: Vec<u16> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/auth/tokens"))
        .map(|r| r.status)
        .collect();
    // One password login, accepted: secure.yaml's password won over clouds.yaml's decoy.
    assert_eq!(tokens, [201], "{requests:#?}");
    assert!(
        requests
            .iter()
            .any(|r| r.auth == "token" && r.path.contains("/instances")),
        "preflight read the instances with the token: {requests:#?}"
    );
}

#[test]
fn a_missing_cloud_lists_the_defined_ones_and_no_password() {
    let f = fixture();
    for args in [
        &["plan"][..],
        &["plan", "--json"],
        &["apply", "--auto-approve"],
    ] {
        let out = f.rewind("prod", args, &[("REWIND_LOG", "trace")]);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stdout);
        let shown = format!("{}{}", out.stdout, out.stderr);
        assert!(shown.contains("`prod`"), "{args:?}: {shown}");
        assert!(
            shown.contains("defined clouds: sim, staging"),
            "{args:?}: {shown}"
        );
        assert!(shown.contains("clouds.yaml"), "{args:?}: {shown}");
        f.assert_no_secret(&out);
    }
    // Nothing was sent anywhere.
    assert!(f.sim.requests().is_empty());
}

#[test]
fn an_os_client_config_file_that_is_not_there_is_an_error_not_a_fallback() {
    let f = fixture();
    // A clouds.yaml in the working directory defines `sim` too; it must not be used silently.
    std::fs::copy(
        f.dir.path().join("conf/clouds.yaml"),
        f.dir.path().join("clouds.yaml"),
    )
    .expect("copy");
    let missing = f.dir.path().join("conf/nope.yaml");
    let out = f.rewind(
        "sim",
        &["plan"],
        &[("OS_CLIENT_CONFIG_FILE", missing.to_str().expect("UTF-8"))],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("OS_CLIENT_CONFIG_FILE"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nope.yaml"), "{}", out.stderr);
    f.assert_no_secret(&out);
    assert!(f.sim.requests().is_empty());
}
