//! Lowering of each kind's body: API field names, ID shapes, `type` inference and agreement.

use super::create::{self, Svc};
use super::diagnostic::{Code, Diagnostic, Span};
use super::obj::{Obj, as_str, missing};
use super::suggest::did_you_mean;
use super::value::{IdShape, InstanceService, check_id, time_ms};
use super::yaml::{Node, Value};
use crate::kinds::{
    CbrDetails, CbrMapping, CbrRestore, DataNodeRelation, DcsRestore, DdmMetadataRestore,
    DdmRestore, DdmSource, InstanceRef, Kind, MetadataSource, MetadataTarget, OpSpec, RdsRestore,
    RdsSource, RestoreType, TaurusdbRestore,
};
use std::collections::BTreeMap;

/// Keys every operation accepts besides its body.
pub const COMMON_KEYS: &[&str] = &[
    "kind",
    "depends_on",
    "allow_overwrite_source",
    "timeout",
    "for_each",
];

/// Body keys of each kind, exactly as the API names them. The JSON Schema is checked against
/// these in a test, so the two cannot drift apart.
pub fn body_keys(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::RdsRestore | Kind::DdsRestore => &["source", "target"],
        Kind::DdmRestore => &["instance_id", "source", "target", "data_node_relations"],
        Kind::DdmMetadataRestore => &["instance_id", "source", "target"],
        Kind::TaurusdbRestore => &[
            "source_instance_id",
            "target_instance_id",
            "type",
            "backup_id",
            "restore_time",
        ],
        Kind::CbrRestore => &[
            "backup_id",
            "server_id",
            "volume_id",
            "mappings",
            "power_on",
            "resource_id",
            "details",
        ],
        Kind::DcsRestore => &["instance_id", "backup_id", "remark"],
        Kind::RdsRestoreNew => &[
            "name",
            "restore_point",
            "password",
            "ha",
            "configuration_id",
            "port",
            "backup_strategy",
            "disk_encryption_id",
            "flavor_ref",
            "volume",
            "availability_zone",
            "vpc_id",
            "subnet_id",
            "data_vip",
            "security_group_id",
            "collation",
        ],
        Kind::DdsRestoreNew => &[
            "name",
            "restore_point",
            "password",
            "availability_zone",
            "vpc_id",
            "subnet_id",
            "security_group_id",
            "disk_encryption_id",
            "flavor",
            "backup_strategy",
            "enterprise_project_id",
            "ssl_option",
        ],
        Kind::DdsRestoreCollections => &["instance_id", "restore_collections"],
        // A plugin kind's keys are in its declared schema.
        Kind::External(_) => &[],
    }
}

const RDS: IdShape = IdShape::Instance(InstanceService::Rds);
const DDM: IdShape = IdShape::Instance(InstanceService::Ddm);
const TAURUS: IdShape = IdShape::Instance(InstanceService::Taurusdb);

/// Shared state while lowering one body: the diagnostics sink and where each ID was written.
pub struct Cx<'d> {
    pub diags: &'d mut Vec<Diagnostic>,
    /// ID value -> first place it was written in this operation (for conflict labels).
    pub id_spans: BTreeMap<String, Span>,
}

