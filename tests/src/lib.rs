//! End-to-end harness: a simulator in this process, the `rewind` binary as a child process.
//!
//! Each [`Harness`] owns a simulator on loopback ports, a temporary directory holding the spec,
//! `rewind.toml` (fast polling) and the state, and the environment the simulator printed.
//! [`Harness::rewind`] runs the real binary with exactly that environment (nothing inherited
//! but `PATH`), so a test sees what a user sees: stdout, stderr and the exit status.

use rewind_engine::compile::compile;
use rewind_engine::spec::LoadOptions;
use rewind_sim::{Faults, SimConfig, Simulator, World};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Simulated seconds per real second in end-to-end tests: a 3-minute DDM job takes 0.18 s.
pub const TIME_SCALE: f64 = 1000.0;

/// Polling tuned for `TIME_SCALE`: rewind runs in "real" mode against the simulator, so its
/// delays are real seconds.
pub const FAST_POLLING: &str =
    "[polling]\nfirst = 0.02\nmin = 0.01\nmax = 0.2\nreconcile_delay = 0.05\n";

/// The simulator's flow control (60 calls per simulated minute per API) in the real minutes
/// rewind counts in, so that the budget matches the simulator exactly. Left out when a test
/// writes its own `[rate_limits]`.
pub fn matching_rate_limits(time_scale: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a small positive count
    let per_minute = (60.0 * time_scale).clamp(1.0, 1e9) as u64;
    format!("[rate_limits]\ndefault = {per_minute}\n")
}

/// The repository root (for `examples/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The `rewind` binary under test: beside the running executable (a benchmark or soak
/// binary), or one level up (an integration test lives in `deps/`). Cargo builds this
/// package's binaries before its integration tests.
pub fn rewind_bin() -> PathBuf {
    let name = format!("rewind-e2e{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().expect("test executable path");
    let here = exe.parent().map(|d| d.join(&name));
    let up = exe.parent().and_then(Path::parent).map(|d| d.join(&name));
    here.into_iter()
        .chain(up)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Builder options for a harness.
#[derive(Debug, Clone)]
pub struct Options {
    pub faults: Faults,
    pub time_scale: f64,
    pub seed: u64,
    /// Extra `rewind.toml` content appended after the fast polling section.
    pub settings: String,
    /// Plugin kinds the spec uses (for building the simulated world).
    pub kinds: Vec<rewind_engine::kinds::KindDecl>,
    /// Where instances answer (a probe's real server), by existing instance ID or by the
    /// name of an instance a restore creates.
    pub addresses: BTreeMap<String, rewind_sim::Address>,
    /// Changes the generated world last (a clock offset, short durations).
    pub world: Option<fn(&mut World)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            faults: Faults::default(),
            time_scale: TIME_SCALE,
            seed: 7,
            settings: String::new(),
            kinds: Vec::new(),
            addresses: BTreeMap::new(),
            world: None,
        }
    }
}

pub struct Harness {
    pub sim: Simulator,
    pub runtime: tokio::runtime::Runtime,
    pub dir: tempfile::TempDir,
    pub spec: PathBuf,
    env: Vec<(String, String)>,
}

