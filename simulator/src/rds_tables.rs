//! RDS table- and database-level point-in-time restores (MySQL, PostgreSQL) and the restorable-object queries.
//
// Huawei Cloud documents these APIs; OTC documents only the permission
// `rds:instance:tableRestore`. The routes and shapes follow Huawei's RDS API reference:
// - MySQL tables: `POST /v3.1/{project_id}/instances/{instance_id}/restore/tables`
//   (`rds_09_0020`, `{restore_time, restore_tables, is_fast_restore}` → `{job_id}`);
// - PostgreSQL tables: `POST /v3/{project_id}/instances/batch/restore/tables` (`rds_09_0024`)
//   and databases of either engine: `POST /v3/{project_id}/instances/batch/restore/databases`
//   (`{instances: [...]}` → `{restore_result: [{instance_id, job_id}]}`);
// - what can be restored: `POST /v3/{project_id}/{engine}/instances/history/databases`
//   (`rds_09_0021`) and `.../history/tables` (`rds_09_0023`).
// A world with `rds.table_restore_unavailable` answers every one of them as an unpublished
// API (404 `APIG.0101`), as a region without them does.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::jobs;
use crate::rds::{instance_busy, instance_missing, param};
use crate::route::{Ctx, Routed, segs};
use crate::world::{JobEffect, World, name_or, set};

