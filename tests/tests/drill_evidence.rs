//! A drill report's evidence: the run's audit data, the SHA-256 of every artefact (matching
//! the files), and the trend of RTO and RPO over this drill's runs in the HTML report.

use rewind_engine::plan::sha256_hex;
use rewind_tests::{Harness, Options};

const SPEC: &str = r"version: 1
restores:
  sessions:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: drill
drills:
  cache:
    scratch: [3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77]
";

#[test]
fn the_artefact_digests_match_the_files_and_the_trend_grows() {
    let h = Harness::new(SPEC, &Options::default());
    for _ in 0..2 {
        let run = h.rewind(&["drill", "cache", "--approver", "auditor@example"]);
        assert!(run.ok(), "{}", run.transcript());
    }
    let dir = h.state_dir().join("drills/cache/run-0002");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json")).expect("report.json"),
    )
    .expect("JSON");
    let e = &report["evidence"];
    assert_eq!(e["run"], 2);
    assert_eq!(e["approver"], "auditor@example");
    let spec_bytes = std::fs::read(&h.spec).expect("spec");
    assert_eq!(
        e["spec_digest"].as_str(),
        Some(sha256_hex(&spec_bytes).as_str())
    );
    assert_eq!(e["plan_digest"].as_str().map(str::len), Some(64));
    assert!(
        e["jobs"]["sessions"]
            .as_str()
            .is_some_and(|j| !j.is_empty()),
        "{e:#}"
    );

    let artefacts = e["artefacts"].as_array().expect("artefacts");
    let names: Vec<&str> = artefacts
        .iter()
        .filter_map(|a| a["file"].as_str())
        .collect();
    assert_eq!(names, ["report.md", "junit.xml", "report.html"]);
    for a in artefacts {
        let file = a["file"].as_str().expect("file");
        let bytes = std::fs::read(dir.join(file)).expect("artefact");
        assert_eq!(
            a["sha256"].as_str(),
            Some(sha256_hex(&bytes).as_str()),
            "{file}"
        );
        assert_eq!(a["bytes"].as_u64(), Some(bytes.len() as u64), "{file}");
    }

    let trend = e["trend"].as_array().expect("trend");
    assert_eq!(trend.len(), 2, "{e:#}");
    assert_eq!(
        (trend[0]["run"].as_u64(), trend[1]["run"].as_u64()),
        (Some(1), Some(2))
    );
    let html = std::fs::read_to_string(dir.join("report.html")).expect("html");
    assert!(
        html.contains("Trend of this drill") && html.contains("<polyline"),
        "no trend"
    );
    let section = &html[html.find("id=\"evidence\"").expect("the evidence section")..];
    assert_eq!(
        section.matches("<tr><td>").count(),
        2,
        "two runs in the trend table"
    );
    let md = std::fs::read_to_string(dir.join("report.md")).expect("md");
    assert!(
        md.contains("## Evidence") && md.contains("auditor@example"),
        "{md}"
    );
}
