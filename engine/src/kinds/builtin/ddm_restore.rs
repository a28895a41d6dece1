//! `ddm.restore`: DDM restore to a new instance (`POST .../instances/{instance_id}/backups/recovery`).

use super::shared::schema_types as schema;
use super::shared::{DDM, RDS, instance_target};
use super::declare::{Builtin, Wire, reads, writes};
use crate::kinds::bodies::{DataNodeRelation, DdmRestore, DdmSource};
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::diagnostic::{Code, Diagnostic};
use crate::syntax::obj::Obj;
use crate::syntax::obj::missing;
use crate::syntax::yaml::Value;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub static KIND: Builtin = Builtin {
    service: Service::Ddm,
    footprint: &[
        writes("/target/instance_id", C::DdmInstance),
        reads("/source/instance_id", C::DdmInstance),
        writes("/data_node_relations/*/target_instance_id", C::RdsInstance),
        reads("/data_node_relations/*/source_instance_id", C::RdsInstance),
    ],
    creates: None,
    outputs: &["instance_id", "job_id"],
    expected_minutes: 20,
    id_pattern: "in09",
    restore_times: &["/source/restore_time"],
    existing_target: Some("/target/instance_id"),
    source_and_target: Some(("/source/instance_id", "/target/instance_id")),
    own_source: None,
    time_choice: None,
    latest_backup: None,
    schema: Body::json_schema,
};

/// DDM restore to a new instance: `POST .../instances/{instance_id}/backups/recovery`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// Path parameter; defaults to `source.instance_id`.
    instance_id: Option<String>,
    source: schema::DdmSource,
    target: schema::InstanceRef,
    data_node_relations: Vec<schema::DataNodeRelation>,
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<DdmRestore> {
    ddm(o, cx)
}

pub fn request(r: &DdmRestore) -> Wire {
    Wire {
        path: format!(
            "/v3/{{project_id}}/instances/{}/backups/recovery",
            r.instance_id
        ),
        body: json!({
            "source": { "instance_id": r.source.instance_id, "restore_time": r.source.restore_time },
            "target": { "instance_id": r.target.instance_id },
            "data_node_relations": r.data_node_relations.iter().map(|d| json!({
                "source_instance_id": d.source_instance_id,
                "target_instance_id": d.target_instance_id,
            })).collect::<Vec<_>>(),
        }),
    }
}

fn ddm(o: &Obj, cx: &mut Cx) -> Option<DdmRestore> {
    let path_id = cx.opt_id(o, "instance_id", DDM);
    let target = instance_target(o, DDM, cx);
    let source = o.obj("source", cx.diags).and_then(|s| {
        s.check_keys(&["instance_id", "restore_time"], cx.diags);
        let id = cx.id(&s, "instance_id", DDM);
        let t = cx.time(&s, "restore_time");
        Some(DdmSource {
            instance_id: id?,
            restore_time: t?,
        })
    });
    let relations = match o.opt_seq("data_node_relations", cx.diags) {
        // Absent, or present with no value (`data_node_relations:`): both are missing.
        None if o
            .get("data_node_relations")
            .is_none_or(|n| matches!(n.value, Value::Null)) =>
        {
            let at = o.get("data_node_relations").map_or(o.span, |n| n.span);
            cx.diags
                .push(missing(&o.child_path("data_node_relations"), at));
            None
        }
        None => None,
        Some((items, span)) => {
            if items.is_empty() {
                cx.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        format!(
                            "`{}` must not be empty",
                            o.child_path("data_node_relations")
                        ),
                    )
                    .at(span)
                    .with_hint("map every source data node to a new RDS instance"),
                );
            }
            let mut out = Vec::new();
            let mut ok = !items.is_empty();
            for (i, item) in items.iter().enumerate() {
                let path = format!("{}.{i}", o.child_path("data_node_relations"));
                let rel = Obj::new(item, &path, cx.diags).and_then(|r| {
                    r.check_keys(&["source_instance_id", "target_instance_id"], cx.diags);
                    let s = cx.id(&r, "source_instance_id", RDS);
                    let t = cx.id(&r, "target_instance_id", RDS);
                    Some(DataNodeRelation {
                        source_instance_id: s?,
                        target_instance_id: t?,
                    })
                });
                match rel {
                    Some(r) => out.push(r),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    let source = source?;
    let instance_id = path_id?.unwrap_or_else(|| source.instance_id.clone());
    Some(DdmRestore {
        instance_id,
        source,
        target: target?,
        data_node_relations: relations?,
    })
}
