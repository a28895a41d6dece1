//! Arbitrary values for every numeric setting in `rewind.toml`: loading either refuses them
//! with a located error, or yields policies that never panic, whatever they are asked.

use proptest::prelude::*;
use rewind_cli::settings::{SETTINGS_FILE, read_file, resolve};
use rewind_engine::apply::PollPolicy;
use rewind_engine::provider::Percent;
use rewind_providers::RetryPolicy;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// A TOML float, including the values that once crashed apply.
fn float() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nan".to_owned()),
        Just("inf".to_owned()),
        Just("-inf".to_owned()),
        Just("1e300".to_owned()),
        Just("-0.0".to_owned()),
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(|v| format!("{v:e}")),
        (0.0f64..1000.0).prop_map(|v| format!("{v:?}")),
    ]
}

fn int() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        any::<i64>().prop_map(|v| v.to_string()),
        (0i64..20_000).prop_map(|v| v.to_string()),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"0s\"".to_owned()),
        Just("\"forever\"".to_owned()),
        (0u64..5_000_000).prop_map(|s| format!("\"{s}s\"")),
        (0u64..100_000).prop_map(|h| format!("\"{h}h\"")),
        int(),
    ]
}

/// Some subset of every numeric setting, each with an arbitrary value.
fn settings_text() -> impl Strategy<Value = String> {
    let top = (proptest::option::of(int()), proptest::option::of(int()));
    let polling = proptest::collection::vec(proptest::option::of(float()), 4);
    let retry = proptest::collection::vec(proptest::option::of(float()), 2);
    let sim = proptest::option::of(float());
    let timeouts = proptest::collection::vec(proptest::option::of(duration()), 4);
    (top, polling, retry, sim, timeouts).prop_map(|((par, lim), polling, retry, sim, timeouts)| {
        let mut s = String::new();
        let mut table = |name: &str, keys: &[&str], values: &[Option<String>]| {
            let _ = writeln!(s, "[{name}]");
            for (k, v) in keys.iter().zip(values) {
                if let Some(v) = v {
                    let _ = writeln!(s, "{k} = {v}");
                }
            }
        };
        let head = [par
            .map(|p| format!("parallelism = {p}\n"))
            .unwrap_or_default()]
        .concat();
        table(
            "polling",
            &["first", "min", "max", "reconcile_delay"],
            &polling,
        );
        table("retry", &["base", "cap"], &retry);
        table("simulator", &["time_scale"], &[sim]);
        table(
            "timeouts",
            &["default", "lost_grace", "lost_polls", "\"rds.restore\""],
            &timeouts,
        );
        table("limits", &["rds"], &[lim]);
        format!("{head}{s}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_setting_crashes_loading_or_the_policies(
        text in settings_text(),
        polls in any::<u32>(),
        elapsed_ms in any::<u64>(),
        percent in proptest::option::of(any::<f64>()),
        retry in any::<u32>(),
        retry_after in proptest::option::of(any::<u64>()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SETTINGS_FILE), &text).unwrap();
        let Ok(file) = read_file(dir.path()) else {
            // Refused, with a located error: that is one of the two allowed outcomes.
            return Ok(());
        };
        let scale = file.simulator.time_scale.as_ref().map_or(1.0, |t| *t.get_ref());
        let settings = resolve(Path::new("/specs"), file, None, "w", None, &|_| None)
            .expect("a file read_file accepted resolves");
        let elapsed = Duration::from_millis(elapsed_ms);
        let pct = percent.and_then(Percent::running);
        for poll in [settings.poll, settings.poll.scaled(scale)] {
            let d = poll.next(polls, elapsed, pct, polls % 2 == 0);
            prop_assert!(d <= poll.max.max(poll.min));
            let _ = poll.next(polls, Duration::ZERO, None, false);
            let _ = PollPolicy::earliest_end(elapsed, pct);
        }
        let retry_policy = settings.retry_policy(RetryPolicy::default());
        let d = retry_policy.delay(retry, retry_after.map(Duration::from_secs));
        prop_assert!(d <= retry_policy.cap.max(retry_policy.retry_after_cap));
        let _ = settings.reconcile_delay.saturating_mul(256).div_f64(scale);
        let t = &settings.timeouts;
        let _ = tokio::time::Instant::now().checked_add(t.timeouts.default.div_f64(scale));
        prop_assert!(t.lost_polls >= 1);
    }
}
