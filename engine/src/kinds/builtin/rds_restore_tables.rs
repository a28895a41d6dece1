//! `rds.restore_tables`: RDS table- and database-level point-in-time restore (MySQL tables, PostgreSQL tables, databases of either), restored under new names.
//
// Huawei Cloud's RDS API (OTC documents only the permission `rds:instance:tableRestore`):
// - MySQL tables: `POST /v3.1/{project_id}/instances/{instance_id}/restore/tables`
//   `{restore_time, restore_tables: [{database, tables: [{old_name, new_name}]}], is_fast_restore?}`
//   (`rds_09_0020`; the v3 `restoreTime`/`restoreTables` form was retired on 2025-09-14);
// - PostgreSQL tables: `POST /v3/{project_id}/instances/batch/restore/tables`
//   `{instances: [{restore_time, instance_id, databases: [{database, schemas: [{schema, tables}]}]}]}`
//   (`rds_09_0024`);
// - databases: `POST /v3/{project_id}/instances/batch/restore/databases`
//   `{instances: [{restore_time, instance_id, databases: [{old_name, new_name}], is_fast_restore?}]}`
//   (`rds_09_0022`).
// The spec writes the first form's `restore_tables`, or the batch forms' `databases`, beside
// `instance_id` and `restore_time`; which API it is follows from that.

use super::shared::svc::Svc;
use super::shared::create::fields::bad;
use super::declare::{Builtin, OwnSource, Wire, adds};
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::obj::{Obj, as_str, missing};
use crate::syntax::yaml::Node;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

pub static KIND: Builtin = Builtin {
    service: Service::Rds,
    // The restored objects land on the instance, beside the live ones: it is added to, not
    // overwritten (two such restores of one instance are ordered, as the API refuses a second
    // while one runs).
    footprint: &[adds("/instance_id", C::RdsInstance)],
    creates: None,
    outputs: &["instance_id", "job_id"],
    // Huawei's Terraform resources allow 60 minutes; a restore of a few tables takes less.
    expected_minutes: 30,
    id_pattern: "in01",
    restore_times: &["/restore_time"],
    existing_target: Some("/instance_id"),
    source_and_target: None,
    own_source: Some(OwnSource {
        pointer: "/instance_id",
        class: C::RdsInstance,
        overwritten: false,
    }),
    time_choice: None,
    latest_backup: None,
    schema: Body::json_schema,
};

/// RDS table- or database-level point-in-time restore: exactly one of `restore_tables`
/// (MySQL tables) or `databases` (PostgreSQL tables by schema, or whole databases). The
/// restored objects get the new names; nothing is overwritten.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// The RDS for MySQL or PostgreSQL instance (path parameter of the MySQL form).
    instance_id: String,
    /// The point in time: RFC 3339 with an offset, or epoch milliseconds (sent as a Long).
    restore_time: super::shared::schema_types::Time,
    /// MySQL: the tables to restore, by database.
    restore_tables: Option<Vec<MysqlDatabase>>,
    /// PostgreSQL tables by database and schema, or whole databases (`{old_name, new_name}`).
    databases: Option<Vec<DatabaseItem>>,
    /// Fast restoration (MySQL tables, databases); not for instances with XA transactions.
    is_fast_restore: Option<bool>,
}

/// The typed body: where, when, and what under which new names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RdsTablesRestore {
    pub instance_id: String,
    /// Epoch milliseconds, UTC.
    pub restore_time: i64,
    #[serde(flatten)]
    pub objects: TableObjects,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_fast_restore: Option<bool>,
}

/// What is restored; the form picks the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TableObjects {
    /// MySQL tables.
    Mysql { restore_tables: Vec<MysqlDatabase> },
    /// PostgreSQL tables.
    Postgres { databases: Vec<PgDatabase> },
    /// Whole databases, MySQL or PostgreSQL.
    Databases { databases: Vec<Rename> },
}

