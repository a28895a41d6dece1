//! Range checks of `rewind.toml`'s values, each failure located in the file with a hint.

use super::model::{
    FileSettings, MAX_LOCK_LEASE_SECS, MAX_LOST_GRACE, MAX_PARALLELISM, MAX_POLL_SECS,
    MAX_RETRY_SECS, MIN_LOCK_LEASE, RateLimitSettings, TIME_SCALE_RANGE, TimeoutSettings,
};
use rewind_engine::apply::PollPolicy;
use rewind_engine::kinds::Kind;
use rewind_engine::spec::parse_timeout;
use rewind_providers::RetryPolicy;
use std::collections::BTreeMap;
use std::time::Duration;
use toml::Spanned;

/// A bad value: what is wrong, where (a byte range), and how to fix it.
pub(super) struct Bad {
    pub message: String,
    pub span: Option<std::ops::Range<usize>>,
    pub hint: String,
}

fn bad(message: String, span: std::ops::Range<usize>, hint: &str) -> Bad {
    Bad {
        message,
        span: Some(span),
        hint: hint.to_owned(),
    }
}

/// Seconds in `0..=max`, finite.
fn seconds(key: &str, v: Option<&Spanned<f64>>, max: f64) -> Result<Option<Duration>, Bad> {
    let Some(v) = v else { return Ok(None) };
    let x = *v.get_ref();
    if !(x.is_finite() && (0.0..=max).contains(&x)) {
        return Err(bad(
            format!("{key} = {x} is out of range: seconds from 0 to {max}"),
            v.span(),
            "for example 5.0",
        ));
    }
    Ok(Some(Duration::from_secs_f64(x)))
}

/// `lo <= hi`, where both are set or defaulted.
fn ordered(
    lo_key: &str,
    lo: (Duration, Option<&Spanned<f64>>),
    hi_key: &str,
    hi: (Duration, Option<&Spanned<f64>>),
) -> Result<(), Bad> {
    if lo.0 <= hi.0 {
        return Ok(());
    }
    let span = lo.1.or(hi.1).map_or(0..0, Spanned::span);
    Err(bad(
        format!(
            "{lo_key} ({}s) is greater than {hi_key} ({}s)",
            lo.0.as_secs_f64(),
            hi.0.as_secs_f64()
        ),
        span,
        &format!("{lo_key} must be at most {hi_key}"),
    ))
}

fn count(key: &str, v: &Spanned<usize>) -> Result<usize, Bad> {
    let n = *v.get_ref();
    if n == 0 || n > MAX_PARALLELISM {
        return Err(bad(
            format!("{key} = {n} is out of range: 1 to {MAX_PARALLELISM}"),
            v.span(),
            "remove the key for the default (no per-service limit)",
        ));
    }
    Ok(n)
}

/// The `[timeouts]` table: durations as text (`"6h"`), `lost_polls` a count.
pub(super) fn timeouts(
    table: &BTreeMap<String, Spanned<toml::Value>>,
) -> Result<TimeoutSettings, Bad> {
    let mut out = TimeoutSettings::default();
    let hint = "a duration such as \"90s\", \"45m\" or \"6h\"";
    for (key, v) in table {
        let duration = || match v.get_ref() {
            toml::Value::String(text) => parse_timeout(text)
                .map_err(|why| bad(format!("[timeouts] {key}: {why}"), v.span(), hint)),
            other => Err(bad(
                format!("[timeouts] {key} = {other} is not a duration"),
                v.span(),
                hint,
            )),
        };
        match key.as_str() {
            "default" => out.timeouts.default = duration()?,
            "lost_grace" => {
                // 0 is allowed here ("lost as soon as it is missing for lost_polls polls").
                let text = v.get_ref().as_str().unwrap_or_default();
                let d = if text.trim() == "0s" || text.trim() == "0" {
                    Duration::ZERO
                } else {
                    duration()?
                };
                if d > MAX_LOST_GRACE {
                    return Err(bad(
                        "[timeouts] lost_grace is out of range: at most 7 days".to_owned(),
                        v.span(),
                        hint,
                    ));
                }
                out.lost_grace = d;
            }
            "lost_polls" => {
                let n = v.get_ref().as_integer().filter(|n| (1..=1000).contains(n));
                out.lost_polls = n.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
                    bad(
                        format!(
                            "[timeouts] lost_polls = {} is out of range: 1 to 1000",
                            v.get_ref()
                        ),
                        v.span(),
                        "for example 5",
                    )
                })?;
            }
            kind => {
                let Some(k) = Kind::parse(kind) else {
                    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                    return Err(bad(
                        format!("[timeouts]: unknown key `{kind}`"),
                        v.span(),
                        &format!(
                            "keys: default, lost_grace, lost_polls, or a kind ({})",
                            names.join(", ")
                        ),
                    ));
                };
                out.timeouts.per_kind.insert(k, duration()?);
            }
        }
    }
    Ok(out)
}

