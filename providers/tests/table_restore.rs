//! `rds.restore_tables` against the simulator: the three forms run to success, preflight refuses (region, engine, time, old objects, new names) by name, and an ambiguous submit is reconciled without a second POST.

#[allow(dead_code)]
mod harness;

use harness::{Harness, assert_all_passed, failed, operation, poll_to_end, provider, succeeded};
use rewind_engine::kinds::{
    MysqlDatabase, OpSpec, PgDatabase, PgSchema, RdsTablesRestore, Rename, TableObjects,
};
use rewind_engine::provider::{Handle, Operation, SubmitError};
use rewind_providers::rds_tables::SERVED_CHECK;
use rewind_sim::{
    FaultRule, RdsContents, RdsDropped, RdsInstance, Service as SimService, Window, World,
};

const MYSQL: &str = "5d742eda6e574ff3a003191638ef8c51in01";
const PG: &str = "df29b535eec64ee1b286bd2c62871a9cin03";
const HOUR: i64 = 3_600_000;

/// Both instances hold `shop` with `orders` dropped an hour ago and `items` still there.
fn world() -> (World, i64) {
    let mut w = harness::world();
    let now = harness::now(&w);
    for (id, engine, prefix) in [(MYSQL, "mysql", ""), (PG, "postgresql", "public.")] {
        w.rds.instances.insert(
            id.to_owned(),
            RdsInstance {
                name: format!("shop-{engine}"),
                engine: engine.to_owned(),
                restore_windows: vec![Window {
                    start: now - 24 * HOUR,
                    end: now - 60_000,
                }],
                ..RdsInstance::default()
            },
        );
        w.rds.contents.insert(
            id.to_owned(),
            RdsContents {
                databases: [("shop".to_owned(), vec![format!("{prefix}items")])].into(),
                dropped: vec![RdsDropped {
                    database: "shop".to_owned(),
                    table: Some(format!("{prefix}orders")),
                    dropped_at: now - HOUR,
                }],
            },
        );
    }
    (w, now - 2 * HOUR)
}

fn rename(old: &str, new: &str) -> Rename {
    Rename {
        old_name: old.to_owned(),
        new_name: new.to_owned(),
    }
}

fn op(instance: &str, at: i64, objects: TableObjects) -> Operation {
    operation(
        "tables",
        OpSpec::RdsTables(RdsTablesRestore {
            instance_id: instance.to_owned(),
            restore_time: at,
            objects,
            is_fast_restore: None,
        }),
    )
}

fn mysql_tables(new: &str) -> TableObjects {
    TableObjects::Mysql {
        restore_tables: vec![MysqlDatabase {
            database: "shop".to_owned(),
            tables: vec![rename("orders", new)],
        }],
    }
}

fn pg_tables() -> TableObjects {
    TableObjects::Postgres {
        databases: vec![PgDatabase {
            database: "shop".to_owned(),
            schemas: vec![PgSchema {
                schema: "public".to_owned(),
                tables: vec![rename("orders", "orders_back")],
            }],
        }],
    }
}

fn posts(h: &Harness, fragment: &str) -> usize {
    h.count("POST", fragment)
}

#[tokio::test]
async fn every_form_passes_preflight_and_runs_to_its_outputs() {
    let (w, at) = world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let forms = [
        (op(MYSQL, at, mysql_tables("orders_back")), MYSQL),
        (op(PG, at, pg_tables()), PG),
        (
            op(
                MYSQL,
                at,
                TableObjects::Databases {
                    databases: vec![rename("shop", "shop_back")],
                },
            ),
            MYSQL,
        ),
    ];
    for (op, instance) in forms {
        let p = provider(&cloud, &op);
        assert_all_passed(&p.preflight(&op).await.expect("preflight"));
        let handle = p.submit(&op).await.expect("submit");
        assert!(matches!(handle, Handle::Job { .. }), "{handle:?}");
        let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
        let outputs = succeeded(&outcome);
        assert_eq!(
            outputs.get("instance_id").map(String::as_str),
            Some(instance),
            "{outputs:?}"
        );
    }
    let world = h.sim.world_snapshot();
    assert!(world.rds.contents[MYSQL].databases["shop"].contains(&"orders_back".to_owned()));
    assert!(world.rds.contents[PG].databases["shop"].contains(&"public.orders_back".to_owned()));
    assert!(
        world.rds.contents[MYSQL]
            .databases
            .contains_key("shop_back")
    );
}

#[tokio::test]
async fn preflight_refusals_are_named() {
    let (w, at) = world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let check = |op: Operation| {
        let cloud = &cloud;
        async move {
            let checks = provider(cloud, &op)
                .preflight(&op)
                .await
                .expect("preflight");
            failed(&checks)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    // A new name that is taken now.
    assert_eq!(
        check(op(MYSQL, at, mysql_tables("items"))).await,
        ["the new names are free"]
    );
    // After the drop, `orders` is not there to restore.
    assert_eq!(
        check(op(MYSQL, at + HOUR + 60_000, mysql_tables("orders_back"))).await,
        ["the objects to restore existed at restore_time"]
    );
    // The PostgreSQL form on a MySQL instance.
    assert_eq!(
        check(op(MYSQL, at, pg_tables())).await,
        ["the instance's engine has this restore"]
    );
    // Outside every window.
    let late = check(op(MYSQL, at + 24 * HOUR, mysql_tables("orders_back"))).await;
    assert!(
        late.contains(&"restore_time is inside the instance's restorable window".to_owned()),
        "{late:?}"
    );
    assert_eq!(posts(&h, "/restore/tables"), 0, "preflight never submits");
}

#[tokio::test]
async fn a_region_without_the_api_is_refused_clearly() {
    let (mut w, at) = world();
    w.rds.table_restore_unavailable = true;
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let op = op(MYSQL, at, mysql_tables("orders_back"));
    let checks = provider(&cloud, &op)
        .preflight(&op)
        .await
        .expect("preflight");
    assert_eq!(failed(&checks), [SERVED_CHECK], "{checks:#?}");
    let refused = checks.iter().find(|c| c.name == SERVED_CHECK).unwrap();
    assert!(
        refused.observed.contains("APIG.0101")
            && refused.observed.contains("rds:instance:tableRestore")
            && refused.observed.contains("rds.restore_new"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_ambiguous_submit_is_reconciled_without_a_second_post() {
    let (w, at) = world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    for (op, path) in [
        (
            op(MYSQL, at, mysql_tables("orders_back")),
            "/restore/tables",
        ),
        (op(PG, at, pg_tables()), "/batch/restore/tables"),
    ] {
        let p = provider(&cloud, &op);
        let submitted_at = h.clock.now_ms();
        assert_eq!(
            p.reconcile(&op, submitted_at).await.unwrap(),
            None,
            "nothing yet"
        );
        let before = posts(&h, path);
        h.faults(vec![FaultRule {
            service: Some(SimService::Rds),
            method: Some("POST".into()),
            drop_response_rate: 1.0,
            times: Some(1),
            ..FaultRule::default()
        }]);
        let err = p.submit(&op).await.expect_err("the response was dropped");
        assert!(matches!(err, SubmitError::Ambiguous { .. }), "{err:?}");
        // Long enough for the job to end: only the instant-task list remembers it.
        h.advance(24 * 3600);
        let handle = p
            .reconcile(&op, submitted_at)
            .await
            .unwrap()
            .expect("reconcile finds the restore");
        let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
        succeeded(&outcome);
        assert_eq!(posts(&h, path), before + 1, "exactly one POST of {path}");
    }
}
