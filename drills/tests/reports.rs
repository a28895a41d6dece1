//! The four report renderings, from the sample report: sizes, escaping, validity, the writer.

use std::time::Duration;

use rewind_drills::report::{self, markdown, sample};
use rewind_drills::{DrillReport, FORMAT_VERSION, ProbeKind};

fn at() -> jiff::Timestamp {
    "2026-12-03T02:00:00Z".parse().expect("timestamp")
}

#[test]
fn a_passing_drill_reads_as_passed_everywhere() {
    let r = sample::report(at(), false);
    assert!(r.passed, "{:?}", r.failures());
    assert_eq!(r.rto.critical_path, ["node-b", "metadata"]);
    assert_eq!(r.rto.result.met, Some(true));
    assert_eq!(r.rto.result.measured, Some(Duration::from_millis(694_800)));
    let md = markdown::render(&r);
    assert!(md.starts_with("# Drill `nightly-ddm`: PASSED"), "{md}");
    assert!(
        md.contains("Critical path: `node-b` → `metadata` (RTO set by probe `ddm-smoke`)"),
        "{md}"
    );
    assert!(
        md.contains("| RTO | 11m 34s | 15m 00s | ✅ met, 3m 25s to spare |"),
        "{md}"
    );
    let junit = report::junit::render(&r);
    let doc = roxmltree::Document::parse(&junit).expect("junit.xml parses");
    let root = doc.root_element();
    assert_eq!(root.attribute("failures"), Some("0"));
    let probes: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("testsuite") && n.attribute("name") == Some("nightly-ddm.probes")
        })
        .flat_map(|s| s.children().filter(|c| c.has_tag_name("testcase")))
        .collect();
    assert_eq!(probes.len(), r.probes.len());
}

#[test]
fn a_failed_probe_is_named_with_its_output() {
    let r = sample::report(at(), true);
    assert!(!r.passed);
    assert_eq!(r.rto.result.measured, None);
    let md = markdown::render(&r);
    assert!(
        md.contains("probe `node-b-orders` on `node-b` failed: got 1187, expected = 1200"),
        "{md}"
    );
    assert!(
        md.contains("### `node-b-orders` on `node-b`\n\n```text\nCOUNT(*)\n1187\n```"),
        "{md}"
    );
    let junit = report::junit::render(&r);
    let doc = roxmltree::Document::parse(&junit).expect("junit.xml parses");
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("node-b-orders"))
        .expect("the probe's test case");
    let failure = case
        .children()
        .find(|c| c.has_tag_name("failure"))
        .expect("a failure");
    assert_eq!(
        failure.attribute("message"),
        Some("got 1187, expected = 1200")
    );
    assert_eq!(failure.text(), Some("COUNT(*)\n1187\n"));
    // The warned probe passes in CI, with its warning in system-out.
    let warned = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("session-marker"))
        .expect("warned case");
    assert!(warned.children().all(|c| !c.has_tag_name("failure")));
    let json: serde_json::Value = serde_json::from_str(&report::to_json(&r)).expect("json");
    assert_eq!(json["format_version"], FORMAT_VERSION);
    assert_eq!(json["passed"], false);
    let back: DrillReport = serde_json::from_value(json).expect("report.json reads back");
    assert_eq!(back, r);
}

#[test]
fn hostile_output_is_escaped_and_huge_output_is_cut() {
    let mut r = sample::report(at(), true);
    let nasty = "</failure>]]><script>alert(1)</script>\u{1}\u{7} & ``` fence \"q\" 'a'\n";
    for p in &mut r.probes {
        p.result.output = nasty.repeat(4000);
    }
    r.probes.push(sample::probe(
        at(),
        "node-a",
        "odd <name> & \"q\"",
        ProbeKind::Exec,
        440.0,
        1.0,
        "exit 0",
        "",
    ));
    let junit = report::junit::render(&r);
    roxmltree::Document::parse(&junit).expect("junit.xml still parses");
    let html = report::html::render(&r);
    assert!(
        !html.contains("<script>"),
        "output reached the page as markup"
    );
    assert!(html.contains("data-name=\"odd &lt;name&gt; &amp; &quot;q&quot;\""));
    let md = markdown::render(&r);
    let chars = md.chars().count();
    assert!(chars < 65_536, "{chars} characters");
    assert!(
        md.contains("> **Cut:** probe outputs were shortened"),
        "the page says what was cut"
    );
    assert!(
        md.contains("### `node-b-orders` on `node-b`"),
        "the failed probe's output is kept first"
    );
    // Inside a code block markup is text; the fence outgrows the output's own backticks.
    assert!(md.contains("````text\n</failure>"), "fence");
}

