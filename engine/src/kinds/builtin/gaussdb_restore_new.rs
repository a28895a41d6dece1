//! `gaussdb.restore_new`: GaussDB (openGauss) restore into a new instance (`POST /v3/{project_id}/instances` with `restore_point`).
//
// `gaussdb-opengauss:api-ref/source/apis_recommended/backup_management/
// restoring_data_to_a_new_db_instance.rst`: Table 2 (body), Table 3 (`volume`), Table 4
// (`charge_info`), Table 5 (`restore_point`). OTC documents no restore to the original or
// an existing instance for GaussDB.

use super::shared::create::fields::bad;
use super::shared::schema_types as schema;
use super::declare::{Builtin, Wire, reads};
use crate::kinds::bodies::RestoreType;
use crate::kinds::create::{RestoreNew, RestorePoint, SENSITIVE, SecretRef};
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::value::is_unknown;
use crate::syntax::cx::{Cx, span_of};
use crate::syntax::obj::{Obj, missing, wrong_type};
use crate::syntax::secret_ref;
use crate::syntax::yaml::{Node, Value};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

pub static KIND: Builtin = Builtin {
    service: Service::Gaussdb,
    footprint: &[
        reads("/restore_point/instance_id", C::GaussdbInstance),
        reads("/restore_point/backup_id", C::GaussdbBackup),
    ],
    creates: Some(C::GaussdbInstance),
    outputs: &["instance_id", "name", "job_id", "private_ip", "port"],
    expected_minutes: 60,
    id_pattern: "in14",
    restore_times: &["/restore_point/restore_time"],
    existing_target: None,
    source_and_target: None,
    own_source: None,
    time_choice: None,
    latest_backup: None,
    schema: Body::json_schema,
};

/// GaussDB (openGauss) restore into a new instance: `POST /v3/{project_id}/instances` with `restore_point`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// The new instance's name: 4 to 64 characters, starting with a letter; letters, digits, `-`, `_`. rewind makes sure it is unique before the create.
    name: String,
    restore_point: RestorePointBody,
    /// The database password: `${secrets.NAME}`, never a literal.
    #[schemars(extend("sensitive" = true))]
    password: String,
    /// AZ IDs, comma-separated: three for a primary/standby or distributed instance.
    availability_zone: String,
    /// Specification code, e.g. `gaussdb.opengauss.ee.dn.m6.2xlarge.8.in`; at least the source's.
    flavor_ref: String,
    volume: VolumeBody,
    vpc_id: String,
    subnet_id: String,
    security_group_id: String,
    charge_info: Option<ChargeInfo>,
    backup_strategy: Option<schema::BackupStrategy>,
    /// Parameter template ID.
    configuration_id: Option<String>,
    /// A string in the API (an integer is accepted): 1024 to 39998, not a port the system reserves.
    port: Option<schema::IntOrText>,
    /// `UTC+08:00`: whole hours from UTC-12:00 to UTC+12:00.
    time_zone: Option<String>,
    enable_force_switch: Option<bool>,
}

/// Table 5: `instance_id` always; `backup_id` for a backup, `type: timestamp` and `restore_time` for a point in time.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RestorePointBody {
    /// The source instance (suffix `in14`).
    instance_id: String,
    backup_id: Option<String>,
    /// `backup` or `timestamp`; inferred when omitted.
    #[serde(rename = "type")]
    kind: Option<String>,
    restore_time: Option<schema::Time>,
}

/// Table 3.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct VolumeBody {
    /// `ULTRAHIGH` (the only type).
    #[serde(rename = "type")]
    kind: String,
    /// GB: at least the source's; a multiple of 40 (times the shards) for distributed instances.
    size: i64,
}

/// Table 4: `postPaid`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ChargeInfo {
    charge_mode: String,
}

const REQUIRED: &[&str] = &[
    "availability_zone",
    "flavor_ref",
    "volume",
    "vpc_id",
    "subnet_id",
    "security_group_id",
];

/// A YAML value as JSON (the create fields are sent as written).
fn json_of(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Str(s) => json!(s),
        Value::Seq(items) => Json::Array(items.iter().map(json_of).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .filter_map(|(k, v)| match &k.value {
                    Value::Str(k) => Some((k.clone(), json_of(v))),
                    _ => None,
                })
                .collect(),
        ),
    }
}

/// 32 lowercase hex characters plus `in14`, or another operation's output.
fn instance_id(o: &Obj, cx: &mut Cx) -> Option<String> {
    let (id, span) = o.str_field("instance_id", cx.diags)?;
    let ok = id.len() == 36
        && id.ends_with("in14")
        && id[..32]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok || is_unknown(&id) {
        cx.id_spans.entry(id.clone()).or_insert(span);
        return Some(id);
    }
    bad(
        cx,
        span,
        format!(
            "`{}` = {id:?} is not a GaussDB instance ID",
            o.child_path("instance_id")
        ),
        "GaussDB instance IDs are 32 lowercase hex characters plus `in14`",
    );
    None
}

