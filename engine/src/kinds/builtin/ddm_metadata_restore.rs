//! `ddm.metadata_restore`: DDM metadata restore (`POST .../instances/{instance_id}/backups/metadata-recovery`).

use super::shared::schema_types as schema;
use super::shared::{DDM, RDS, opt, span_of};
use super::{Builtin, Wire, reads, writes};
use crate::kinds::{DdmMetadataRestore, MetadataSource, MetadataTarget};
use crate::kinds::{Kind, OpSpec, ResourceClass as C, Service};
use crate::syntax::cx::Cx;
use crate::syntax::diagnostic::{Code, Diagnostic};
use crate::syntax::obj::Obj;
use crate::syntax::obj::missing;
use crate::syntax::value::IdShape;
use crate::syntax::yaml::Value;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, json};

pub static KIND: Builtin = Builtin {
    kind: Kind::DdmMetadataRestore,
    service: Service::Ddm,
    footprint: &[
        writes("/target/instance_id", C::DdmInstance),
        reads("/instance_id", C::DdmInstance),
        reads("/source/backup_id", C::DdmBackup),
        reads("/target/data_nodes/*", C::RdsInstance),
    ],
    creates: None,
    outputs: &["instance_id", "job_id"],
    expected_minutes: 5,
    id_pattern: "in09",
    restore_times: &["/source/restore_time"],
    existing_target: Some("/target/instance_id"),
    source_and_target: Some(("/instance_id", "/target/instance_id")),
    schema: Body::json_schema,
    lower,
    request,
};

/// DDM metadata restore: `POST .../instances/{instance_id}/backups/metadata-recovery`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// Path parameter: the source DDM instance.
    instance_id: String,
    source: schema::MetadataSource,
    target: schema::MetadataTarget,
}

fn lower(o: &Obj, cx: &mut Cx) -> Option<OpSpec> {
    ddm_metadata(o, cx).map(OpSpec::DdmMetadata)
}

fn request(op: &OpSpec) -> Wire {
    let OpSpec::DdmMetadata(r) = op else {
        unreachable!("ddm.metadata_restore renders only its own body")
    };
    let mut source = Map::new();
    opt(
        &mut source,
        "restore_time",
        r.source.restore_time.map(|v| json!(v)),
    );
    opt(
        &mut source,
        "backup_id",
        r.source.backup_id.as_ref().map(|v| json!(v)),
    );
    Wire {
        path: format!(
            "/v3/{{project_id}}/instances/{}/backups/metadata-recovery",
            r.instance_id
        ),
        body: json!({
            "source": source,
            "target": { "instance_id": r.target.instance_id, "data_nodes": r.target.data_nodes },
        }),
    }
}

fn ddm_metadata(o: &Obj, cx: &mut Cx) -> Option<DdmMetadataRestore> {
    let instance_id = cx.id(o, "instance_id", DDM);
    let source = o.obj("source", cx.diags).and_then(|s| {
        s.check_keys(&["restore_time", "backup_id"], cx.diags);
        let t = cx.opt_time(&s, "restore_time");
        // `latest`: kept as written; `spec::recovery` records the choice and the plan pins
        // the newest `normal` metadata backup of `instance_id`.
        let b = match crate::syntax::cx::latest(&s, "backup_id") {
            Some(v) => Some(Some(v)),
            None => cx.opt_id(&s, "backup_id", IdShape::Backup),
        };
        match (span_of(&s, "restore_time"), span_of(&s, "backup_id")) {
            (Some(ts), Some(bs)) => {
                cx.diags.push(
                    Diagnostic::new(Code::TypeMismatch, "`source` takes exactly one of `restore_time` and `backup_id`")
                        .at(ts)
                        .with_label(bs, "backup given here")
                        .with_hint("remove one of them"),
                );
                return None;
            }
            (None, None) => {
                cx.diags.push(
                    Diagnostic::new(Code::MissingField, "`source` needs `restore_time` or `backup_id`")
                        .at(s.span)
                        .with_hint("use the same restore_time as the RDS point-in-time recovery of the data nodes"),
                );
                return None;
            }
            _ => {}
        }
        Some(MetadataSource { restore_time: t?, backup_id: b? })
    });
    let target = o.obj("target", cx.diags).and_then(|t| {
        t.check_keys(&["instance_id", "data_nodes"], cx.diags);
        let id = cx.id(&t, "instance_id", DDM);
        let nodes = match t.opt_seq("data_nodes", cx.diags) {
            Some(([], span)) => {
                cx.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        format!("`{}` must not be empty", t.child_path("data_nodes")),
                    )
                    .at(span)
                    .with_hint("list the RDS instances restored for this DDM instance"),
                );
                None
            }
            Some((items, _)) => cx.id_list(items, &t.child_path("data_nodes"), RDS),
            None => {
                // Absent, or present with no value (`data_nodes:`): both are missing.
                if t.get("data_nodes")
                    .is_none_or(|n| matches!(n.value, Value::Null))
                {
                    let at = t.get("data_nodes").map_or(t.span, |n| n.span);
                    cx.diags.push(missing(&t.child_path("data_nodes"), at));
                }
                None
            }
        };
        Some(MetadataTarget {
            instance_id: id?,
            data_nodes: nodes?,
        })
    });
    Some(DdmMetadataRestore {
        instance_id: instance_id?,
        source: source?,
        target: target?,
    })
}
