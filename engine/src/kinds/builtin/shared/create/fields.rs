//! Typed checks of the create fields, each as its API page documents it, rendered as that page types it.

use crate::kinds::builtin::shared::svc::Svc;
use crate::syntax::cx::Cx;
use crate::syntax::diagnostic::{Code, Diagnostic, Span};
use crate::syntax::obj::{Obj, as_str, missing, wrong_type};
use crate::syntax::suggest::did_you_mean;
use crate::syntax::value::is_unknown;
use crate::syntax::value::{IdShape, check_id};
use crate::syntax::yaml::{Node, Value};
use serde_json::{Map, Value as Json, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    MySql,
    Postgres,
    SqlServer,
}

impl Engine {
    /// The engine a flavor belongs to, from its spec code (`rds.mysql.n1.large`, `rds.pg...`,
    /// `rds.mssql...`).
    fn of(flavor: &str) -> Option<Engine> {
        let f = flavor.to_ascii_lowercase();
        if f.contains("mssql") || f.contains("sqlserver") {
            Some(Engine::SqlServer)
        } else if f.contains(".mysql.") {
            Some(Engine::MySql)
        } else if f.contains(".pg.") || f.contains("postgres") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Engine::MySql => "MySQL",
            Engine::Postgres => "PostgreSQL",
            Engine::SqlServer => "SQL Server",
        }
    }
}

pub fn rds_field(
    key: &str,
    node: &Node,
    key_span: Span,
    path: &str,
    flavor: Option<&(String, Span)>,
    cx: &mut Cx,
) -> Option<Json> {
    let engine = flavor.and_then(|(f, s)| Engine::of(f).map(|e| (e, *s)));
    match key {
        "ha" => ha(node, path, engine, cx),
        "port" => port(node, path, engine, cx),
        "backup_strategy" => backup_strategy(node, path, Svc::Rds, cx),
        "volume" => volume(node, path, cx),
        "vpc_id" | "subnet_id" | "security_group_id" => uuid(node, path, cx),
        "data_vip" => {
            let (v, span) = as_str(node, path, cx.diags)?;
            if is_unknown(&v) || v.parse::<std::net::IpAddr>().is_ok() {
                return Some(json!(v));
            }
            bad(
                cx,
                span,
                format!("`{path}` = {v:?} is not an IP address"),
                "a free address in the subnet, e.g. 192.168.0.147",
            )
        }
        "collation" => {
            let v = text(node, path, cx)?;
            match (flavor, engine) {
                (Some(_), Some((Engine::SqlServer, _))) | (None, _) => Some(v),
                (Some((f, fspan)), _) => {
                    let what = engine.map_or_else(
                        || format!("`{f}` is not a SQL Server flavor"),
                        |(e, _)| format!("`{f}` is a {} flavor", e.name()),
                    );
                    cx.diags.push(
                        Diagnostic::new(
                            Code::BadValue,
                            format!("`{path}` applies only to SQL Server, and {what}"),
                        )
                        .at(key_span)
                        .with_label(*fspan, "flavor given here")
                        .with_hint("remove `collation`, or use an `rds.mssql...` flavor"),
                    );
                    None
                }
            }
        }
        // configuration_id, disk_encryption_id, flavor_ref, availability_zone
        _ => text(node, path, cx),
    }
}

pub fn dds_field(key: &str, node: &Node, path: &str, cx: &mut Cx) -> Option<Json> {
    match key {
        "flavor" => dds_flavor(node, path, cx),
        "backup_strategy" => backup_strategy(node, path, Svc::Dds, cx),
        "vpc_id" | "subnet_id" | "security_group_id" => uuid(node, path, cx),
        "enterprise_project_id" => as_str(node, path, cx.diags).map(|(v, _)| json!(v)),
        "ssl_option" => {
            let (v, span) = scalar(node, path, cx)?;
            if v == "0" || v == "1" {
                return Some(json!(v));
            }
            bad(
                cx,
                span,
                format!("`{path}` must be \"0\" (SSL off) or \"1\" (SSL on), found {v:?}"),
                "write `ssl_option: \"1\"` to enable SSL",
            )
        }
        // availability_zone, disk_encryption_id
        _ => text(node, path, cx),
    }
}

