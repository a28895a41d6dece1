//! `rds.restore_tables`: preflight, submit, poll and reconcile of RDS table- and database-level point-in-time restores.
//
// Works from the rendered request alone (its path says which of the three APIs it is), so it
// needs nothing of the kind's typed body:
// - `POST /v3.1/{project_id}/instances/{id}/restore/tables`: MySQL tables → `{job_id}`;
// - `POST /v3/{project_id}/instances/batch/restore/tables`: PostgreSQL tables;
// - `POST /v3/{project_id}/instances/batch/restore/databases`: databases of either engine;
//   both batch forms answer `{restore_result: [{instance_id, job_id}]}`.
// Huawei Cloud documents these (`rds_09_0020`, `rds_09_0024`, TF-HW
// `rds_mysql_database_table_restore`, `rds_pg_database_restore`); OTC documents only the
// permission `rds:instance:tableRestore`, so preflight asks the region first.

use crate::check::{self, check};
use crate::client::Client;
use crate::dbs;
use crate::job;
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::{ApiRequest, Service};
use rewind_engine::provider::{Check, Handle, Operation, PollOutcome, ProviderError, SubmitError};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The name of the check that refuses a region without the APIs.
pub const SERVED_CHECK: &str = "the region serves RDS table-level restore";

/// What the request restores, read back from its path and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub instance_id: String,
    pub restore_time: i64,
    /// The engine the API serves: `mysql`, `postgresql`, or `None` for either (databases).
    pub engine: Option<&'static str>,
    /// Databases restored whole, `(old, new)`; empty for a table restore.
    pub databases: Vec<(String, String)>,
    /// Tables by database, `(old, new)`; PostgreSQL names are `schema.table`.
    pub tables: BTreeMap<String, Vec<(String, String)>>,
}

fn renames(list: &Value) -> Vec<(String, String)> {
    check::array(list)
        .iter()
        .map(|r| {
            let name = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (name("old_name"), name("new_name"))
        })
        .collect()
}

