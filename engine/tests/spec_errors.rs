//! Spec diagnostics: every mistake in one file is reported at once, each with its code and exact line:column.

mod common;

use common::{
    Pos, assert_at, compile_err, compile_ok, fixture, locate, located, nth, only, pos_at,
};
use rewind_engine::compile::compile;
use rewind_engine::spec::{Code, LoadOptions};
use std::collections::BTreeSet;

const MANY: &str = "many-mistakes.yaml";

/// (code, where, the token the span must start at), derived from the fixture text itself.
fn expected_mistakes(t: &str) -> Vec<(&'static str, Pos, &'static str)> {
    vec![
        (
            "unknown_key",
            locate(t, "typo-key", "", "dependson"),
            "dependson",
        ),
        (
            "duplicate_key",
            locate(t, "dup-key", "1b1b", "instance_id"),
            "instance_id",
        ),
        (
            "wrong_type",
            locate(t, "wrong-type", "remark:", "["),
            "[not, a, string]",
        ),
        ("missing_field", locate(t, "no-target", "", "kind"), "kind"),
        (
            "type_mismatch",
            locate(t, "type-mismatch", "backup_id:", "43e4"),
            "43e4",
        ),
        (
            "bad_time",
            locate(t, "no-offset", "restore_time:", "\"2026"),
            "\"2026-11-20T03:00:00\"",
        ),
        (
            "bad_time",
            locate(t, "epoch-seconds", "restore_time:", "17"),
            "1763607600",
        ),
        ("bad_id", locate(t, "bad-id", "target:", "1313"), "13131313"),
        (
            "dangling_reference",
            locate(t, "dangling", "depends_on:", "orders"),
            "orders-dn",
        ),
        (
            "unknown_kind",
            locate(t, "bad-kind", "kind:", "rds"),
            "rds.restroe",
        ),
        (
            "cycle",
            locate(t, "cycle-b", "depends_on:", "cycle-a"),
            "cycle-a",
        ),
        (
            "conflicting_writers",
            locate(t, "writer-2", "target:", "1414"),
            "1414",
        ),
        (
            "overwrite_source",
            locate(t, "onto-itself", "target:", "0606"),
            "0606",
        ),
    ]
}

#[test]
fn every_mistake_in_one_file_is_reported_with_code_and_line_column() {
    let text = fixture(MANY);
    let report = compile_err(MANY, &text);
    let expected = expected_mistakes(&text);
    let distinct: std::collections::BTreeSet<&str> = expected.iter().map(|e| e.0).collect();
    assert!(
        distinct.len() >= 6,
        "the fixture must hold at least 6 different mistakes"
    );

    // Exactly these, nothing missing and no follow-on noise.
    let want: Vec<(&str, u32, u32)> = expected
        .iter()
        .map(|(c, p, _)| (*c, p.line, p.column))
        .collect();
    let got = located(&report);
    let mut want_sorted = want.clone();
    want_sorted.sort_by_key(|(c, l, col)| (*l, *col, *c));
    assert_eq!(got, want_sorted, "\n{}", report.plain());

    for (code, pos, token) in &expected {
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.span.is_some_and(|s| s.offset == pos.offset))
            .unwrap_or_else(|| panic!("{code} at {pos:?} missing"));
        assert_at(&text, d, code, *pos, token);
    }
}

#[test]
fn every_mistake_carries_a_hint() {
    let text = fixture(MANY);
    let report = compile_err(MANY, &text);
    for d in &report.diagnostics {
        assert!(d.hint.is_some(), "{} has no hint: {d:?}", d.code.as_str());
    }
}

