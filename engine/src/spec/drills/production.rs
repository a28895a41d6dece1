//! The rule that a drill never touches production, and that it runs what its operations
//! depend on.

use super::super::diagnostic::{Code, Diagnostic, Span};
use super::super::interp::{self, Piece};
use super::super::{Reference, Spec};
use crate::drill::DrillDecl;
use crate::kinds::{ResourceClass, is_unknown};
use std::collections::{BTreeMap, BTreeSet};

/// How deep `${restores.X.outputs.instance_id}` of a restore onto an existing instance is
/// followed to that instance (a chain longer than this is refused, not followed for ever).
const MAX_HOPS: usize = 8;

/// Checks `drill` against `spec`. `anchors` holds, per operation, where the drill names it
/// (its entry in `operations:`, or the drill's name when it runs every operation).
pub(super) fn check(
    drill: &DrillDecl,
    anchors: &BTreeMap<String, Span>,
    spec: &Spec,
    diags: &mut Vec<Diagnostic>,
) {
    let runs: BTreeSet<&str> = drill.operations.iter().map(String::as_str).collect();
    let rule = Rule {
        drill,
        runs: &runs,
        spec,
    };
    for name in &drill.operations {
        let anchor = anchors.get(name).copied().unwrap_or(drill.span);
        if let Some(op) = spec.ops.get(name) {
            for w in op.spec.footprint().writes {
                if rule.allowed(&w.id, 0) {
                    continue;
                }
                let mut d = Diagnostic::new(
                    Code::DrillProduction,
                    format!(
                        "drill `{}` would overwrite {} `{}` (by `{name}`), which the drill neither creates nor lists under `scratch:`",
                        drill.name,
                        w.class.as_str(),
                        w.id
                    ),
                )
                .at(anchor)
                .with_hint(hint(&drill.name, w.class));
                if let Some(at) = op.id_spans.get(&w.id) {
                    d = d.with_label(*at, "overwritten here");
                }
                diags.push(d);
            }
            dependencies(
                drill,
                name,
                anchor,
                &op.depends_on,
                &op.references,
                &runs,
                diags,
            );
        } else if let Some(op) = spec.broken.get(name) {
            dependencies(
                drill,
                name,
                anchor,
                &op.depends_on,
                &op.references,
                &runs,
                diags,
            );
        }
    }
}

fn hint(drill: &str, class: ResourceClass) -> String {
    let scratch = format!("list it under `drills.{drill}.scratch` if it is a scratch instance");
    match class {
        ResourceClass::RdsInstance => {
            format!("{scratch}, or restore into a new instance (`rds.restore_new`)")
        }
        ResourceClass::DdsInstance => {
            format!("{scratch}, or restore into a new instance (`dds.restore_new`)")
        }
        _ => scratch,
    }
}

struct Rule<'a> {
    drill: &'a DrillDecl,
    runs: &'a BTreeSet<&'a str>,
    spec: &'a Spec,
}

impl Rule<'_> {
    /// Whether the drill may overwrite `id`: listed as scratch, or made by the drill (the
    /// output of a create it runs, or of a restore it runs onto an instance it may overwrite).
    fn allowed(&self, id: &str, hops: usize) -> bool {
        if self.drill.scratch.iter().any(|s| s == id) {
            return true;
        }
        if !is_unknown(id) || hops > MAX_HOPS {
            return false;
        }
        let Ok(pieces) = interp::parse(id) else {
            return false;
        };
        !pieces.is_empty()
            && pieces.iter().all(|p| match p {
                Piece::Ref { op, path } => self.output_allowed(op, path, hops),
                Piece::Lit(_) | Piece::Var(_) | Piece::Secret(_) => false,
            })
    }

    fn output_allowed(&self, op: &str, path: &[String], hops: usize) -> bool {
        if !self.runs.contains(op) || path.first().is_none_or(|p| p != "outputs") {
            return false;
        }
        let Some(decl) = self.spec.ops.get(op) else {
            return false;
        };
        if decl.spec.created_class().is_some() {
            return true;
        }
        // A restore onto an existing instance reports that instance as `instance_id`.
        matches!(path, [_, name] if name == "instance_id")
            && decl
                .spec
                .existing_target()
                .is_some_and(|(_, target)| self.allowed(&target, hops + 1))
    }
}

/// An operation the drill runs must not wait for one it does not run.
fn dependencies(
    drill: &DrillDecl,
    name: &str,
    anchor: Span,
    depends_on: &[(String, Span)],
    references: &[Reference],
    runs: &BTreeSet<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut reported = BTreeSet::new();
    let deps = depends_on
        .iter()
        .map(|(dep, at)| (dep.as_str(), *at, "it is in its `depends_on`".to_owned()))
        .chain(references.iter().map(|r| {
            (
                r.op.as_str(),
                r.span,
                format!("it uses `${{restores.{}.{}}}`", r.op, r.path),
            )
        }));
    for (dep, at, why) in deps {
        if dep == name || runs.contains(dep) || !reported.insert(dep) {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::DrillDependency,
                format!(
                    "drill `{}` runs `{name}` but not `{dep}`, which `{name}` depends on ({why})",
                    drill.name
                ),
            )
            .at(anchor)
            .with_label(at, "the dependency")
            .with_hint(format!(
                "add `{dep}` to `drills.{}.operations`, or leave `{name}` out",
                drill.name
            )),
        );
    }
}