/// One object's name before and after the restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub old_name: String,
    pub new_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MysqlDatabase {
    pub database: String,
    pub tables: Vec<Rename>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PgDatabase {
    pub database: String,
    pub schemas: Vec<PgSchema>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PgSchema {
    pub schema: String,
    pub tables: Vec<Rename>,
}

/// A `databases` entry: PostgreSQL tables or a whole database (schema only).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum DatabaseItem {
    Tables(PgDatabase),
    Whole(Rename),
}

// ---------------------------------------------------------------- lowering

/// Names MySQL and PostgreSQL accept for the API: not empty, at most 64 characters.
fn name(node: &Node, path: &str, what: &str, cx: &mut Cx) -> Option<String> {
    let (v, span) = as_str(node, path, cx.diags)?;
    if v.trim().is_empty() || v.chars().count() > 64 {
        bad(
            cx,
            span,
            format!("`{path}` must name a {what} (1 to 64 characters)"),
            "write the name as the database knows it",
        );
        return None;
    }
    Some(v)
}

fn field(o: &Obj, key: &str, what: &str, cx: &mut Cx) -> Option<String> {
    let node = o.required(key, cx.diags)?;
    name(node, &o.child_path(key), what, cx)
}

/// A non-empty list at `key`, each item lowered by `each`.
fn list<T>(
    o: &Obj,
    key: &str,
    cx: &mut Cx,
    mut each: impl FnMut(&Node, &str, &mut Cx) -> Option<T>,
) -> Option<Vec<T>> {
    let path = o.child_path(key);
    let Some((items, span)) = o.opt_seq(key, cx.diags) else {
        if o.get(key).is_none() {
            cx.diags.push(missing(&path, o.span));
        }
        return None;
    };
    if items.is_empty() {
        bad(
            cx,
            span,
            format!("`{path}` must not be empty"),
            "list what to restore",
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match each(item, &format!("{path}.{i}"), cx) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `{old_name, new_name}`, different from each other, the new name not used twice in `seen`.
fn rename(
    item: &Node,
    path: &str,
    what: &str,
    seen: &mut BTreeSet<String>,
    cx: &mut Cx,
) -> Option<Rename> {
    let o = Obj::new(item, path, cx.diags)?;
    o.check_keys(&["old_name", "new_name"], cx.diags);
    let old = field(&o, "old_name", what, cx);
    let new = field(&o, "new_name", what, cx);
    let (old, new) = (old?, new?);
    let span = o.get("new_name").map_or(o.span, |n| n.span);
    if old == new {
        bad(
            cx,
            span,
            format!("`{path}.new_name` is the old name {old}: a restored {what} gets a new name"),
            "nothing is overwritten: pick a name that is free, e.g. with the date appended",
        );
        return None;
    }
    if !seen.insert(new.clone()) {
        bad(
            cx,
            span,
            format!("`{path}.new_name` {new} is already the new name of another {what}"),
            "give every restored object its own name",
        );
        return None;
    }
    Some(Rename {
        old_name: old,
        new_name: new,
    })
}

fn mysql_database(item: &Node, path: &str, cx: &mut Cx) -> Option<MysqlDatabase> {
    let o = Obj::new(item, path, cx.diags)?;
    o.check_keys(&["database", "tables"], cx.diags);
    let database = field(&o, "database", "database", cx);
    let mut seen = BTreeSet::new();
    let tables = list(&o, "tables", cx, |n, p, cx| {
        rename(n, p, "table", &mut seen, cx)
    });
    Some(MysqlDatabase {
        database: database?,
        tables: tables?,
    })
}

fn pg_database(item: &Node, path: &str, cx: &mut Cx) -> Option<PgDatabase> {
    let o = Obj::new(item, path, cx.diags)?;
    o.check_keys(&["database", "schemas"], cx.diags);
    let database = field(&o, "database", "database", cx);
    let schemas = list(&o, "schemas", cx, |n, p, cx| {
        let s = Obj::new(n, p, cx.diags)?;
        s.check_keys(&["schema", "tables"], cx.diags);
        let schema = field(&s, "schema", "schema", cx);
        let mut seen = BTreeSet::new();
        let tables = list(&s, "tables", cx, |n, p, cx| {
            rename(n, p, "table", &mut seen, cx)
        });
        Some(PgSchema {
            schema: schema?,
            tables: tables?,
        })
    });
    Some(PgDatabase {
        database: database?,
        schemas: schemas?,
    })
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<RdsTablesRestore> {
    let instance_id = cx.id(o, "instance_id", Svc::Rds.instance());
    let restore_time = cx.time(o, "restore_time");
    let is_fast_restore = o.opt_bool("is_fast_restore", cx.diags);
    let objects = match (o.get("restore_tables"), o.get("databases")) {
        (Some(_), Some(n)) => {
            bad(
                cx,
                n.span,
                format!(
                    "`{}` and `{}` are two APIs: give one",
                    o.child_path("restore_tables"),
                    o.child_path("databases")
                ),
                "restore_tables for MySQL tables; databases for PostgreSQL tables or whole databases",
            );
            None
        }
        (None, None) => {
            bad(
                cx,
                o.span,
                "say what to restore: `restore_tables` (MySQL tables) or `databases` (PostgreSQL tables, or whole databases)".to_owned(),
                "restore_tables: [{database: shop, tables: [{old_name: orders, new_name: orders_back}]}]",
            );
            None
        }
        (Some(_), None) => list(o, "restore_tables", cx, mysql_database)
            .map(|restore_tables| TableObjects::Mysql { restore_tables }),
        (None, Some(_)) => databases(o, cx),
    };
    if let (Some(TableObjects::Postgres { .. }), Some(_)) = (&objects, is_fast_restore) {
        let span = o.get("is_fast_restore").map_or(o.span, |n| n.span);
        bad(
            cx,
            span,
            format!(
                "`{}` does not apply to PostgreSQL table restores",
                o.child_path("is_fast_restore")
            ),
            "the PostgreSQL table API has no fast restoration: drop the key",
        );
        return None;
    }
    Some(RdsTablesRestore {
        instance_id: instance_id?,
        restore_time: restore_time?,
        objects: objects?,
        is_fast_restore,
    })
}

/// `databases`: all PostgreSQL table entries (`{database, schemas}`) or all whole databases
/// (`{old_name, new_name}`), never a mix (they are two APIs).
fn databases(o: &Obj, cx: &mut Cx) -> Option<TableObjects> {
    let path = o.child_path("databases");
    let (items, span) = o.opt_seq("databases", cx.diags)?;
    let is_tables = |n: &Node| {
        Obj::new(n, "", &mut Vec::new())
            .is_some_and(|d| d.get("schemas").is_some() || d.get("database").is_some())
    };
    let tables = items.iter().filter(|n| is_tables(n)).count();
    if tables != 0 && tables != items.len() {
        bad(
            cx,
            span,
            format!(
                "`{path}` mixes PostgreSQL tables ({{database, schemas}}) and whole databases ({{old_name, new_name}})"
            ),
            "they are two APIs: write two operations",
        );
        return None;
    }
    if tables > 0 {
        list(o, "databases", cx, pg_database).map(|databases| TableObjects::Postgres { databases })
    } else {
        let mut seen = BTreeSet::new();
        list(o, "databases", cx, |n, p, cx| {
            rename(n, p, "database", &mut seen, cx)
        })
        .map(|databases| TableObjects::Databases { databases })
    }
}

// ---------------------------------------------------------------- request

fn renames(list: &[Rename]) -> Json {
    json!(
        list.iter()
            .map(|r| json!({ "old_name": r.old_name, "new_name": r.new_name }))
            .collect::<Vec<_>>()
    )
}

pub fn request(r: &RdsTablesRestore) -> Wire {
    match &r.objects {
        TableObjects::Mysql { restore_tables } => {
            let tables: Vec<Json> = restore_tables
                .iter()
                .map(|d| json!({ "database": d.database, "tables": renames(&d.tables) }))
                .collect();
            let mut body = json!({ "restore_time": r.restore_time, "restore_tables": tables });
            if let Some(fast) = r.is_fast_restore {
                body["is_fast_restore"] = json!(fast);
            }
            Wire {
                path: format!(
                    "/v3.1/{{project_id}}/instances/{}/restore/tables",
                    r.instance_id
                ),
                body,
            }
        }
        TableObjects::Postgres { databases } => {
            let dbs: Vec<Json> = databases
                .iter()
                .map(|d| {
                    let schemas: Vec<Json> = d
                        .schemas
                        .iter()
                        .map(|s| json!({ "schema": s.schema, "tables": renames(&s.tables) }))
                        .collect();
                    json!({ "database": d.database, "schemas": schemas })
                })
                .collect();
            Wire {
                path: "/v3/{project_id}/instances/batch/restore/tables".to_owned(),
                body: json!({ "instances": [{
                    "restore_time": r.restore_time,
                    "instance_id": r.instance_id,
                    "databases": dbs,
                }]}),
            }
        }
        TableObjects::Databases { databases } => {
            let mut inst = json!({
                "restore_time": r.restore_time,
                "instance_id": r.instance_id,
                "databases": renames(databases),
            });
            if let Some(fast) = r.is_fast_restore {
                inst["is_fast_restore"] = json!(fast);
            }
            Wire {
                path: "/v3/{project_id}/instances/batch/restore/databases".to_owned(),
                body: json!({ "instances": [inst] }),
            }
        }
    }
}
