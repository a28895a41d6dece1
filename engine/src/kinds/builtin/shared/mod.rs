//! Lowering and rendering that several built-in kinds share: `type` inference, the
//! `{source, target}` recovery body, ID shapes.

pub mod create;
pub mod schema_types;

use self::create::Svc;
use crate::kinds::{InstanceRef, RdsRestore, RdsSource, RestoreType};
use crate::syntax::cx::Cx;
use crate::syntax::diagnostic::{Code, Diagnostic, Span};
use crate::syntax::obj::Obj;
use crate::syntax::suggest::did_you_mean;
use crate::syntax::value::{IdShape, InstanceService};
use serde_json::{Map, Value, json};

pub use crate::syntax::cx::span_of;

pub const RDS: IdShape = IdShape::Instance(InstanceService::Rds);
pub const DDM: IdShape = IdShape::Instance(InstanceService::Ddm);
pub const TAURUS: IdShape = IdShape::Instance(InstanceService::Taurusdb);

/// Inserts `value` under `key` when there is one.
pub fn opt(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v);
    }
}

/// How an API page types a restore time: RDS `Integer`, DDS `String` (epoch ms both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeAs {
    Integer,
    String,
}

impl TimeAs {
    pub fn render(self, ms: i64) -> Value {
        match self {
            TimeAs::Integer => json!(ms),
            TimeAs::String => json!(ms.to_string()),
        }
    }
}

/// `{source{instance_id,type,backup_id|restore_time}, target{instance_id}}`: RDS and DDS alike,
/// except for how the time is typed.
pub fn recovery_body(r: &RdsRestore, time: TimeAs) -> Value {
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
    json!({ "source": source, "target": { "instance_id": r.target.instance_id } })
}

/// Works out `type` from what is given, or checks that a given `type` agrees.
pub fn restore_type(
    o: &Obj,
    backup: Option<Span>,
    time: Option<Span>,
    backup_path: &str,
    time_path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<RestoreType> {
    let given = o.opt_str("type", diags);
    let Some((t, tspan)) = given else {
        return match (backup, time) {
            (Some(_), None) => Some(RestoreType::Backup),
            (None, Some(_)) => Some(RestoreType::Timestamp),
            (Some(b), Some(t)) => {
                diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("both `{backup_path}` and `{time_path}` are set"),
                    )
                    .at(t)
                    .with_label(b, "backup given here")
                    .with_hint("restore either from a backup or to a point in time; remove one"),
                );
                None
            }
            (None, None) => {
                diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        format!("`{}` needs `backup_id` or `restore_time`", o.path),
                    )
                    .at(o.span)
                    .with_hint("add `restore_time:` for point-in-time recovery, or `backup_id:`"),
                );
                None
            }
        };
    };
    let ty = match t.as_str() {
        "backup" => RestoreType::Backup,
        "timestamp" => RestoreType::Timestamp,
        other => {
            let hint = did_you_mean(other, ["backup", "timestamp"]).map_or_else(
                || "use `backup` or `timestamp`".to_owned(),
                |s| format!("did you mean `{s}`?"),
            );
            diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!(
                        "`{}.type` must be `backup` or `timestamp`, found {other:?}",
                        o.path
                    ),
                )
                .at(tspan)
                .with_hint(hint),
            );
            return None;
        }
    };
    let mut ok = true;
    match ty {
        RestoreType::Backup => {
            if backup.is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`type: backup` needs `{backup_path}`"),
                    )
                    .at(tspan)
                    .with_hint("add `backup_id:`, or use `type: timestamp` with `restore_time:`"),
                );
                ok = false;
            }
            if let Some(s) = time {
                diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`{time_path}` does not go with `type: backup`"),
                    )
                    .at(s)
                    .with_label(tspan, "type set here")
                    .with_hint("remove `restore_time`, or set `type: timestamp`"),
                );
                ok = false;
            }
        }
        RestoreType::Timestamp => {
            if time.is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`type: timestamp` needs `{time_path}`"),
                    )
                    .at(tspan)
                    .with_hint("add `restore_time:`, or use `type: backup` with `backup_id:`"),
                );
                ok = false;
            }
            if let Some(s) = backup {
                diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`{backup_path}` does not go with `type: timestamp`"),
                    )
                    .at(s)
                    .with_label(tspan, "type set here")
                    .with_hint("remove `backup_id`, or set `type: backup`"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(ty)
}

pub fn instance_target(o: &Obj, shape: IdShape, cx: &mut Cx) -> Option<InstanceRef> {
    let t = o.obj("target", cx.diags)?;
    t.check_keys(&["instance_id"], cx.diags);
    Some(InstanceRef {
        instance_id: cx.id(&t, "instance_id", shape)?,
    })
}

/// `{source, target}` to an existing instance: `rds.restore` and `dds.restore` alike.
pub fn recovery(o: &Obj, svc: Svc, cx: &mut Cx) -> Option<RdsRestore> {
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