#[test]
fn many_mistakes_messages_name_what_is_wrong() {
    let text = fixture(MANY);
    let report = compile_err(MANY, &text);
    let by_code = |code: Code| -> Vec<_> {
        report
            .diagnostics
            .iter()
            .filter(|d| d.code == code)
            .collect()
    };

    let unknown = by_code(Code::UnknownKey);
    assert_eq!(
        unknown[0].hint.as_deref(),
        Some("did you mean `depends_on`?")
    );
    let kind = by_code(Code::UnknownKind);
    assert_eq!(kind[0].hint.as_deref(), Some("did you mean `rds.restore`?"));
    let mismatch = by_code(Code::TypeMismatch);
    assert!(
        mismatch[0].message.contains("backup_id"),
        "the field is named: {:?}",
        mismatch[0]
    );
    assert!(
        mismatch[0].message.contains("type: timestamp"),
        "{:?}",
        mismatch[0]
    );
    let times = by_code(Code::BadTime);
    assert!(
        times.iter().any(|d| d.message.contains("no UTC offset")),
        "{times:?}"
    );
    assert!(
        times.iter().any(|d| d.message.contains("epoch seconds")),
        "{times:?}"
    );
    let bad_id = by_code(Code::BadId);
    assert!(
        bad_id[0].hint.as_deref().unwrap_or("").contains("DDM"),
        "{:?}",
        bad_id[0]
    );

    let cycle = by_code(Code::Cycle);
    assert_eq!(cycle.len(), 1);
    assert!(
        cycle[0].message.contains("cycle-a -> cycle-b -> cycle-a"),
        "{:?}",
        cycle[0]
    );
    assert!(
        cycle[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("break the edge"),
        "{:?}",
        cycle[0]
    );

    let conflict = by_code(Code::ConflictingWriters);
    let m = &conflict[0].message;
    assert!(m.contains("writer-1") && m.contains("writer-2"), "{m}");
    assert!(
        m.contains("14141414141414141414141414141414in01"),
        "names the target: {m}"
    );
    let other = locate(&text, "writer-1", "target:", "1414");
    assert!(
        conflict[0]
            .labels
            .iter()
            .any(|l| l.span.offset == other.offset),
        "the other writer is labelled: {:?}",
        conflict[0].labels
    );

    let dup = by_code(Code::DuplicateKey);
    let first = locate(&text, "dup-key", "target:", "instance_id");
    assert_eq!(
        dup[0].labels[0].span.offset, first.offset,
        "points back at the first key"
    );

    let overwrite = by_code(Code::OverwriteSource);
    assert!(
        overwrite[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("allow_overwrite_source: true"),
        "{:?}",
        overwrite[0]
    );
}

#[test]
fn many_mistakes_plain_report_snapshot() {
    let text = fixture(MANY);
    let report = compile_err(MANY, &text);
    insta::assert_snapshot!("many_mistakes_plain", report.plain());
}

// ---------------------------------------------------------------------------------------------
// One focused test per code.

const DCS_OK: &str = "\
version: 1
restores:
  cache:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
";

#[test]
fn the_baseline_spec_used_below_is_valid() {
    let c = compile_ok("ok.yaml", DCS_OK);
    assert_eq!(c.spec.ops.len(), 1);
}

#[test]
fn syntax_unclosed_flow_mapping_is_located() {
    let text = "version: 1\nrestores:\n  a: { kind: dcs.restore\n";
    let r = compile_err("s.yaml", text);
    let d = only(&r);
    assert_eq!(d.code, Code::Syntax);
    let s = d.span.expect("located");
    assert!(s.line >= 3, "at or after the open brace: {d:?}");
    assert!(
        common::span_problem(text, s).is_none(),
        "{:?}",
        common::span_problem(text, s)
    );
}

#[test]
fn syntax_error_spans_end_on_a_character_boundary() {
    let text = "restores:\n  a:\n    kind: x\n   \u{e9}t\u{e9}: 1\n";
    let r = compile_err("s.yaml", text);
    let s = only(&r).span.expect("located");
    assert!(
        text.is_char_boundary(s.offset + s.len),
        "{s:?} ends inside a character"
    );
}

#[test]
fn syntax_messages_do_not_repeat_the_location() {
    let text = "restores:\n  a:\n    kind: x\n   y power_on: 1\n";
    let r = compile_err("s.yaml", text);
    let d = only(&r);
    assert_eq!(d.code, Code::Syntax);
    assert!(!d.message.contains(" at line "), "{:?}", d.message);
}

#[test]
fn syntax_tab_indentation_points_at_the_tab() {
    let text = "version: 1\nrestores:\n  cache:\n  \tkind: dcs.restore\n";
    let r = compile_err("s.yaml", text);
    let d = only(&r);
    assert_at(text, d, "syntax", nth(text, "\t", 0), "\t");
    assert!(d.message.contains("tab"), "{d:?}");
}

#[test]
fn tab_indentation_after_a_lone_cr_is_on_the_parsers_line() {
    let text = "version: 1\rrestores:\n  cache:\n\tkind: dcs.restore\n";
    let r = compile_err("s.yaml", text);
    let d = only(&r);
    assert_eq!(d.code, Code::Syntax);
    assert_eq!(
        d.span.map(|s| s.line),
        Some(pos_at(text, nth(text, "\t", 0).offset).line),
        "{d:?}"
    );
    assert_eq!(
        pos_at(text, nth(text, "\t", 0).offset).line,
        4,
        "the test's own count"
    );
}

#[test]
fn unknown_key_suggests_the_close_one_or_lists_the_allowed_ones() {
    let text = DCS_OK.replace(
        "    backup_id:",
        "    remrak: x\n    flavor: y\n    backup_id:",
    );
    let r = compile_err("k.yaml", &text);
    assert_eq!(r.diagnostics.len(), 2, "{}", r.plain());
    assert_at(
        &text,
        &r.diagnostics[0],
        "unknown_key",
        nth(&text, "remrak", 0),
        "remrak",
    );
    assert_eq!(
        r.diagnostics[0].hint.as_deref(),
        Some("did you mean `remark`?")
    );
    assert_at(
        &text,
        &r.diagnostics[1],
        "unknown_key",
        nth(&text, "flavor", 0),
        "flavor",
    );
    let hint = r.diagnostics[1].hint.as_deref().unwrap_or("");
    assert!(
        hint.contains("allowed keys here") && hint.contains("backup_id"),
        "{hint}"
    );
}

#[test]
fn unknown_top_level_key_is_suggested() {
    let text = DCS_OK.replace("restores:", "restore:");
    let r = compile_err("k.yaml", &text);
    let unknown = r
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnknownKey)
        .expect("unknown key");
    assert_at(
        &text,
        unknown,
        "unknown_key",
        nth(&text, "restore:", 0),
        "restore",
    );
    assert_eq!(unknown.hint.as_deref(), Some("did you mean `restores`?"));
    assert!(
        r.diagnostics.iter().any(|d| d.code == Code::MissingField),
        "{}",
        r.plain()
    );
}

#[test]
fn duplicate_operation_names_are_reported_at_the_second() {
    let text = format!("{DCS_OK}  cache:\n    kind: dcs.restore\n");
    let r = compile_err("d.yaml", &text);
    let d = only(&r);
    assert_at(&text, d, "duplicate_key", nth(&text, "cache:", 1), "cache");
    assert_eq!(d.labels[0].span.offset, nth(&text, "cache:", 0).offset);
}

#[test]
fn wrong_type_names_the_path_and_what_was_found() {
    let text = DCS_OK.replace(
        "restores:\n  cache:\n",
        "restores:\n  cache:\n    depends_on: other\n",
    );
    let r = compile_err("w.yaml", &text);
    let d = only(&r);
    assert_at(&text, d, "wrong_type", nth(&text, "other", 0), "other");
    assert!(
        d.message.contains("restores.cache.depends_on") && d.message.contains("a list"),
        "{d:?}"
    );

    let text = "version: 1\nrestores:\n  web:\n    kind: cbr.restore\n    backup_id: 6df2b54c-dd62-4059-a07c-1b8f24f2725d\n    volume_id: 3e2b1c0d-9a8b-4c7d-8e6f-5a4b3c2d1e0f\n    power_on: \"yes\"\n";
    let r = compile_err("w.yaml", text);
    assert_at(
        text,
        only(&r),
        "wrong_type",
        nth(text, "\"yes\"", 0),
        "\"yes\"",
    );
}

#[test]
fn missing_field_points_at_the_mapping_that_lacks_it() {
    let text = DCS_OK.replace("    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029\n", "");
    let r = compile_err("m.yaml", &text);
    let d = only(&r);
    assert_at(&text, d, "missing_field", nth(&text, "kind:", 0), "kind");
    assert!(d.message.contains("restores.cache.backup_id"), "{d:?}");

    let text = DCS_OK.replace("    kind: dcs.restore\n", "");
    let r = compile_err("m.yaml", &text);
    let d = only(&r);
    assert_eq!(d.code, Code::MissingField);
    assert!(d.message.contains("kind"), "{d:?}");
    assert!(
        d.hint.as_deref().unwrap_or("").contains("rds.restore"),
        "lists the kinds: {d:?}"
    );
}

const RDS_BACKUP_NO_ID: &str = "\
version: 1
restores:
  db:
    kind: rds.restore
    source:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      type: backup
    target: { instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01 }
";

#[test]
fn type_mismatch_names_the_missing_field_at_type() {
    let r = compile_err("t.yaml", RDS_BACKUP_NO_ID);
    let d = only(&r);
    assert_at(
        RDS_BACKUP_NO_ID,
        d,
        "type_mismatch",
        nth(RDS_BACKUP_NO_ID, "backup\n", 0),
        "backup",
    );
    assert!(d.message.contains("source.backup_id"), "{d:?}");
}

#[test]
fn type_mismatch_when_both_backup_and_time_are_given_without_type() {
    let text = "version: 1\nrestores:\n  ledger:\n    kind: taurusdb.restore\n    source_instance_id: 96a3a3b5a0c54d97b6d3a5c2e0f1b4d2in07\n    target_instance_id: c1d2e3f4a5b6478899aabbccddeeff00in07\n    backup_id: 8b2c4d6e8f0a4c1e9b3d5f7a9c1e3b5dbr07\n    restore_time: 2026-11-20T03:00:00+01:00\n";
    let r = compile_err("t.yaml", text);
    let d = only(&r);
    assert_at(text, d, "type_mismatch", nth(text, "2026", 0), "2026");
    assert_eq!(d.labels[0].span.offset, nth(text, "8b2c", 0).offset);
}

#[test]
fn type_is_inferred_when_omitted() {
    let text = RDS_BACKUP_NO_ID.replace("type: backup", "restore_time: 1763607600000");
    let c = compile_ok("t.yaml", &text);
    let req = c.spec.ops["db"].spec.request();
    assert_eq!(req.body["source"]["type"], "timestamp");
    assert_eq!(req.body["source"]["restore_time"], 1_763_607_600_000_i64);
}

#[test]
fn bad_times_are_each_explained() {
    for (value, words) in [
        ("2026-11-20T03:00:00", "no UTC offset"),
        ("1763607600", "epoch seconds"),
        ("yesterday", "not a valid time"),
        ("4102444800001", "out of range"),
    ] {
        let text = RDS_BACKUP_NO_ID.replace("type: backup", &format!("restore_time: \"{value}\""));
        let r = compile_err("t.yaml", &text);
        let d = only(&r);
        assert_at(
            &text,
            d,
            "bad_time",
            nth(&text, &format!("\"{value}"), 0),
            "\"",
        );
        assert!(d.message.contains(words), "{value}: {d:?}");
    }
}

#[test]
fn rfc3339_offsets_are_normalised_to_the_same_millisecond() {
    let z = RDS_BACKUP_NO_ID.replace("type: backup", "restore_time: 2026-11-20T03:00:00Z");
    let plus = RDS_BACKUP_NO_ID.replace("type: backup", "restore_time: 2026-11-20T04:00:00+01:00");
    let ms = RDS_BACKUP_NO_ID.replace("type: backup", "restore_time: 1795143600000");
    let bodies: Vec<_> = [z, plus, ms]
        .iter()
        .map(|t| compile_ok("t.yaml", t).spec.ops["db"].spec.request().body)
        .collect();
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);
}