impl Restore {
    /// Reads a rendered request; `None` when it is none of the three APIs.
    pub fn of(request: &ApiRequest) -> Option<Restore> {
        let body = &request.body;
        let segs: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match segs.as_slice() {
            ["v3.1", _, "instances", id, "restore", "tables"] => {
                let mut tables = BTreeMap::new();
                for db in check::array(&body["restore_tables"]) {
                    let name = db["database"].as_str()?.to_owned();
                    tables
                        .entry(name)
                        .or_insert_with(Vec::new)
                        .extend(renames(&db["tables"]));
                }
                Some(Restore {
                    instance_id: (*id).to_owned(),
                    restore_time: body["restore_time"].as_i64()?,
                    engine: Some("mysql"),
                    databases: Vec::new(),
                    tables,
                })
            }
            [
                "v3",
                _,
                "instances",
                "batch",
                "restore",
                what @ ("tables" | "databases"),
            ] => {
                // rewind sends one instance per operation.
                let inst = check::array(&body["instances"]).first()?;
                let mut out = Restore {
                    instance_id: inst["instance_id"].as_str()?.to_owned(),
                    restore_time: inst["restore_time"].as_i64()?,
                    engine: None,
                    databases: Vec::new(),
                    tables: BTreeMap::new(),
                };
                if *what == "databases" {
                    out.databases = renames(&inst["databases"]);
                } else {
                    out.engine = Some("postgresql");
                    for db in check::array(&inst["databases"]) {
                        let name = db["database"].as_str()?.to_owned();
                        let list = out.tables.entry(name).or_default();
                        for schema in check::array(&db["schemas"]) {
                            let s = schema["schema"].as_str()?;
                            list.extend(
                                renames(&schema["tables"])
                                    .into_iter()
                                    .map(|(o, n)| (format!("{s}.{o}"), format!("{s}.{n}"))),
                            );
                        }
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }
}

/// The objects an instance held at one time: tables by database.
type Contents = BTreeMap<String, BTreeSet<String>>;

/// A region that does not publish an API answers 404 (`APIG.0101` from the gateway).
fn unpublished(status: u16, code: &str) -> bool {
    status == 404 || code.starts_with("APIG.01")
}

/// `POST /v3/{project_id}/{engine}/instances/history/{databases|tables}` (Huawei `rds_09_0021`,
/// `rds_09_0023`): what could be restored at `t`. A read, though it is a POST.
async fn history(
    client: &Client,
    engine: &str,
    tables: bool,
    instance_id: &str,
    t: i64,
) -> Result<Result<Contents, (u16, String, String)>, ProviderError> {
    let what = if tables { "tables" } else { "databases" };
    let path = format!("/v3/{{project_id}}/{engine}/instances/history/{what}");
    let body = json!({ "instance_ids": [instance_id], "restore_time": t });
    let reply = match client.post(Service::Rds, &path, &body).await {
        Ok(reply) => reply,
        Err(SubmitError::Rejected {
            status,
            code,
            message,
        }) => return Ok(Err((status, code, message))),
        Err(e) => {
            return Err(ProviderError {
                message: format!("rds: the restorable {what} of {instance_id}: {e}"),
                transient: true,
            });
        }
    };
    let mut out = Contents::new();
    for inst in check::array(&reply.body["instances"]) {
        if inst["id"].as_str() != Some(instance_id) {
            continue;
        }
        for db in check::array(&inst["databases"]) {
            let Some(name) = db["name"].as_str() else {
                continue;
            };
            let set = out.entry(name.to_owned()).or_default();
            for t in check::array(&db["tables"]) {
                set.extend(t["name"].as_str().map(str::to_owned));
            }
            for s in check::array(&db["schemas"]) {
                let schema = s["name"].as_str().unwrap_or("public");
                for t in check::array(&s["tables"]) {
                    set.extend(t["name"].as_str().map(|n| format!("{schema}.{n}")));
                }
            }
        }
    }
    Ok(Ok(out))
}

/// Read-only checks: the instance and its engine, the time, whether the region serves the
/// APIs at all, that the old objects existed at the restore time, and that the new names are
/// free (among the objects at the latest restorable time, the closest the APIs come to "now").
pub async fn preflight(client: &Client, op: &Operation) -> Result<Vec<Check>, ProviderError> {
    let Some(r) = Restore::of(&op.request) else {
        return Ok(vec![check(
            "the request is a table-level restore",
            false,
            format!("{} {}", op.request.method, op.request.path),
        )]);
    };
    let mut checks = Vec::new();
    let id = r.instance_id.as_str();
    let found = check::fetch(
        client,
        Service::Rds,
        "/v3/{project_id}/instances",
        &Query::new().with("id", id),
    )
    .await?
    .and_then(|body| {
        check::find(check::array(&body["instances"]), "id", id)
            .cloned()
            .ok_or_else(|| "not found".to_owned())
    });
    checks.push(check::status(
        format!("instance {id} is ACTIVE"),
        &found,
        &["ACTIVE"],
    ));
    let Ok(instance) = found else {
        return Ok(checks);
    };
    let engine = instance["datastore"]["type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let fits = match r.engine {
        Some(want) => engine == want,
        None => matches!(engine.as_str(), "mysql" | "postgresql"),
    };
    let wanted = r.engine.unwrap_or("mysql or postgresql");
    checks.push(check(
        "the instance's engine has this restore",
        fits,
        format!("{engine} (this restore: {wanted})"),
    ));
    if !fits {
        return Ok(checks);
    }

    let path = format!("/v3/{{project_id}}/instances/{id}/restore-time");
    let windows = match check::fetch(client, Service::Rds, &path, &Query::new()).await? {
        Ok(body) => check::windows(&body["restore_time"]),
        Err(_) => Vec::new(),
    };
    checks.push(check::window(
        "restore_time is inside the instance's restorable window",
        r.restore_time,
        &windows,
    ));

    let tables = !r.tables.is_empty();
    let then = match history(client, &engine, tables, id, r.restore_time).await? {
        Ok(contents) => {
            checks.push(check(SERVED_CHECK, true, "yes"));
            contents
        }
        Err((status, code, message)) if unpublished(status, &code) => {
            checks.push(check(
                SERVED_CHECK,
                false,
                format!(
                    "no: HTTP {status} {code} {message}. OTC documents only the permission \
                     rds:instance:tableRestore; restore to a new instance (rds.restore_new) \
                     and copy the objects back instead"
                ),
            ));
            return Ok(checks);
        }
        Err((status, code, message)) => {
            checks.push(check(
                format!(
                    "the objects restorable at {}",
                    wire_time::show(r.restore_time)
                ),
                false,
                format!("HTTP {status} {code} {message}"),
            ));
            return Ok(checks);
        }
    };
    // The newest restorable point stands for "now": no documented API lists the tables.
    let latest = windows.iter().map(|w| w.1).max();
    let now = match latest {
        Some(t) if t != r.restore_time => match history(client, &engine, tables, id, t).await? {
            Ok(c) => c,
            Err(_) => then.clone(),
        },
        _ => then.clone(),
    };
    checks.extend(object_checks(&r, &then, &now));
    Ok(checks)
}

/// The old objects existed at the restore time; the new names are distinct and free.
fn object_checks(r: &Restore, then: &Contents, now: &Contents) -> Vec<Check> {
    let mut missing = Vec::new();
    let mut taken = Vec::new();
    let mut seen = BTreeSet::new();
    for (old, new) in &r.databases {
        if !then.contains_key(old) {
            missing.push(format!("database {old}"));
        }
        if now.contains_key(new) || then.contains_key(new) || !seen.insert(new.clone()) {
            taken.push(format!("database {new}"));
        }
    }
    for (db, list) in &r.tables {
        let had = then.get(db);
        let has = now.get(db);
        for (old, new) in list {
            if !had.is_some_and(|t| t.contains(old)) {
                missing.push(format!("{db}.{old}"));
            }
            let full = format!("{db}.{new}");
            if has.is_some_and(|t| t.contains(new)) || !seen.insert(full.clone()) {
                taken.push(full);
            }
        }
    }
    let count = r.databases.len() + r.tables.values().map(Vec::len).sum::<usize>();
    vec![
        check(
            "the objects to restore existed at restore_time",
            missing.is_empty(),
            if missing.is_empty() {
                format!("{count} found")
            } else {
                format!("not there then: {}", missing.join(", "))
            },
        ),
        check(
            "the new names are free",
            taken.is_empty(),
            if taken.is_empty() {
                format!("{count} free")
            } else {
                format!("already taken: {}", taken.join(", "))
            },
        ),
    ]
}

/// POSTs the request once and reads the job: `job_id`, or `restore_result[0].job_id`.
pub async fn submit(client: &Client, op: &Operation) -> Result<Handle, SubmitError> {
    job::checked_request(Service::Rds, op)?;
    let reply = client.post_op(Service::Rds, op).await?;
    let job_id = reply.body["job_id"]
        .as_str()
        .or_else(|| reply.body["restore_result"][0]["job_id"].as_str());
    match job_id {
        Some(id) if !id.is_empty() => Ok(Handle::Job {
            job_id: id.to_owned(),
        }),
        _ => Err(SubmitError::Ambiguous {
            message: format!(
                "rds: accepted (HTTP {}) but the answer named no job_id",
                reply.status
            ),
        }),
    }
}

fn instance_of(op: &Operation) -> Result<String, ProviderError> {
    Restore::of(&op.request)
        .map(|r| r.instance_id)
        .ok_or_else(|| ProviderError {
            message: format!("{}: not a table-level restore request", op.name),
            transient: false,
        })
}

async fn instance(client: &Client, id: &str) -> dbs::InstanceRead {
    let query = Query::new().with("id", id);
    let found = check::fetch(client, Service::Rds, "/v3/{project_id}/instances", &query).await?;
    Ok(found.and_then(|body| {
        check::find(check::array(&body["instances"]), "id", id)
            .cloned()
            .ok_or_else(|| "not found".to_owned())
    }))
}

/// `GET /v3/{project_id}/jobs?id=`, or the instance's status for an adopted restore.
pub async fn poll(
    client: &Client,
    op: &Operation,
    handle: &Handle,
) -> Result<PollOutcome, ProviderError> {
    let id = instance_of(op)?;
    dbs::poll(client, Service::Rds, handle, &id, instance(client, &id)).await
}

/// After an ambiguous submit: the restore task on the instance created since `submitted_at`
/// (the instant-task list keeps finished tasks), else an instance in `RESTORING`. Never POSTs.
pub async fn reconcile(
    client: &Client,
    op: &Operation,
    submitted_at: i64,
) -> Result<Option<Handle>, ProviderError> {
    let id = instance_of(op)?;
    let since = client.clock().since(submitted_at);
    let query = Query::new()
        .with("instance_id", &id)
        .with("start_time", since);
    let tasks = check::fetch_all(client, TASKLIST, &query).await?;
    if let Ok((tasks, _)) = tasks {
        let ours = tasks
            .iter()
            .filter_map(job::Job::from_value)
            .filter(|t| t.instance_id.as_deref() == Some(id.as_str()))
            .filter(|t| is_table_task(&t.name))
            .filter(|t| t.created_ms.is_some_and(|c| c >= since))
            .min_by_key(|t| t.created_ms);
        if let Some(t) = ours {
            return Ok(Some(Handle::Job { job_id: t.id }));
        }
    }
    dbs::adopt_restoring(&id, instance(client, &id)).await
}

/// The instant-task list (`querying_instant_tasks.rst`): `limit` at most 50.
const TASKLIST: check::Paged<'static> = check::Paged {
    service: Service::Rds,
    path: "/v3/{project_id}/tasklist",
    items: "tasks",
    total: "total_count",
    page: 50,
    max_pages: 10,
};

/// A table- or database-level restore task: `Restore…Table…` or `Restore…Database…`.
fn is_table_task(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("restore") && (n.contains("table") || n.contains("database"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, body: Value) -> ApiRequest {
        ApiRequest {
            service: Service::Rds,
            method: "POST".to_owned(),
            path: path.to_owned(),
            body,
        }
    }

    #[test]
    fn reads_the_three_forms() {
        let mysql = request(
            "/v3.1/{project_id}/instances/a1in01/restore/tables",
            json!({"restore_time": 5, "restore_tables": [{"database": "shop",
                "tables": [{"old_name": "orders", "new_name": "orders_back"}]}]}),
        );
        let r = Restore::of(&mysql).unwrap();
        assert_eq!(
            (r.instance_id.as_str(), r.engine),
            ("a1in01", Some("mysql"))
        );
        assert_eq!(
            r.tables["shop"],
            vec![("orders".into(), "orders_back".into())]
        );

        let pg = request(
            "/v3/{project_id}/instances/batch/restore/tables",
            json!({"instances": [{"restore_time": 7, "instance_id": "p1in03", "databases": [
                {"database": "data1", "schemas": [{"schema": "s1",
                    "tables": [{"old_name": "t1", "new_name": "t1_back"}]}]}]}]}),
        );
        let r = Restore::of(&pg).unwrap();
        assert_eq!(r.engine, Some("postgresql"));
        assert_eq!(
            r.tables["data1"],
            vec![("s1.t1".into(), "s1.t1_back".into())]
        );

        let dbs = request(
            "/v3/{project_id}/instances/batch/restore/databases",
            json!({"instances": [{"restore_time": 9, "instance_id": "p1in03",
                "databases": [{"old_name": "a", "new_name": "b"}]}]}),
        );
        let r = Restore::of(&dbs).unwrap();
        assert_eq!((r.engine, r.databases.len()), (None, 1));
        assert!(Restore::of(&request("/v3/{project_id}/instances/recovery", json!({}))).is_none());
    }

    #[test]
    fn names_taken_or_missing_fail_their_checks() {
        let r = Restore {
            instance_id: "i".into(),
            restore_time: 1,
            engine: Some("mysql"),
            databases: vec![],
            tables: BTreeMap::from([(
                "shop".into(),
                vec![
                    ("orders".into(), "orders_back".into()),
                    ("gone".into(), "x".into()),
                ],
            )]),
        };
        let then = Contents::from([("shop".into(), BTreeSet::from(["orders".to_owned()]))]);
        let now = Contents::from([("shop".into(), BTreeSet::from(["orders_back".to_owned()]))]);
        let checks = object_checks(&r, &then, &now);
        assert!(!checks[0].passed && checks[0].observed.contains("shop.gone"));
        assert!(!checks[1].passed && checks[1].observed.contains("shop.orders_back"));
        let free = object_checks(&r, &then, &Contents::new());
        assert!(free[1].passed, "{:?}", free[1]);
    }

    #[test]
    fn table_tasks_by_name() {
        assert!(is_table_task("RestoreMysqlTableInInstance"));
        assert!(is_table_task("RestorePostgresqlDatabaseInInstance"));
        assert!(!is_table_task("RestoreMysqlInInstance"));
    }
}
