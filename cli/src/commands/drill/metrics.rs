//! `rewind drill metrics`: Prometheus metrics computed from the drill journal in state (never
//! from process counters, so a restart loses nothing), as a node_exporter textfile or a push.

mod exposition;

use crate::error::CliError;
use crate::printer::Printer;
use crate::session::Session;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use rewind_engine::drill::{DrillOutcome, DrillRecord};
use rewind_engine::state::RunEntry;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;

/// The file written into `--textfile DIR` (node_exporter reads `*.prom`).
pub const TEXTFILE: &str = "rewind_drills.prom";

/// Restore durations by kind, in seconds: from a cache restore in seconds to a large
/// database in hours.
const DURATION_BUCKETS: [f64; 12] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0,
];

type Labels = Vec<(String, String)>;
type F64Gauge = Gauge<f64, AtomicU64>;

fn drill_label(name: &str) -> Labels {
    vec![("drill".to_owned(), name.to_owned())]
}

fn secs(ms: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let s = ms as f64 / 1000.0;
    s
}

fn epoch_secs(ms: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let s = ms as f64 / 1000.0;
    s
}

/// The metrics of every finished drill in `runs` (rehearsals against the simulator left out),
/// in the Prometheus text format 0.0.4, which node_exporter's textfile collector and the
/// Pushgateway read (encoded as OpenMetrics, then rewritten: see `exposition`).
pub fn render(runs: &[RunEntry]) -> Result<String, CliError> {
    let mut registry = Registry::with_prefix("rewind_drill");
    let gauge = |registry: &mut Registry, name: &str, help: &str| {
        let f = Family::<Labels, F64Gauge>::default();
        registry.register(name, help, f.clone());
        f
    };
    let last_success = gauge(
        &mut registry,
        "last_success_timestamp_seconds",
        "When the drill last passed (its end, Unix seconds)",
    );
    let last_run = gauge(
        &mut registry,
        "last_run_timestamp_seconds",
        "When the drill last finished, passed or failed (Unix seconds)",
    );
    let last_status = gauge(
        &mut registry,
        "last_status",
        "Outcome of the drill's last finished run: 1 passed, 0 failed",
    );
    let rto = gauge(
        &mut registry,
        "rto_seconds",
        "RTO measured by the drill's last finished run: first submit to the last passed probe",
    );
    let rto_budget = gauge(
        &mut registry,
        "rto_budget_seconds",
        "The drill's RTO budget",
    );
    let rpo = gauge(
        &mut registry,
        "rpo_seconds",
        "RPO of the drill's last finished run: its start minus the oldest point restored",
    );
    let rpo_offered = gauge(
        &mut registry,
        "rpo_offered_seconds",
        "RPO the cloud offered at the last run's start: its start minus the newest point offered",
    );
    let rpo_budget = gauge(
        &mut registry,
        "rpo_budget_seconds",
        "The drill's RPO budget",
    );
    let leaked = gauge(
        &mut registry,
        "leaked_scratch_instances",
        "Scratch instances finished runs of the drill left behind (rewind drill cleanup removes them)",
    );
    let runs_total = Family::<Labels, Counter>::default();
    registry.register(
        "runs",
        "Drill runs recorded in the journal, by outcome (passed, failed, missed)",
        runs_total.clone(),
    );
    let durations = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(|| {
        Histogram::new(DURATION_BUCKETS)
    });
    registry.register(
        "restore_duration_seconds",
        "Each restore's own duration in finished drills (its submit to ready), by kind",
        durations.clone(),
    );

    let mut last: BTreeMap<&str, &DrillRecord> = BTreeMap::new();
    for run in runs {
        let Some(d) = run.drill.as_ref().filter(|d| !d.simulated) else {
            continue;
        };
        let labels = drill_label(&d.drill);
        let outcome = match d.outcome {
            DrillOutcome::Running => continue,
            DrillOutcome::Passed => "passed",
            DrillOutcome::Failed => "failed",
            DrillOutcome::Missed => "missed",
        };
        let mut by_outcome = labels.clone();
        by_outcome.push(("outcome".to_owned(), outcome.to_owned()));
        runs_total.get_or_create(&by_outcome).inc();
        if d.outcome == DrillOutcome::Missed {
            continue;
        }
        let open = d.scratch.iter().filter(|s| s.status.is_open()).count();
        #[allow(clippy::cast_precision_loss)]
        leaked.get_or_create(&labels).inc_by(open as f64);
        for op in &d.operations {
            if let Some(ms) = op.own_ms.or(op.restore_ms) {
                durations
                    .get_or_create(&vec![("kind".to_owned(), op.kind.clone())])
                    .observe(secs(ms));
            }
        }
        if d.outcome == DrillOutcome::Passed {
            let at = d.finished_at.unwrap_or(d.started_at);
            let g = last_success.get_or_create(&labels);
            if g.get() < epoch_secs(at) {
                g.set(epoch_secs(at));
            }
        }
        // Runs are in id order: the last finished one wins.
        last.insert(d.drill.as_str(), d);
    }
    for (name, d) in last {
        let labels = drill_label(name);
        last_run
            .get_or_create(&labels)
            .set(epoch_secs(d.finished_at.unwrap_or(d.started_at)));
        last_status
            .get_or_create(&labels)
            .set(if d.outcome == DrillOutcome::Passed {
                1.0
            } else {
                0.0
            });
        for (family, value) in [
            (&rto, d.rto_ms),
            (&rto_budget, d.rto_budget_ms),
            (&rpo, d.rpo_ms),
            (&rpo_offered, d.rpo_offered_ms),
            (&rpo_budget, d.rpo_budget_ms),
        ] {
            if let Some(ms) = value {
                family.get_or_create(&labels).set(secs(ms));
            }
        }
    }
    let mut out = String::new();
    encode(&mut out, &registry)
        .map_err(|e| CliError::msg(format!("cannot encode the metrics: {e}")))?;
    Ok(exposition::prometheus_text(&out))
}