#[test]
fn bad_ids_name_the_expected_shape() {
    let cases = [
        (
            "7edae0250ebc464897bd92b8d3e8b769in01",
            "1f5c9fd6cd984056ba89c8c87cc03278in09",
            "DDM",
        ),
        (
            "7edae0250ebc464897bd92b8d3e8b769in01",
            "F4E2949E9B9B4D60B42C89ED39BFE34Cin01",
            "lowercase hex",
        ),
        (
            "7edae0250ebc464897bd92b8d3e8b769in01",
            "f4e2949e9b9b4d60b42c89ed39bfe34c",
            "lowercase hex",
        ),
    ];
    for (src, dst, hint) in cases {
        let text = RDS_BACKUP_NO_ID
            .replace("type: backup", "restore_time: 1763607600000")
            .replace("7edae0250ebc464897bd92b8d3e8b769in01", src)
            .replace("f4e2949e9b9b4d60b42c89ed39bfe34cin01", dst);
        let r = compile_err("i.yaml", &text);
        let d = only(&r);
        assert_at(&text, d, "bad_id", nth(&text, dst, 0), dst);
        assert!(
            d.hint.as_deref().unwrap_or("").contains(hint),
            "{dst}: {d:?}"
        );
    }
    let text = DCS_OK.replace(
        "3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77",
        "3c49d6b8-9ccb-4d6b-a1c5",
    );
    let r = compile_err("i.yaml", &text);
    assert_at(&text, only(&r), "bad_id", nth(&text, "3c49", 0), "3c49");
    let text = DCS_OK.replace("version: 1\n", "version: 1\ncloud: { project_id: eu-de }\n");
    let r = compile_err("i.yaml", &text);
    assert_at(&text, only(&r), "bad_id", nth(&text, "eu-de", 0), "eu-de");
}

