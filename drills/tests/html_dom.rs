//! `report.html` opened in a real headless Chromium: the rendered DOM has one bar per restore
//! and probe, and the critical path is marked.

mod common;

use std::collections::BTreeMap;

use rewind_drills::report::{self, sample};

/// Every `<rect …>` start tag in `dom`, as its attributes.
fn rects(dom: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find("<rect ") {
        let tail = &rest[i + 6..];
        let end = tail.find('>').unwrap_or(tail.len());
        out.push(attrs(&tail[..end]));
        rest = &tail[end..];
    }
    out
}

/// `name="value"` pairs of one start tag (Chromium's serializer always double-quotes).
fn attrs(tag: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().trim_end_matches('/').to_owned();
        let after = &rest[eq + 2..];
        let close = after.find('"').unwrap_or(after.len());
        map.insert(name, after[..close].to_owned());
        rest = after.get(close + 1..).unwrap_or("");
    }
    map
}

fn render_and_dump(r: &rewind_drills::DrillReport) -> Option<String> {
    let Some(bin) = common::chromium() else {
        common::skip_or_fail(
            "chromium",
            "not found (set REWIND_CHROMIUM or install Debian's `chromium`)",
        );
        return None;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    report::write_all(dir.path(), r).expect("write the reports");
    let url = format!("file://{}", dir.path().join("report.html").display());
    match common::run_chromium(&bin, &["--dump-dom".to_owned(), url]) {
        Ok(dom) => Some(dom),
        Err(e) => {
            common::skip_or_fail("a working headless chromium", &e);
            None
        }
    }
}

#[test]
fn the_timeline_has_one_bar_per_restore_and_probe() {
    let r = sample::report("2026-12-03T02:00:00Z".parse().expect("time"), false);
    let Some(dom) = render_and_dump(&r) else {
        return;
    };
    let bars: Vec<_> = rects(&dom)
        .into_iter()
        .filter(|a| a.get("class").is_some_and(|c| c.starts_with("bar ")))
        .collect();
    let restores: Vec<_> = bars
        .iter()
        .filter(|a| a["class"].split(' ').any(|c| c == "restore"))
        .collect();
    let probes: Vec<_> = bars
        .iter()
        .filter(|a| a["class"].split(' ').any(|c| c == "probe"))
        .collect();
    assert_eq!(restores.len(), r.operations.len(), "restore bars in {dom}");
    assert_eq!(probes.len(), r.probes.len(), "probe bars");
    for op in &r.operations {
        let bar = restores
            .iter()
            .find(|a| a.get("data-name") == Some(&op.name))
            .expect("a bar per restore");
        assert_eq!(
            bar["data-critical"],
            op.on_critical_path.to_string(),
            "{}",
            op.name
        );
        assert_eq!(bar["class"].contains("critical"), op.on_critical_path);
    }
    let critical: Vec<&String> = restores
        .iter()
        .filter(|a| a["data-critical"] == "true")
        .map(|a| &a["data-name"])
        .collect();
    assert_eq!(critical, ["node-b", "metadata"]);
    for p in &r.probes {
        assert!(
            probes
                .iter()
                .any(|a| a.get("data-name") == Some(&p.result.name)
                    && a.get("data-operation") == Some(&p.operation)),
            "probe bar {}",
            p.result.name
        );
    }
    // The probe that set the RTO is marked as well, and the page lists the path.
    let rto_bar: Vec<_> = probes
        .iter()
        .filter(|a| a["data-critical"] == "true")
        .map(|a| &a["data-name"])
        .collect();
    assert_eq!(rto_bar, ["ddm-smoke"]);
    assert!(dom.contains(
        "<ol class=\"crit-path\" id=\"critical-path\"><li class=\"critical\" data-name=\"node-b\">"
    ));
    assert!(
        dom.contains(
            "id=\"rto\" data-measured-ms=\"694800\" data-budget-ms=\"900000\" data-met=\"true\""
        ),
        "rto card"
    );
}

#[test]
fn a_failed_probe_shows_red_with_its_output_open() {
    let r = sample::report("2026-12-03T02:00:00Z".parse().expect("time"), true);
    let Some(dom) = render_and_dump(&r) else {
        return;
    };
    let failed: Vec<_> = rects(&dom)
        .into_iter()
        .filter(|a| a.get("class").is_some_and(|c| c == "bar probe fail"))
        .map(|a| a["data-name"].clone())
        .collect();
    assert_eq!(failed, ["node-b-orders"]);
    assert!(dom.contains("data-passed=\"false\">FAILED"));
    assert!(dom.contains("<details open=\"\"><summary>output</summary><pre><code>COUNT(*)\n1187\n</code></pre></details>"), "{dom}");
}