pub(crate) fn route(req: &Req) -> Option<Routed> {
    let s = segs(req);
    Some(match (req.method.as_str(), s.as_slice()) {
        ("POST", ["v3.1", pid, "instances", id, "restore", "tables"]) => {
            let id = (*id).to_owned();
            Routed::project(pid, move |cx| mysql_tables(cx, &id))
        }
        (
            "POST",
            [
                "v3",
                pid,
                "instances",
                "batch",
                "restore",
                what @ ("tables" | "databases"),
            ],
        ) => {
            let tables = *what == "tables";
            Routed::project(pid, move |cx| batch(cx, tables))
        }
        (
            "POST",
            [
                "v3",
                pid,
                engine,
                "instances",
                "history",
                what @ ("tables" | "databases"),
            ],
        ) => {
            let (engine, tables) = ((*engine).to_ascii_lowercase(), *what == "tables");
            Routed::project(pid, move |cx| history(cx, &engine, tables))
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------- wire structs

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MysqlTablesBody {
    restore_time: i64,
    restore_tables: Vec<MysqlDatabaseWire>,
    is_fast_restore: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MysqlDatabaseWire {
    database: String,
    tables: Vec<Rename>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    old_name: String,
    new_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    instances: Vec<BatchInstance>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchInstance {
    restore_time: i64,
    instance_id: String,
    /// Tables: `[{database, schemas}]`; databases: `[{old_name, new_name}]`.
    databases: Vec<Value>,
    is_fast_restore: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PgDatabaseWire {
    database: String,
    schemas: Vec<PgSchemaWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PgSchemaWire {
    schema: String,
    tables: Vec<Rename>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryBody {
    instance_ids: Vec<String>,
    restore_time: i64,
    database_name_like: Option<String>,
    table_name_like: Option<String>,
    instance_name_like: Option<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(raw: Value) -> Result<T, ApiError> {
    serde_json::from_value(raw).map_err(|e| param(format!("Parameter error: {e}")))
}

// ---------------------------------------------------------------- checks

/// 404 as the API gateway answers an API it does not publish.
fn unpublished() -> ApiError {
    ApiError::not_found(
        "APIG.0101",
        "The API does not exist or has not been published in the environment.",
    )
}

fn served(cx: &Ctx<'_>) -> Result<(), ApiError> {
    if cx.st.world.rds.table_restore_unavailable {
        Err(unpublished())
    } else {
        Ok(())
    }
}

/// The instance, `ACTIVE`, of one of `engines`, with `t` inside one of its windows.
fn restorable(
    cx: &Ctx<'_>,
    id: &str,
    t: i64,
    engines: &[&str],
) -> Result<(String, String), ApiError> {
    let inst = cx
        .st
        .world
        .rds
        .instances
        .get(id)
        .ok_or_else(|| instance_missing(id))?;
    if !engines.contains(&inst.engine.as_str()) {
        return Err(ApiError::bad_request(
            "DBS.200022",
            format!(
                "This operation is not supported for {} DB instances.",
                crate::rds::datastore_type(&inst.engine)
            ),
        ));
    }
    if inst.status != "ACTIVE" {
        return Err(instance_busy(id, &inst.status));
    }
    if !inst.restore_windows.iter().any(|w| w.contains(t)) {
        return Err(ApiError::bad_request(
            "RDS.3029",
            "No backup files are available for restoration to this time point.",
        ));
    }
    Ok((inst.engine.clone(), name_or(&inst.name, "rds", id)))
}

fn name_taken(what: &str, name: &str) -> ApiError {
    ApiError::bad_request(
        "DBS.280343",
        format!("The {what} name {name} already exists. Choose a new name."),
    )
}

fn not_restorable(what: &str, name: &str, t: i64) -> ApiError {
    ApiError::bad_request(
        "DBS.280344",
        format!("The {what} {name} cannot be restored to {t}: it did not exist then."),
    )
}

/// Checks the renames of tables of one database: the old tables existed at `t`, the new names
/// are free now and distinct. Returns the new names.
fn check_tables(
    world: &World,
    instance_id: &str,
    database: &str,
    renames: &[(String, String)],
    t: i64,
) -> Result<Vec<String>, ApiError> {
    let contents = world.rds.contents.get(instance_id);
    let then = contents.map(|c| c.at(t)).unwrap_or_default();
    let now = contents.map(|c| c.databases.clone()).unwrap_or_default();
    let had = then
        .get(database)
        .ok_or_else(|| not_restorable("database", database, t))?;
    let present: BTreeSet<&String> = now.get(database).into_iter().flatten().collect();
    let mut seen = BTreeSet::new();
    for (old, new) in renames {
        if !had.contains(old) {
            return Err(not_restorable("table", &format!("{database}.{old}"), t));
        }
        if present.contains(new) || !seen.insert(new.clone()) {
            return Err(name_taken("table", &format!("{database}.{new}")));
        }
    }
    Ok(seen.into_iter().collect())
}

/// Starts the restore job: the instance shows `RESTORING` until it ends.
fn start(
    cx: &mut Ctx<'_>,
    instance: (&str, &str),
    engine: &str,
    what: &str,
    restored: BTreeMap<String, Vec<String>>,
) -> String {
    let job_name = format!("Restore{}{what}", crate::rds::capitalised(engine));
    let effect = JobEffect::RdsTables {
        instance_id: instance.0.to_owned(),
        restored,
    };
    let duration = cx.st.world.durations.rds_restore;
    let job = jobs::new_job(cx, &job_name, instance, duration, effect);
    let job_id = cx.st.uuid();
    cx.st.world.rds.jobs.insert(job_id.clone(), job);
    if let Some(inst) = cx.st.world.rds.instances.get_mut(instance.0) {
        set(&mut inst.status, "RESTORING");
    }
    cx.st.submitted(instance.0);
    job_id
}

// ---------------------------------------------------------------- handlers

fn mysql_tables(cx: &mut Ctx<'_>, id: &str) -> ApiResult {
    served(cx)?;
    let body: MysqlTablesBody = parse(cx.req.json().map_err(param)?)?;
    let _ = body.is_fast_restore;
    if body.restore_tables.is_empty() {
        return Err(param("Parameter error: restore_tables must not be empty."));
    }
    let (engine, name) = restorable(cx, id, body.restore_time, &["mysql"])?;
    let mut restored = BTreeMap::new();
    for db in &body.restore_tables {
        let renames: Vec<(String, String)> = db
            .tables
            .iter()
            .map(|r| (r.old_name.clone(), r.new_name.clone()))
            .collect();
        let new = check_tables(&cx.st.world, id, &db.database, &renames, body.restore_time)?;
        restored.insert(db.database.clone(), new);
    }
    let job_id = start(cx, (id, &name), &engine, "TableInInstance", restored);
    Ok(Reply::ok(json!({ "job_id": job_id })))
}

fn batch(cx: &mut Ctx<'_>, tables: bool) -> ApiResult {
    served(cx)?;
    let body: BatchBody = parse(cx.req.json().map_err(param)?)?;
    if body.instances.is_empty() {
        return Err(param("Parameter error: instances must not be empty."));
    }
    // Every instance is checked before any job starts: one bad entry starts nothing.
    let mut plans = Vec::new();
    for inst in &body.instances {
        let _ = inst.is_fast_restore;
        let t = inst.restore_time;
        let id = inst.instance_id.as_str();
        let engines: &[&str] = if tables {
            &["postgresql"]
        } else {
            &["mysql", "postgresql"]
        };
        let (engine, name) = restorable(cx, id, t, engines)?;
        let mut restored = BTreeMap::new();
        if tables {
            for raw in &inst.databases {
                let db: PgDatabaseWire = parse(raw.clone())?;
                let renames: Vec<(String, String)> = db
                    .schemas
                    .iter()
                    .flat_map(|s| {
                        s.tables.iter().map(|r| {
                            (
                                format!("{}.{}", s.schema, r.old_name),
                                format!("{}.{}", s.schema, r.new_name),
                            )
                        })
                    })
                    .collect();
                let new = check_tables(&cx.st.world, id, &db.database, &renames, t)?;
                restored.insert(db.database.clone(), new);
            }
        } else {
            let contents = cx.st.world.rds.contents.get(id);
            let then = contents.map(|c| c.at(t)).unwrap_or_default();
            let now: BTreeSet<String> = contents
                .map(|c| c.databases.keys().cloned().collect())
                .unwrap_or_default();
            for raw in &inst.databases {
                let r: Rename = parse(raw.clone())?;
                let tables = then
                    .get(&r.old_name)
                    .ok_or_else(|| not_restorable("database", &r.old_name, t))?;
                if now.contains(&r.new_name) || restored.contains_key(&r.new_name) {
                    return Err(name_taken("database", &r.new_name));
                }
                restored.insert(r.new_name.clone(), tables.clone());
            }
        }
        if restored.is_empty() {
            return Err(param("Parameter error: databases must not be empty."));
        }
        plans.push((id.to_owned(), name, engine, restored));
    }
    let what = if tables {
        "TableInInstance"
    } else {
        "DatabaseInInstance"
    };
    let mut results = Vec::new();
    for (id, name, engine, restored) in plans {
        let job_id = start(cx, (&id, &name), &engine, what, restored);
        results.push(json!({ "instance_id": id, "job_id": job_id }));
    }
    Ok(Reply::ok(json!({ "restore_result": results })))
}

/// The databases (or tables) that existed at `restore_time`, per instance.
fn history(cx: &mut Ctx<'_>, engine: &str, tables: bool) -> ApiResult {
    served(cx)?;
    if !matches!(engine, "mysql" | "postgresql") {
        return Err(param(format!(
            "Parameter error: the engine must be mysql or postgresql, not {engine}."
        )));
    }
    let body: HistoryBody = parse(cx.req.json().map_err(param)?)?;
    let like = |want: Option<&String>, have: &str| {
        want.is_none_or(|w| w.is_empty() || have.contains(w.as_str()))
    };
    let mut instances = Vec::new();
    for id in &body.instance_ids {
        let inst = cx
            .st
            .world
            .rds
            .instances
            .get(id)
            .ok_or_else(|| instance_missing(id))?;
        let name = name_or(&inst.name, "rds", id);
        if inst.engine != engine || !like(body.instance_name_like.as_ref(), &name) {
            continue;
        }
        let then = cx
            .st
            .world
            .rds
            .contents
            .get(id)
            .map(|c| c.at(body.restore_time))
            .unwrap_or_default();
        let databases: Vec<Value> = then
            .iter()
            .filter(|(db, _)| like(body.database_name_like.as_ref(), db))
            .map(|(db, list)| {
                let list: Vec<&String> = list
                    .iter()
                    .filter(|t| like(body.table_name_like.as_ref(), t))
                    .collect();
                if !tables {
                    return json!({ "name": db, "total_tables": list.len() });
                }
                if engine == "postgresql" {
                    let mut schemas: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
                    for t in list {
                        let (schema, table) = t.split_once('.').unwrap_or(("public", t));
                        schemas
                            .entry(schema)
                            .or_default()
                            .push(json!({ "name": table }));
                    }
                    let schemas: Vec<Value> = schemas
                        .into_iter()
                        .map(|(s, t)| json!({ "name": s, "total_tables": t.len(), "tables": t }))
                        .collect();
                    json!({ "name": db, "total_tables": schemas.len(), "schemas": schemas })
                } else {
                    let list: Vec<Value> = list.iter().map(|t| json!({ "name": t })).collect();
                    json!({ "name": db, "total_tables": list.len(), "tables": list })
                }
            })
            .collect();
        instances.push(json!({
            "id": id,
            "name": name,
            "total_tables": databases.len(),
            "databases": databases,
        }));
    }
    let mut out = json!({ "table_limit": 2000, "instances": instances });
    if !tables {
        out["database_limit"] = json!(100);
    }
    Ok(Reply::ok(out))
}

impl World {
    /// Makes the objects a table- or database-level restore names exist at `restore_time` on
    /// `instance_id`: each one missing then is recorded as dropped a minute after it, so the
    /// restore brings it back and its new name is free (the rehearsal world of such a
    /// restore). A PostgreSQL form makes a fresh instance PostgreSQL. Any other request is
    /// left alone.
    pub fn ensure_rds_table_history(
        &mut self,
        instance_id: &str,
        restore_time: i64,
        path: &str,
        body: &Value,
    ) {
        let mut wanted: Vec<(String, Option<String>)> = Vec::new();
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let postgres = path.ends_with("/batch/restore/tables");
        if path.ends_with("/restore/tables") && !postgres {
            for db in list(&body["restore_tables"]) {
                for t in list(&db["tables"]) {
                    wanted.push((text(&db["database"]), Some(text(&t["old_name"]))));
                }
            }
        } else if postgres || path.ends_with("/batch/restore/databases") {
            for inst in list(&body["instances"]) {
                if inst["instance_id"].as_str() != Some(instance_id) {
                    continue;
                }
                for db in list(&inst["databases"]) {
                    if postgres {
                        for s in list(&db["schemas"]) {
                            for t in list(&s["tables"]) {
                                let table =
                                    format!("{}.{}", text(&s["schema"]), text(&t["old_name"]));
                                wanted.push((text(&db["database"]), Some(table)));
                            }
                        }
                    } else {
                        wanted.push((text(&db["old_name"]), None));
                    }
                }
            }
        } else {
            return;
        }
        if postgres
            && !self.rds.contents.contains_key(instance_id)
            && let Some(inst) = self.rds.instances.get_mut(instance_id)
        {
            set(&mut inst.engine, "postgresql");
            set(&mut inst.version, "14");
        }
        let contents = self.rds.contents.entry(instance_id.to_owned()).or_default();
        for (database, table) in wanted {
            let then = contents.at(restore_time);
            let there = then
                .get(&database)
                .is_some_and(|tables| table.as_ref().is_none_or(|t| tables.contains(t)));
            if !there {
                contents.dropped.push(crate::world::RdsDropped {
                    database,
                    table,
                    dropped_at: restore_time.saturating_add(60_000),
                });
            }
        }
    }
}
