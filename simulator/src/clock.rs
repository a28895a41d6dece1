//! The controllable simulated clock: start + real elapsed × scale + manual advances.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Simulated time in epoch milliseconds. Cloning shares the same clock.
#[derive(Debug, Clone)]
pub struct SimClock {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    start_ms: i64,
    real_start: Instant,
    scale: f64,
    advanced_ms: i64,
}

impl SimClock {
    /// A clock that reads `start_ms` now and then runs `scale` times real time.
    pub fn new(start_ms: i64, scale: f64) -> SimClock {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            0.0
        };
        SimClock {
            inner: Arc::new(Mutex::new(Inner {
                start_ms,
                real_start: Instant::now(),
                scale,
                advanced_ms: 0,
            })),
        }
    }

    /// A clock that only moves when [`SimClock::advance`] is called.
    pub fn frozen(start_ms: i64) -> SimClock {
        SimClock::new(start_ms, 0.0)
    }

    pub fn now_ms(&self) -> i64 {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let scaled = if inner.scale > 0.0 {
            (inner.real_start.elapsed().as_secs_f64() * inner.scale * 1000.0) as i64
        } else {
            0
        };
        inner
            .start_ms
            .saturating_add(scaled)
            .saturating_add(inner.advanced_ms)
    }

    /// Moves simulated time forward; jobs due by then complete on the next request.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.advanced_ms = inner.advanced_ms.saturating_add(ms);
    }

    pub fn time_scale(&self) -> f64 {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let clock = SimClock::frozen(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        clock.clone().advance(Duration::from_secs(90));
        assert_eq!(clock.now_ms(), 91_000);
    }

    #[test]
    fn scaled_clock_never_goes_backwards() {
        let clock = SimClock::new(0, 1000.0);
        let a = clock.now_ms();
        let b = clock.now_ms();
        assert!(b >= a);
        assert!(a >= 0);
    }
}
