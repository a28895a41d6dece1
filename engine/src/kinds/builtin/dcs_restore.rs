//! `dcs.restore`: DCS (Redis) instance restore (`POST /v2/{project_id}/instances/{instance_id}/restores`).

use super::shared::opt;
use super::{Builtin, Wire, reads, writes};
use crate::kinds::DcsRestore;
use crate::kinds::{Kind, OpSpec, ResourceClass as C, Service};
use crate::syntax::cx::Cx;
use crate::syntax::diagnostic::{Code, Diagnostic};
use crate::syntax::obj::Obj;
use crate::syntax::value::IdShape;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub static KIND: Builtin = Builtin {
    kind: Kind::DcsRestore,
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
    schema: Body::json_schema,
    lower,
    request,
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

fn lower(o: &Obj, cx: &mut Cx) -> Option<OpSpec> {
    dcs(o, cx).map(OpSpec::Dcs)
}

fn request(op: &OpSpec) -> Wire {
    let OpSpec::Dcs(r) = op else {
        unreachable!("dcs.restore renders only its own body")
    };
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
