//! A rehearsal's clock for its reports: wall-clock instants mapped onto the simulator's time.

use rewind_drills::{DrillProbe, OperationTiming};

/// Simulated time as a linear function of real time: the simulator's clock runs `scale`
/// times faster than the wall clock from one instant both were read at.
#[derive(Debug, Clone, Copy)]
pub struct SimTime {
    real0_ms: i64,
    sim0_ms: i64,
    scale: f64,
}

impl SimTime {
    /// Reads both clocks now.
    pub fn start(clock: &rewind_sim::SimClock) -> SimTime {
        SimTime {
            sim0_ms: clock.now_ms(),
            real0_ms: jiff::Timestamp::now().as_millisecond(),
            scale: clock.time_scale(),
        }
    }

    #[cfg(test)]
    pub fn fixed(real0_ms: i64, sim0_ms: i64, scale: f64) -> SimTime {
        SimTime {
            real0_ms,
            sim0_ms,
            scale,
        }
    }

    /// The simulated instant of the real instant `t`.
    pub fn at(&self, t: jiff::Timestamp) -> jiff::Timestamp {
        let real = (t.as_millisecond() - self.real0_ms) as f64;
        let sim = self.sim0_ms.saturating_add((real * self.scale) as i64);
        jiff::Timestamp::from_millisecond(sim).unwrap_or(t)
    }

    /// A real duration in simulated time.
    pub fn span(&self, d: std::time::Duration) -> std::time::Duration {
        std::time::Duration::try_from_secs_f64(d.as_secs_f64() * self.scale).unwrap_or(d)
    }

    /// Every instant and duration of the operations and probes, in simulated time.
    pub fn convert(&self, ops: &mut [OperationTiming], probes: &mut [DrillProbe]) {
        for o in ops {
            o.submitted_at = self.at(o.submitted_at);
            o.finished_at = o.finished_at.map(|t| self.at(t));
        }
        for p in probes {
            p.result.started_at = self.at(p.result.started_at);
            p.result.duration = self.span(p.result.duration);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_second_is_scale_simulated_seconds() {
        let t = SimTime::fixed(1_000_000, 5_000_000, 60.0);
        let real = jiff::Timestamp::from_millisecond(1_002_000).unwrap_or_default();
        assert_eq!(t.at(real).as_millisecond(), 5_120_000);
        assert_eq!(
            t.span(std::time::Duration::from_millis(500)),
            std::time::Duration::from_secs(30)
        );
    }
}
