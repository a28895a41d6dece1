//! Where the budget's slots live: a sliding-window log per (target, API), behind `SlotBackend`.
//
// A slot is held from the moment its request is let go until its answer came back, and then
// for one window more. The gateway counts a call when it arrives, which is after the send
// and before the answer, so a window that starts at the answer covers every call the
// gateway still counts: at most `limit` slots held means at most `limit` calls in any window
// of the gateway's, whatever its latency.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// An API of one target: (`rds`, `GET /v3/{project_id}/jobs`).
pub type Key = (String, String);

/// One taken slot, to be ended with [`SlotBackend::end`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SlotId(pub u64);

/// What asking for a slot decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    Granted(SlotId),
    /// Every slot is held. `Some(at)`: the oldest ended slot leaves the window then;
    /// `None`: every held slot is still in flight, and the next [`SlotBackend::end`] frees one.
    Full(Option<Instant>),
}

/// Keeps the slots of every API. The run's budget asks it for a slot before each request;
/// one kept in a database would share the limit between processes.
pub trait SlotBackend: Send + Sync + std::fmt::Debug {
    /// Takes a slot of `key` when fewer than `limit` are held within `window`, or always
    /// when `force` (the one call a `Retry-After` invited).
    fn take(&self, key: &Key, limit: u32, window: Duration, force: bool) -> Take;
    /// The request of `slot` was answered (or given up). A slot that is not `counted` (a 429:
    /// the gateway refused the call) leaves at once; any other stays one window from now.
    fn end(&self, key: &Key, slot: SlotId, counted: bool);
    /// Slots of `key` held now (in flight, or ended within `window`).
    fn held(&self, key: &Key, window: Duration) -> u32;
}

/// Slots of this process only.
#[derive(Debug, Default)]
pub struct LocalSlots {
    inner: Mutex<Local>,
}

#[derive(Debug, Default)]
struct Local {
    next: u64,
    /// Per API, oldest first: a slot and when its answer came (`None` while in flight).
    lanes: BTreeMap<Key, VecDeque<(SlotId, Option<Instant>)>>,
}

impl Local {
    fn lane(&mut self, key: &Key, window: Duration) -> &mut VecDeque<(SlotId, Option<Instant>)> {
        let now = Instant::now();
        let lane = self.lanes.entry(key.clone()).or_default();
        lane.retain(|(_, ended)| ended.is_none_or(|at| at + window > now));
        lane
    }
}

impl SlotBackend for LocalSlots {
    fn take(&self, key: &Key, limit: u32, window: Duration, force: bool) -> Take {
        let mut local = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let id = SlotId(local.next);
        let lane = local.lane(key, window);
        if force || lane.len() < limit as usize {
            lane.push_back((id, None));
            local.next += 1;
            return Take::Granted(id);
        }
        Take::Full(
            lane.iter()
                .filter_map(|(_, ended)| *ended)
                .min()
                .map(|at| at + window),
        )
    }

    fn end(&self, key: &Key, slot: SlotId, counted: bool) {
        let mut local = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lane) = local.lanes.get_mut(key) {
            if counted {
                if let Some(entry) = lane.iter_mut().find(|(id, _)| *id == slot) {
                    entry.1 = Some(Instant::now());
                }
            } else {
                lane.retain(|(id, _)| *id != slot);
            }
        }
    }

    fn held(&self, key: &Key, window: Duration) -> u32 {
        let mut local = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        u32::try_from(local.lane(key, window).len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        ("rds".into(), "GET /a".into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_is_held_until_one_window_after_its_answer() {
        let slots = LocalSlots::default();
        let w = Duration::from_secs(60);
        let Take::Granted(a) = slots.take(&key(), 2, w, false) else {
            panic!("first slot")
        };
        let Take::Granted(_) = slots.take(&key(), 2, w, false) else {
            panic!("second slot")
        };
        // Both in flight: nothing frees until an answer.
        assert_eq!(slots.take(&key(), 2, w, false), Take::Full(None));
        tokio::time::advance(Duration::from_secs(100)).await;
        assert_eq!(slots.take(&key(), 2, w, false), Take::Full(None));
        slots.end(&key(), a, true);
        let freed = Instant::now() + w;
        assert_eq!(slots.take(&key(), 2, w, false), Take::Full(Some(freed)));
        tokio::time::advance(w).await;
        assert!(matches!(slots.take(&key(), 2, w, false), Take::Granted(_)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_call_leaves_at_once_and_force_always_takes() {
        let slots = LocalSlots::default();
        let w = Duration::from_secs(60);
        let Take::Granted(a) = slots.take(&key(), 1, w, false) else {
            panic!("first slot")
        };
        slots.end(&key(), a, false);
        assert_eq!(slots.held(&key(), w), 0);
        assert!(matches!(slots.take(&key(), 1, w, false), Take::Granted(_)));
        assert!(matches!(slots.take(&key(), 1, w, true), Take::Granted(_)));
        assert_eq!(slots.held(&key(), w), 2);
    }
}
