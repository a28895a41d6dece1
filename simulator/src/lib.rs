//! A faithful simulator of the OTC restore APIs (IAM, RDS, DDM, TaurusDB, CBR, DCS, EVS, DDS).

// # Tour
// - [`start`] binds one loopback port per [`Service`] and serves each at the root path, the way
//   the real cloud serves each service on its own host. It returns a [`Simulator`] handle.
// - The [`World`] (`world.rs`) is the whole cloud: credentials, instances, backups, jobs,
//   restore records, operation logs and fault rules. It loads from YAML ([`World::from_yaml`])
//   and is built in code by the `ensure_*` helpers (each service's in `world/<svc>.rs`).
// - `services.rs` is the service table: one row per service with its routes, its injected-5xx
//   answer, its route words (flow control) and its `Part` of the world (IDs, checks, how its
//   jobs and records end). Whole-world code reads rows, never a service by name.
// - Every request goes through one pipeline (`server.rs`): route → authenticate (`auth.rs`,
//   `aksk.rs`) → faults (`faults.rs`) → the service handler (`iam.rs`, `rds.rs` and
//   `rds_new.rs`, `ddm.rs`, `taurusdb.rs`, `cbr.rs`, `dcs.rs`, `dds.rs`, `dds_restore.rs` and
//   `dds_create.rs`, `gaussdb.rs`,
//   `evs.rs`) → request log (`requests.rs`).
// - Create bodies lose their `password` before parsing (`secret.rs`), so no error can quote
//   it; accepted creates and deletes are listed in order (`ledger.rs`) for tests to count.
// - Time is a controllable [`SimClock`] (`clock.rs`). Jobs never run in the background: before
//   each request the world is settled to the current simulated time (`lifecycle.rs`), so tests
//   advance the clock instead of sleeping.
// - `/_sim/...` on every port is the admin API (`admin.rs`).

mod admin;
pub mod aksk;
mod auth;
mod cbr;
mod clock;
mod dcs;
mod ddm;
mod dds;
mod dds_create;
mod dds_point;
mod dds_restore;
mod ensure;
pub use ensure::made_up_backup_id;
mod errors;
mod evs;
mod faults;
mod flow;
mod gaussdb;
mod http;
mod iam;
mod jobs;
mod ledger;
mod lifecycle;
mod rds;
mod rds_new;
mod rds_recycle;
mod rds_tables;
mod requests;
mod route;
mod secret;
mod server;
mod service;
mod services;
mod state;
mod taurusdb;
mod timefmt;
mod world;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use clock::SimClock;
pub use errors::SimError;
pub use faults::{FaultRule, Faults};
pub use flow::{FlowControl, ServiceFlow};
pub use ledger::{Creation, Deletion};
pub use requests::RequestLogEntry;
pub use service::Service;
pub use world::{
    AccessKey, Address, CbrBackup, CbrChildBackup, CbrServer, CbrWorld, Credentials,
    DataNodeRelation, DcsBackup, DcsInstance, DcsRestore, DcsWorld, DdmBackup, DdmInstance,
    DdmWorld, DdsBackup, DdsInstance, DdsWorld, Domain, Durations, EvsSnapshot, EvsVolume,
    EvsWorld, GaussdbBackup, GaussdbInstance, GaussdbWorld, Job, JobDurations, JobEffect,
    LastRestore, OperationLog, Project, RdsBackup, RdsContents, RdsDropped, RdsFlavor, RdsInstance,
    RdsWorld, RecycleBackup, RecycledInstance, TaurusdbBackup, TaurusdbInstance, TaurusdbWorld,
    User, Window, World,
};

/// Fixed ports, one per service. `0` asks the OS for a free port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ports {
    pub iam: u16,
    pub rds: u16,
    pub ddm: u16,
    pub taurusdb: u16,
    pub cbr: u16,
    pub dcs: u16,
    #[serde(default)]
    pub evs: u16,
    #[serde(default)]
    pub dds: u16,
    #[serde(default)]
    pub gaussdb: u16,
}

