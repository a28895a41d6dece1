//! The offline plan: JSON snapshots (fresh and rerun with field diffs), every action from state, digests and staleness.

mod common;

use common::{compile_ok, example};
use rewind_engine::compile::{Compiled, compile};
use rewind_engine::kinds::ApiRequest;
use rewind_engine::plan::{
    self, Action, FieldChange, PLAN_FORMAT_VERSION, Plan, PlanOptions, Staleness, check_fresh,
    request_digest,
};
use rewind_engine::provider::Handle;
use rewind_engine::spec::LoadOptions;
use rewind_engine::state::{OpRecord, RECORD_VERSION, StateStore, Status};
use rewind_state::MemoryState;

const LINEAGE: &str = "00000000-0000-4000-8000-000000000000";
const PITR: &str = "examples/ddm-pitr.yaml";

fn pitr() -> Compiled {
    compile_ok(PITR, &example("ddm-pitr.yaml"))
}

/// ddm-pitr with `--var point_in_time=...`.
fn pitr_at(time: &str) -> Compiled {
    let mut options = LoadOptions::default();
    options.vars.insert("point_in_time".into(), time.into());
    compile(PITR, &example("ddm-pitr.yaml"), &options).unwrap_or_else(|r| panic!("{}", r.plain()))
}

fn plan_with(c: &Compiled, state: &MemoryState, options: &PlanOptions) -> Plan {
    let meta = state.meta().unwrap();
    let records = state.list().unwrap();
    plan::build(&c.file, &c.spec, &c.graph, &meta, &records, options)
}

fn plan_of(c: &Compiled, state: &MemoryState) -> Plan {
    plan_with(c, state, &PlanOptions::default())
}

fn record(name: &str, c: &Compiled, request: ApiRequest, status: Status) -> OpRecord {
    let kind = c
        .spec
        .ops
        .get(name)
        .map_or(rewind_engine::kinds::Kind::RdsRestore, |o| o.spec.kind());
    OpRecord {
        version: RECORD_VERSION,
        name: name.to_owned(),
        kind,
        inputs_digest: request_digest(&request),
        request,
        status,
        handle: matches!(status, Status::Running | Status::Succeeded).then(|| Handle::Job {
            job_id: format!("job-{name}"),
        }),
        attempts: 1,
        submitted_at: Some(1_795_000_000_000),
        created_at: 1_795_000_000_000,
        updated_at: 1_795_000_100_000,
        outputs: std::collections::BTreeMap::new(),
        last_error: (status == Status::Failed).then(|| "DBS.280343: instance is busy".to_owned()),
    }
}

fn request_of(c: &Compiled, name: &str) -> ApiRequest {
    c.spec.ops[name].spec.request()
}

fn pretty(p: &Plan) -> String {
    serde_json::to_string_pretty(p).unwrap()
}

#[test]
fn fresh_ddm_pitr_plan_restores_everything_in_order() {
    let c = pitr();
    let p = plan_of(&c, &MemoryState::with_lineage(LINEAGE));
    assert_eq!(p.format_version, PLAN_FORMAT_VERSION);
    assert_eq!((p.lineage.as_str(), p.serial), (LINEAGE, 0));
    let names: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, c.graph.order());
    assert!(p.steps.iter().all(|s| s.action == Action::Restore));
    assert_eq!(p.summary.restore, 3);
    assert!(p.has_changes());
    assert_eq!(p.edges, c.graph.edges());
    let meta = p.step("orders-metadata").unwrap();
    assert_eq!(meta.after, vec!["orders-dn-1", "orders-dn-2"]);
    for s in &p.steps {
        assert_eq!(s.inputs_digest, request_digest(&s.request), "{}", s.name);
        assert!(
            !s.overwrites.is_empty(),
            "{} names what it overwrites",
            s.name
        );
        assert!(s.overwrites.iter().all(|o| !o.is_source), "{}", s.name);
    }
    insta::assert_snapshot!("ddm_pitr_fresh_plan_json", pretty(&p));
}

#[test]
fn a_changed_restore_time_is_a_rerun_with_a_field_level_diff() {
    let old = pitr_at("2026-11-20T02:00:00Z");
    let new = pitr();
    let mut state = MemoryState::with_lineage(LINEAGE);
    let before = request_of(&old, "orders-dn-1");
    state
        .put(
            &record("orders-dn-1", &old, before.clone(), Status::Succeeded),
            "test",
        )
        .unwrap();
    let p = plan_of(&new, &state);

    let step = p.step("orders-dn-1").unwrap();
    assert_eq!(step.action, Action::Rerun);
    let after = request_of(&new, "orders-dn-1");
    assert_eq!(
        step.changes,
        vec![FieldChange {
            path: "source.restore_time".into(),
            before: Some(before.body["source"]["restore_time"].to_string()),
            after: Some(after.body["source"]["restore_time"].to_string()),
        }]
    );
    assert_ne!(
        before.body["source"]["restore_time"],
        after.body["source"]["restore_time"]
    );
    assert_eq!(
        step.prior.as_ref().map(|p| p.status),
        Some(Status::Succeeded)
    );
    assert_eq!(p.step("orders-dn-2").unwrap().action, Action::Restore);
    assert_eq!((p.summary.rerun, p.summary.restore), (1, 2));
    assert_eq!(p.serial, 1);
    insta::assert_snapshot!("ddm_pitr_rerun_plan_json", pretty(&p));
}

