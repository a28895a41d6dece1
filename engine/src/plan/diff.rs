//! Field-level differences between two rendered requests, computed with `similar`.

use crate::kinds::ApiRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One field that differs; `None` means absent on that side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

fn lines(r: &ApiRequest) -> String {
    let mut flat = BTreeMap::new();
    flat.insert("(path)".to_owned(), r.path.clone());
    flatten("", &r.body, &mut flat);
    let mut out = String::new();
    for (k, v) in flat {
        let _ = writeln!(out, "{k} = {v}");
    }
    out
}

/// The fields that changed between `before` and `after`, in path order.
pub fn field_changes(before: &ApiRequest, after: &ApiRequest) -> Vec<FieldChange> {
    let (a, b) = (lines(before), lines(after));
    let diff = TextDiff::from_lines(&a, &b);
    let mut changes: BTreeMap<String, FieldChange> = BTreeMap::new();
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches('\n');
        let Some((path, value)) = line.split_once(" = ") else {
            continue;
        };
        let entry = changes
            .entry(path.to_owned())
            .or_insert_with(|| FieldChange {
                path: path.to_owned(),
                before: None,
                after: None,
            });
        match change.tag() {
            ChangeTag::Delete => entry.before = Some(value.to_owned()),
            ChangeTag::Insert => entry.after = Some(value.to_owned()),
            ChangeTag::Equal => {}
        }
    }
    changes
        .into_values()
        .filter(|c| c.before != c.after)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Service;
    use serde_json::json;

    fn req(body: Value) -> ApiRequest {
        ApiRequest {
            service: Service::Rds,
            method: "POST".into(),
            path: "/p".into(),
            body,
        }
    }

    #[test]
    fn reports_changed_added_and_removed_fields() {
        let a = req(
            json!({"source": {"restore_time": 1, "backup_id": "b"}, "target": {"instance_id": "x"}}),
        );
        let b = req(
            json!({"source": {"restore_time": 2, "type": "timestamp"}, "target": {"instance_id": "x"}}),
        );
        let c = field_changes(&a, &b);
        assert_eq!(
            c,
            vec![
                FieldChange {
                    path: "source.backup_id".into(),
                    before: Some("\"b\"".into()),
                    after: None
                },
                FieldChange {
                    path: "source.restore_time".into(),
                    before: Some("1".into()),
                    after: Some("2".into())
                },
                FieldChange {
                    path: "source.type".into(),
                    before: None,
                    after: Some("\"timestamp\"".into())
                },
            ]
        );
        assert!(field_changes(&a, &a).is_empty());
    }
}
