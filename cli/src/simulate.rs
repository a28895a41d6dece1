//! Rehearsal mode (`--simulate`): the world an in-process simulator starts from, built from
//! the spec (the running simulator is `rehearsal`'s).

use rewind_engine::drill::recovery::LATEST;
use rewind_engine::kinds::{OpSpec, ResourceClass};
use rewind_engine::spec::Spec;
use rewind_sim::{LastRestore, World};
use std::collections::BTreeSet;

const DAY_MS: i64 = 86_400_000;

pub mod place;
mod rehearsal;

pub use rehearsal::{DEFAULT_TIME_SCALE, Rehearsal, read_world, start};

/// How far back a rehearsal world's restorable windows reach by default (the cloud's default
/// backup retention).
pub const WINDOW_DAYS: i64 = 7;
/// The longest retention the cloud offers (RDS: 732 days): no invented window reaches further.
pub const MAX_RETENTION_DAYS: i64 = 732;

/// The one restorable-window model of every rehearsal (plan, apply, drill and init): the
/// last [`WINDOW_DAYS`] days, stretched back to the earliest time asked for if that lies
/// within [`MAX_RETENTION_DAYS`]. A time further back is outside the window, as in the cloud.
pub fn restorable_window(now_ms: i64, earliest_asked: Option<i64>) -> (i64, i64) {
    let default = now_ms - WINDOW_DAYS * DAY_MS;
    let oldest = now_ms - MAX_RETENTION_DAYS * DAY_MS;
    let start = match earliest_asked {
        Some(t) if t >= oldest => default.min(t - DAY_MS / 24).max(oldest),
        _ => default,
    };
    (start, now_ms)
}

/// A healthy world holding everything the spec references: instances active, backups
/// complete, restorable windows as [`restorable_window`] says.
pub fn world_for(spec: &Spec, now_ms: i64) -> World {
    let mut world = World::healthy(now_ms);
    extend_for(&mut world, spec, now_ms);
    world
}

/// Adds to `world` whatever the spec references and it lacks; returns the IDs it invented.
pub fn extend_for(world: &mut World, spec: &Spec, now_ms: i64) -> BTreeSet<String> {
    let before = world.ids();
    if let Some(project) = &spec.cloud.project_id {
        project.clone_into(&mut world.credentials.project.id);
    }
    if let Some(region) = &spec.cloud.region
        && !world.credentials.project.name.starts_with(region.as_str())
    {
        region.clone_into(&mut world.credentials.project.name);
    }
    let earliest = spec
        .ops
        .values()
        .filter_map(|o| o.spec.restore_time())
        .min();
    let window = restorable_window(now_ms, earliest);
    let written: BTreeSet<String> = spec
        .ops
        .values()
        .flat_map(|o| o.spec.footprint().writes)
        .map(|r| r.id)
        .collect();
    for op in spec.ops.values() {
        ensure_footprint(world, &op.spec, window, &written, now_ms);
    }
    drop_references(world);
    // An output reference (`${restores.X.outputs.instance_id}`) is known only after apply:
    // not an ID anyone could mistype.
    world
        .ids()
        .difference(&before)
        .filter(|id| !id.contains("${"))
        .cloned()
        .collect()
}

