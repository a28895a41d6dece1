//! The plan: what apply would do to each operation, and why, as plain data.

mod critical;
mod diff;
mod digest;
mod facts;
mod moves;
mod staleness;
mod step;
mod target;

pub use critical::{CriticalPath, default_expected};
pub use diff::{FieldChange, field_changes};
pub use digest::{inputs_digest, request_digest, sha256_hex};
pub use facts::{BACKUP_END_CHECK, Facts, backup_id, facts, rfc3339};
pub use moves::{Move, Requests, apply_moves, renamed_back};
pub use staleness::{Staleness, check_fresh};
pub use step::{Action, Overwrite, Prior, Step};
pub use target::{Targeting, select};

use crate::graph::{EdgeView, Graph};
use crate::kinds::OpSpec;
use crate::provider::Check;
use crate::spec::Spec;
use crate::state::{OpRecord, StateMeta, Status};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Version of the JSON shape of [`Plan`] (plan files and `plan --json`).
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Counts per action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub restore: usize,
    pub rerun: usize,
    pub resume: usize,
    pub retry: usize,
    pub forget: usize,
    pub unchanged: usize,
    pub blocked: usize,
    #[serde(default)]
    pub moved: usize,
}

/// A whole plan; also the format of `plan --out FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// Path of the spec the plan was made from, as given.
    pub spec_file: String,
    /// SHA-256 over every operation's inputs and ordering.
    pub spec_digest: String,
    pub lineage: String,
    pub serial: u64,
    /// Every operation of the spec, in execution order.
    pub steps: Vec<Step>,
    /// State records no longer in the spec.
    pub forget: Vec<String>,
    pub edges: Vec<EdgeView>,
    pub summary: Summary,
    /// Whether preflight checks ran.
    pub preflight: bool,
    /// The expected longest chain of work (by expected durations).
    #[serde(default)]
    pub critical_path: CriticalPath,
    /// Records apply renames before anything runs (`moved:`, `state mv`, detected renames).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Move>,
    /// Unchanged operations whose recorded inputs name a renamed operation by its old name:
    /// apply records their inputs as the spec writes them now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed_inputs: Vec<String>,
    /// `--target`, `--exclude` and `--replace`, as the plan was made with them.
    #[serde(default, skip_serializing_if = "Targeting::is_empty")]
    pub targeting: Targeting,
    /// Operations of the spec that targeting left out of this plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
    /// Made for a rehearsal (`--simulate`): against the simulator, never the cloud. Every
    /// renderer reads this one field, and an apply refuses a plan of the other kind.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
    /// IDs the rehearsal's world invented because the spec named them (see
    /// [`mark_assumed`]): listed so that a mistyped ID shows up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invented: Vec<String>,
}

impl Plan {
    /// Puts `spec` (the same operation with its recovery point chosen) into step `name`: its
    /// request and facts follow; its inputs digest stays the one of the spec as written, so a
    /// `restore_time: latest` that succeeded is not rerun because the newest point moved on.
    pub fn pin_step(&mut self, name: &str, spec: OpSpec) {
        if let Some(step) = self.steps.iter_mut().find(|s| s.name == name) {
            step.request = spec.request();
            step.facts = facts::facts(&spec, None);
            step.spec = spec;
        }
    }

    pub fn has_changes(&self) -> bool {
        !self.forget.is_empty()
            || !self.moved.is_empty()
            || self.steps.iter().any(|s| s.action.is_change())
    }

    /// Whether any preflight check failed or any step is blocked.
    pub fn failed_checks(&self) -> Vec<(&str, &Check)> {
        self.steps
            .iter()
            .flat_map(|s| {
                s.checks
                    .iter()
                    .filter(|c| !c.passed)
                    .map(move |c| (s.name.as_str(), c))
            })
            .collect()
    }

    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// Options that change how state maps to actions.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `--resubmit NAME`: operations whose unknown outcome the user accepts resubmitting.
    pub resubmit: BTreeSet<String>,
    /// `--target`, `--exclude`, `--replace`.
    pub targeting: Targeting,
    /// A rehearsal (`--simulate`): sets [`Plan::simulated`].
    pub simulated: bool,
}