/// Writes `text` to `DIR/rewind_drills.prom` atomically: a temporary file in `dir` (a name
/// node_exporter ignores), flushed, then renamed over the old one.
pub fn write_textfile(dir: &Path, text: &str) -> Result<std::path::PathBuf, CliError> {
    use std::io::Write as _;
    let fail = |e: &dyn std::fmt::Display| {
        CliError::msg(format!(
            "cannot write the metrics into {}: {e}",
            dir.display()
        ))
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".rewind_drills.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail(&e))?;
    tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    // A temporary file is private (0600); node_exporter runs as its own user and must read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| fail(&e))?;
    }
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    let dest = dir.join(TEXTFILE);
    tmp.persist(&dest).map_err(|e| fail(&e.error))?;
    Ok(dest)
}

/// The Pushgateway URL of rewind's group: `URL` as given when it names a job, else
/// `URL/metrics/job/rewind_drill`.
pub fn push_url(url: &str) -> String {
    if url.contains("/metrics/job/") {
        url.to_owned()
    } else {
        format!("{}/metrics/job/rewind_drill", url.trim_end_matches('/'))
    }
}

/// `PUT`s `text` to the Pushgateway group (replacing what rewind pushed before).
async fn push(url: &str, text: String) -> Result<(), CliError> {
    let target = push_url(url);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| CliError::msg(format!("cannot build an HTTP client: {e}")))?;
    let reply = client
        .put(&target)
        .header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .body(text)
        .send()
        .await
        .map_err(|e| CliError::msg(format!("cannot push the metrics to {target}: {e}")))?;
    if !reply.status().is_success() {
        return Err(CliError::msg(format!(
            "the Pushgateway at {target} answered {}",
            reply.status()
        )));
    }
    Ok(())
}

