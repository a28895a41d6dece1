//! Values known after apply: what a finished operation reports, and rendering them into the
//! requests of the operations that wait for them.

use crate::kinds::{OpSpec, is_unknown};
use crate::provider::{Handle, Operation};
use serde_json::Value;
use std::collections::BTreeMap;

/// The outputs every run of `spec` has without asking the service: the existing instance it
/// restored into (as its kind declares it), the name of the instance it creates, and the ID of
/// the job that did it. A provider's own outputs take precedence.
pub fn defaults(spec: &OpSpec, handle: Option<&Handle>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some((_, target)) = spec.existing_target() {
        out.insert("instance_id".to_owned(), target);
    }
    match handle {
        Some(Handle::Job { job_id }) => {
            out.insert("job_id".to_owned(), job_id.clone());
        }
        Some(Handle::Create {
            instance_id,
            job_id,
        }) => {
            out.insert("instance_id".to_owned(), instance_id.clone());
            if let Some(j) = job_id {
                out.insert("job_id".to_owned(), j.clone());
            }
        }
        Some(Handle::Restore { restore_id }) => {
            out.insert("restore_id".to_owned(), restore_id.clone());
        }
        Some(Handle::CbrRestore {
            operation_log_id: Some(id),
            ..
        }) => {
            out.insert("operation_log_id".to_owned(), id.clone());
        }
        Some(Handle::CbrRestore { .. } | Handle::External { .. }) | None => {}
    }
    if spec.created_class().is_some()
        && let Some(name) = spec.request().body.get("name").and_then(Value::as_str)
    {
        out.insert("name".to_owned(), name.to_owned());
    }
    out
}

/// `op` with every `${restores.X.outputs.Y}` replaced by the value `lookup(X, Y)` gives, and
/// its request rendered again. An output that is not there yet is an error naming it.
pub fn render(
    op: &Operation,
    lookup: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<Operation, String> {
    let mut spec = serde_json::to_value(&op.spec).map_err(|e| e.to_string())?;
    fill(&mut spec, lookup)?;
    let spec: OpSpec = serde_json::from_value(spec).map_err(|e| e.to_string())?;
    let request = spec.request();
    Ok(Operation::new(op.name.clone(), spec, request))
}

fn fill(v: &mut Value, lookup: &dyn Fn(&str, &str) -> Option<String>) -> Result<(), String> {
    match v {
        Value::String(s) if is_unknown(s) => *s = substitute(s, lookup)?,
        Value::Array(items) => {
            for item in items {
                fill(item, lookup)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                fill(item, lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn substitute(s: &str, lookup: &dyn Fn(&str, &str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${restores.") {
        out.push_str(&rest[..start]);
        let body = &rest[start + "${restores.".len()..];
        let end = body
            .find('}')
            .ok_or_else(|| format!("unterminated reference in {s:?}"))?;
        let (op, output) = body[..end]
            .split_once(".outputs.")
            .ok_or_else(|| format!("`${{restores.{}}}` is not an output", &body[..end]))?;
        let value = lookup(op, output).ok_or_else(|| {
            format!("`{op}` reported no output `{output}`, which this operation needs")
        })?;
        out.push_str(&value);
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{DdmMetadataRestore, MetadataSource, MetadataTarget};

    fn metadata(nodes: Vec<String>) -> OpSpec {
        OpSpec::DdmMetadata(DdmMetadataRestore {
            instance_id: "a".repeat(32) + "in09",
            source: MetadataSource {
                restore_time: Some(1_700_000_000_000),
                backup_id: None,
            },
            target: MetadataTarget {
                instance_id: "b".repeat(32) + "in09",
                data_nodes: nodes,
            },
        })
    }

    #[test]
    fn outputs_are_filled_in_and_the_request_rendered_again() {
        let spec = metadata(vec![
            "${restores.node-a.outputs.instance_id}".to_owned(),
            "fixed".to_owned(),
        ]);
        let op = Operation::new("meta".to_owned(), spec.clone(), spec.request());
        let lookup = |op: &str, out: &str| {
            (op == "node-a" && out == "instance_id").then(|| "c".repeat(32) + "in01")
        };
        let done = render(&op, &lookup).unwrap();
        let nodes = &done.request.body["target"]["data_nodes"];
        assert_eq!(nodes[0], Value::String("c".repeat(32) + "in01"));
        assert_eq!(nodes[1], "fixed");
        assert!(!serde_json::to_string(&done.request).unwrap().contains("${"));
    }

    #[test]
    fn a_missing_output_is_named() {
        let spec = metadata(vec!["${restores.node-a.outputs.instance_id}".to_owned()]);
        let op = Operation::new("meta".to_owned(), spec.clone(), spec.request());
        let err = render(&op, &|_: &str, _: &str| None).unwrap_err();
        assert!(
            err.contains("`node-a` reported no output `instance_id`"),
            "{err}"
        );
    }
}