/// `share = N` gives each process 1/N of every limit, at least one call: more processes than
/// calls would together send more than the limit, so it is refused rather than exceeded.
fn share_fits(r: &RateLimitSettings) -> Result<(), Bad> {
    let Some(share) = &r.share else {
        return Ok(());
    };
    let n = share.get_ref().get();
    let limits = r.limits(1.0);
    let mut smallest = ("default".to_owned(), limits.limit(None));
    for (service, lim) in &limits.per_service {
        if *lim < smallest.1 {
            smallest = (service.as_str().to_owned(), *lim);
        }
    }
    let (name, lim) = smallest;
    if n > lim {
        return Err(bad(
            format!(
                "[rate_limits] share = {n} is more than {name} = {lim} calls per minute: \
                 {n} processes would send at least {n} together"
            ),
            share.span(),
            "at most the smallest limit; or use a PostgreSQL state, whose shared budget divides \
             the limit among however many processes run",
        ));
    }
    Ok(())
}

/// Every number in range, before anything uses it: a value that parses is not yet a value
/// that is safe (`[polling] min = 300` with the default `max` once panicked mid-apply).
pub(super) fn check_ranges(file: &FileSettings) -> Result<(), Bad> {
    if let Some(p) = &file.parallelism {
        count("parallelism", p)?;
    }
    for (k, v) in &file.limits {
        count(&format!("[limits] {k}"), v)?;
    }
    let (p, r) = (&file.polling, &file.retry);
    let base = PollPolicy::default();
    seconds("[polling] first", p.first.as_ref(), MAX_POLL_SECS)?;
    let min = seconds("[polling] min", p.min.as_ref(), MAX_POLL_SECS)?.unwrap_or(base.min);
    let max = seconds("[polling] max", p.max.as_ref(), MAX_POLL_SECS)?.unwrap_or(base.max);
    seconds(
        "[polling] reconcile_delay",
        p.reconcile_delay.as_ref(),
        MAX_POLL_SECS,
    )?;
    ordered(
        "[polling] min",
        (min, p.min.as_ref()),
        "[polling] max",
        (max, p.max.as_ref()),
    )?;
    let rbase = RetryPolicy::default();
    let rb = seconds("[retry] base", r.base.as_ref(), MAX_RETRY_SECS)?.unwrap_or(rbase.base);
    let rc = seconds("[retry] cap", r.cap.as_ref(), MAX_RETRY_SECS)?.unwrap_or(rbase.cap);
    ordered(
        "[retry] base",
        (rb, r.base.as_ref()),
        "[retry] cap",
        (rc, r.cap.as_ref()),
    )?;
    if let Some(t) = &file.simulator.time_scale {
        let x = *t.get_ref();
        let (lo, hi) = TIME_SCALE_RANGE;
        if !(x.is_finite() && (lo..=hi).contains(&x)) {
            return Err(bad(
                format!("[simulator] time_scale = {x} is out of range: {lo} to {hi}"),
                t.span(),
                "for example 60.0 (a simulated minute per real second)",
            ));
        }
    }
    share_fits(&file.rate_limits)?;
    timeouts(&file.timeouts)?;
    if let Some(lease) = seconds("lock_lease", file.lock_lease.as_ref(), MAX_LOCK_LEASE_SECS)?
        && lease < MIN_LOCK_LEASE
    {
        return Err(bad(
            format!(
                "lock_lease = {} is too short: at least 0.1 seconds",
                lease.as_secs_f64()
            ),
            file.lock_lease.as_ref().map_or(0..0, Spanned::span),
            "for example 30.0 (the default)",
        ));
    }
    Ok(())
}