pub fn bad(cx: &mut Cx, span: Span, msg: String, hint: &str) -> Option<Json> {
    cx.diags.push(
        Diagnostic::new(Code::BadValue, msg)
            .at(span)
            .with_hint(hint),
    );
    None
}

/// A non-empty string.
pub fn text(node: &Node, path: &str, cx: &mut Cx) -> Option<Json> {
    let (v, span) = as_str(node, path, cx.diags)?;
    if v.trim().is_empty() {
        return bad(
            cx,
            span,
            format!("`{path}` must not be empty"),
            "the API refuses an empty value",
        );
    }
    Some(json!(v))
}

/// A string, or an integer written for one (`ssl_option: 1`), as text.
fn scalar(node: &Node, path: &str, cx: &mut Cx) -> Option<(String, Span)> {
    match &node.value {
        Value::Int(i) => Some((i.to_string(), node.span)),
        _ => as_str(node, path, cx.diags),
    }
}

/// An integer, or a string of digits (the docs write some integers as strings).
fn int(node: &Node, path: &str, cx: &mut Cx) -> Option<i64> {
    match &node.value {
        Value::Int(i) => Some(*i),
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            if let Ok(i) = s.parse() {
                Some(i)
            } else {
                bad(
                    cx,
                    node.span,
                    format!("`{path}` is too large"),
                    "write a smaller number",
                );
                None
            }
        }
        _ => {
            cx.diags.push(wrong_type(node, path, "an integer"));
            None
        }
    }
}

fn uuid(node: &Node, path: &str, cx: &mut Cx) -> Option<Json> {
    let (v, span) = as_str(node, path, cx.diags)?;
    if is_unknown(&v) || check_id(&v, span, path, IdShape::Uuid).is_ok() {
        return Some(json!(v));
    }
    cx.diags.push(
        Diagnostic::new(Code::BadId, format!("`{path}` = {v:?} is not a UUID"))
            .at(span)
            .with_hint("VPC, subnet and security group IDs are UUIDs, e.g. 490a4a08-ef4b-44c5-94be-3051ef9e4fce"),
    );
    None
}

/// One of `allowed`, or an error with a "did you mean" (and `why`, the place that narrowed
/// the choice, if any).
fn one_of(
    node: &Node,
    path: &str,
    allowed: &[&str],
    why: Option<(Span, String)>,
    cx: &mut Cx,
) -> Option<String> {
    let (v, span) = as_str(node, path, cx.diags)?;
    if allowed.contains(&v.as_str()) {
        return Some(v);
    }
    let hint = did_you_mean(&v, allowed.iter().copied()).map_or_else(
        || format!("one of: {}", allowed.join(", ")),
        |s| format!("did you mean `{s}`?"),
    );
    let mut d = Diagnostic::new(
        Code::BadValue,
        format!("`{path}` = {v:?} is not one of {}", allowed.join(", ")),
    )
    .at(span)
    .with_hint(hint);
    if let Some((at, text)) = why {
        d = d.with_label(at, text);
    }
    cx.diags.push(d);
    None
}

fn ha(node: &Node, path: &str, engine: Option<(Engine, Span)>, cx: &mut Cx) -> Option<Json> {
    let h = Obj::new(node, path, cx.diags)?;
    h.check_keys(&["mode", "replication_mode"], cx.diags);
    let mode = h.str_field("mode", cx.diags).and_then(|(m, span)| {
        if m.eq_ignore_ascii_case("ha") {
            Some(m)
        } else {
            bad(
                cx,
                span,
                format!("`{path}.mode` = {m:?} is not `ha`"),
                "the only mode is `ha` (primary/standby)",
            );
            None
        }
    });
    let allowed: &[&str] = match engine {
        Some((Engine::MySql, _)) => &["async", "semisync"],
        Some((Engine::Postgres, _)) => &["async", "sync"],
        Some((Engine::SqlServer, _)) => &["sync"],
        None => &["async", "semisync", "sync"],
    };
    let why = engine.map(|(e, at)| (at, format!("a {} flavor", e.name())));
    let replication = h
        .required("replication_mode", cx.diags)
        .and_then(|n| one_of(n, &h.child_path("replication_mode"), allowed, why, cx));
    Some(json!({ "mode": mode?, "replication_mode": replication? }))
}

