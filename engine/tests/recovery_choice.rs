//! `restore_time: latest` / `random_within D`: lowered as a choice for RDS restores, and a
//! located error where a kind cannot take one or the duration is bad.

mod common;

use common::{compile_err, compile_ok, example};
use rewind_engine::drill::recovery::RecoveryChoice;

fn line_of(text: &str, needle: &str) -> u32 {
    let i = text.find(needle).expect("needle in text");
    u32::try_from(text[..i].matches('\n').count() + 1).expect("line")
}

#[test]
fn latest_on_an_rds_restore_is_a_choice_with_no_time_yet() {
    let text =
        example("ddm-pitr-new.yaml").replacen("restore_time: ${var.at}", "restore_time: latest", 1);
    let c = compile_ok("d.yaml", &text);
    assert_eq!(c.spec.recovery.len(), 1, "{:?}", c.spec.recovery);
    let (op, choice) = c.spec.recovery.iter().next().expect("one choice");
    assert_eq!(*choice, RecoveryChoice::Latest);
    assert_eq!(c.spec.ops[op].spec.restore_time(), None);
}

#[test]
fn a_bad_window_or_an_unsupported_kind_is_an_error_at_its_line() {
    let text = example("ddm-pitr-new.yaml").replacen(
        "restore_time: ${var.at}",
        "restore_time: random_within soon",
        1,
    );
    let r = compile_err("d.yaml", &text);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("random_within"))
        .unwrap_or_else(|| panic!("{}", r.plain()));
    assert_eq!(
        d.span.map(|s| s.line),
        Some(line_of(&text, "random_within soon"))
    );

    // The DDM metadata restore (the third `restore_time`) takes a fixed time only.
    let text = example("ddm-pitr-new.yaml");
    let third = text
        .match_indices("restore_time: ${var.at}")
        .nth(2)
        .map(|(i, _)| i)
        .expect("three restore times");
    let text = format!(
        "{}restore_time: latest{}",
        &text[..third],
        &text[third + "restore_time: ${var.at}".len()..]
    );
    let r = compile_err("d.yaml", &text);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("takes a fixed time only"))
        .unwrap_or_else(|| panic!("{}", r.plain()));
    assert!(d.message.contains("orders-metadata"), "{}", r.plain());
    assert_eq!(
        d.span.map(|s| s.line),
        Some(line_of(&text, "restore_time: latest"))
    );
}

#[test]
fn backup_id_latest_on_a_dcs_restore_is_a_choice() {
    let text = example("dcs-restore.yaml").replace(
        "backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029",
        "backup_id: latest",
    );
    let c = compile_ok("d.yaml", &text);
    assert_eq!(
        c.spec.recovery.get("sessions"),
        Some(&RecoveryChoice::LatestBackup)
    );
    // Elsewhere `latest` is not a backup ID: the usual located error.
    let text = example("cbr-restore.yaml");
    if let Some(at) = text.find("backup_id: ") {
        let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        let bad = format!("{}backup_id: latest{}", &text[..at], &text[end..]);
        let r = compile_err("c.yaml", &bad);
        assert!(
            r.diagnostics.iter().any(|d| d.span.is_some()),
            "{}",
            r.plain()
        );
    }
}
