//! Errors in one pass: graph errors beside field errors, and a bad var once, at the var.

use rewind_engine::compile::compile;
use rewind_engine::spec::{Code, LoadOptions};
use std::collections::BTreeMap;

fn errors(text: &str, options: &LoadOptions) -> rewind_engine::spec::Report {
    match compile("restore.yaml", text, options) {
        Ok(_) => panic!("the spec must not compile"),
        Err(r) => r,
    }
}

const BAD_VAR: &str = "version: 1
vars:
  t: 2026-13-45T03:00:00Z
restores:
  a:
    kind: rds.restore
    source:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      restore_time: ${var.t}
    target:
      instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01
  b:
    kind: rds.restore
    source:
      instance_id: 41c239a1e9bd4cd2aabd678bab45a886in01
      restore_time: ${var.t}
    target:
      instance_id: 55c26c79139446868919c5b8b2cbb542in01
  c:
    kind: ddm.metadata_restore
    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09
    source:
      restore_time: ${var.t}
    target:
      instance_id: 2f0324a93859487eb5566d75951fcd2din09
      data_nodes: [f4e2949e9b9b4d60b42c89ed39bfe34cin01]
";

#[test]
fn a_bad_time_in_a_var_is_reported_once_at_the_var() {
    let r = errors(BAD_VAR, &LoadOptions::default());
    let bad: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::BadTime)
        .collect();
    assert_eq!(bad.len(), 1, "{}", r.plain());
    let d = bad[0];
    assert!(
        d.message.starts_with("`vars.t` is not a valid time"),
        "{}",
        d.message
    );
    assert!(d.message.contains("used 3 times"), "{}", d.message);
    assert_eq!(
        d.span.map(|s| (s.line, s.column)),
        Some((3, 6)),
        "at the var's value"
    );
    assert_eq!(d.labels.len(), 3, "one label per use: {:?}", d.labels);
    assert_eq!(
        d.labels.iter().map(|l| l.span.line).collect::<Vec<_>>(),
        vec![9, 16, 23]
    );
}

#[test]
fn a_bad_var_from_the_command_line_is_named_as_such() {
    let options = LoadOptions {
        vars: BTreeMap::from([("t".to_owned(), "03:00".to_owned())]),
        ..LoadOptions::default()
    };
    let text = BAD_VAR.replace("2026-13-45T03:00:00Z", "2026-11-20T03:00:00Z");
    let r = errors(&text, &options);
    let bad: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::BadTime)
        .collect();
    assert_eq!(bad.len(), 1, "{}", r.plain());
    assert!(
        bad[0].message.starts_with("`--var t`"),
        "{}",
        bad[0].message
    );
    // Located at the first use; the labels mark the other two, not that one again.
    assert_eq!(bad[0].span.map(|s| s.line), Some(9));
    assert_eq!(
        bad[0]
            .labels
            .iter()
            .map(|l| l.span.line)
            .collect::<Vec<_>>(),
        vec![16, 23],
        "{:?}",
        bad[0].labels
    );
}

#[test]
fn a_restore_onto_its_source_and_a_second_writer_are_reported_together() {
    // `a` restores onto its own source and `b` writes the same target, and `c` has a field
    // error: all three problems in one pass.
    let text = "version: 1
restores:
  a:
    kind: rds.restore
    source:
      instance_id: 55c26c79139446868919c5b8b2cbb542in01
      restore_time: 2026-11-20T03:00:00Z
    target:
      instance_id: 55c26c79139446868919c5b8b2cbb542in01
  b:
    kind: rds.restore
    source:
      instance_id: 41c239a1e9bd4cd2aabd678bab45a886in01
      restore_time: 2026-11-20T03:00:00Z
    target:
      instance_id: 55c26c79139446868919c5b8b2cbb542in01
  c:
    kind: rds.restore
    source:
      instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
      restore_time: 2026-11-20T03:00:00Z
      bogus: 1
    target:
      instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01
";
    let r = errors(text, &LoadOptions::default());
    let codes: Vec<Code> = r.diagnostics.iter().map(|d| d.code).collect();
    for code in [
        Code::OverwriteSource,
        Code::ConflictingWriters,
        Code::UnknownKey,
    ] {
        assert!(codes.contains(&code), "{code:?} in:\n{}", r.plain());
    }
}
