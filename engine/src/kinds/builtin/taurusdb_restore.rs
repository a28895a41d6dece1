//! `taurusdb.restore`: TaurusDB restore to the original or an existing instance (`POST /v3/{project_id}/instances/restore`).

use super::shared::schema_types as schema;
use super::shared::{TAURUS, opt, restore_type, span_of};
use super::declare::{Builtin, Wire, reads, writes, LatestBackup};
use crate::kinds::bodies::TaurusdbRestore;
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use crate::syntax::value::IdShape;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub static KIND: Builtin = Builtin {
    service: Service::Taurusdb,
    footprint: &[
        writes("/target_instance_id", C::TaurusdbInstance),
        reads("/source_instance_id", C::TaurusdbInstance),
        reads("/backup_id", C::TaurusdbBackup),
    ],
    creates: None,
    outputs: &["instance_id", "job_id"],
    expected_minutes: 30,
    id_pattern: "in07",
    restore_times: &["/restore_time"],
    existing_target: Some("/target_instance_id"),
    source_and_target: Some(("/source_instance_id", "/target_instance_id")),
    own_source: None,
    time_choice: None,
    latest_backup: Some(LatestBackup {
        of: &["/source_instance_id"],
        unless: None,
    }),
    schema: Body::json_schema,
};

/// TaurusDB restore to the original or an existing instance: `POST /v3/{project_id}/instances/restore`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    source_instance_id: String,
    target_instance_id: String,
    /// `backup` or `timestamp`; inferred when omitted.
    #[serde(rename = "type")]
    restore_type: Option<String>,
    backup_id: Option<String>,
    restore_time: Option<schema::Time>,
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<TaurusdbRestore> {
    taurusdb(o, cx)
}

pub fn request(r: &TaurusdbRestore) -> Wire {
    let mut body = Map::new();
    body.insert("source_instance_id".into(), json!(r.source_instance_id));
    body.insert("target_instance_id".into(), json!(r.target_instance_id));
    body.insert("type".into(), json!(r.restore_type.as_str()));
    opt(
        &mut body,
        "backup_id",
        r.backup_id.as_ref().map(|v| json!(v)),
    );
    opt(&mut body, "restore_time", r.restore_time.map(|v| json!(v)));
    Wire {
        path: "/v3/{project_id}/instances/restore".to_owned(),
        body: Value::Object(body),
    }
}

fn taurusdb(o: &Obj, cx: &mut Cx) -> Option<TaurusdbRestore> {
    let source = cx.id(o, "source_instance_id", TAURUS);
    let target = cx.id(o, "target_instance_id", TAURUS);
    let backup_id = match crate::syntax::cx::latest(o, "backup_id") {
        Some(v) => Some(Some(v)),
        None => cx.opt_id(o, "backup_id", IdShape::Backup),
    };
    let restore_time = cx.opt_time(o, "restore_time");
    let ty = restore_type(
        o,
        span_of(o, "backup_id"),
        span_of(o, "restore_time"),
        "backup_id",
        "restore_time",
        cx.diags,
    );
    Some(TaurusdbRestore {
        source_instance_id: source?,
        target_instance_id: target?,
        restore_type: ty?,
        backup_id: backup_id?,
        restore_time: restore_time?,
    })
}
