//! The kind table generates `Kind` and `OpSpec`: names, serde tags and what the declarations
//! say (backup read, own source, time and backup choices) hold for every built-in kind.

mod common;

use common::compile_ok;
use rewind_engine::drill::recovery::{self, RecoveryChoice};
use rewind_engine::kinds::builtin::{TABLE, get};
use rewind_engine::kinds::{Kind, OpSpec, ResourceClass};
use rewind_engine::plan::facts;

const RDS: &str = "7edae0250ebc464897bd92b8d3e8b769in01";
const RDS2: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90in01";
const DDS: &str = "43e4feaab48f11e89039fa163ebaa7e4in02";
const DCS: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const DCS_BACKUP: &str = "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809";

fn op(body: &str) -> OpSpec {
    let text = format!("version: 1\nrestores:\n  x:\n{body}");
    compile_ok("t.yaml", &text).spec.ops["x"].spec.clone()
}

#[test]
fn the_table_lists_every_kind_once_in_order_and_names_round_trip() {
    let listed: Vec<Kind> = TABLE.iter().map(|e| e.kind).collect();
    assert_eq!(listed, Kind::ALL.to_vec());
    for kind in Kind::ALL {
        assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        assert!(get(kind).is_some(), "{kind}");
        assert_eq!(
            kind.service().as_str(),
            kind.as_str().split('.').next().unwrap()
        );
    }
    assert_eq!(Kind::parse("rds.restore_nope"), None);
}

#[test]
fn the_serde_tag_is_the_kind_name() {
    let spec = op(&format!(
        "    kind: dcs.restore\n    instance_id: {DCS}\n    backup_id: {DCS_BACKUP}\n"
    ));
    let v = serde_json::to_value(&spec).unwrap();
    assert_eq!(v["kind"], "dcs.restore");
    let back: OpSpec = serde_json::from_value(v).unwrap();
    assert_eq!(back, spec);
    assert_eq!(back.kind(), Kind::DcsRestore);
}

#[test]
fn a_dcs_restore_is_its_own_source_and_overwrites_it() {
    let spec = op(&format!(
        "    kind: dcs.restore\n    instance_id: {DCS}\n    backup_id: {DCS_BACKUP}\n"
    ));
    let (own, overwritten) = spec.own_source().unwrap();
    assert_eq!(
        (own.class, own.id.as_str(), overwritten),
        (ResourceClass::DcsInstance, DCS, true)
    );
    let f = facts(&spec, None);
    assert_eq!(f.source, vec![own]);
    assert_eq!(f.backup.as_deref(), Some(DCS_BACKUP));
}

#[test]
fn a_restore_time_choice_pins_only_where_declared() {
    let mut rds = op(&format!(
        "    kind: rds.restore\n    source: {{ instance_id: {RDS}, restore_time: 1763607600000 }}\n    target: {{ instance_id: {RDS2} }}\n"
    ));
    assert_eq!(recovery::source(&rds).as_deref(), Some(RDS));
    assert!(recovery::pin(&mut rds, 1_763_600_000_000));
    assert_eq!(rds.restore_time(), Some(1_763_600_000_000));
    assert!(recovery::is_pinned(&rds, RecoveryChoice::Latest));

    let mut dds = op(&format!(
        "    kind: dds.restore\n    source: {{ instance_id: {DDS}, restore_time: 1763607600000 }}\n    target: {{ instance_id: {DDS} }}\n    allow_overwrite_source: true\n"
    ));
    assert_eq!(recovery::source(&dds), None, "DDS takes a fixed time");
    assert!(!recovery::pin(&mut dds, 1_763_600_000_000));
    assert_eq!(dds.restore_time(), Some(1_763_607_600_000));
}

#[test]
fn a_latest_backup_is_read_from_the_declared_source_and_pinned_at_the_backup_read() {
    let mut dds = op(&format!(
        "    kind: dds.restore\n    source: {{ instance_id: {DDS}, backup_id: latest }}\n    target: {{ instance_id: {DDS} }}\n    allow_overwrite_source: true\n"
    ));
    assert_eq!(recovery::backup_source(&dds).as_deref(), Some(DDS));
    assert!(!recovery::is_pinned(&dds, RecoveryChoice::LatestBackup));
    let backup = "43e4feaab48f11e89039fa163ebaa7e4br01";
    assert!(recovery::pin_backup(&mut dds, backup));
    assert_eq!(dds.backup_id().as_deref(), Some(backup));
    assert!(recovery::is_pinned(&dds, RecoveryChoice::LatestBackup));

    let mut tables = op(&format!(
        "    kind: rds.restore_tables\n    instance_id: {RDS}\n    restore_time: 1763607600000\n    restore_tables:\n      - {{ database: shop, tables: [{{ old_name: orders, new_name: orders_bak }}] }}\n"
    ));
    assert_eq!(recovery::backup_source(&tables), None);
    assert!(!recovery::pin_backup(&mut tables, backup));
}
