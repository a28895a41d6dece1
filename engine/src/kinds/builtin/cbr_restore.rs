//! `cbr.restore`: CBR restore of a backup to a server or disk (`POST /v3/{project_id}/backups/{backup_id}/restore`).

use super::shared::schema_types as schema;
use super::shared::{opt, span_of};
use super::declare::{Builtin, Wire, reads, writes, LatestBackup};
use crate::kinds::bodies::{CbrDetails, CbrMapping, CbrRestore};
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
    service: Service::Cbr,
    footprint: &[
        writes("/server_id", C::Server),
        writes("/volume_id", C::Volume),
        writes("/mappings/*/volume_id", C::Volume),
        reads("/backup_id", C::CbrBackup),
    ],
    creates: None,
    outputs: &["operation_log_id"],
    expected_minutes: 15,
    id_pattern: "uuid",
    restore_times: &[],
    existing_target: None,
    source_and_target: None,
    own_source: None,
    time_choice: None,
    latest_backup: Some(LatestBackup {
        of: &["/resource_id", "/volume_id"],
        unless: Some("/server_id"),
    }),
    schema: Body::json_schema,
};

/// CBR restore of a backup to a server or disk: `POST /v3/{project_id}/backups/{backup_id}/restore`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// Path parameter.
    backup_id: String,
    server_id: Option<String>,
    volume_id: Option<String>,
    mappings: Option<Vec<schema::CbrMapping>>,
    /// Power the server on afterwards; default true, always sent.
    power_on: Option<bool>,
    resource_id: Option<String>,
    details: Option<schema::CbrDetails>,
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<CbrRestore> {
    cbr(o, cx)
}

pub fn request(r: &CbrRestore) -> Wire {
    let mut restore = Map::new();
    if !r.mappings.is_empty() {
        let mappings: Vec<Value> = r
            .mappings
            .iter()
            .map(|m| json!({ "backup_id": m.backup_id, "volume_id": m.volume_id }))
            .collect();
        restore.insert("mappings".into(), json!(mappings));
    }
    restore.insert("power_on".into(), json!(r.power_on));
    opt(
        &mut restore,
        "server_id",
        r.server_id.as_ref().map(|v| json!(v)),
    );
    opt(
        &mut restore,
        "volume_id",
        r.volume_id.as_ref().map(|v| json!(v)),
    );
    opt(
        &mut restore,
        "resource_id",
        r.resource_id.as_ref().map(|v| json!(v)),
    );
    opt(
        &mut restore,
        "details",
        r.details
            .as_ref()
            .map(|d| json!({ "destination_path": d.destination_path })),
    );
    Wire {
        path: format!("/v3/{{project_id}}/backups/{}/restore", r.backup_id),
        body: json!({ "restore": restore }),
    }
}

fn cbr(o: &Obj, cx: &mut Cx) -> Option<CbrRestore> {
    let backup_id =
        crate::syntax::cx::latest(o, "backup_id").or_else(|| cx.id(o, "backup_id", IdShape::Uuid));
    let server_id = cx.opt_id(o, "server_id", IdShape::Uuid);
    let volume_id = cx.opt_id(o, "volume_id", IdShape::Uuid);
    let power_on = o.opt_bool("power_on", cx.diags).unwrap_or(true);
    let resource_id = o.opt_str("resource_id", cx.diags).map(|(v, _)| v);
    let details = o.opt_obj("details", cx.diags).and_then(|d| {
        d.check_keys(&["destination_path"], cx.diags);
        let (p, span) = d.str_field("destination_path", cx.diags)?;
        if p.is_empty() || p.len() > 255 {
            cx.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!(
                        "`{}` must be 1 to 255 characters",
                        d.child_path("destination_path")
                    ),
                )
                .at(span),
            );
            return None;
        }
        Some(CbrDetails {
            destination_path: p,
        })
    });
    let mappings = match o.opt_seq("mappings", cx.diags) {
        None => Some(Vec::new()),
        Some((items, _)) => {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                let path = format!("{}.{i}", o.child_path("mappings"));
                let m = Obj::new(item, &path, cx.diags).and_then(|m| {
                    m.check_keys(&["backup_id", "volume_id"], cx.diags);
                    let b = cx.id(&m, "backup_id", IdShape::Uuid);
                    let v = cx.id(&m, "volume_id", IdShape::Uuid);
                    Some(CbrMapping {
                        backup_id: b?,
                        volume_id: v?,
                    })
                });
                match m {
                    Some(m) => out.push(m),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    let (server_span, volume_span) = (span_of(o, "server_id"), span_of(o, "volume_id"));
    match (server_span, volume_span) {
        (Some(s), Some(v)) => {
            cx.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    "set `server_id` (server restore) or `volume_id` (disk restore), not both",
                )
                .at(v)
                .with_label(s, "server given here"),
            );
            return None;
        }
        (None, None) => {
            cx.diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    "`cbr.restore` needs `server_id` or `volume_id`",
                )
                .at(o.span)
                .with_hint(
                    "`server_id` plus `mappings` restores a server; `volume_id` restores one disk",
                ),
            );
            return None;
        }
        (Some(s), None) if mappings.as_ref().is_some_and(Vec::is_empty) => {
            cx.diags.push(
                Diagnostic::new(Code::MissingField, "a server restore needs `mappings`")
                    .at(s)
                    .with_hint(
                        "map each disk backup (the server backup's children) to a target volume_id",
                    ),
            );
            return None;
        }
        (None, Some(v)) if mappings.as_ref().is_some_and(|m| !m.is_empty()) => {
            cx.diags.push(
                Diagnostic::new(Code::BadValue, "`mappings` is only for server restores")
                    .at(v)
                    .with_hint("a disk restore writes `volume_id` only; remove `mappings`"),
            );
            return None;
        }
        _ => {}
    }
    Some(CbrRestore {
        backup_id: backup_id?,
        server_id: server_id?,
        volume_id: volume_id?,
        mappings: mappings?,
        power_on,
        resource_id,
        details,
    })
}