impl Ports {
    /// Consecutive ports starting at `base`, one per service in [`Service::ALL`] order.
    pub fn from_base(base: u16) -> Ports {
        let at = |i: u16| base.saturating_add(i);
        Ports {
            iam: at(0),
            rds: at(1),
            ddm: at(2),
            taurusdb: at(3),
            cbr: at(4),
            dcs: at(5),
            evs: at(6),
            dds: at(7),
            gaussdb: at(8),
        }
    }

    pub fn get(&self, service: Service) -> u16 {
        match service {
            Service::Iam => self.iam,
            Service::Rds => self.rds,
            Service::Ddm => self.ddm,
            Service::Taurusdb => self.taurusdb,
            Service::Cbr => self.cbr,
            Service::Dcs => self.dcs,
            Service::Evs => self.evs,
            Service::Dds => self.dds,
            Service::Gaussdb => self.gaussdb,
        }
    }

    fn set(&mut self, service: Service, port: u16) {
        match service {
            Service::Iam => self.iam = port,
            Service::Rds => self.rds = port,
            Service::Ddm => self.ddm = port,
            Service::Taurusdb => self.taurusdb = port,
            Service::Cbr => self.cbr = port,
            Service::Dcs => self.dcs = port,
            Service::Evs => self.evs = port,
            Service::Dds => self.dds = port,
            Service::Gaussdb => self.gaussdb = port,
        }
    }
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to bind every service to; loopback unless the user asks otherwise.
    pub listen: IpAddr,
    /// Fixes every generated ID and every fault roll.
    pub seed: u64,
    /// Simulated seconds per real second; `0.0` freezes time so only [`SimClock::advance`]
    /// moves it.
    pub time_scale: f64,
    pub world: World,
    /// `None` picks free ports.
    pub ports: Option<Ports>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
            seed: 0,
            time_scale: 1.0,
            world: World::default(),
            ports: None,
        }
    }
}

/// A running simulator. Dropping it stops the servers; [`Simulator::shutdown`] does so
/// gracefully.
pub struct Simulator {
    shared: Arc<state::Shared>,
    ports: Ports,
    servers: server::Servers,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("ports", &self.ports)
            .finish_non_exhaustive()
    }
}

/// Starts every service on its own port and returns once all of them accept connections.
pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
    if !config.time_scale.is_finite() || config.time_scale < 0.0 {
        return Err(SimError::Config(format!(
            "time_scale must be a finite number >= 0, got {}",
            config.time_scale
        )));
    }
    config.world.validate()?;
    let wanted = config.ports.unwrap_or_default();
    let mut listeners = Vec::new();
    let mut ports = Ports::default();
    for service in Service::ALL {
        let addr = SocketAddr::new(config.listen, wanted.get(service));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind {
                service,
                addr,
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| SimError::Bind {
                service,
                addr,
                source,
            })?
            .port();
        ports.set(service, port);
        listeners.push((service, listener));
    }
    let host = match config.listen {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let origin = |port: u16| match host {
        IpAddr::V4(v4) => format!("http://{v4}:{port}"),
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
    };
    let origins: BTreeMap<Service, String> = Service::ALL
        .iter()
        .map(|s| (*s, origin(ports.get(*s))))
        .collect();
    let clock = SimClock::new(
        config
            .world
            .now
            .unwrap_or_else(timefmt::system_now_ms)
            .saturating_add(config.world.clock_offset_seconds.saturating_mul(1000)),
        config.time_scale,
    );
    let shared = Arc::new(state::Shared::new(
        config.world,
        config.seed,
        clock,
        origins,
    ));
    let servers = server::spawn(&shared, listeners);
    Ok(Simulator {
        shared,
        ports,
        servers,
    })
}