#[test]
fn thousands_of_probes_still_fit() {
    let mut r = sample::report(at(), false);
    let one = r.probes[0].clone();
    for i in 0..3000 {
        let mut p = one.clone();
        p.result.name = format!("probe-{i}");
        r.probes.push(p);
    }
    let md = markdown::render(&r);
    assert!(md.chars().count() < 65_536);
    assert!(md.ends_with("the rest is in `report.json`.\n"));
}

#[test]
fn write_all_writes_the_four_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("drills/nightly");
    let r = sample::report(at(), false);
    let written = report::write_all(&out, &r).expect("write");
    assert_eq!(written.len(), 4);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["junit.xml", "report.html", "report.json", "report.md"]
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "no network resources"
    );
    assert!(!html.contains("<link") && !html.contains("<script"));
}

#[test]
fn probes_that_did_not_run_keep_the_drill_from_passing() {
    let mut r = sample::report(at(), false);
    assert!(r.passed);
    let spec = rewind_drills::ProbeSpec::from_value(&serde_json::json!({
        "name": "cache-ping", "tcp": {}
    }))
    .expect("probe spec");
    let skipped = rewind_drills::ProbeResult::skipped(&spec, "the simulator made up 192.0.2.40");
    assert!(!skipped.passed && !skipped.fails_drill());
    r.probes.push(rewind_drills::DrillProbe {
        operation: "node-b".into(),
        result: skipped,
    });
    let r = r.finalized();
    assert!(!r.passed, "a drill with an unrun probe passed");
    assert_eq!(r.probes_not_run(), 1);
    assert_eq!(r.verdict_word(), "INCOMPLETE");
    assert!(
        r.failures()
            .iter()
            .any(|f| f.starts_with(&format!("1 of {} probe(s) did not run", r.probes.len()))),
        "{:?}",
        r.failures()
    );
    // The restores were timed, but no probe confirmed the data: not "met", nor "missed".
    assert!(r.rto.result.measured.is_some() && r.rto.result.budget.is_some());
    assert_eq!(r.rto.result.met, None);
    assert!(!r.rto.result.missed());
    let md = markdown::render(&r);
    assert!(md.starts_with("# Drill `nightly-ddm`: INCOMPLETE"), "{md}");
    let rto_row = md
        .lines()
        .find(|l| l.starts_with("| RTO |"))
        .expect("RTO row");
    assert!(
        rto_row.contains("not verified: 1 probe(s) did not run") && !rto_row.contains("met"),
        "{rto_row}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| `cache-ping` |") && l.contains("⚠️ not run")),
        "{md}"
    );
    assert!(md.contains("REHEARSAL (simulated)"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&report::to_json(&r)).expect("json");
    assert_eq!(json["passed"], false);
    assert!(
        json["probes"]
            .as_array()
            .expect("probes")
            .iter()
            .any(|p| p["not_run"] == true)
    );
    assert_eq!(json["rto"]["met"], serde_json::Value::Null);
    assert!(
        json["rto"]["unverified"]
            .as_str()
            .is_some_and(|w| w.contains("did not run")),
        "{json:#}"
    );
    let html = report::html::render(&r);
    assert!(html.contains(">INCOMPLETE<"), "verdict badge");
    let card = html
        .split("id=\"rto\"")
        .nth(1)
        .and_then(|t| t.split("</div></div>").next())
        .expect("RTO card");
    assert!(
        card.contains("class=\"unverified\">not verified") && !card.contains(">met"),
        "{card}"
    );
    let junit = report::junit::render(&r);
    let doc = roxmltree::Document::parse(&junit).expect("junit.xml parses");
    let unrun = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("cache-ping"))
        .expect("the unrun probe's case");
    assert!(
        unrun.children().any(|c| c.has_tag_name("failure")),
        "a probe that did not run reads as a pass in junit.xml"
    );
    assert!(
        doc.root_element()
            .attribute("name")
            .is_some_and(|n| n.ends_with("(rehearsal)"))
    );
}

#[test]
fn the_timeline_fits_the_run_and_marks_a_budget_far_beyond() {
    let mut r = sample::report(at(), false);
    // A 12-minute run against a 2-day budget.
    r.rto.result.budget = Some(Duration::from_secs(2 * 86_400));
    let html = report::html::render(&r);
    let span: f64 = html
        .split("data-span-ms=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .and_then(|t| t.parse().ok())
        .expect("data-span-ms");
    let run_ms = r.span().as_secs_f64() * 1000.0;
    assert!(
        span < run_ms * 1.5,
        "the axis ({span} ms) is stretched beyond the run ({run_ms} ms)"
    );
    assert!(
        html.contains("class=\"mark budget beyond\""),
        "no budget mark"
    );
    assert!(html.contains("RTO budget 2d"), "budget label");
}