#[test]
fn bad_values_are_located() {
    let text = RDS_BACKUP_NO_ID.replace("type: backup", "type: snapshot");
    let r = compile_err("v.yaml", &text);
    let d = only(&r);
    assert_at(&text, d, "bad_value", nth(&text, "snapshot", 0), "snapshot");

    let long = "x".repeat(129);
    let text = format!("{DCS_OK}    remark: {long}\n");
    let r = compile_err("v.yaml", &text);
    assert_at(&text, only(&r), "bad_value", nth(&text, &long, 0), "x");

    let text = DCS_OK.replace("  cache:", "  9cache:");
    let r = compile_err("v.yaml", &text);
    assert_at(
        &text,
        only(&r),
        "bad_value",
        nth(&text, "9cache", 0),
        "9cache",
    );
}

#[test]
fn unknown_kind_suggests_the_closest_kind() {
    let text = DCS_OK.replace("dcs.restore", "dcs.restores");
    let r = compile_err("k.yaml", &text);
    let d = only(&r);
    assert_at(
        &text,
        d,
        "unknown_kind",
        nth(&text, "dcs.restores", 0),
        "dcs.restores",
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `dcs.restore`?"));

    let text = DCS_OK.replace("dcs.restore", "s3.copy");
    let d = compile_err("k.yaml", &text).diagnostics.remove(0);
    assert!(
        d.hint
            .as_deref()
            .unwrap_or("")
            .contains("ddm.metadata_restore"),
        "lists kinds: {d:?}"
    );
}

const METADATA_WITH_VAR: &str = "\
version: 1
vars:
  point_in_time: 2026-11-20T03:00:00Z
restores:
  meta:
    kind: ddm.metadata_restore
    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09
    source: { restore_time: \"${var.point_in_tme}\" }
    target:
      instance_id: 2f0324a93859487eb5566d75951fcd2din09
      data_nodes: [f4e2949e9b9b4d60b42c89ed39bfe34cin01]
";

#[test]
fn unknown_var_suggests_the_declared_one() {
    let r = compile_err("v.yaml", METADATA_WITH_VAR);
    let unknown: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnknownVar)
        .collect();
    assert_eq!(unknown.len(), 1, "{}", r.plain());
    assert_at(
        METADATA_WITH_VAR,
        unknown[0],
        "unknown_var",
        nth(METADATA_WITH_VAR, "\"${var", 0),
        "\"",
    );
    assert_eq!(
        unknown[0].hint.as_deref(),
        Some("did you mean `point_in_time`?")
    );
}

#[test]
fn an_unknown_var_causes_no_follow_on_errors() {
    let r = compile_err("v.yaml", METADATA_WITH_VAR);
    let d = only(&r);
    assert_eq!(d.code, Code::UnknownVar, "{}", r.plain());
}

#[test]
fn var_override_for_an_undeclared_var_is_an_error_and_a_declared_one_applies() {
    let text = METADATA_WITH_VAR.replace("point_in_tme", "point_in_time");
    let mut options = LoadOptions::default();
    options
        .vars
        .insert("point_in_tim".into(), "1763607600000".into());
    let r = compile("v.yaml", &text, &options).expect_err("undeclared --var");
    let d = only(&r);
    assert_eq!(d.code, Code::UnknownVar);
    assert_eq!(d.hint.as_deref(), Some("did you mean `point_in_time`?"));

    let mut options = LoadOptions::default();
    options
        .vars
        .insert("point_in_time".into(), "2026-11-20T02:00:00Z".into());
    let c = compile("v.yaml", &text, &options).unwrap_or_else(|r| panic!("{}", r.plain()));
    let body = c.spec.ops["meta"].spec.request().body;
    assert_eq!(body["source"]["restore_time"], 1_795_140_000_000_i64);
}

#[test]
fn dangling_references_are_located_and_suggested() {
    let text = "version: 1\nrestores:\n  dn:\n    kind: rds.restore\n    source: { instance_id: 7edae0250ebc464897bd92b8d3e8b769in01, restore_time: 1763607600000 }\n    target: { instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01 }\n  meta:\n    kind: ddm.metadata_restore\n    depends_on: [dm]\n    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09\n    source: { restore_time: 1763607600000 }\n    target:\n      instance_id: 2f0324a93859487eb5566d75951fcd2din09\n      data_nodes: [\"${restores.nd.target.instance_id}\"]\n";
    let r = compile_err("r.yaml", text);
    let dangling: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::DanglingReference)
        .collect();
    assert_eq!(dangling.len(), 2, "{}", r.plain());
    assert_at(
        text,
        dangling[0],
        "dangling_reference",
        nth(text, "dm]", 0),
        "dm",
    );
    assert_eq!(dangling[0].hint.as_deref(), Some("did you mean `dn`?"));
    assert_at(
        text,
        dangling[1],
        "dangling_reference",
        nth(text, "\"${restores.nd", 0),
        "\"",
    );
    assert_eq!(r.diagnostics.len(), 2, "no follow-on errors: {}", r.plain());
}