/// The doc types `port` as a String; an integer is accepted and sent as the doc's type.
fn port(node: &Node, path: &str, engine: Option<(Engine, Span)>, cx: &mut Cx) -> Option<Json> {
    let p = int(node, path, cx)?;
    let (ok, rule) = match engine.map(|(e, _)| e) {
        Some(Engine::MySql) => (
            (1024..=65535).contains(&p) && p != 12017 && p != 33071,
            "MySQL ports are 1024 to 65535, except 12017 and 33071",
        ),
        Some(Engine::Postgres) => (
            (2100..=9500).contains(&p),
            "PostgreSQL ports are 2100 to 9500",
        ),
        Some(Engine::SqlServer) => (
            p == 1433 || ((2100..=9500).contains(&p) && p != 5355 && p != 5985),
            "SQL Server ports are 1433, or 2100 to 9500 except 5355 and 5985",
        ),
        None => ((1..=65535).contains(&p), "a TCP port, 1 to 65535"),
    };
    if ok {
        return Some(json!(p.to_string()));
    }
    bad(
        cx,
        node.span,
        format!("`{path}` = {p} is not allowed"),
        rule,
    )
}

/// `hh:mm-HH:MM`, one hour long; minutes 00/15/30/45 for RDS, 00 for DDS.
fn window_ok(s: &str, svc: Svc) -> bool {
    let b = s.as_bytes();
    if b.len() != 11 || b[2] != b':' || b[5] != b'-' || b[8] != b':' {
        return false;
    }
    let two = |i: usize| -> Option<u32> {
        let d = b.get(i..i + 2)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
    };
    let (Some(h1), Some(m1), Some(h2), Some(m2)) = (two(0), two(3), two(6), two(9)) else {
        return false;
    };
    let minutes_ok = match svc {
        Svc::Rds => [0, 15, 30, 45].contains(&m1),
        Svc::Dds => m1 == 0,
    };
    h1 < 24 && h2 < 24 && m1 == m2 && (h1 + 1) % 24 == h2 && minutes_ok
}