/// Outcome of one `rewind` run.
#[derive(Debug)]
pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.status == Some(0)
    }

    /// Everything the run printed, for assertion messages.
    pub fn transcript(&self) -> String {
        format!(
            "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            status: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Harness {
    /// A simulator whose world holds everything `spec_text` references, healthy.
    pub fn new(spec_text: &str, options: &Options) -> Harness {
        let load = LoadOptions {
            kinds: options.kinds.clone(),
            ..LoadOptions::default()
        };
        let compiled = compile("restore.yaml", spec_text, &load)
            .unwrap_or_else(|r| panic!("test spec does not compile:\n{}", r.plain()));
        let now = jiff::Timestamp::now().as_millisecond();
        let mut world: World = rewind_cli::simulate::world_for(&compiled.spec, now);
        world.faults = options.faults.clone();
        map_addresses(&mut world, &options.addresses);
        if let Some(change) = options.world {
            change(&mut world);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let config = SimConfig {
            world,
            time_scale: options.time_scale,
            seed: options.seed,
            ..SimConfig::default()
        };
        let sim = runtime
            .block_on(rewind_sim::start(config))
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = dir.path().join("restore.yaml");
        std::fs::write(&spec, spec_text).expect("write spec");
        let limits = if options.settings.contains("[rate_limits]") {
            String::new()
        } else {
            matching_rate_limits(options.time_scale)
        };
        let settings = format!("{FAST_POLLING}{limits}{}", options.settings);
        std::fs::write(dir.path().join("rewind.toml"), settings).expect("write rewind.toml");
        let env = sim
            .endpoints()
            .into_iter()
            .chain(sim.credentials_env())
            .collect();
        Harness {
            sim,
            runtime,
            dir,
            spec,
            env,
        }
    }

    /// A harness for one of the files in `examples/`.
    pub fn example(name: &str, options: &Options) -> Harness {
        let text = std::fs::read_to_string(repo_root().join("examples").join(name))
            .expect("example exists");
        Harness::new(&text, options)
    }

    /// The environment the simulator printed (endpoints and credentials).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// A command for `rewind ARGS` in the harness directory with only the simulator's env.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(rewind_bin());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .envs(EXAMPLE_SECRETS.iter().copied())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        cmd
    }

    pub fn rewind(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("rewind runs").into()
    }

    /// `rewind apply --auto-approve` plus `extra`.
    pub fn apply(&self, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "--auto-approve"];
        args.extend_from_slice(extra);
        self.rewind(&args)
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rewind starts")
    }

    /// Accepted restore POSTs per target, as the simulator counted them.
    pub fn submissions(&self) -> BTreeMap<String, u32> {
        self.sim.submissions()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.sim.set_faults(faults);
    }

    /// The state directory rewind uses in this harness.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join(".rewind")
    }
}

/// Points each instance of `addresses` (by ID), or each instance created under that name, at
/// the address given.
pub fn map_addresses(world: &mut World, addresses: &BTreeMap<String, rewind_sim::Address>) {
    for (key, address) in addresses {
        if let Some(i) = world.rds.instances.get_mut(key) {
            i.address = Some(address.clone());
        } else if let Some(i) = world.dds.instances.get_mut(key) {
            i.address = Some(address.clone());
        } else if let Some(i) = world.dcs.instances.get_mut(key) {
            i.address = Some(address.clone());
        } else {
            world
                .new_instance_addresses
                .insert(key.clone(), address.clone());
        }
    }
}

/// The secrets the examples read from the environment, with test values that pass every
/// engine's password rules. Tests grep for them to prove they never reach disk or output.
pub const EXAMPLE_SECRETS: &[(&str, &str)] = &[
    ("REWIND_NODE_PASSWORD", "Node-Pw-4c1e7a9b"),
    ("REWIND_MONGO_PASSWORD", "Mongo-Pw-8d2f6b3e"),
];

/// The target each operation restores onto: the key the simulator counts submissions by.
pub fn targets(spec_text: &str) -> BTreeMap<String, String> {
    targets_with(spec_text, &[])
}

/// [`targets`] for a spec that uses plugin kinds; a plugin op's target is its `volume_id`.
pub fn targets_with(
    spec_text: &str,
    kinds: &[rewind_engine::kinds::KindDecl],
) -> BTreeMap<String, String> {
    use rewind_engine::kinds::OpSpec;
    let load = LoadOptions {
        kinds: kinds.to_vec(),
        ..LoadOptions::default()
    };
    let compiled =
        compile("restore.yaml", spec_text, &load).unwrap_or_else(|r| panic!("{}", r.plain()));
    compiled
        .spec
        .ops
        .iter()
        .filter_map(|(name, op)| {
            let target = match &op.spec {
                OpSpec::Cbr(c) => c.server_id.clone().or_else(|| c.volume_id.clone()),
                OpSpec::Dcs(d) => Some(d.instance_id.clone()),
                OpSpec::DdsCollections(d) => Some(d.instance_id.clone()),
                OpSpec::External(e) => e.body["volume_id"].as_str().map(str::to_owned),
                other => other.source_and_target().map(|(_, t)| t.clone()),
            };
            target.map(|t| (name.clone(), t))
        })
        .collect()
}