#[test]
fn a_reference_to_a_field_that_does_not_exist_is_one_error() {
    let text = "version: 1\nrestores:\n  dn:\n    kind: rds.restore\n    source: { instance_id: 7edae0250ebc464897bd92b8d3e8b769in01, restore_time: 1763607600000 }\n    target: { instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01 }\n  meta:\n    kind: ddm.metadata_restore\n    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09\n    source: { restore_time: 1763607600000 }\n    target:\n      instance_id: 2f0324a93859487eb5566d75951fcd2din09\n      data_nodes: [\"${restores.dn.target.instanceid}\"]\n";
    let r = compile_err("r.yaml", text);
    let d = only(&r);
    assert_at(
        text,
        d,
        "dangling_reference",
        nth(text, "\"${restores.dn", 0),
        "\"",
    );
    assert!(d.message.contains("target.instanceid"), "{d:?}");
}

#[test]
fn self_dependency_is_a_cycle_at_the_entry() {
    let text = DCS_OK.replace(
        "    kind: dcs.restore\n",
        "    kind: dcs.restore\n    depends_on: [cache]\n",
    );
    let r = compile_err("c.yaml", &text);
    assert_at(&text, only(&r), "cycle", nth(&text, "cache]", 0), "cache");
}

#[test]
fn a_reference_loop_is_reported_once_naming_both_operations() {
    let text = "version: 1\nrestores:\n  a:\n    kind: dcs.restore\n    instance_id: 4c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77\n    backup_id: 9ba256cb-e5ac-44f6-a3da-c03d8f0e5029\n    remark: ${restores.b.remark}\n  b:\n    kind: dcs.restore\n    instance_id: 5c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77\n    backup_id: aba256cb-e5ac-44f6-a3da-c03d8f0e5029\n    remark: ${restores.a.remark}\n";
    let r = compile_err("c.yaml", text);
    let d = only(&r);
    assert_eq!(d.code, Code::Cycle);
    assert!(
        d.message.contains("a -> b -> a") || d.message.contains("b -> a -> b"),
        "{d:?}"
    );
}

