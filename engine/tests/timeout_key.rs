//! The `timeout:` key every operation takes: friendly durations in, located errors out.

mod common;

use common::{compile_err, compile_ok, only};
use rewind_engine::plan::{self, PlanOptions};
use rewind_engine::state::StateMeta;

fn spec(timeout: &str) -> String {
    format!(
        "restores:\n  db:\n    kind: rds.restore\n    timeout: {timeout}\n    source: {{ instance_id: {:032x}in01, restore_time: 1747732352076 }}\n    target: {{ instance_id: {:032x}in01 }}\n",
        1001, 2001
    )
}

fn timeout_ms(text: &str) -> Option<u64> {
    let c = compile_ok("t.yaml", text);
    let meta = StateMeta {
        lineage: "t".to_owned(),
        serial: 0,
    };
    let p = plan::build(
        "t.yaml",
        &c.spec,
        &c.graph,
        &meta,
        &[],
        &PlanOptions::default(),
    );
    p.step("db").and_then(|s| s.timeout_ms)
}

#[test]
fn friendly_durations_are_read() {
    assert_eq!(timeout_ms(&spec("90s")), Some(90_000));
    assert_eq!(timeout_ms(&spec("45m")), Some(2_700_000));
    assert_eq!(timeout_ms(&spec("6h")), Some(21_600_000));
    assert_eq!(timeout_ms(&spec("1h 30m")), Some(5_400_000));
}

#[test]
fn bad_timeouts_are_located_at_their_value() {
    for bad in ["forever", "0s", "-5m", "721h", "500ms"] {
        let text = spec(bad);
        let report = compile_err("t.yaml", &text);
        let d = only(&report);
        assert_eq!(d.code.as_str(), "bad_value", "{bad}: {d:?}");
        assert!(
            d.message.contains("restores.db.timeout"),
            "{bad}: {}",
            d.message
        );
        let s = d.span.expect("located");
        assert_eq!((s.line, s.column), (4, 14), "{bad}: {d:?}");
        assert!(text[s.offset..].starts_with(bad), "{bad}: {d:?}");
    }
    let report = compile_err("t.yaml", &spec("[1]"));
    assert!(!report.diagnostics.is_empty());
}
