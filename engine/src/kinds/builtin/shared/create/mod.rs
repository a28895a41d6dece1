//! Lowering and rendering of the kinds that create an instance (`rds.restore_new`, `dds.restore_new`).

pub mod fields;

use super::{opt, restore_type};
use crate::kinds::bodies::RestoreType;
use crate::kinds::create::{RestoreNew, RestorePoint, SENSITIVE, SecretRef};
use crate::syntax::cx::{Cx, span_of};
use crate::syntax::diagnostic::{Code, Diagnostic, Span};
use crate::syntax::obj::{Obj, missing};
use crate::syntax::secret_ref;
use crate::syntax::value::is_unknown;
use crate::syntax::yaml::{Node, Value};
use fields::{dds_field, rds_field};
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value as Json, json};

pub use crate::kinds::builtin::shared::svc::Svc;

/// A kind's body schema, as its `Body::json_schema`.
pub type BodySchema = fn(&mut SchemaGenerator) -> Schema;

const RDS_REQUIRED: &[&str] = &[
    "flavor_ref",
    "volume",
    "availability_zone",
    "vpc_id",
    "subnet_id",
];
const DDS_REQUIRED: &[&str] = &[
    "availability_zone",
    "vpc_id",
    "subnet_id",
    "security_group_id",
    "flavor",
];

/// `rds.restore_new`; `schema` is its body's, which lists the create fields it accepts.
pub fn rds_new(o: &Obj, schema: BodySchema, cx: &mut Cx) -> Option<RestoreNew> {
    let name = instance_name(o, cx);
    let restore_point = restore_point(o, Svc::Rds, cx);
    let password = match password(o, cx) {
        Some(Some(r)) => Some(r),
        Some(None) => {
            cx.diags.push(missing(&o.child_path("password"), o.span).with_hint(
                "the API requires a root password: declare it under `secrets:` and write `password: ${secrets.NAME}`",
            ));
            None
        }
        None => None,
    };
    let flavor = o.get("flavor_ref").and_then(|n| match &n.value {
        Value::Str(s) if !is_unknown(s) => Some((s.clone(), n.span)),
        _ => None,
    });
    let create = fields(
        o,
        schema,
        RDS_REQUIRED,
        cx,
        |key, node, key_span, path, cx| rds_field(key, node, key_span, path, flavor.as_ref(), cx),
    );
    Some(RestoreNew {
        name: name?,
        restore_point: restore_point?,
        password: Some(password?),
        create: create?,
    })
}

/// `dds.restore_new`; `schema` as for [`rds_new`].
pub fn dds_new(o: &Obj, schema: BodySchema, cx: &mut Cx) -> Option<RestoreNew> {
    let name = instance_name(o, cx);
    let restore_point = restore_point(o, Svc::Dds, cx);
    let password = password(o, cx);
    let create = fields(o, schema, DDS_REQUIRED, cx, |key, node, _, path, cx| {
        dds_field(key, node, path, cx)
    });
    Some(RestoreNew {
        name: name?,
        restore_point: restore_point?,
        password: password?,
        create: create?,
    })
}

/// The name is the idempotency key of a create, so it is checked by the API's own rule.
fn instance_name(o: &Obj, cx: &mut Cx) -> Option<String> {
    let (name, span) = o.str_field("name", cx.diags)?;
    let len = name.chars().count();
    let ok = (4..=64).contains(&len)
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        return Some(name);
    }
    cx.diags.push(
        Diagnostic::new(
            Code::BadValue,
            format!(
                "`{}` = {name:?} is not a valid instance name",
                o.child_path("name")
            ),
        )
        .at(span)
        .with_hint("4 to 64 characters, starting with a letter: letters, digits, `-` and `_`"),
    );
    None
}

