//! A running rehearsal: the simulator started over the world kept, given or built from the
//! spec, saving that world as it goes, and the provider configuration that reaches it.

use super::{extend_for, place};
use crate::args::SimulateArgs;
use crate::error::CliError;
use rewind_engine::kinds::Service;
use rewind_engine::spec::Spec;
use rewind_providers::{CloudConfig, Credentials, RateLimits, RetryPolicy, Secret};
use rewind_sim::{SimConfig, Simulator, World};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Simulated seconds per real second by default: a 3-minute DDM job takes 0.3 s.
pub const DEFAULT_TIME_SCALE: f64 = 600.0;
/// How often a running rehearsal saves its world, so that even a killed command leaves it.
const SAVE_EVERY: Duration = Duration::from_millis(250);

/// A running rehearsal simulator, how to reach it, and where its world is kept.
pub struct Rehearsal {
    pub sim: Simulator,
    pub time_scale: f64,
    pub place: Option<place::Place>,
    pub meta: place::Meta,
    saver: Option<tokio::task::JoinHandle<()>>,
}

/// Starts the simulator for a rehearsal. Its world is, in order: the one kept at `place` by
/// an earlier command (completed with whatever the spec names that it lacks), `--world FILE`,
/// or one built from the spec.
pub async fn start(
    spec: &Spec,
    args: &SimulateArgs,
    scale_setting: Option<f64>,
    seed: Option<u64>,
    place: Option<place::Place>,
) -> Result<Rehearsal, CliError> {
    let now = jiff::Timestamp::now().as_millisecond();
    let kept = match &place {
        Some(p) => p.load()?,
        None => None,
    };
    let (world, meta) = match (kept, &args.world) {
        (Some((mut world, mut meta)), _) => {
            meta.generation += 1;
            // The world continues at its own simulated time, not at the wall clock.
            let at = world.now.unwrap_or(now);
            if args.world.is_none() {
                meta.invented.extend(extend_for(&mut world, spec, at));
            }
            (world, meta)
        }
        (None, Some(path)) => (read_world(path)?, place::Meta::default()),
        (None, None) => {
            let mut world = World::healthy(now);
            let invented = extend_for(&mut world, spec, now);
            (
                world,
                place::Meta {
                    generation: 0,
                    invented,
                },
            )
        }
    };
    let time_scale = args
        .time_scale
        .or(scale_setting)
        .unwrap_or(DEFAULT_TIME_SCALE);
    if !(time_scale > 0.0 && time_scale.is_finite()) {
        return Err(CliError::msg(format!(
            "--time-scale must be a positive number, not {time_scale}"
        )));
    }
    let config = SimConfig {
        world,
        time_scale,
        seed: seed
            .unwrap_or(1)
            .wrapping_add(meta.generation.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        ..SimConfig::default()
    };
    let sim = rewind_sim::start(config)
        .await
        .map_err(|e| CliError::msg(format!("cannot start the simulator: {e}")))?;
    let rehearsal = Rehearsal {
        sim,
        time_scale,
        place,
        meta,
        saver: None,
    };
    Ok(rehearsal.keep_saving())
}

/// Reads a world file.
pub fn read_world(path: &std::path::Path) -> Result<World, CliError> {
    let text = crate::load::read_text(path)?;
    World::from_yaml(&text).map_err(|e| {
        CliError::hint(
            format!("world file {}: {e}", path.display()),
            "see simulator/README.md for the format",
        )
    })
}

impl Rehearsal {
    /// A rehearsal without a kept world (`rewind init --simulate`).
    pub fn unkept(sim: Simulator, time_scale: f64) -> Rehearsal {
        Rehearsal {
            sim,
            time_scale,
            place: None,
            meta: place::Meta::default(),
            saver: None,
        }
    }

    /// The IDs the world invented for the spec: checks on them are assumed, not checked.
    pub fn invented(&self) -> &BTreeSet<String> {
        &self.meta.invented
    }

    /// The world as it is now, at its simulated time.
    pub fn snapshot(&self) -> World {
        self.sim.world_handle().snapshot()
    }

    fn save(&self) -> Result<(), String> {
        match &self.place {
            Some(p) => p.save(&self.snapshot(), &self.meta),
            None => Ok(()),
        }
    }

    /// Saves at once, then every [`SAVE_EVERY`] while the simulator runs.
    fn keep_saving(mut self) -> Rehearsal {
        let Some(place) = self.place.clone() else {
            return self;
        };
        if let Err(e) = self.save() {
            tracing::warn!(error = %e, "the rehearsal world could not be kept");
        }
        let sim_world = self.sim.world_handle();
        let meta = self.meta.clone();
        self.saver = Some(tokio::spawn(async move {
            let mut last = String::new();
            loop {
                tokio::time::sleep(SAVE_EVERY).await;
                let world = sim_world.snapshot();
                let text = world.to_yaml().unwrap_or_default();
                if text != last {
                    if let Err(e) = place.save(&world, &meta) {
                        tracing::warn!(error = %e, "the rehearsal world could not be kept");
                    }
                    last = text;
                }
            }
        }));
        self
    }

    /// Saves the world beside the state and stops the simulator. A world that cannot be
    /// saved is a warning: the command itself is done.
    pub async fn finish(mut self, printer: &crate::printer::Printer) {
        if let Some(saver) = self.saver.take() {
            saver.abort();
        }
        if let Err(e) = self.save() {
            printer.error(&format!(
                "Warning: the rehearsal world could not be kept ({e}); the next --simulate command on this state starts a new one"
            ));
        }
        self.sim.shutdown().await;
    }

    /// Provider configuration pointing every service at the simulator, with its credentials.
    pub fn cloud_config(&self) -> Result<CloudConfig, CliError> {
        let env: BTreeMap<String, String> = self
            .sim
            .endpoints()
            .into_iter()
            .chain(self.sim.credentials_env())
            .collect();
        let get = |k: &str| env.get(k).cloned();
        let credentials = Credentials::Password {
            username: get("OS_USERNAME").unwrap_or_default(),
            password: Secret::new(get("OS_PASSWORD").unwrap_or_default()),
            domain_name: get("OS_USER_DOMAIN_NAME").unwrap_or_default(),
        };
        let mut config = CloudConfig::new(credentials);
        config.auth_url = get("OS_AUTH_URL");
        config.project_id = get("OS_PROJECT_ID");
        config.project_name = get("OS_PROJECT_NAME");
        config.region = Some("eu-de".to_owned());
        for service in Service::ALL {
            let var = rewind_providers::env::endpoint_var(service);
            if let Some(url) = get(var) {
                config.endpoints.insert(service, url);
            }
        }
        // Services only plugins serve (EVS) reach the plugin through the same endpoints.
        for (var, url) in &env {
            if let Some(name) = var.strip_prefix("REWIND_ENDPOINT_") {
                let service = Service::parse_any(&name.to_lowercase());
                config
                    .endpoints
                    .entry(service)
                    .or_insert_with(|| url.clone());
            }
        }
        config.retry = RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        // The simulator's minute is `time_scale` times shorter; so is the budget's.
        config.rate_limits = RateLimits {
            time_scale: self.time_scale,
            ..RateLimits::default()
        };
        Ok(config)
    }
}
