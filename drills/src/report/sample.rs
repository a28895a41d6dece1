//! A made-up but realistic drill report, for previews, the docs and renderer tests.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::model::{CleanupAction, CleanupResult, DrillReport, FORMAT_VERSION};
use crate::measure::{measure_rpo, measure_rto};
use crate::probe::{OnError, ProbeKind, ProbeResult};
use crate::timing::{DrillProbe, OpOutcome, OperationTiming};

fn plus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs_f64(secs))
        .unwrap_or(t)
}

fn op(
    at: Timestamp,
    name: &str,
    kind: &str,
    id: &str,
    from: f64,
    to: f64,
    deps: &[&str],
) -> OperationTiming {
    OperationTiming {
        name: name.into(),
        kind: kind.into(),
        instance_id: Some(id.into()),
        submitted_at: plus(at, from),
        finished_at: Some(plus(at, to)),
        outcome: OpOutcome::Succeeded,
        detail: None,
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        on_critical_path: false,
    }
}

/// A probe placed at `from` seconds after `at`, lasting `secs`.
// One argument per field a reader of the sample compares; a builder would hide them.
#[allow(clippy::too_many_arguments)]
pub fn probe(
    at: Timestamp,
    operation: &str,
    name: &str,
    kind: ProbeKind,
    from: f64,
    secs: f64,
    detail: &str,
    output: &str,
) -> DrillProbe {
    DrillProbe {
        operation: operation.into(),
        result: ProbeResult {
            name: name.into(),
            kind,
            passed: true,
            warned: false,
            on_error: OnError::Fail,
            detail: detail.into(),
            output: output.into(),
            started_at: plus(at, from),
            duration: Duration::from_secs_f64(secs),
            timed_out: false,
            not_run: false,
        },
    }
}

/// The probes of [`report`], placed on its timeline (the example replaces some with real runs).
pub fn probes(at: Timestamp, failing: bool) -> Vec<DrillProbe> {
    let mut out = vec![
        probe(
            at,
            "cache",
            "cache-port",
            ProbeKind::Tcp,
            252.0,
            0.004,
            "192.168.0.31:6379 accepts connections",
            "",
        ),
        probe(
            at,
            "cache",
            "cache-keys",
            ProbeKind::Redis,
            252.1,
            0.012,
            "got 18342 (>= 10000)",
            "> DBSIZE\n\"18342\"\n",
        ),
        probe(
            at,
            "cache",
            "session-marker",
            ProbeKind::Redis,
            252.2,
            0.003,
            "got 0, expected = 1",
            "> EXISTS drill:session-marker\n\"0\"\n",
        ),
        probe(
            at,
            "node-a",
            "node-a-port",
            ProbeKind::Tcp,
            433.0,
            0.006,
            "192.168.0.11:3306 accepts connections",
            "",
        ),
        probe(
            at,
            "node-a",
            "node-a-orders",
            ProbeKind::Mysql,
            433.1,
            0.21,
            "got 1200 (= 1200)",
            "COUNT(*)\n1200\n",
        ),
        probe(
            at,
            "node-b",
            "node-b-port",
            ProbeKind::Tcp,
            521.0,
            0.005,
            "192.168.0.12:3306 accepts connections",
            "",
        ),
        probe(
            at,
            "node-b",
            "node-b-orders",
            ProbeKind::Mysql,
            521.1,
            0.19,
            "got 1200 (= 1200)",
            "COUNT(*)\n1200\n",
        ),
        probe(
            at,
            "metadata",
            "ddm-smoke",
            ProbeKind::Exec,
            691.0,
            4.2,
            "exit 0",
            "--- stdout ---\nlogical tables: 14, shards: 8, all routed\n",
        ),
    ];
    out[2].result.passed = false;
    out[2].result.warned = true;
    out[2].result.on_error = OnError::Warn;
    if failing {
        let p = &mut out[6].result;
        p.passed = false;
        p.detail = "got 1187, expected = 1200".into();
        p.output = "COUNT(*)\n1187\n".into();
    }
    out
}

/// A drill over two scratch RDS data nodes, then DDM metadata, with a DCS restore beside them.
/// `failing`: node-b's row count is wrong, so the drill fails and keeps its instances a day.
pub fn report(at: Timestamp, failing: bool) -> DrillReport {
    report_with(at, failing, probes(at, failing))
}

/// [`report`] with the given probe results.
pub fn report_with(at: Timestamp, failing: bool, probes: Vec<DrillProbe>) -> DrillReport {
    let operations = vec![
        op(
            at,
            "node-a",
            "rds.restore_new",
            "4e2b61c0d5a84c6bb8f0a1ef2d9c0d11in01",
            0.4,
            432.0,
            &[],
        ),
        op(
            at,
            "node-b",
            "rds.restore_new",
            "8c1d0f3a9e7b4a2f95c6d0e1b2a3f422in01",
            0.5,
            520.0,
            &[],
        ),
        op(
            at,
            "metadata",
            "ddm.metadata_restore",
            "0f3a7c2e5b9d4e18a6c2f0b1d3e5a709in09",
            522.0,
            690.0,
            &["node-a", "node-b"],
        ),
        op(
            at,
            "cache",
            "dcs.restore",
            "6d2e9a41-3c7b-4f0e-9b1a-2c5d8e7f0a13",
            0.6,
            251.0,
            &[],
        ),
    ];
    let rto = measure_rto(&operations, &probes, Some(Duration::from_secs(15 * 60)));
    let point = plus(at, -5400.0);
    let rpo = measure_rpo(
        at,
        &[
            ("node-a".into(), point),
            ("node-b".into(), point),
            ("cache".into(), plus(at, -3000.0)),
        ],
        Some(Duration::from_secs(2 * 3600)),
    );
    let finished = plus(at, 700.0);
    let action = if failing {
        CleanupAction::KeptUntil {
            until: plus(at, 86_400.0),
        }
    } else {
        CleanupAction::Deleted
    };
    let cleanup = operations
        .iter()
        .filter(|o| o.kind.ends_with("restore_new"))
        .map(|o| CleanupResult {
            operation: o.name.clone(),
            service: "rds".into(),
            instance_id: o.instance_id.clone().unwrap_or_default(),
            action: action.clone(),
            at: Some(finished),
            detail: if failing {
                Some("on_failure: keep 24h".into())
            } else {
                None
            },
        })
        .collect();
    DrillReport {
        format_version: FORMAT_VERSION,
        drill: "nightly-ddm".into(),
        started_at: at,
        finished_at: finished,
        simulated: true,
        passed: false,
        operations,
        probes,
        rto,
        rpo: Some(rpo),
        cleanup,
        errors: Vec::new(),
    }
    .finalized()
}