/// `restore_point.type` is rendered so that every documented example renders as written: RDS
/// always sends it (inferred from `backup_id` / `restore_time` when omitted, as `rds.restore`
/// does for `source.type`); DDS sends it when written and for a point in time (the API
/// requires it there), but not for a backup restore that omits it (the DDS backup examples
/// send `backup_id` alone).
fn restore_point(o: &Obj, svc: Svc, cx: &mut Cx) -> Option<RestorePoint> {
    let p = o.obj("restore_point", cx.diags)?;
    p.check_keys(
        &["instance_id", "type", "backup_id", "restore_time"],
        cx.diags,
    );
    let instance_id = match svc {
        Svc::Rds => cx.id(&p, "instance_id", svc.instance()).map(Some),
        Svc::Dds => cx.opt_id(&p, "instance_id", svc.instance()),
    };
    let backup_id = cx.opt_backup(&p, "backup_id", svc);
    let restore_time = cx.opt_time(&p, "restore_time");
    let ty = restore_type(
        &p,
        span_of(&p, "backup_id"),
        span_of(&p, "restore_time"),
        "restore_point.backup_id",
        "restore_point.restore_time",
        cx.diags,
    )?;
    if svc == Svc::Dds && ty == RestoreType::Timestamp && span_of(&p, "instance_id").is_none() {
        cx.diags.push(
            missing(&p.child_path("instance_id"), p.span)
                .with_hint("a point-in-time restore names its source: add `instance_id:`"),
        );
        return None;
    }
    let written = span_of(&p, "type").is_some();
    let restore_type = match svc {
        Svc::Rds => Some(ty),
        Svc::Dds => (written || ty == RestoreType::Timestamp).then_some(ty),
    };
    Some(RestorePoint {
        instance_id: instance_id?,
        restore_type,
        backup_id: backup_id?,
        restore_time: restore_time?,
    })
}

/// The create fields in spec order, each lowered by `one`; every required one must be there.
fn fields(
    o: &Obj,
    schema: BodySchema,
    required: &[&str],
    cx: &mut Cx,
    mut one: impl FnMut(&str, &Node, Span, &str, &mut Cx) -> Option<Json>,
) -> Option<Map<String, Json>> {
    // Everything the kind accepts besides the typed three is a create field.
    let accepted = schema(&mut SchemaGenerator::default());
    let known = |key: &str| {
        accepted
            .get("properties")
            .and_then(Json::as_object)
            .is_some_and(|p| p.contains_key(key))
            && !["name", "restore_point", "password"].contains(&key)
    };
    let mut out = Map::new();
    let mut ok = true;
    for (key, node, key_span) in o.keys() {
        if !known(key) || matches!(node.value, Value::Null) {
            continue;
        }
        match one(key, node, key_span, &o.child_path(key), cx) {
            Some(v) => {
                out.insert(key.to_owned(), v);
            }
            None => ok = false,
        }
    }
    for key in required {
        if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
            let at = o.get(key).map_or(o.span, |n| n.span);
            cx.diags.push(missing(&o.child_path(key), at));
            ok = false;
        }
    }
    ok.then_some(out)
}

/// The password as a secret reference (never a value).
#[allow(clippy::option_option)] // absent (`Some(None)`) and invalid (`None`) differ
fn password(o: &Obj, cx: &mut Cx) -> Option<Option<SecretRef>> {
    secret_ref::reference(o, "password", cx.diags).map(|r| r.map(|name| SecretRef { name }))
}

/// The create body: `name`, the create fields as written, the password placeholder, then
/// `restore_point`. The password's value is put in by the provider, on the wire only.
pub fn create_body(r: &RestoreNew) -> Json {
    let mut body = Map::new();
    body.insert("name".into(), json!(r.name));
    for (k, v) in &r.create {
        body.insert(k.clone(), v.clone());
    }
    if r.password.is_some() {
        body.insert("password".into(), json!(SENSITIVE));
    }
    let p = &r.restore_point;
    let mut point = Map::new();
    opt(
        &mut point,
        "instance_id",
        p.instance_id.as_ref().map(|v| json!(v)),
    );
    opt(
        &mut point,
        "type",
        p.restore_type.map(|t| json!(t.as_str())),
    );
    opt(
        &mut point,
        "backup_id",
        p.backup_id.as_ref().map(|v| json!(v)),
    );
    opt(&mut point, "restore_time", p.restore_time.map(|v| json!(v)));
    body.insert("restore_point".into(), Json::Object(point));
    Json::Object(body)
}