#[test]
fn state_maps_to_every_action() {
    let c = pitr();
    let mut state = MemoryState::with_lineage(LINEAGE);
    state
        .put(
            &record(
                "orders-dn-1",
                &c,
                request_of(&c, "orders-dn-1"),
                Status::Succeeded,
            ),
            "t",
        )
        .unwrap();
    state
        .put(
            &record(
                "orders-dn-2",
                &c,
                request_of(&c, "orders-dn-2"),
                Status::Running,
            ),
            "t",
        )
        .unwrap();
    state
        .put(
            &record(
                "orders-metadata",
                &c,
                request_of(&c, "orders-metadata"),
                Status::Failed,
            ),
            "t",
        )
        .unwrap();
    state
        .put(
            &record(
                "old-op",
                &c,
                request_of(&c, "orders-dn-1"),
                Status::Succeeded,
            ),
            "t",
        )
        .unwrap();
    let p = plan_of(&c, &state);
    let actions: Vec<(&str, Action)> = p
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.action))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("orders-dn-1", Action::Unchanged),
            ("orders-dn-2", Action::Resume),
            ("orders-metadata", Action::Retry)
        ]
    );
    assert_eq!(p.forget, vec!["old-op"]);
    assert_eq!(p.summary.forget, 1);
    assert_eq!(p.serial, 4);
    assert!(p.has_changes());
    assert_eq!(
        p.step("orders-metadata")
            .unwrap()
            .prior
            .as_ref()
            .and_then(|p| p.last_error.as_deref()),
        Some("DBS.280343: instance is busy")
    );

    // Unknown outcome: blocked until the user says otherwise.
    state
        .put(
            &record(
                "orders-dn-2",
                &c,
                request_of(&c, "orders-dn-2"),
                Status::Unknown,
            ),
            "t",
        )
        .unwrap();
    let p = plan_of(&c, &state);
    let blocked = p.step("orders-dn-2").unwrap();
    assert_eq!(blocked.action, Action::Blocked);
    assert!(
        blocked
            .notes
            .iter()
            .any(|n| n.contains("--resubmit orders-dn-2")),
        "{:?}",
        blocked.notes
    );
    let options = PlanOptions {
        resubmit: ["orders-dn-2".to_owned()].into(),
        ..PlanOptions::default()
    };
    assert_eq!(
        plan_with(&c, &state, &options)
            .step("orders-dn-2")
            .unwrap()
            .action,
        Action::Retry
    );
}

#[test]
fn a_plan_with_nothing_to_do_has_no_changes() {
    let c = pitr();
    let mut state = MemoryState::with_lineage(LINEAGE);
    for name in c.spec.ops.keys() {
        state
            .put(
                &record(name, &c, request_of(&c, name), Status::Succeeded),
                "t",
            )
            .unwrap();
    }
    let p = plan_of(&c, &state);
    assert!(!p.has_changes(), "{:?}", p.summary);
    assert_eq!(p.summary.unchanged, 3);
}

#[test]
fn a_resume_whose_inputs_changed_says_so() {
    let old = pitr_at("2026-11-20T02:00:00Z");
    let mut state = MemoryState::with_lineage(LINEAGE);
    state
        .put(
            &record(
                "orders-dn-1",
                &old,
                request_of(&old, "orders-dn-1"),
                Status::Running,
            ),
            "t",
        )
        .unwrap();
    let p = plan_of(&pitr(), &state);
    let s = p.step("orders-dn-1").unwrap();
    assert_eq!(s.action, Action::Resume);
    assert!(
        s.notes.iter().any(|n| n.contains("inputs changed")),
        "{:?}",
        s.notes
    );
}

#[test]
fn plans_are_byte_identical_across_runs() {
    let a = pretty(&plan_of(&pitr(), &MemoryState::with_lineage(LINEAGE)));
    let b = pretty(&plan_of(&pitr(), &MemoryState::with_lineage(LINEAGE)));
    assert_eq!(a, b);
}

