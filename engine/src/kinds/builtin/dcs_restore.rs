//! `dcs.restore`: DCS (Redis) instance restore (`POST /v2/{project_id}/instances/{instance_id}/restores`).

use super::shared::opt;
use super::declare::{Builtin, Wire, reads, writes, OwnSource, LatestBackup};
use crate::kinds::bodies::DcsRestore;
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::diagnostic::{Code, Diagnostic};
use crate::syntax::obj::Obj;
use crate::syntax::value::IdShape;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub static KIND: Builtin = Builtin {
    service: Service::Dcs,
    footprint: &[
        writes("/instance_id", C::DcsInstance),
        reads("/backup_id", C::DcsBackup),
    ],
    creates: None,
    outputs: &["instance_id", "restore_id"],
    expected_minutes: 5,
    id_pattern: "uuid",
    restore_times: &[],
    existing_target: Some("/instance_id"),
    source_and_target: None,
    own_source: Some(OwnSource {
        pointer: "/instance_id",
        class: C::DcsInstance,
        overwritten: true,
    }),
    time_choice: None,
    latest_backup: Some(LatestBackup {
        of: &["/instance_id"],
        unless: None,
    }),
    schema: Body::json_schema,
};

/// DCS (Redis) instance restore: `POST /v2/{project_id}/instances/{instance_id}/restores`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// Path parameter.
    instance_id: String,
    backup_id: String,
    /// At most 128 bytes.
    remark: Option<String>,
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<DcsRestore> {
    dcs(o, cx)
}

pub fn request(r: &DcsRestore) -> Wire {
    let mut body = Map::new();
    body.insert("backup_id".into(), json!(r.backup_id));
    opt(&mut body, "remark", r.remark.as_ref().map(|v| json!(v)));
    Wire {
        path: format!("/v2/{{project_id}}/instances/{}/restores", r.instance_id),
        body: Value::Object(body),
    }
}

fn dcs(o: &Obj, cx: &mut Cx) -> Option<DcsRestore> {
    let instance_id = cx.id(o, "instance_id", IdShape::Uuid);
    // `latest`: kept as written; `spec::recovery` records the choice and the plan pins the
    // newest backup.
    let backup_id =
        crate::syntax::cx::latest(o, "backup_id").or_else(|| cx.id(o, "backup_id", IdShape::Uuid));
    let remark = match o.opt_str("remark", cx.diags) {
        Some((r, span)) if r.len() > 128 => {
            cx.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!(
                        "`{}` is {} bytes; the API allows 128",
                        o.child_path("remark"),
                        r.len()
                    ),
                )
                .at(span),
            );
            return None;
        }
        Some((r, _)) => Some(r),
        None => None,
    };
    Some(DcsRestore {
        instance_id: instance_id?,
        backup_id: backup_id?,
        remark,
    })
}