/// RDS types `keep_days` as an Integer, DDS as a String; each is sent as its doc types it.
fn backup_strategy(node: &Node, path: &str, svc: Svc, cx: &mut Cx) -> Option<Json> {
    let b = Obj::new(node, path, cx.diags)?;
    b.check_keys(&["start_time", "keep_days"], cx.diags);
    let start = b.str_field("start_time", cx.diags).and_then(|(s, span)| {
        if window_ok(&s, svc) {
            return Some(s);
        }
        let hint = match svc {
            Svc::Rds => {
                "one hour in UTC, `hh:mm-HH:MM` with minutes 00, 15, 30 or 45, e.g. 19:00-20:00"
            }
            Svc::Dds => "one hour in UTC on the hour, `hh:00-HH:00`, e.g. 23:00-00:00",
        };
        bad(
            cx,
            span,
            format!("`{path}.start_time` = {s:?} is not a backup window"),
            hint,
        );
        None
    });
    let mut out = Map::new();
    let mut ok = true;
    if let Some(n) = b
        .get("keep_days")
        .filter(|n| !matches!(n.value, Value::Null))
    {
        let kpath = b.child_path("keep_days");
        let low = i64::from(svc == Svc::Rds);
        match int(n, &kpath, cx) {
            Some(d) if (low..=732).contains(&d) => {
                let v = if svc == Svc::Rds {
                    json!(d)
                } else {
                    json!(d.to_string())
                };
                out.insert("keep_days".into(), v);
            }
            Some(d) => {
                bad(
                    cx,
                    n.span,
                    format!("`{kpath}` = {d} is out of range ({low} to 732)"),
                    "retention in days",
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    out.insert("start_time".into(), json!(start?));
    ok.then_some(Json::Object(out))
}

fn volume(node: &Node, path: &str, cx: &mut Cx) -> Option<Json> {
    let v = Obj::new(node, path, cx.diags)?;
    v.check_keys(&["type", "size"], cx.diags);
    let ty = v
        .required("type", cx.diags)
        .and_then(|n| one_of(n, &v.child_path("type"), &["CLOUDSSD", "ESSD"], None, cx));
    let size = v.required("size", cx.diags).and_then(|n| {
        let spath = v.child_path("size");
        let s = int(n, &spath, cx)?;
        if (40..=4000).contains(&s) && s % 10 == 0 {
            return Some(s);
        }
        bad(
            cx,
            n.span,
            format!("`{spath}` = {s} GB is not allowed"),
            "40 to 4000 GB in steps of 10, and at least the source instance's volume",
        );
        None
    });
    Some(json!({ "type": ty?, "size": size? }))
}

const NODE_TYPES: &[&str] = &["mongos", "shard", "config", "replica", "single"];

/// `flavor[]`: `num` is sent as an integer and `size` as a string, as the doc's examples do.
fn dds_flavor(node: &Node, path: &str, cx: &mut Cx) -> Option<Json> {
    let Value::Seq(items) = &node.value else {
        cx.diags.push(wrong_type(node, path, "a list"));
        return None;
    };
    if items.is_empty() {
        return bad(
            cx,
            node.span,
            format!("`{path}` must not be empty"),
            "one entry per node type, e.g. `- { type: replica, num: 1, spec_code: ... }`",
        );
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match dds_flavor_item(item, &format!("{path}.{i}"), cx) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(Json::Array(out))
}

fn dds_flavor_item(item: &Node, path: &str, cx: &mut Cx) -> Option<Json> {
    let f = Obj::new(item, path, cx.diags)?;
    f.check_keys(&["type", "num", "size", "spec_code"], cx.diags);
    let ty = f
        .required("type", cx.diags)
        .and_then(|n| one_of(n, &f.child_path("type"), NODE_TYPES, None, cx));
    let spec_code = f
        .required("spec_code", cx.diags)
        .and_then(|n| text(n, &f.child_path("spec_code"), cx));
    let mut m = Map::new();
    let mut ok = true;
    match f.get("num").filter(|n| !matches!(n.value, Value::Null)) {
        Some(n) => {
            let npath = f.child_path("num");
            match int(n, &npath, cx) {
                Some(k) if ty.as_deref() == Some("mongos") && !(2..=32).contains(&k) => {
                    bad(
                        cx,
                        n.span,
                        format!("`{npath}` = {k}: mongos nodes number 2 to 32"),
                        "set `num` between 2 and 32",
                    );
                    ok = false;
                }
                Some(k) if k < 1 => {
                    bad(
                        cx,
                        n.span,
                        format!("`{npath}` = {k} must be at least 1"),
                        "config, replica and single nodes take `num: 1`",
                    );
                    ok = false;
                }
                Some(k) => {
                    m.insert("num".into(), json!(k));
                }
                None => ok = false,
            }
        }
        // The API takes no `num` for shard nodes in a restore.
        None if ty.is_some() && ty.as_deref() != Some("shard") => {
            cx.diags.push(missing(&f.child_path("num"), f.span));
            ok = false;
        }
        None => {}
    }
    if let Some(n) = f.get("size").filter(|n| !matches!(n.value, Value::Null)) {
        let spath = f.child_path("size");
        match int(n, &spath, cx) {
            Some(_) if ty.as_deref() == Some("mongos") => {
                bad(
                    cx,
                    n.span,
                    format!("`{spath}`: mongos nodes have no storage"),
                    "remove `size` from the mongos entry",
                );
                ok = false;
            }
            Some(s) if (10..=2000).contains(&s) && s % 10 == 0 => {
                m.insert("size".into(), json!(s.to_string()));
            }
            Some(s) => {
                bad(
                    cx,
                    n.span,
                    format!("`{spath}` = {s} GB is not allowed"),
                    "10 to 2000 GB in steps of 10, and at least the source's",
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    let mut out = Map::new();
    out.insert("type".into(), json!(ty?));
    out.extend(m);
    out.insert("spec_code".into(), spec_code?);
    ok.then_some(Json::Object(out))
}
