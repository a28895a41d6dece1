//! Lowering and rendering of the kinds that create an instance (`rds.restore_new`, `dds.restore_new`).

pub mod fields;

use super::{opt, restore_type};
use crate::kinds::{Kind, RestoreNew, RestorePoint, RestoreType, SENSITIVE, SecretRef, is_unknown};
use crate::syntax::cx::{Cx, span_of};
use crate::syntax::diagnostic::{Code, Diagnostic, Span};
use crate::syntax::obj::{Obj, missing};
use crate::syntax::secret_ref;
use crate::syntax::value::{IdShape, InstanceService, check_id};
use crate::syntax::yaml::{Node, Value};
use fields::{dds_field, rds_field};
use serde_json::{Map, Value as Json, json};

/// Which service's ID rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Svc {
    Rds,
    Dds,
}

impl Svc {
    pub fn instance(self) -> IdShape {
        IdShape::Instance(match self {
            Svc::Rds => InstanceService::Rds,
            Svc::Dds => InstanceService::Dds,
        })
    }

    /// The API pages' own examples use UUIDs for backup IDs besides the `...brNN` form
    /// the list APIs return (and DDS a 36-character hex form), so all of them are accepted.
    fn backup_ok(self, id: &str) -> bool {
        let at = Span::new(0, 0, 1, 1);
        if check_id(id, at, "", IdShape::Uuid).is_ok() {
            return true;
        }
        match self {
            Svc::Rds => check_id(id, at, "", IdShape::Backup).is_ok(),
            Svc::Dds => {
                id.len() == 36
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
                    && id.as_bytes()[..32].iter().all(u8::is_ascii_hexdigit)
            }
        }
    }

    fn backup_hint(self) -> &'static str {
        match self {
            Svc::Rds => {
                "RDS backup IDs are 32 lowercase hex characters plus `brNN` (37a3d791431045a782d72496d384150abr01), or a UUID"
            }
            Svc::Dds => {
                "DDS backup IDs are 32 lowercase hex characters plus 4 letters or digits (43e4feaab48f11e89039fa163ebaa7e4br01), or a UUID"
            }
        }
    }
}

impl Cx<'_> {
    /// An optional backup ID; `Some(None)` when absent, `None` when present but invalid.
    #[allow(clippy::option_option)]
    pub fn opt_backup(&mut self, o: &Obj, key: &str, svc: Svc) -> Option<Option<String>> {
        if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
            return Some(None);
        }
        let (v, span) = o.opt_str(key, self.diags)?;
        // `latest`: kept as written; `spec::recovery` records the choice and the plan pins
        // the newest finished backup.
        if v == crate::syntax::cx::LATEST {
            return Some(Some(v));
        }
        if is_unknown(&v) || svc.backup_ok(&v) {
            self.id_spans.entry(v.clone()).or_insert(span);
            return Some(Some(v));
        }
        self.diags.push(
            Diagnostic::new(
                Code::BadId,
                format!("`{}` = {v:?} is not a backup ID", o.child_path(key)),
            )
            .at(span)
            .with_hint(svc.backup_hint()),
        );
        None
    }
}

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

/// `rds.restore_new`.
pub fn rds_new(o: &Obj, cx: &mut Cx) -> Option<RestoreNew> {
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
        Kind::RdsRestoreNew,
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

/// `dds.restore_new`.
pub fn dds_new(o: &Obj, cx: &mut Cx) -> Option<RestoreNew> {
    let name = instance_name(o, cx);
    let restore_point = restore_point(o, Svc::Dds, cx);
    let password = password(o, cx);
    let create = fields(
        o,
        Kind::DdsRestoreNew,
        DDS_REQUIRED,
        cx,
        |key, node, _, path, cx| dds_field(key, node, path, cx),
    );
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
    kind: Kind,
    required: &[&str],
    cx: &mut Cx,
    mut one: impl FnMut(&str, &Node, Span, &str, &mut Cx) -> Option<Json>,
) -> Option<Map<String, Json>> {
    // Everything the kind accepts besides the typed three is a create field.
    let known = |key: &str| {
        crate::kinds::builtin::get(kind).is_some_and(|b| b.body_keys().contains(&key))
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
