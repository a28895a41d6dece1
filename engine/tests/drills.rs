//! The `drills:` section: lowering, and the rule that a drill never touches production.

mod common;

use common::{compile_err, compile_ok, example};

fn with_drill(drill: &str) -> String {
    format!("{}drills:\n{drill}", example("ddm-pitr-new.yaml"))
}

#[test]
fn a_drill_of_creates_onto_a_scratch_ddm_lowers() {
    let text = with_drill(
        "  nightly:\n    scratch: [\"${var.target_ddm}\"]\n    rto: 45m\n    cleanup: { on_success: delete, on_failure: keep 4h }\n    probes:\n      orders-dn-1:\n        - { name: rows, mysql: { query: \"SELECT 1\", expect: \">= 1\" } }\n",
    );
    let c = compile_ok("d.yaml", &text);
    let d = &c.spec.drills["nightly"];
    assert_eq!(
        d.operations,
        vec!["orders-dn-1", "orders-dn-2", "orders-metadata"]
    );
    assert_eq!(d.scratch, vec!["2f0324a93859487eb5566d75951fcd2din09"]);
    assert_eq!(d.rto, Some(std::time::Duration::from_secs(45 * 60)));
    assert_eq!(d.probes["orders-dn-1"].len(), 1);
}

#[test]
fn a_drill_onto_a_non_scratch_ddm_is_refused() {
    let text =
        with_drill("  nightly:\n    operations: [orders-dn-1, orders-dn-2, orders-metadata]\n");
    let r = compile_err("d.yaml", &text);
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.code.as_str() == "drill_touches_production" && d.span.is_some()),
        "{}",
        r.plain()
    );
}

#[test]
fn a_drill_missing_a_dependency_is_refused() {
    let text = with_drill(
        "  nightly:\n    operations: [orders-metadata]\n    scratch: [\"${var.target_ddm}\"]\n",
    );
    let r = compile_err("d.yaml", &text);
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.code.as_str() == "drill_missing_dependency"),
        "{}",
        r.plain()
    );
}