/// JSON pointers of the values in `body` that are known only after apply.
pub fn unknown_pointers(body: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if crate::kinds::is_unknown(s) => out.push(at.to_owned()),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}/{i}"), out);
                }
            }
            serde_json::Value::Object(map) => {
                for (k, item) in map {
                    let key = k.replace('~', "~0").replace('/', "~1");
                    walk(item, &format!("{at}/{key}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(body, "", &mut out);
    out
}

fn overwrites(spec: &OpSpec) -> Vec<Overwrite> {
    // DCS restores an instance only from that instance's own backups: always its own source.
    let source = match spec {
        OpSpec::Dcs(r) => Some(r.instance_id.clone()),
        _ => spec.source_and_target().map(|(s, _)| s),
    };
    let fp = spec.footprint();
    fp.writes
        .into_iter()
        .map(|resource| {
            let is_source = source.as_deref() == Some(resource.id.as_str());
            Overwrite {
                resource,
                is_source,
            }
        })
        .collect()
}

/// Diffs the spec (as a graph) against state records.
/// The name a create is keyed by, when `spec` creates a new instance.
pub fn creates_by_name(spec: &crate::kinds::OpSpec) -> Option<&str> {
    match spec {
        crate::kinds::OpSpec::RdsNew(r) | crate::kinds::OpSpec::DdsNew(r) => Some(&r.name),
        _ => None,
    }
}

pub fn build(
    spec_file: &str,
    spec: &Spec,
    graph: &Graph,
    meta: &StateMeta,
    records: &[OpRecord],
    options: &PlanOptions,
) -> Plan {
    let targeting = options.targeting.expanded(spec);
    let requests: Requests = spec
        .ops
        .iter()
        .map(|(name, op)| {
            let request = op.spec.request();
            let digest = inputs_digest(&op.spec, &request);
            (name.as_str(), (request, digest))
        })
        .collect();
    let (records, moved) = apply_moves(spec, &requests, records);
    // What each operation's inputs were before the renames: a dependent of a renamed
    // operation recorded `${restores.OLD...}` and is unchanged all the same.
    let before = moves::digests_before(spec, &requests, &moved);
    let mut renamed_inputs = Vec::new();
    let records = records.as_slice();
    let moved_from: BTreeMap<&str, &str> = moved
        .iter()
        .map(|m| (m.to.as_str(), m.from.as_str()))
        .collect();
    let by_name: BTreeMap<&str, &OpRecord> = records.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut steps = Vec::with_capacity(spec.ops.len());
    let mut digest = Sha256::new();
    for name in graph.order() {
        let Some(op) = spec.ops.get(&name) else {
            continue;
        };
        let Some((request, inputs_digest)) = requests.get(name.as_str()).cloned() else {
            continue;
        };
        let unknown = unknown_pointers(&request.body);
        let after = graph.predecessors(&name);
        digest.update(name.as_bytes());
        digest.update(inputs_digest.as_bytes());
        for a in &after {
            digest.update(a.as_bytes());
        }
        let record = by_name.get(name.as_str()).copied();
        let mut notes = Vec::new();
        let mut changes = Vec::new();
        let mut adopt_or_create = false;
        let mut action = match record {
            None => Action::Restore,
            Some(r) => match r.status {
                Status::Succeeded if r.inputs_digest == inputs_digest => Action::Unchanged,
                Status::Succeeded if before.get(&name) == Some(&r.inputs_digest) => {
                    renamed_inputs.push(name.clone());
                    Action::Unchanged
                }
                Status::Succeeded => {
                    changes = field_changes(&r.request, &request);
                    Action::Rerun
                }
                Status::Running | Status::Submitting => {
                    if r.inputs_digest != inputs_digest {
                        notes.push(
                            "the inputs changed while this restore was in flight; rewind re-attaches to the running job, and the next plan shows a rerun".to_owned(),
                        );
                    }
                    Action::Resume
                }
                Status::Failed => Action::Retry,
                // A create's name is its idempotency key: the instance an ambiguous create
                // made may show up in the list long after the reconcile window, so every
                // apply looks the name up again rather than blocking.
                Status::Unknown if creates_by_name(&op.spec).is_some() => {
                    let new_name = creates_by_name(&op.spec).unwrap_or_default();
                    adopt_or_create = options.resubmit.contains(&name);
                    notes.push(if adopt_or_create {
                        format!(
                            "the last create's outcome is unknown: apply adopts the instance named {new_name} if there is one, and creates it only if there is none (--resubmit)"
                        )
                    } else {
                        format!(
                            "the last create's outcome is unknown: apply looks up the name {new_name} again and adopts the instance if it is there"
                        )
                    });
                    Action::Resume
                }
                Status::Unknown if options.resubmit.contains(&name) => {
                    notes.push(
                        "resubmitting although the previous submit may have run (--resubmit)"
                            .to_owned(),
                    );
                    Action::Retry
                }
                Status::Unknown => {
                    notes.push(format!(
                        "the last submit's outcome is unknown; check the cloud, then run `rewind apply --resubmit {name}` or `rewind state rm {name}`"
                    ));
                    Action::Blocked
                }
            },
        };
        let from = moved_from.get(name.as_str()).map(|f| (*f).to_owned());
        if targeting.replace.contains(&name) && matches!(action, Action::Unchanged | Action::Rerun)
        {
            notes.push(
                "--replace: runs again although it has succeeded; everything written to its target since is lost".to_owned(),
            );
            action = Action::Rerun;
            renamed_inputs.retain(|n| n != &name);
        } else if targeting.replace.contains(&name) {
            // Said, not silently dropped: the flag asked for something this plan does anyway
            // (or, for a blocked step, cannot do: that needs `--resubmit`).
            notes.push(format!(
                "--replace: it has not succeeded, so there is nothing to replace; it is planned as `{}`",
                action.verb()
            ));
        } else if let Some(f) = &from {
            if action == Action::Unchanged {
                action = Action::Moved;
            } else {
                notes.push(format!(
                    "state knew this operation as `{f}`; apply renames its record first"
                ));
            }
        }
        let facts = facts(&op.spec, spec.written_times.get(&name).map(String::as_str));
        steps.push(Step {
            kind: op.spec.kind(),
            action,
            spec: op.spec.clone(),
            request,
            inputs_digest,
            unknown,
            after,
            overwrites: overwrites(&op.spec),
            changes,
            prior: record.map(|r| Prior {
                status: r.status,
                handle: r.handle.clone(),
                last_error: r.last_error.clone(),
                submitted_at: r.submitted_at,
            }),
            checks: Vec::new(),
            facts,
            moved_from: from,
            notes,
            timeout_ms: op
                .timeout
                .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
            adopt_or_create,
            expected_ms: 0,
            path_ms: 0,
            name,
        });
    }
    let mut forget: Vec<String> = records
        .iter()
        .filter(|r| !spec.ops.contains_key(&r.name))
        .map(|r| r.name.clone())
        .collect();
    let (mut steps, left_out) = select(steps, &targeting);
    renamed_inputs.retain(|n| steps.iter().any(|s| &s.name == n));
    let mut moved = moved;
    if !options.targeting.target.is_empty() || !options.targeting.exclude.is_empty() {
        // A targeted plan touches nothing outside its operations: no forgets, and only the
        // moves of the operations it keeps.
        forget.clear();
        moved.retain(|m| steps.iter().any(|s| s.name == m.to));
    }
    let mut summary = Summary::default();
    for s in &steps {
        count(&mut summary, s.action);
    }
    summary.forget = forget.len();
    let critical_path = critical::weigh(&mut steps, records);
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        spec_file: spec_file.to_owned(),
        spec_digest: hex::encode(digest.finalize()),
        lineage: meta.lineage.clone(),
        serial: meta.serial,
        steps,
        forget,
        edges: graph.edges(),
        summary,
        preflight: false,
        critical_path,
        moved,
        renamed_inputs,
        targeting: options.targeting.clone(),
        left_out,
        simulated: options.simulated,
        invented: Vec::new(),
    }
}

/// Records the IDs a rehearsal world invented, and marks as assumed every check of a step
/// that reads or writes one of them: such a check was answered by something made up.
pub fn mark_assumed(plan: &mut Plan, invented: &BTreeSet<String>) {
    plan.invented = invented.iter().cloned().collect();
    for step in &mut plan.steps {
        let footprint = step.spec.footprint();
        let touches = footprint
            .reads
            .iter()
            .chain(&footprint.writes)
            .any(|r| invented.contains(&r.id));
        if touches {
            for c in &mut step.checks {
                c.assumed = true;
            }
        }
    }
}

fn count(s: &mut Summary, a: Action) {
    match a {
        Action::Restore => s.restore += 1,
        Action::Rerun => s.rerun += 1,
        Action::Resume => s.resume += 1,
        Action::Retry => s.retry += 1,
        Action::Forget => s.forget += 1,
        Action::Unchanged => s.unchanged += 1,
        Action::Blocked => s.blocked += 1,
        Action::Moved => s.moved += 1,
    }
}