fn restore_point(o: &Obj, cx: &mut Cx) -> Option<RestorePoint> {
    let p = o.obj("restore_point", cx.diags)?;
    p.check_keys(
        &["instance_id", "type", "backup_id", "restore_time"],
        cx.diags,
    );
    let instance = instance_id(&p, cx);
    let backup_id = match p.opt_str("backup_id", cx.diags) {
        Some((b, span)) => {
            cx.id_spans.entry(b.clone()).or_insert(span);
            Some(b)
        }
        None => None,
    };
    let restore_time = cx.opt_time(&p, "restore_time");
    let ty = super::shared::restore_type(
        &p,
        span_of(&p, "backup_id"),
        span_of(&p, "restore_time"),
        "restore_point.backup_id",
        "restore_point.restore_time",
        cx.diags,
    )?;
    // Table 5: `type` may be left out of a backup restore (the page's first example does);
    // a point in time needs it.
    let written = span_of(&p, "type").is_some();
    Some(RestorePoint {
        instance_id: Some(instance?),
        restore_type: (written || ty == RestoreType::Timestamp).then_some(ty),
        backup_id,
        restore_time: restore_time?,
    })
}

fn name(o: &Obj, cx: &mut Cx) -> Option<String> {
    let (name, span) = o.str_field("name", cx.diags)?;
    let ok = (4..=64).contains(&name.chars().count())
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        return Some(name);
    }
    bad(
        cx,
        span,
        format!(
            "`{}` = {name:?} is not a valid instance name",
            o.child_path("name")
        ),
        "4 to 64 characters, starting with a letter: letters, digits, `-` and `_`",
    );
    None
}

/// One create field: checked where the page gives a rule, sent as written.
fn field(key: &str, node: &Node, path: &str, cx: &mut Cx) -> Option<Json> {
    match (key, &node.value) {
        ("volume", Value::Map(_)) => {
            let v = json_of(node);
            if v["type"] != json!("ULTRAHIGH") {
                return bad(
                    cx,
                    node.span,
                    format!("`{path}.type` must be ULTRAHIGH"),
                    "GaussDB takes only ULTRAHIGH (Table 3)",
                );
            }
            match v["size"].as_i64() {
                Some(n) if n > 0 && n % 40 == 0 => Some(v),
                _ => bad(
                    cx,
                    node.span,
                    format!("`{path}.size` must be a positive multiple of 40 (GB)"),
                    "at least the source's size; a multiple of 40 GB per shard",
                ),
            }
        }
        ("port", Value::Int(_) | Value::Str(_)) => {
            let v = json_of(node);
            let n = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            match n {
                Some(p) if (1024..=39_998).contains(&p) => Some(v),
                _ => bad(
                    cx,
                    node.span,
                    format!("`{path}` must be a port from 1024 to 39998"),
                    "the page lists the ports the system reserves",
                ),
            }
        }
        ("enable_force_switch", Value::Bool(_))
        | ("charge_info" | "backup_strategy", Value::Map(_)) => Some(json_of(node)),
        ("enable_force_switch", _) => {
            cx.diags.push(wrong_type(node, path, "true or false"));
            None
        }
        ("charge_info" | "backup_strategy" | "volume", _) => {
            cx.diags.push(wrong_type(node, path, "a mapping"));
            None
        }
        (_, Value::Str(s)) if !s.trim().is_empty() => Some(json_of(node)),
        _ => bad(
            cx,
            node.span,
            format!("`{path}` must be a non-empty string"),
            "the API refuses an empty value",
        ),
    }
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<RestoreNew> {
    let name = name(o, cx);
    let restore_point = restore_point(o, cx);
    let password = match secret_ref::reference(o, "password", cx.diags) {
        Some(Some(r)) => Some(SecretRef { name: r }),
        Some(None) => {
            cx.diags.push(missing(&o.child_path("password"), o.span).with_hint(
                "the API requires a password: declare it under `secrets:` and write `password: ${secrets.NAME}`",
            ));
            None
        }
        None => None,
    };
    let mut create = Map::new();
    let mut ok = true;
    for (key, node, _) in o.keys() {
        if matches!(key, "name" | "restore_point" | "password")
            || !KIND.body_keys().contains(&key)
            || matches!(node.value, Value::Null)
        {
            continue;
        }
        match field(key, node, &o.child_path(key), cx) {
            Some(v) => {
                create.insert(key.to_owned(), v);
            }
            None => ok = false,
        }
    }
    for key in REQUIRED {
        if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
            cx.diags.push(missing(&o.child_path(key), o.span));
            ok = false;
        }
    }
    Some(RestoreNew {
        name: name?,
        restore_point: restore_point?,
        password: Some(password?),
        create: ok.then_some(create)?,
    })
}

/// The page's order: the create fields as written, `password`, then `restore_point`.
pub fn request(r: &RestoreNew) -> Wire {
    let mut body = Map::new();
    body.insert("name".into(), json!(r.name));
    for (k, v) in &r.create {
        body.insert(k.clone(), v.clone());
    }
    body.insert("password".into(), json!(SENSITIVE));
    let p = &r.restore_point;
    let mut point = Map::new();
    if let Some(i) = &p.instance_id {
        point.insert("instance_id".into(), json!(i));
    }
    if let Some(b) = &p.backup_id {
        point.insert("backup_id".into(), json!(b));
    }
    if let Some(t) = p.restore_type {
        point.insert("type".into(), json!(t.as_str()));
    }
    if let Some(t) = p.restore_time {
        point.insert("restore_time".into(), json!(t));
    }
    body.insert("restore_point".into(), Json::Object(point));
    Wire {
        path: "/v3/{project_id}/instances".to_owned(),
        body: Json::Object(body),
    }
}