impl Cx<'_> {
    fn id_at(&mut self, value: String, span: Span, path: &str, shape: IdShape) -> Option<String> {
        // Another operation's output: its shape is the API's business, known after apply.
        if crate::kinds::is_unknown(&value) {
            self.id_spans.entry(value.clone()).or_insert(span);
            return Some(value);
        }
        match check_id(&value, span, path, shape) {
            Ok(()) => {
                self.id_spans.entry(value.clone()).or_insert(span);
                Some(value)
            }
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    pub(super) fn id(&mut self, o: &Obj, key: &str, shape: IdShape) -> Option<String> {
        let (v, span) = o.str_field(key, self.diags)?;
        self.id_at(v, span, &o.child_path(key), shape)
    }

    /// `Some(None)` when absent, `None` when present but invalid.
    #[allow(clippy::option_option)]
    pub(super) fn opt_id(&mut self, o: &Obj, key: &str, shape: IdShape) -> Option<Option<String>> {
        if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
            return Some(None);
        }
        let (v, span) = o.opt_str(key, self.diags)?;
        self.id_at(v, span, &o.child_path(key), shape).map(Some)
    }

    #[allow(clippy::option_option)]
    pub(super) fn opt_time(&mut self, o: &Obj, key: &str) -> Option<Option<i64>> {
        let Some(node) = o.get(key).filter(|n| !matches!(n.value, Value::Null)) else {
            return Some(None);
        };
        // `latest` / `random_within 7d`: no time yet; `spec::recovery` records the choice (or
        // the error) and the plan pins the point the cloud offers.
        if let Value::Str(text) = &node.value
            && crate::drill::recovery::parse(text).is_some()
        {
            return Some(None);
        }
        match time_ms(node, &o.child_path(key)) {
            Ok(t) => Some(Some(t)),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    pub(super) fn time(&mut self, o: &Obj, key: &str) -> Option<i64> {
        let node = o.required(key, self.diags)?;
        match time_ms(node, &o.child_path(key)) {
            Ok(t) => Some(t),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    fn id_list(&mut self, items: &[Node], path: &str, shape: IdShape) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}.{i}");
            match as_str(item, &p, self.diags).and_then(|(v, s)| self.id_at(v, s, &p, shape)) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Works out `type` from what is given, or checks that a given `type` agrees.
pub(super) fn restore_type(
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

pub(super) fn span_of(o: &Obj, key: &str) -> Option<Span> {
    o.get(key)
        .filter(|n| !matches!(n.value, Value::Null))
        .map(|n| n.span)
}

/// Lowers the body of `kind` from the (already interpolated) operation mapping.
pub fn lower(kind: Kind, o: &Obj, cx: &mut Cx) -> Option<OpSpec> {
    let mut allowed: Vec<&str> = COMMON_KEYS.to_vec();
    allowed.extend_from_slice(body_keys(kind));
    o.check_keys(&allowed, cx.diags);
    match kind {
        Kind::RdsRestore => recovery(o, Svc::Rds, cx).map(OpSpec::Rds),
        Kind::DdmRestore => ddm(o, cx).map(OpSpec::Ddm),
        Kind::DdmMetadataRestore => ddm_metadata(o, cx).map(OpSpec::DdmMetadata),
        Kind::TaurusdbRestore => taurusdb(o, cx).map(OpSpec::Taurusdb),
        Kind::CbrRestore => cbr(o, cx).map(OpSpec::Cbr),
        Kind::DcsRestore => dcs(o, cx).map(OpSpec::Dcs),
        Kind::RdsRestoreNew => create::rds_new(o, cx).map(OpSpec::RdsNew),
        Kind::DdsRestoreNew => create::dds_new(o, cx).map(OpSpec::DdsNew),
        Kind::DdsRestore => recovery(o, Svc::Dds, cx).map(OpSpec::DdsRecovery),
        Kind::DdsRestoreCollections => create::dds_collections(o, cx).map(OpSpec::DdsCollections),
        Kind::External(_) => None,
    }
}

fn instance_target(o: &Obj, shape: IdShape, cx: &mut Cx) -> Option<InstanceRef> {
    let t = o.obj("target", cx.diags)?;
    t.check_keys(&["instance_id"], cx.diags);
    Some(InstanceRef {
        instance_id: cx.id(&t, "instance_id", shape)?,
    })
}

/// `{source, target}` to an existing instance: `rds.restore` and `dds.restore` alike.
fn recovery(o: &Obj, svc: Svc, cx: &mut Cx) -> Option<RdsRestore> {
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

fn ddm(o: &Obj, cx: &mut Cx) -> Option<DdmRestore> {
    let path_id = cx.opt_id(o, "instance_id", DDM);
    let target = instance_target(o, DDM, cx);
    let source = o.obj("source", cx.diags).and_then(|s| {
        s.check_keys(&["instance_id", "restore_time"], cx.diags);
        let id = cx.id(&s, "instance_id", DDM);
        let t = cx.time(&s, "restore_time");
        Some(DdmSource {
            instance_id: id?,
            restore_time: t?,
        })
    });
    let relations = match o.opt_seq("data_node_relations", cx.diags) {
        // Absent, or present with no value (`data_node_relations:`): both are missing.
        None if o
            .get("data_node_relations")
            .is_none_or(|n| matches!(n.value, Value::Null)) =>
        {
            let at = o.get("data_node_relations").map_or(o.span, |n| n.span);
            cx.diags
                .push(missing(&o.child_path("data_node_relations"), at));
            None
        }
        None => None,
        Some((items, span)) => {
            if items.is_empty() {
                cx.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        format!(
                            "`{}` must not be empty",
                            o.child_path("data_node_relations")
                        ),
                    )
                    .at(span)
                    .with_hint("map every source data node to a new RDS instance"),
                );
            }
            let mut out = Vec::new();
            let mut ok = !items.is_empty();
            for (i, item) in items.iter().enumerate() {
                let path = format!("{}.{i}", o.child_path("data_node_relations"));
                let rel = Obj::new(item, &path, cx.diags).and_then(|r| {
                    r.check_keys(&["source_instance_id", "target_instance_id"], cx.diags);
                    let s = cx.id(&r, "source_instance_id", RDS);
                    let t = cx.id(&r, "target_instance_id", RDS);
                    Some(DataNodeRelation {
                        source_instance_id: s?,
                        target_instance_id: t?,
                    })
                });
                match rel {
                    Some(r) => out.push(r),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    let source = source?;
    let instance_id = path_id?.unwrap_or_else(|| source.instance_id.clone());
    Some(DdmRestore {
        instance_id,
        source,
        target: target?,
        data_node_relations: relations?,
    })
}

fn ddm_metadata(o: &Obj, cx: &mut Cx) -> Option<DdmMetadataRestore> {
    let instance_id = cx.id(o, "instance_id", DDM);
    let source = o.obj("source", cx.diags).and_then(|s| {
        s.check_keys(&["restore_time", "backup_id"], cx.diags);
        let t = cx.opt_time(&s, "restore_time");
        let b = cx.opt_id(&s, "backup_id", IdShape::Backup);
        match (span_of(&s, "restore_time"), span_of(&s, "backup_id")) {
            (Some(ts), Some(bs)) => {
                cx.diags.push(
                    Diagnostic::new(Code::TypeMismatch, "`source` takes exactly one of `restore_time` and `backup_id`")
                        .at(ts)
                        .with_label(bs, "backup given here")
                        .with_hint("remove one of them"),
                );
                return None;
            }
            (None, None) => {
                cx.diags.push(
                    Diagnostic::new(Code::MissingField, "`source` needs `restore_time` or `backup_id`")
                        .at(s.span)
                        .with_hint("use the same restore_time as the RDS point-in-time recovery of the data nodes"),
                );
                return None;
            }
            _ => {}
        }
        Some(MetadataSource { restore_time: t?, backup_id: b? })
    });
    let target = o.obj("target", cx.diags).and_then(|t| {
        t.check_keys(&["instance_id", "data_nodes"], cx.diags);
        let id = cx.id(&t, "instance_id", DDM);
        let nodes = match t.opt_seq("data_nodes", cx.diags) {
            Some(([], span)) => {
                cx.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        format!("`{}` must not be empty", t.child_path("data_nodes")),
                    )
                    .at(span)
                    .with_hint("list the RDS instances restored for this DDM instance"),
                );
                None
            }
            Some((items, _)) => cx.id_list(items, &t.child_path("data_nodes"), RDS),
            None => {
                // Absent, or present with no value (`data_nodes:`): both are missing.
                if t.get("data_nodes")
                    .is_none_or(|n| matches!(n.value, Value::Null))
                {
                    let at = t.get("data_nodes").map_or(t.span, |n| n.span);
                    cx.diags.push(missing(&t.child_path("data_nodes"), at));
                }
                None
            }
        };
        Some(MetadataTarget {
            instance_id: id?,
            data_nodes: nodes?,
        })
    });
    Some(DdmMetadataRestore {
        instance_id: instance_id?,
        source: source?,
        target: target?,
    })
}

fn taurusdb(o: &Obj, cx: &mut Cx) -> Option<TaurusdbRestore> {
    let source = cx.id(o, "source_instance_id", TAURUS);
    let target = cx.id(o, "target_instance_id", TAURUS);
    let backup_id = match super::recovery::latest(o, "backup_id") {
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

fn cbr(o: &Obj, cx: &mut Cx) -> Option<CbrRestore> {
    let backup_id =
        super::recovery::latest(o, "backup_id").or_else(|| cx.id(o, "backup_id", IdShape::Uuid));
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

fn dcs(o: &Obj, cx: &mut Cx) -> Option<DcsRestore> {
    let instance_id = cx.id(o, "instance_id", IdShape::Uuid);
    // `latest`: kept as written; `spec::recovery` records the choice and the plan pins the
    // newest backup.
    let backup_id =
        super::recovery::latest(o, "backup_id").or_else(|| cx.id(o, "backup_id", IdShape::Uuid));
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