#[test]
fn the_spec_digest_follows_inputs_and_ordering_but_not_formatting() {
    let base = plan_of(&pitr(), &MemoryState::with_lineage(LINEAGE)).spec_digest;
    let reformatted = example("ddm-pitr.yaml")
        .replace("# ", "#  ")
        .replace("    kind: rds.restore\n", "    kind: \"rds.restore\"\n");
    let c = compile_ok(PITR, &reformatted);
    assert_eq!(
        plan_of(&c, &MemoryState::with_lineage(LINEAGE)).spec_digest,
        base
    );
    // A state with other records does not change what the spec is.
    let mut state = MemoryState::with_lineage("other");
    state
        .put(
            &record("x", &c, request_of(&c, "orders-dn-1"), Status::Failed),
            "t",
        )
        .unwrap();
    assert_eq!(plan_of(&c, &state).spec_digest, base);

    let later = plan_of(
        &pitr_at("2026-11-20T04:00:00Z"),
        &MemoryState::with_lineage(LINEAGE),
    )
    .spec_digest;
    assert_ne!(later, base, "inputs changed");
    let ordered = example("ddm-pitr.yaml").replace(
        "  orders-dn-2:\n    kind: rds.restore\n",
        "  orders-dn-2:\n    kind: rds.restore\n    depends_on: [orders-dn-1]\n",
    );
    let c = compile_ok(PITR, &ordered);
    assert_ne!(
        plan_of(&c, &MemoryState::with_lineage(LINEAGE)).spec_digest,
        base,
        "ordering changed"
    );
}

#[test]
fn a_restore_onto_its_source_is_called_out_in_the_plan() {
    let text = "version: 1\nrestores:\n  db:\n    kind: rds.restore\n    allow_overwrite_source: true\n    source: { instance_id: 7edae0250ebc464897bd92b8d3e8b769in01, restore_time: 1763607600000 }\n    target: { instance_id: 7edae0250ebc464897bd92b8d3e8b769in01 }\n";
    let c = compile_ok("o.yaml", text);
    let p = plan_of(&c, &MemoryState::with_lineage(LINEAGE));
    let o = &p.step("db").unwrap().overwrites;
    assert_eq!(o.len(), 1);
    assert!(o[0].is_source);
    assert_eq!(o[0].resource.id, "7edae0250ebc464897bd92b8d3e8b769in01");
}

#[test]
fn a_saved_plan_goes_stale_when_state_or_spec_changes() {
    let c = pitr();
    let mut state = MemoryState::with_lineage(LINEAGE);
    let saved = plan_of(&c, &state);
    assert_eq!(check_fresh(&saved, &plan_of(&c, &state)), Ok(()));

    let other = plan_of(&c, &MemoryState::with_lineage("another"));
    assert!(matches!(
        check_fresh(&saved, &other),
        Err(Staleness::OtherState { .. })
    ));

    state
        .put(
            &record(
                "orders-dn-1",
                &c,
                request_of(&c, "orders-dn-1"),
                Status::Failed,
            ),
            "t",
        )
        .unwrap();
    assert_eq!(
        check_fresh(&saved, &plan_of(&c, &state)),
        Err(Staleness::StateChanged {
            saved: 0,
            current: 1
        })
    );

    let fresh = MemoryState::with_lineage(LINEAGE);
    let later = plan_of(&pitr_at("2026-11-20T04:00:00Z"), &fresh);
    match check_fresh(&saved, &later) {
        Err(Staleness::SpecChanged { changed }) => {
            assert_eq!(
                changed,
                vec![
                    "orders-dn-1 inputs differ",
                    "orders-dn-2 inputs differ",
                    "orders-metadata inputs differ"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_saved_plan_round_trips_through_json() {
    let p = plan_of(&pitr(), &MemoryState::with_lineage(LINEAGE));
    let back: Plan = serde_json::from_str(&pretty(&p)).unwrap();
    assert_eq!(back, p);
}

#[test]
fn an_unknown_gaussdb_create_is_looked_up_by_its_name_like_every_create() {
    // Every kind that creates is adopted by name; the plan once knew only RDS and DDS creates.
    let text = example("gaussdb-restore-new.yaml");
    let c = compile_ok("examples/gaussdb-restore-new.yaml", &text);
    let (name, decl) = c.spec.ops.iter().next().unwrap();
    let new_name = decl
        .spec
        .created_name()
        .expect("a create names its instance");
    let mut state = MemoryState::with_lineage(LINEAGE);
    state
        .put(
            &record(name, &c, request_of(&c, name), Status::Unknown),
            "t",
        )
        .unwrap();
    let step = plan_of(&c, &state);
    let step = step.step(name).unwrap();
    assert_eq!(step.action, Action::Resume, "{:?}", step.notes);
    assert!(
        step.notes
            .iter()
            .any(|n| n.contains(&format!("looks up the name {new_name} again"))),
        "{:?}",
        step.notes
    );
}
