//! Finds `restore_time: latest` / `random_within D` in the lowered operations: each becomes a
//! choice the plan resolves against the cloud, or a located error where a kind cannot take one;
//! likewise `backup_id: latest`.

use super::Spec;
use super::diagnostic::{Code, Diagnostic};
use super::yaml::{Node, Value};
use crate::drill::recovery::{self, RecoveryChoice};
use std::collections::BTreeMap;

/// Where a restore time is written, per kind family: `restore_point` (into a new instance)
/// and `source` (onto an existing one).
const PLACES: [&str; 2] = ["restore_point", "source"];

pub(super) fn choices(
    resolved: &BTreeMap<String, Node>,
    spec: &Spec,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, RecoveryChoice> {
    let mut out = BTreeMap::new();
    for (name, node) in resolved {
        for (place, field) in fields(node) {
            let Value::Str(text) = &field.value else {
                continue;
            };
            let path = format!("restores.{name}.{place}.restore_time");
            match recovery::parse(text) {
                None => {}
                Some(Err(why)) => diags.push(
                    Diagnostic::new(Code::BadTime, format!("`{path}`: {why}"))
                        .at(field.span)
                        .with_hint("`latest`, `random_within 7d`, or a time with a UTC offset"),
                ),
                Some(Ok(choice)) => {
                    let supported = spec
                        .ops
                        .get(name)
                        .is_some_and(|op| recovery::source(&op.spec).is_some());
                    if supported {
                        out.insert(name.clone(), choice);
                    } else if spec.ops.contains_key(name) {
                        diags.push(
                            Diagnostic::new(
                                Code::BadTime,
                                format!("`{path}` = {text:?}: this kind takes a fixed time only"),
                            )
                            .at(field.span)
                            .with_hint(format!("`latest` and `random_within` are for {} (read from the source's restorable window); write a time with a UTC offset", time_choice_kinds())),
                        );
                    }
                }
            }
        }
        if let Some((path, field)) = latest_backup_field(node) {
            let path = format!("restores.{name}.{path}");
            match spec.ops.get(name) {
                Some(op) if recovery::backup_source(&op.spec).is_some() => {
                    out.insert(name.clone(), RecoveryChoice::LatestBackup);
                }
                Some(op) => diags.push(
                    Diagnostic::new(
                        Code::BadId,
                        format!(
                            "`{path}` = \"latest\": {} names no source whose newest backup could be read",
                            op.spec.kind()
                        ),
                    )
                    .at(field.span)
                    .with_hint(latest_backup_hint(&op.spec)),
                ),
                None => {}
            }
        }
        // Kinds with a top-level `restore_time` (TaurusDB) take a fixed time only.
        if let Some(field) = child(node, "restore_time")
            && let Value::Str(text) = &field.value
            && recovery::parse(text).is_some()
        {
            diags.push(
                Diagnostic::new(
                    Code::BadTime,
                    format!("`restores.{name}.restore_time` = {text:?}: this kind takes a fixed time only"),
                )
                .at(field.span)
                .with_hint(format!("`latest` and `random_within` are for {}; write a time with a UTC offset", time_choice_kinds())),
            );
        }
    }
    out
}

/// Where `backup_id: latest` is written, if it is: at the top (DCS, TaurusDB, CBR), under
/// `source` (`rds.restore`, `dds.restore`) or under `restore_point` (the `restore_new` kinds).
fn latest_backup_field(node: &Node) -> Option<(String, &Node)> {
    fn at(n: &Node) -> Option<&Node> {
        child(n, "backup_id").filter(|f| matches!(&f.value, Value::Str(t) if t == recovery::LATEST))
    }
    if let Some(f) = at(node) {
        return Some(("backup_id".to_owned(), f));
    }
    PLACES.iter().find_map(|place| {
        let f = at(child(node, place)?)?;
        Some((format!("{place}.backup_id"), f))
    })
}

/// The kinds that take a time choice, as prose: "a, b and c".
fn time_choice_kinds() -> String {
    let names: Vec<&str> = crate::kinds::Kind::ALL
        .into_iter()
        .filter(|k| crate::kinds::builtin::get(*k).is_some_and(|b| b.time_choice.is_some()))
        .map(crate::kinds::Kind::as_str)
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

fn latest_backup_hint(spec: &crate::kinds::OpSpec) -> &'static str {
    match spec {
        crate::kinds::OpSpec::Cbr(_) => {
            "a server restore's `mappings` name the disk backups of one server backup: write its ID (`backup_id: latest` works for a disk restore)"
        }
        crate::kinds::OpSpec::DdsNew(_) => {
            "add `restore_point.instance_id:` (the instance whose newest backup is restored), or write a backup ID"
        }
        _ => "write a backup ID",
    }
}

fn child<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
        .map(|(_, v)| v)
}

fn fields(node: &Node) -> Vec<(&'static str, &Node)> {
    PLACES
        .iter()
        .filter_map(|place| Some((*place, child(child(node, place)?, "restore_time")?)))
        .collect()
}
