//! `dds.restore_collections`: databases and collections of a DDS replica set, each to a point
//! in time (`POST /v3/{project_id}/instances/{instance_id}/restore/collections`).

use super::shared::svc::Svc;
use super::shared::create::fields::{bad, text};
use super::shared::schema_types as schema;
use super::shared::{TimeAs, opt};
use super::declare::{Builtin, Wire, writes, OwnSource};
use crate::kinds::create::{DdsCollection, DdsCollections, DdsDatabase};
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::{Cx, span_of};
use crate::syntax::diagnostic::{Code, Diagnostic};
use crate::syntax::obj::{Obj, missing};
use crate::syntax::yaml::{Node, Value};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

pub static KIND: Builtin = Builtin {
    service: Service::Dds,
    footprint: &[writes("/instance_id", C::DdsInstance)],
    creates: None,
    outputs: &["instance_id", "job_id"],
    expected_minutes: 15,
    id_pattern: "in02",
    restore_times: &[
        "/restore_collections/*/restore_database_time",
        "/restore_collections/*/collections/*/restore_collection_time",
    ],
    existing_target: Some("/instance_id"),
    source_and_target: None,
    own_source: Some(OwnSource {
        pointer: "/instance_id",
        class: C::DdsInstance,
        overwritten: false,
    }),
    time_choice: None,
    latest_backup: None,
    schema: Body::json_schema,
};

/// DDS database and collection point-in-time restore (replica sets): `POST .../instances/{instance_id}/restore/collections`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// Path parameter: the DDS instance (suffix `in02`).
    instance_id: String,
    restore_collections: Vec<schema::DdsDatabase>,
}
pub fn lower(o: &Obj, cx: &mut Cx) -> Option<DdsCollections> {
    dds_collections(o, cx)
}

/// The DDS parameter table types `restore_database_time` and `restore_collection_time`
/// String (epoch ms as text), so they are sent as strings.
pub fn request(r: &DdsCollections) -> Wire {
    let time = TimeAs::String;
    let databases: Vec<Json> = r
        .restore_collections
        .iter()
        .map(|d| {
            let mut db = Map::new();
            db.insert("database".into(), json!(d.database));
            if !d.collections.is_empty() {
                let collections: Vec<Json> = d
                    .collections
                    .iter()
                    .map(|c| {
                        let mut m = Map::new();
                        m.insert("old_name".into(), json!(c.old_name));
                        opt(&mut m, "new_name", c.new_name.as_ref().map(|v| json!(v)));
                        m.insert(
                            "restore_collection_time".into(),
                            time.render(c.restore_collection_time),
                        );
                        Json::Object(m)
                    })
                    .collect();
                db.insert("collections".into(), json!(collections));
            }
            opt(
                &mut db,
                "restore_database_time",
                d.restore_database_time.map(|v| time.render(v)),
            );
            Json::Object(db)
        })
        .collect();
    Wire {
        path: format!(
            "/v3/{{project_id}}/instances/{}/restore/collections",
            r.instance_id
        ),
        body: json!({ "restore_collections": databases }),
    }
}

/// `dds.restore_collections`.
fn dds_collections(o: &Obj, cx: &mut Cx) -> Option<DdsCollections> {
    let instance_id = cx.id(o, "instance_id", Svc::Dds.instance());
    let key = "restore_collections";
    let list = match o.opt_seq(key, cx.diags) {
        None => {
            if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
                let at = o.get(key).map_or(o.span, |n| n.span);
                cx.diags.push(missing(&o.child_path(key), at));
            }
            None
        }
        Some(([], span)) => {
            bad(
                cx,
                span,
                format!("`{}` must not be empty", o.child_path(key)),
                "list the databases to restore",
            );
            None
        }
        Some((items, _)) => {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match dds_database(item, &format!("{}.{i}", o.child_path(key)), cx) {
                    Some(d) => out.push(d),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    Some(DdsCollections {
        instance_id: instance_id?,
        restore_collections: list?,
    })
}

fn dds_database(item: &Node, path: &str, cx: &mut Cx) -> Option<DdsDatabase> {
    let d = Obj::new(item, path, cx.diags)?;
    d.check_keys(
        &["database", "collections", "restore_database_time"],
        cx.diags,
    );
    let database = d.required("database", cx.diags).and_then(|n| {
        let v = text(n, &d.child_path("database"), cx)?;
        v.as_str().map(str::to_owned)
    });
    let time = cx.opt_time(&d, "restore_database_time");
    let collections = match d.opt_seq("collections", cx.diags) {
        None => Some(Vec::new()),
        Some((items, _)) => {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, c) in items.iter().enumerate() {
                match dds_collection(c, &format!("{}.{i}", d.child_path("collections")), cx) {
                    Some(c) => out.push(c),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    let listed = d
        .get("collections")
        .filter(|n| matches!(&n.value, Value::Seq(v) if !v.is_empty()));
    match (span_of(&d, "restore_database_time"), listed) {
        (Some(t), Some(c)) => {
            cx.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{path}` sets both `restore_database_time` and `collections`"),
                )
                .at(t)
                .with_label(c.span, "collections given here")
                .with_hint("restore the whole database (`restore_database_time`) or some collections (`collections`), not both"),
            );
            return None;
        }
        (None, None) => {
            cx.diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("`{path}` needs `restore_database_time` or `collections`"),
                )
                .at(d.span)
                .with_hint("add `restore_database_time:` for the whole database, or `collections:` with `old_name` and `restore_collection_time`"),
            );
            return None;
        }
        _ => {}
    }
    Some(DdsDatabase {
        database: database?,
        restore_database_time: time?,
        collections: collections?,
    })
}

fn dds_collection(item: &Node, path: &str, cx: &mut Cx) -> Option<DdsCollection> {
    let c = Obj::new(item, path, cx.diags)?;
    c.check_keys(
        &["old_name", "new_name", "restore_collection_time"],
        cx.diags,
    );
    let old_name = c.str_field("old_name", cx.diags).map(|(v, _)| v);
    let new_name = c.opt_str("new_name", cx.diags).map(|(v, _)| v);
    let time = cx.time(&c, "restore_collection_time");
    Some(DdsCollection {
        old_name: old_name?,
        new_name,
        restore_collection_time: time?,
    })
}