impl Simulator {
    /// The environment a client needs, in print order: `OS_AUTH_URL` then one
    /// `REWIND_ENDPOINT_<SERVICE>` per service.
    pub fn endpoints(&self) -> Vec<(String, String)> {
        let mut out = vec![(
            "OS_AUTH_URL".to_owned(),
            format!("{}/v3", self.url(Service::Iam)),
        )];
        for service in &Service::ALL[1..] {
            out.push((
                format!("REWIND_ENDPOINT_{}", service.name().to_uppercase()),
                self.url(*service),
            ));
        }
        out
    }

    /// Password credentials of the world's first user, as `OS_*` variables.
    pub fn credentials_env(&self) -> Vec<(String, String)> {
        self.shared.with_state(|st| st.world.credentials.env())
    }

    /// The world's first AK/SK pair as `OS_ACCESS_KEY` / `OS_SECRET_KEY` (empty if none).
    pub fn access_key_env(&self) -> Vec<(String, String)> {
        self.shared.with_state(|st| {
            st.world
                .credentials
                .access_keys
                .first()
                .map(|k| {
                    vec![
                        ("OS_ACCESS_KEY".to_owned(), k.access.clone()),
                        ("OS_SECRET_KEY".to_owned(), k.secret.clone()),
                    ]
                })
                .unwrap_or_default()
        })
    }

    /// The origin (`http://host:port`) that serves `service`.
    pub fn url(&self, service: Service) -> String {
        self.shared.origin(service)
    }

    pub fn ports(&self) -> Ports {
        self.ports
    }

    pub fn clock(&self) -> SimClock {
        self.shared.clock.clone()
    }

    /// Accepted restore POSTs per target ID.
    pub fn submissions(&self) -> BTreeMap<String, u32> {
        self.shared.with_state(|st| st.submissions.clone())
    }

    /// Accepted restores to new instances (RDS and DDS), in order.
    pub fn creations(&self) -> Vec<Creation> {
        self.shared.with_state(|st| st.ledger.creations.clone())
    }

    /// Accepted instance deletes (RDS, DDS and DCS, whose delete has no job), in order.
    pub fn deletions(&self) -> Vec<Deletion> {
        self.shared.with_state(|st| st.ledger.deletions.clone())
    }

    /// The request log, secrets redacted.
    pub fn requests(&self) -> Vec<RequestLogEntry> {
        self.shared.with_state(|st| st.log.entries())
    }

    /// Replaces every fault rule (and the token lifetime override).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.with_state(|st| st.world.faults = faults);
    }

    /// The world as it is now, with jobs settled to the current simulated time.
    pub fn world_snapshot(&self) -> World {
        let now = self.shared.clock.now_ms();
        self.shared.with_state(|st| {
            crate::lifecycle::settle(&mut st.world, now);
            st.world.clone()
        })
    }

    /// Changes the running world (settled to now first): a backup taken, an instance gone,
    /// as the cloud changes between a plan and its apply.
    pub fn edit_world(&self, change: impl FnOnce(&mut World)) {
        let now = self.shared.clock.now_ms();
        self.shared.with_state(|st| {
            crate::lifecycle::settle(&mut st.world, now);
            change(&mut st.world);
        });
    }

    /// A handle that reads the world while the simulator runs, e.g. to keep it on disk.
    pub fn world_handle(&self) -> WorldHandle {
        WorldHandle {
            shared: self.shared.clone(),
        }
    }

    /// Stops accepting connections and waits (briefly) for open ones to finish.
    pub async fn shutdown(mut self) {
        self.servers.shutdown(Duration::from_secs(2)).await;
    }
}

/// Reads the world of a running simulator; cloning is cheap.
#[derive(Clone)]
pub struct WorldHandle {
    shared: Arc<state::Shared>,
}

impl std::fmt::Debug for WorldHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorldHandle").finish_non_exhaustive()
    }
}

impl WorldHandle {
    /// The world settled to the current simulated time, with `now` set to that time, so that
    /// a simulator started from it continues where this one is.
    pub fn snapshot(&self) -> World {
        let now = self.shared.clock.now_ms();
        let mut world = self.shared.with_state(|st| {
            crate::lifecycle::settle(&mut st.world, now);
            st.world.clone()
        });
        world.now = Some(now);
        world
    }
}