#[test]
fn two_table_restores_of_one_instance_restore_into_it_and_need_an_order() {
    let op = |name: &str, table: &str| {
        format!(
            "  {name}:\n    kind: rds.restore_tables\n    instance_id: 5d742eda6e574ff3a003191638ef8c51in01\n    restore_time: 1747732352076\n    restore_tables:\n      - database: shop\n        tables: [ {{ old_name: {table}, new_name: {table}_x }} ]\n"
        )
    };
    let text = format!(
        "version: 1\nrestores:\n{}{}",
        op("a", "orders"),
        op("b", "items")
    );
    let r = compile_err("t.yaml", &text);
    let d = only(&r);
    assert_eq!(d.code, Code::ConflictingWriters);
    assert!(
        d.message.contains(
            "`a` and `b` both restore into rds instance 5d742eda6e574ff3a003191638ef8c51in01"
        ),
        "{d:?}"
    );
    assert!(!d.message.contains("overwrite"), "{d:?}");
    assert!(
        d.hint
            .as_deref()
            .is_some_and(|h| h.contains("one restore at a time")),
        "{d:?}"
    );
}

#[test]
fn conflicting_writers_name_both_operations_and_the_target() {
    // A DDM restore writes its data node's new RDS instance; so does an RDS restore.
    let text = "version: 1\nrestores:\n  catalog:\n    kind: ddm.restore\n    source: { instance_id: 733c7e8d73a54c27b8308ec784a8be8cin09, restore_time: 1747732352076 }\n    target: { instance_id: 2f0324a93859487eb5566d75951fcd2din09 }\n    data_node_relations:\n      - source_instance_id: 7edae0250ebc464897bd92b8d3e8b769in01\n        target_instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01\n  dn:\n    kind: rds.restore\n    source: { instance_id: 41c239a1e9bd4cd2aabd678bab45a886in01, restore_time: 1747732352076 }\n    target: { instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01 }\n";
    let r = compile_err("w.yaml", text);
    let d = only(&r);
    assert_at(text, d, "conflicting_writers", nth(text, "f4e2", 1), "f4e2");
    assert!(
        d.message.contains("`catalog`") && d.message.contains("`dn`"),
        "{d:?}"
    );
    assert!(
        d.message
            .contains("rds instance f4e2949e9b9b4d60b42c89ed39bfe34cin01"),
        "{d:?}"
    );
    assert_eq!(d.labels[0].span.offset, nth(text, "f4e2", 0).offset);

    // An explicit order resolves it.
    let ordered = text.replace(
        "  dn:\n    kind: rds.restore\n",
        "  dn:\n    kind: rds.restore\n    depends_on: [catalog]\n",
    );
    let c = compile_ok("w.yaml", &ordered);
    assert_eq!(c.graph.order(), vec!["catalog", "dn"]);
}