pub fn exec(
    session: &Session,
    textfile: Option<&Path>,
    push_to: Option<&str>,
    printer: &Printer,
) -> Result<ExitCode, CliError> {
    let runs = session.runs_if_any()?;
    let text = render(&runs)?;
    if textfile.is_none() && push_to.is_none() {
        printer.out(text.trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(d) = textfile {
        let written = write_textfile(d, &text)?;
        printer.info(&format!("Wrote {}.", written.display()));
    }
    if let Some(url) = push_to {
        crate::ops::plan::runtime()?.block_on(push(url, text))?;
        printer.info(&format!("Pushed to {}.", push_url(url)));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // Values written from exact integers and read back.
mod tests {
    use super::*;
    use rewind_engine::drill::{DrillOpRecord, ScratchInstance, ScratchStatus};
    use std::collections::BTreeSet;

    const DASHBOARD: &str = include_str!("../../../../docs/grafana/rewind-drills.json");

    fn run(id: u64, outcome: DrillOutcome, finished_s: i64, simulated: bool) -> RunEntry {
        let mut d = DrillRecord::running("nightly", (finished_s - 60) * 1000);
        d.outcome = outcome;
        d.simulated = simulated;
        d.finished_at = Some(finished_s * 1000);
        d.rto_ms = Some(3_500 + id);
        d.rto_budget_ms = Some(7_200_000);
        d.rpo_ms = Some(600_000);
        d.rpo_offered_ms = Some(60_000);
        d.rpo_budget_ms = Some(3_600_000);
        d.operations = vec![DrillOpRecord {
            name: "dn".into(),
            kind: "rds.restore_new".into(),
            restore_ms: Some(2_000),
            ready_ms: Some(3_000),
            own_ms: Some(3_000),
        }];
        if outcome == DrillOutcome::Failed {
            d.scratch = vec![ScratchInstance {
                operation: "dn".into(),
                service: "rds".into(),
                name: "dn-drill".into(),
                instance_id: Some("abc".into()),
                status: ScratchStatus::Kept,
                keep_until: None,
                detail: None,
            }];
        }
        RunEntry {
            id,
            command: "drill".into(),
            spec_file: "restore.yaml".into(),
            git_commit: None,
            git_dirty: None,
            spec_digest: String::new(),
            plan_digest: String::new(),
            approver: "ci".into(),
            started_at: d.started_at,
            finished_at: d.finished_at,
            jobs: BTreeMap::new(),
            outcome: "complete".into(),
            drill: Some(d),
            planned: Vec::new(),
            simulated,
        }
    }

    fn parse(text: &str) -> prometheus_parse::Scrape {
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .expect("the exposition parses")
    }

    fn value(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
        let s = scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .unwrap_or_else(|| panic!("no {metric}{labels:?}"));
        match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            other => panic!("{metric}: {other:?}"),
        }
    }

    fn journal() -> Vec<RunEntry> {
        let mut missed = run(3, DrillOutcome::Missed, 1_800_000_200, false);
        if let Some(d) = missed.drill.as_mut() {
            d.operations.clear();
        }
        vec![
            run(1, DrillOutcome::Passed, 1_800_000_000, false),
            run(2, DrillOutcome::Failed, 1_800_000_100, false),
            missed,
            // A rehearsal and a running drill are not measured.
            run(4, DrillOutcome::Passed, 1_800_000_300, true),
            run(5, DrillOutcome::Running, 1_800_000_400, false),
        ]
    }

    #[test]
    fn the_journal_becomes_metrics_a_parser_reads_back() {
        let text = render(&journal()).expect("render");
        let m = parse(&text);
        let drill = [("drill", "nightly")];
        assert_eq!(value(&m, "rewind_drill_last_status", &drill), 0.0);
        assert_eq!(
            value(&m, "rewind_drill_last_success_timestamp_seconds", &drill),
            1_800_000_000.0
        );
        assert_eq!(
            value(&m, "rewind_drill_last_run_timestamp_seconds", &drill),
            1_800_000_100.0
        );
        assert!((value(&m, "rewind_drill_rto_seconds", &drill) - 3.502).abs() < 1e-9);
        assert_eq!(value(&m, "rewind_drill_rto_budget_seconds", &drill), 7200.0);
        assert_eq!(value(&m, "rewind_drill_rpo_seconds", &drill), 600.0);
        assert_eq!(value(&m, "rewind_drill_rpo_offered_seconds", &drill), 60.0);
        assert_eq!(value(&m, "rewind_drill_rpo_budget_seconds", &drill), 3600.0);
        assert_eq!(
            value(&m, "rewind_drill_leaked_scratch_instances", &drill),
            1.0
        );
        for (outcome, n) in [("passed", 1.0), ("failed", 1.0), ("missed", 1.0)] {
            assert_eq!(
                value(
                    &m,
                    "rewind_drill_runs_total",
                    &[("drill", "nightly"), ("outcome", outcome)]
                ),
                n,
                "{outcome}"
            );
        }
        let hist = m
            .samples
            .iter()
            .find(|s| s.metric == "rewind_drill_restore_duration_seconds")
            .expect("the histogram");
        let prometheus_parse::Value::Histogram(buckets) = &hist.value else {
            panic!("{hist:?}");
        };
        let at = |le: f64| {
            buckets
                .iter()
                .find(|b| (b.less_than - le).abs() < 1e-9)
                .map(|b| b.count)
        };
        // Two measured restores of 3 s each: none under 1 s, both under 5 s.
        assert_eq!((at(1.0), at(5.0)), (Some(0.0), Some(2.0)), "{buckets:?}");
        assert_eq!(hist.labels.get("kind"), Some("rds.restore_new"));
    }

    #[test]
    fn the_dashboard_uses_only_metric_names_the_exporter_writes() {
        let m = parse(&render(&journal()).expect("render"));
        let mut exported: BTreeSet<String> = BTreeSet::new();
        for s in &m.samples {
            exported.insert(s.metric.clone());
            if matches!(s.value, prometheus_parse::Value::Histogram(_)) {
                for suffix in ["_bucket", "_sum", "_count"] {
                    exported.insert(format!("{}{suffix}", s.metric));
                }
            }
        }
        let mut used = BTreeSet::new();
        let mut rest = DASHBOARD;
        while let Some(i) = rest.find("rewind_drill_") {
            let name: String = rest[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[i + name.len()..];
            used.insert(name);
        }
        assert!(used.len() >= 10, "{used:?}");
        let unknown: Vec<&String> = used.iter().filter(|n| !exported.contains(*n)).collect();
        assert!(
            unknown.is_empty(),
            "not exported: {unknown:?}; exported: {exported:?}"
        );
    }

    #[test]
    fn the_textfile_is_replaced_whole_and_no_temporary_file_is_left() {
        let dir = tempfile::tempdir().expect("dir");
        let first = write_textfile(dir.path(), "a 1\n").expect("write");
        let again = write_textfile(dir.path(), "a 2\n").expect("write");
        assert_eq!(first, again);
        assert_eq!(std::fs::read_to_string(&again).expect("read"), "a 2\n");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![TEXTFILE.to_owned()]);
        // Readable by node_exporter, which runs as another user.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&again)
                .expect("stat")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644, "{mode:o}");
        }
    }

    #[test]
    fn the_push_url_names_rewinds_group_unless_given() {
        assert_eq!(
            push_url("http://127.0.0.1:9091/"),
            "http://127.0.0.1:9091/metrics/job/rewind_drill"
        );
        assert_eq!(
            push_url("http://127.0.0.1:9091/metrics/job/drills/instance/a"),
            "http://127.0.0.1:9091/metrics/job/drills/instance/a"
        );
    }
}
