//! A restore to an existing instance, `{source, target}`: the declaration, body, lowering and
//! request that `rds.restore` and `dds.restore` share (they differ in service and time type).

use super::schema_types as schema;
use super::svc::Svc;
use super::{TimeAs, instance_target, opt, restore_type, span_of};
use crate::kinds::bodies::{RdsRestore, RdsSource};
use crate::kinds::builtin::declare::{Builtin, LatestBackup, Rule, TimeChoice, Wire};
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// What tells the two kinds apart.
#[derive(Clone, Copy)]
pub struct Recovery {
    pub service: Service,
    /// Writes `/target/instance_id`, reads `/source/instance_id` and `/source/backup_id`.
    pub footprint: &'static [Rule],
    pub id_pattern: &'static str,
    pub time_choice: Option<TimeChoice>,
    /// The kind's body schema: [`schema`] with the kind's own description.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// The declaration of a `{source, target}` restore.
pub const fn declare(r: Recovery) -> Builtin {
    Builtin {
        service: r.service,
        footprint: r.footprint,
        creates: None,
        outputs: &["instance_id", "job_id"],
        expected_minutes: 30,
        id_pattern: r.id_pattern,
        restore_times: &["/source/restore_time"],
        existing_target: Some("/target/instance_id"),
        source_and_target: Some(("/source/instance_id", "/target/instance_id")),
        own_source: None,
        time_choice: r.time_choice,
        latest_backup: Some(LatestBackup {
            of: &["/source/instance_id"],
            unless: None,
        }),
        schema: r.schema,
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    source: schema::RdsSource,
    target: schema::InstanceRef,
}

/// The body schema, described (first, as a derived schema has it) as `description`.
pub fn schema(generator: &mut SchemaGenerator, description: &str) -> Schema {
    let mut described = Map::new();
    described.insert("description".into(), json!(description));
    if let Value::Object(rest) = Body::json_schema(generator).to_value() {
        described.extend(rest);
    }
    Schema::try_from(Value::Object(described)).unwrap_or_default()
}

/// `POST /v3/{project_id}/instances/recovery` with `{source{instance_id,type,backup_id|restore_time},
/// target{instance_id}}`; RDS and DDS alike, except for how the time is typed.
pub fn request(r: &RdsRestore, time: TimeAs) -> Wire {
    let mut source = Map::new();
    source.insert("instance_id".into(), json!(r.source.instance_id));
    source.insert("type".into(), json!(r.source.restore_type.as_str()));
    opt(
        &mut source,
        "backup_id",
        r.source.backup_id.as_ref().map(|v| json!(v)),
    );
    opt(
        &mut source,
        "restore_time",
        r.source.restore_time.map(|v| time.render(v)),
    );
    Wire {
        path: "/v3/{project_id}/instances/recovery".to_owned(),
        body: json!({ "source": source, "target": { "instance_id": r.target.instance_id } }),
    }
}

/// `{source, target}` to an existing instance: `rds.restore` and `dds.restore` alike.
pub fn lower(o: &Obj, svc: Svc, cx: &mut Cx) -> Option<RdsRestore> {
    let target = instance_target(o, svc.instance(), cx);
    let s = o.obj("source", cx.diags)?;
    s.check_keys(
        &["instance_id", "type", "backup_id", "restore_time"],
        cx.diags,
    );
    let instance_id = cx.id(&s, "instance_id", svc.instance());
    let backup_id = cx.opt_backup(&s, "backup_id", svc);
    let restore_time = cx.opt_time(&s, "restore_time");
    let ty = restore_type(
        &s,
        span_of(&s, "backup_id"),
        span_of(&s, "restore_time"),
        "source.backup_id",
        "source.restore_time",
        cx.diags,
    );
    Some(RdsRestore {
        source: RdsSource {
            instance_id: instance_id?,
            restore_type: ty?,
            backup_id: backup_id?,
            restore_time: restore_time?,
        },
        target: target?,
    })
}
