//! Lowering and rendering that several built-in kinds share: `type` inference, targets, ID
//! shapes, how a time is typed.

pub mod create;
pub mod recovery;
pub mod schema_types;
pub mod svc;

use crate::kinds::bodies::{InstanceRef, RestoreType};
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