/// Compiles `text` and, if it loads, checks that no operation went missing on the way.
fn assert_no_operation_dropped(text: &str, op: &str) {
    match compile("drop.yaml", text, &LoadOptions::default()) {
        Ok(c) => assert!(
            c.spec.ops.contains_key(op),
            "the spec loaded without errors but `{op}` is not in it: {:?}",
            c.spec.ops.keys().collect::<Vec<_>>()
        ),
        Err(r) => {
            let d = only(&r);
            let s = d.span.expect("located");
            assert!(s.line >= 7, "points into `{op}`: {d:?}");
        }
    }
}

#[test]
fn empty_data_node_relations_is_an_error_not_a_dropped_operation() {
    let text = common::example("ddm-restore.yaml");
    let cut = &text[..text
        .find("    data_node_relations:")
        .expect("example has relations")];
    assert_no_operation_dropped(&format!("{cut}    data_node_relations:\n"), "catalog");
    assert_no_operation_dropped(&format!("{cut}    data_node_relations: ~\n"), "catalog");
}

#[test]
fn empty_data_nodes_is_an_error_not_a_dropped_operation() {
    let text = common::example("ddm-metadata-restore.yaml");
    let cut = text.replace(
        "data_nodes: [f4e2949e9b9b4d60b42c89ed39bfe34cin01]",
        "data_nodes:",
    );
    assert_ne!(cut, text, "the example changed; update this test");
    assert_no_operation_dropped(&cut, "catalog-metadata");
}

const ONTO_ITSELF: &str = "\
version: 1
restores:
  db:
    kind: rds.restore
    source: { instance_id: 7edae0250ebc464897bd92b8d3e8b769in01, restore_time: 1763607600000 }
    target: { instance_id: 7edae0250ebc464897bd92b8d3e8b769in01 }
";