/// Makes what one operation names exist, by the classes of its footprint (the pointers its
/// kind declares), so that a new kind needs nothing here. The few facts a class alone does not
/// carry (which backup belongs to which instance, DDM data nodes, CBR disk backups, the DDS
/// collections a restore names, the engine of a created RDS instance) are read from the
/// operation's documented request body.
fn ensure_footprint(
    world: &mut World,
    spec: &OpSpec,
    window: (i64, i64),
    written: &BTreeSet<String>,
    now_ms: i64,
) {
    use ResourceClass as C;
    let fp = spec.footprint();
    // The body as the spec writes it: what the kind's pointers point into.
    let body = serde_json::to_value(spec).unwrap_or_default();
    let strs = |pointer: &str| -> Vec<String> {
        rewind_engine::kinds::builtin::at_pointer(&body, pointer)
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let read = |class: C| {
        fp.reads
            .iter()
            .find(|r| r.class == class)
            .map(|r| r.id.clone())
    };
    let all = || fp.reads.iter().chain(&fp.writes);
    let fresh: BTreeSet<String> = all()
        .filter(|r| r.class == C::RdsInstance && !world.rds.instances.contains_key(&r.id))
        .map(|r| r.id.clone())
        .collect();
    // DDM instances the operation reads have the RDS data nodes of its relations.
    let nodes = strs("/data_node_relations/*/source_instance_id");
    for r in all() {
        match r.class {
            C::RdsInstance => world.ensure_rds_instance(&r.id, window),
            C::DdsInstance => world.ensure_dds_instance(&r.id, window),
            C::TaurusdbInstance => world.ensure_taurusdb_instance(&r.id, window),
            C::DcsInstance => world.ensure_dcs_instance(&r.id),
            C::GaussdbInstance => world.ensure_gaussdb_instance(&r.id, window),
            C::DdmInstance => {
                let reads = fp.reads.contains(r) && !fp.writes.iter().any(|w| w.id == r.id);
                world.ensure_ddm_instance(&r.id, if reads { &nodes } else { &[] }, window);
            }
            _ => {}
        }
    }
    // A DDM restore's path instance (its source unless written) holds the same data nodes.
    for id in strs("/source/instance_id") {
        if fp
            .reads
            .iter()
            .any(|r| r.class == C::DdmInstance && r.id == id)
        {
            for path in strs("/instance_id") {
                world.ensure_ddm_instance(&path, &nodes, window);
            }
        }
    }
    for r in &fp.reads {
        let owner = |class: C| read(class);
        match r.class {
            C::RdsBackup => {
                if let Some(i) = owner(C::RdsInstance) {
                    world.ensure_rds_backup(&i, &backup(&r.id, &i, false));
                }
            }
            C::DdmBackup => {
                if let Some(i) = owner(C::DdmInstance) {
                    world.ensure_ddm_backup(&i, &backup(&r.id, &i, false));
                }
            }
            C::TaurusdbBackup => {
                if let Some(i) = owner(C::TaurusdbInstance) {
                    world.ensure_taurusdb_backup(&i, &backup(&r.id, &i, false));
                }
            }
            // A backup names its instance; one is made up when the operation names none.
            C::DdsBackup => {
                let i = owner(C::DdsInstance).unwrap_or_else(|| format!("{}-source", r.id));
                world.ensure_dds_backup(&i, &backup(&r.id, &i, false));
            }
            C::GaussdbBackup => {
                if let Some(i) = owner(C::GaussdbInstance) {
                    world.ensure_gaussdb_backup(&i, &r.id);
                }
            }
            C::DcsBackup => {
                for w in fp.writes.iter().filter(|w| w.class == C::DcsInstance) {
                    world.ensure_dcs_backup(&w.id, &backup(&r.id, &w.id, true));
                }
            }
            C::CbrBackup => {
                let server = fp.writes.iter().find(|w| w.class == C::Server);
                let volume = strs("/volume_id").into_iter().next();
                let children: Vec<(String, String)> = strs("/mappings/*/backup_id")
                    .into_iter()
                    .zip(strs("/mappings/*/volume_id"))
                    .collect();
                match rewind_engine::drill::recovery::backup_source(spec) {
                    // `backup_id: latest` of a disk: a backup of it to resolve to.
                    Some(disk) if r.id == LATEST => {
                        world.ensure_cbr_backup(&backup(LATEST, disk, true), None, Some(disk), &[]);
                    }
                    _ => world.ensure_cbr_backup(
                        &r.id,
                        server.map(|s| s.id.as_str()),
                        volume.as_deref(),
                        &children,
                    ),
                }
            }
            // The simulator serves EVS, so a plugin's snapshot rollback can be rehearsed too.
            C::External("evs_snapshot") => {
                for v in fp.writes.iter().filter(|w| w.class == C::Volume) {
                    world.evs.ensure(&v.id, &r.id);
                }
            }
            _ => {}
        }
    }
    // The new instance runs the source's engine, so a source made up here runs the engine the
    // spec's flavor names.
    if spec.created_class() == Some(C::RdsInstance)
        && let Some(source) = read(C::RdsInstance)
        && fresh.contains(&source)
        && let Some((engine, version)) = spec.request().body["flavor_ref"]
            .as_str()
            .and_then(rds_engine_of)
        && let Some(i) = world.rds.instances.get_mut(&source)
    {
        engine.clone_into(&mut i.engine);
        version.clone_into(&mut i.version);
    }
    let restore_time = spec.restore_time();
    // A table- or database-level restore brings back objects that existed at its time: the
    // world records those its request names as dropped just after (a no-op for other kinds).
    if let Some(t) = restore_time {
        let req = spec.request();
        for w in fp.writes.iter().filter(|w| w.class == C::RdsInstance) {
            world.ensure_rds_table_history(&w.id, t, &req.path, &req.body);
        }
    }
    // A data node no operation of this spec restores was restored beforehand, as a metadata
    // restore requires.
    for dn in strs("/target/data_nodes/*") {
        if !written.contains(&dn)
            && let Some(i) = world.rds.instances.get_mut(&dn)
        {
            i.last_restore = Some(LastRestore {
                restore_time,
                backup_id: None,
                completed_at: now_ms,
            });
        }
    }
    // The collections a DDS restore names exist in their instance.
    for w in fp.writes.iter().filter(|w| w.class == C::DdsInstance) {
        let Some(i) = world.dds.instances.get_mut(&w.id) else {
            continue;
        };
        for db in rewind_engine::kinds::builtin::at_pointer(&body, "/restore_collections/*") {
            let Some(name) = db.get("database").and_then(|d| d.as_str()) else {
                continue;
            };
            let collections = i.databases.entry(name.to_owned()).or_default();
            for c in rewind_engine::kinds::builtin::at_pointer(db, "/collections/*/old_name") {
                if let Some(c) = c.as_str()
                    && !collections.iter().any(|x| x == c)
                {
                    collections.push(c.to_owned());
                }
            }
        }
    }
}

/// The backup the world holds for `backup_id` of `source`: the ID as written, or for
/// `latest` a real backup of the source (made up, stable) that the plan then resolves to,
/// so a rehearsal shows the ID a real plan would pin instead of the word `latest`.
fn backup(written: &str, source: &str, uuid: bool) -> String {
    if written == LATEST {
        rewind_sim::made_up_backup_id(source, uuid)
    } else {
        written.to_owned()
    }
}

/// Drops what the builders made for an output reference (`${restores.X.outputs.instance_id}`,
/// e.g. a DDM data node a drill creates): the instance comes into being at apply, so an
/// instance under the reference's text would only show up as junk in `sim --write-world`.
fn drop_references(world: &mut World) {
    let literal = |id: &String| !id.contains("${");
    world.rds.instances.retain(|id, _| literal(id));
    world.ddm.instances.retain(|id, _| literal(id));
    world.taurusdb.instances.retain(|id, _| literal(id));
    world.dcs.instances.retain(|id, _| literal(id));
    world.dds.instances.retain(|id, _| literal(id));
    for ddm in world.ddm.instances.values_mut() {
        ddm.data_nodes.retain(literal);
    }
}

/// The engine and a version its flavors serve, from an RDS flavor code (`rds.pg.n1.large`).
fn rds_engine_of(flavor: &str) -> Option<(&'static str, &'static str)> {
    match flavor.split('.').nth(1)? {
        "mysql" => Some(("mysql", "8.0")),
        "pg" => Some(("postgresql", "14")),
        "mssql" => Some(("sqlserver", "2019_SE")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_engine::kinds::{
        DdsCollection, DdsCollections, DdsDatabase, RestoreNew, RestorePoint, RestoreType,
    };
    use rewind_engine::spec::{OpDecl, Span};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn decl(name: &str, spec: OpSpec) -> (String, OpDecl) {
        (
            name.to_owned(),
            OpDecl {
                name: name.to_owned(),
                spec,
                span: Span::new(0, 0, 1, 1),
                depends_on: Vec::new(),
                references: Vec::new(),
                allow_overwrite_source: false,
                timeout: None,
                id_spans: BTreeMap::new(),
            },
        )
    }

    #[test]
    fn the_world_holds_the_sources_of_creates_and_the_dds_instances() {
        let now = 1_800_000_000_000;
        let create = |flavor: &str| {
            json!({ "flavor_ref": flavor })
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        let point = |id: &str, backup: Option<&str>| RestorePoint {
            instance_id: Some(id.to_owned()),
            restore_type: backup.map(|_| RestoreType::Backup),
            backup_id: backup.map(str::to_owned),
            restore_time: backup.is_none().then_some(now - 3_600_000),
        };
        let new = |name: &str, p: RestorePoint, create| RestoreNew {
            name: name.to_owned(),
            restore_point: p,
            password: None,
            create,
        };
        let mut spec = Spec::default();
        spec.ops.extend([
            decl(
                "pg",
                OpSpec::RdsNew(new(
                    "drill-pg",
                    point("pgin03", None),
                    create("rds.pg.n1.large"),
                )),
            ),
            decl(
                "mongo",
                OpSpec::DdsNew(new("drill-m", point("m1in02", Some("mb1")), create("x"))),
            ),
            decl(
                "coll",
                OpSpec::DdsCollections(DdsCollections {
                    instance_id: "m2in02".to_owned(),
                    restore_collections: vec![DdsDatabase {
                        database: "shop".to_owned(),
                        restore_database_time: None,
                        collections: vec![DdsCollection {
                            old_name: "orders".to_owned(),
                            new_name: None,
                            restore_collection_time: now - 7_200_000,
                        }],
                    }],
                }),
            ),
        ]);
        let world = world_for(&spec, now);
        let pg = &world.rds.instances["pgin03"];
        assert_eq!(
            (pg.engine.as_str(), pg.version.as_str()),
            ("postgresql", "14")
        );
        assert!(world.dds.backups.contains_key("mb1"));
        assert_eq!(world.dds.instances["m2in02"].databases["shop"], ["orders"]);
        assert!(!world.dds.instances["m2in02"].restore_windows.is_empty());
        assert!(world.validate().is_ok());
        // Kept beside the state as YAML, it reads back as it was.
        let yaml = world.to_yaml().expect("yaml");
        assert_eq!(World::from_yaml(&yaml).expect("reads back"), world);
    }

    #[test]
    fn one_window_model_reaches_back_a_week_or_to_a_time_the_cloud_could_keep() {
        let now = 1_800_000_000_000;
        let week = now - WINDOW_DAYS * DAY_MS;
        assert_eq!(restorable_window(now, None), (week, now));
        // Yesterday: inside the default week.
        assert_eq!(restorable_window(now, Some(now - DAY_MS)), (week, now));
        // A month back: stretched to just before it.
        let month = now - 30 * DAY_MS;
        let (start, _) = restorable_window(now, Some(month));
        assert!(start < month && start > month - DAY_MS);
        // Six years back (a time in 2020): no cloud keeps that; the window stays a week.
        assert_eq!(
            restorable_window(now, Some(now - 6 * 365 * DAY_MS)),
            (week, now)
        );
    }

    #[test]
    fn an_output_reference_is_no_instance_of_the_world() {
        let now = 1_800_000_000_000;
        let reference = "${restores.dn.outputs.instance_id}".to_owned();
        let mut spec = Spec::default();
        spec.ops.extend([decl(
            "meta",
            OpSpec::DdmMetadata(rewind_engine::kinds::DdmMetadataRestore {
                instance_id: "src-in09".to_owned(),
                source: rewind_engine::kinds::MetadataSource {
                    restore_time: Some(now - 3_600_000),
                    backup_id: None,
                },
                target: rewind_engine::kinds::MetadataTarget {
                    instance_id: "dst-in09".to_owned(),
                    data_nodes: vec![reference.clone(), "dn2in01".to_owned()],
                },
            }),
        )]);
        let world = world_for(&spec, now);
        let ids = world.ids();
        assert!(ids.iter().all(|id| !id.contains("${")), "{ids:?}");
        assert!(
            ids.contains("dn2in01") && ids.contains("dst-in09"),
            "{ids:?}"
        );
        assert!(world.validate().is_ok());
    }

    #[test]
    fn the_ids_the_spec_names_and_the_world_lacks_are_listed_as_invented() {
        let now = 1_800_000_000_000;
        let mut spec = Spec::default();
        spec.ops.extend([decl(
            "coll",
            OpSpec::DdsCollections(DdsCollections {
                instance_id: "typo-in02".to_owned(),
                restore_collections: Vec::new(),
            }),
        )]);
        let mut world = World::healthy(now);
        let invented = extend_for(&mut world, &spec, now);
        assert_eq!(invented.into_iter().collect::<Vec<_>>(), ["typo-in02"]);
        // Already there the next time: nothing new is invented.
        assert!(extend_for(&mut world, &spec, now).is_empty());
    }
}
