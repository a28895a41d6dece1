//! The state behind every port, under one lock: world, seeded IDs, tokens, submissions, log.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::SimClock;
use crate::requests::RequestLog;
use crate::service::Service;
use crate::world::World;

/// What every server task holds.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    pub clock: SimClock,
    /// `http://host:port` per service, for the catalog and the endpoints list.
    pub origins: BTreeMap<Service, String>,
}

impl Shared {
    pub(crate) fn new(
        world: World,
        seed: u64,
        clock: SimClock,
        origins: BTreeMap<Service, String>,
    ) -> Shared {
        Shared {
            state: Mutex::new(State::new(world, seed)),
            clock,
            origins,
        }
    }

    /// Runs `f` under the lock. Handlers never panic, but a poisoned lock still holds a
    /// consistent world, so it is used rather than propagated.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    pub(crate) fn origin(&self, service: Service) -> String {
        self.origins.get(&service).cloned().unwrap_or_default()
    }
}

/// An issued IAM token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// `None` for domain-scoped or unscoped tokens, which no project service accepts.
    pub project_id: Option<String>,
    pub expires_ms: i64,
    /// The user it was issued to: flow control counts calls per user, not per token.
    pub user: String,
}

/// Consecutive bad signatures per AK; five lock the key for five minutes (otc-api.md §8).
#[derive(Debug, Clone, Default)]
pub(crate) struct AkFailures {
    pub count: u32,
    pub locked_until: i64,
}

#[derive(Debug)]
pub(crate) struct State {
    pub world: World,
    /// Resource IDs (jobs, records, tokens); separate streams keep request IDs and fault rolls
    /// from shifting them.
    ids: StdRng,
    request_ids: StdRng,
    pub fault_rng: StdRng,
    pub tokens: BTreeMap<String, Token>,
    pub submissions: BTreeMap<String, u32>,
    pub log: RequestLog,
    pub aksk_failures: BTreeMap<String, AkFailures>,
    pub flow: crate::flow::Buckets,
    pub ledger: crate::ledger::Ledger,
}

impl State {
    fn new(world: World, seed: u64) -> State {
        State {
            world,
            ids: StdRng::seed_from_u64(seed),
            request_ids: StdRng::seed_from_u64(seed ^ 0x5EED_0000_0000_0001),
            fault_rng: StdRng::seed_from_u64(seed ^ 0x5EED_0000_0000_0002),
            tokens: BTreeMap::new(),
            submissions: BTreeMap::new(),
            log: RequestLog::default(),
            aksk_failures: BTreeMap::new(),
            flow: crate::flow::Buckets::default(),
            ledger: crate::ledger::Ledger::default(),
        }
    }

    /// 32 lowercase hex digits, the shape of RDS and DDM job IDs.
    pub(crate) fn hex_id(&mut self) -> String {
        format!("{:032x}", self.ids.random::<u128>())
    }

    /// `8-4-4-4-12` hex, the shape of TaurusDB jobs, DCS restores and CBR logs.
    pub(crate) fn uuid(&mut self) -> String {
        uuid_from(self.ids.random::<u128>())
    }

    pub(crate) fn request_id(&mut self) -> String {
        format!("{:032x}", self.request_ids.random::<u128>())
    }

    /// A long opaque token, like IAM's PKI tokens.
    pub(crate) fn token_id(&mut self) -> String {
        let mut out = String::from("MIIsim");
        for _ in 0..6 {
            let _ = write!(out, "{:032x}", self.ids.random::<u128>());
        }
        out
    }

    /// Counts an accepted restore POST against its target.
    pub(crate) fn submitted(&mut self, target: &str) {
        *self.submissions.entry(target.to_owned()).or_insert(0) += 1;
    }

    /// An RDS or DDS instance ID: 32 hex digits and the service's suffix (`in01`, `in02`).
    pub(crate) fn instance_id(&mut self, suffix: &str) -> String {
        format!("{}{suffix}", self.hex_id())
    }
}

fn uuid_from(v: u128) -> String {
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_per_seed() {
        let mut first = State::new(World::default(), 7);
        let mut same = State::new(World::default(), 7);
        let mut other = State::new(World::default(), 8);
        let id = first.hex_id();
        assert_eq!(id, same.hex_id());
        assert_ne!(id, other.hex_id());
        assert_eq!(id.len(), 32);
        let uuid = first.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.matches('-').count(), 4);
    }

    #[test]
    fn request_ids_do_not_shift_resource_ids() {
        let mut a = State::new(World::default(), 1);
        let mut b = State::new(World::default(), 1);
        let _ = a.request_id();
        assert_eq!(a.hex_id(), b.hex_id());
    }
}