#[test]
fn restore_onto_its_own_source_needs_allow_overwrite_source() {
    let r = compile_err("o.yaml", ONTO_ITSELF);
    let d = only(&r);
    assert_at(
        ONTO_ITSELF,
        d,
        "overwrite_source",
        nth(ONTO_ITSELF, "7edae", 1),
        "7edae",
    );

    let allowed = ONTO_ITSELF.replace(
        "    kind: rds.restore\n",
        "    kind: rds.restore\n    allow_overwrite_source: true\n",
    );
    let c = compile_ok("o.yaml", &allowed);
    assert!(c.spec.ops["db"].allow_overwrite_source);
}

#[test]
fn unsupported_version_is_located() {
    let text = DCS_OK.replace("version: 1", "version: 2");
    let r = compile_err("v.yaml", &text);
    assert_at(
        &text,
        only(&r),
        "unsupported_version",
        nth(&text, "2", 0),
        "2",
    );
}

// ---------------------------------------------------------------------------------------------
// Positions: characters, bytes and line endings.

#[test]
fn columns_count_characters_and_offsets_count_bytes() {
    let text = "version: 1\nrestores:\n  b: { remark: \"日本語日本語\", kind: dcs.restore, instance_id: bad, backup_id: aba256cb-e5ac-44f6-a3da-c03d8f0e5029 }\n";
    let r = compile_err("u.yaml", text);
    let d = only(&r);
    let at = nth(text, "bad,", 0);
    assert_at(text, d, "bad_id", at, "bad");
    assert_eq!(
        at.column, 58,
        "the test's own arithmetic: 57 characters precede `bad`"
    );
    assert_ne!(
        at.column as usize,
        at.offset - nth(text, "  b:", 0).offset + 1,
        "bytes differ"
    );
}

#[test]
fn crlf_files_report_the_same_lines_and_columns() {
    let lf = DCS_OK.replace("3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77", "nope");
    let crlf = lf.replace('\n', "\r\n");
    let a = compile_err("lf.yaml", &lf);
    let b = compile_err("crlf.yaml", &crlf);
    assert_eq!(located(&a), located(&b));
    let s = only(&b).span.unwrap();
    assert_eq!(&crlf[s.offset..s.offset + s.len], "nope");
}

#[test]
fn a_document_that_is_not_a_mapping_says_so_in_words() {
    let r = compile_err("s.yaml", "- just\n- a list\n");
    let d = only(&r);
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(d.span.map(|s| (s.line, s.column)), Some((1, 1)));
    assert!(
        !d.message.contains("``"),
        "the message names an empty path: {:?}",
        d.message
    );
}

#[test]
fn brackets_inside_a_quoted_string_are_not_nesting() {
    let text = format!("{DCS_OK}    remark: \"{}\"\n", "[".repeat(70));
    let c = compile_ok("b.yaml", &text);
    assert_eq!(c.spec.ops.len(), 1);
}

#[test]
fn too_deep_flow_nesting_is_refused_with_a_location() {
    let text = format!(
        "version: 1\nrestores: {}{}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    let r = compile_err("n.yaml", &text);
    let d = only(&r);
    assert_eq!(d.code, Code::Syntax);
    let s = d.span.unwrap_or_else(|| panic!("not located: {d:?}"));
    assert_eq!(s.line, 2, "{d:?}");
}

#[test]
fn report_positions_are_sorted_and_deduplicated() {
    let text = fixture(MANY);
    let r = compile_err(MANY, &text);
    let keys: Vec<(u32, u32)> = r
        .diagnostics
        .iter()
        .map(|d| d.span.map_or((u32::MAX, 0), |s| (s.line, s.column)))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
    let mut seen = BTreeSet::new();
    for d in &r.diagnostics {
        assert!(seen.insert((d.code, d.span)), "duplicate {d:?}");
    }
    for d in &r.diagnostics {
        let s = d.span.unwrap();
        assert!(
            common::span_problem(&text, s).is_none(),
            "{:?}",
            common::span_problem(&text, s)
        );
        for l in &d.labels {
            assert!(common::span_problem(&text, l.span).is_none(), "label {l:?}");
        }
    }
    // pos_at agrees with itself on the first byte (a sanity check of the helper).
    assert_eq!(
        pos_at(&text, 0),
        Pos {
            line: 1,
            column: 1,
            offset: 0
        }
    );
}
