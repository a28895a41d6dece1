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
}

#[test]
fn backup_id_latest_is_a_choice_wherever_a_kind_restores_a_backup_of_a_named_source() {
    let cases = [
        (
            "dds-restore.yaml",
            "backup_id: 2f4ddb93-b901-4b08-93d8-1d2e472f30fe",
            "sessions-from-backup",
        ),
        (
            "taurusdb-restore.yaml",
            "backup_id: 8b2c4d6e8f0a4c1e9b3d5f7a9c1e3b5dbr07",
            "ledger",
        ),
        (
            "cbr-restore.yaml",
            "backup_id: 0b4ab6c3-7bb1-4c6d-8b52-26f8a1f1a7c4",
            "scratch-disk",
        ),
    ];
    for (file, written, op) in cases {
        let text = example(file);
        assert!(text.contains(written), "{file}");
        let c = compile_ok("x.yaml", &text.replace(written, "backup_id: latest"));
        assert_eq!(
            c.spec.recovery.get(op),
            Some(&RecoveryChoice::LatestBackup),
            "{file}"
        );
        assert!(
            !rewind_engine::drill::recovery::is_pinned(
                &c.spec.ops[op].spec,
                RecoveryChoice::LatestBackup
            ),
            "{file}: not pinned until the plan chooses"
        );
    }
    let rds = "version: 1\nrestores:\n  db:\n    kind: rds.restore\n    source:\n      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01\n      backup_id: latest\n    target:\n      instance_id: 5c9d41e6f3a24c7b8e0d2f1a6b3c4d5ein01\n";
    let c = compile_ok("r.yaml", rds);
    assert_eq!(
        c.spec.recovery.get("db"),
        Some(&RecoveryChoice::LatestBackup)
    );
    // A word that is neither an ID nor `latest` is still refused as an ID.
    let r = compile_err(
        "r.yaml",
        &rds.replace("backup_id: latest", "backup_id: newest"),
    );
    assert!(r.plain().contains("is not a backup ID"), "{}", r.plain());
}

#[test]
fn backup_id_latest_without_a_source_to_read_is_an_error_at_its_line() {
    // A CBR server restore: its mappings name the disk backups of one server backup.
    let text = example("cbr-restore.yaml").replacen(
        "backup_id: 6df2b54c-dd62-4059-a07c-1b8f24f2725d",
        "backup_id: latest",
        1,
    );
    let r = compile_err("c.yaml", &text);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("restores.web-server.backup_id"))
        .unwrap_or_else(|| panic!("{}", r.plain()));
    assert_eq!(
        d.span.map(|s| s.line),
        Some(line_of(&text, "backup_id: latest"))
    );
    assert!(r.plain().contains("mappings"), "{}", r.plain());

    // A DDS restore into a new instance from a backup, with no source instance named.
    let text = "version: 1\nsecrets:\n  p: { env: P }\nrestores:\n  cat:\n    kind: dds.restore_new\n    name: catalog-r1\n    restore_point:\n      backup_id: latest\n    availability_zone: eu-de-01\n    vpc_id: 490a4a08-ef4b-44c5-94be-3051ef9e4fce\n    subnet_id: 0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f\n    security_group_id: 2a1f7fc8-3307-42a7-aa6f-42c8b9b8f8c5\n    flavor:\n      - { type: replica, num: 1, spec_code: dds.mongodb.s2.medium.4.repset, size: 40 }\n    password: ${secrets.p}\n";
    let r = compile_err("d.yaml", text);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("restores.cat.restore_point.backup_id"))
        .unwrap_or_else(|| panic!("{}", r.plain()));
    assert_eq!(
        d.span.map(|s| s.line),
        Some(line_of(text, "backup_id: latest"))
    );
    assert!(
        r.plain().contains("restore_point.instance_id"),
        "{}",
        r.plain()
    );
}

#[test]
fn backup_id_latest_on_a_ddm_metadata_restore_is_a_choice_of_the_path_instance() {
    let text = example("ddm-metadata-restore.yaml").replacen(
        "backup_id: defa45b24d314e878fde930a61732e9dbr09",
        "backup_id: latest",
        1,
    );
    assert!(text.contains("backup_id: latest"));
    let c = compile_ok("m.yaml", &text);
    assert_eq!(
        c.spec.recovery.get("catalog-metadata"),
        Some(&RecoveryChoice::LatestBackup)
    );
    let spec = &c.spec.ops["catalog-metadata"].spec;
    // DDM's backup list is project-wide: the backups are those of the path's instance.
    assert_eq!(
        rewind_engine::drill::recovery::backup_source(spec).as_deref(),
        Some("1f5c9fd6cd984056ba89c8c87cc03278in09")
    );
    assert!(!rewind_engine::drill::recovery::is_pinned(
        spec,
        RecoveryChoice::LatestBackup
    ));
    let mut pinned = spec.clone();
    assert!(rewind_engine::drill::recovery::pin_backup(
        &mut pinned,
        "0123456789abcdef0123456789abcdefbr09"
    ));
    assert!(rewind_engine::drill::recovery::is_pinned(
        &pinned,
        RecoveryChoice::LatestBackup
    ));
    // Still exactly one of the two: `latest` next to a restore time is refused at its line.
    let both = text.replacen(
        "      backup_id: latest",
        "      restore_time: 2026-11-20T03:00:00Z\n      backup_id: latest",
        1,
    );
    let r = compile_err("m.yaml", &both);
    assert!(r.plain().contains("exactly one of"), "{}", r.plain());
}
