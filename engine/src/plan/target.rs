//! Targeting: `--target`, `--exclude` and `--replace` as a transform of the planned steps.

use super::step::Step;
use crate::spec::Spec;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Which part of the spec a plan covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targeting {
    /// Plan only these and what they wait for (transitively); empty means every operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<String>,
    /// Leave these out, and everything that waits for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Run these again although they succeeded with these very inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<String>,
}

impl Targeting {
    pub fn is_empty(&self) -> bool {
        self.target.is_empty() && self.exclude.is_empty() && self.replace.is_empty()
    }

    /// The same targeting with each fleet's name (`for_each`) replaced by its instances
    /// (`NAME[KEY]`), so `--target nodes` means every node.
    pub fn expanded(&self, spec: &Spec) -> Targeting {
        let expand = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .flat_map(|n| spec.expand_name(n))
                .map(str::to_owned)
                .collect()
        };
        Targeting {
            target: expand(&self.target),
            exclude: expand(&self.exclude),
            replace: expand(&self.replace),
        }
    }

    /// Each name given that is no operation (nor fleet) of `spec`, with the flag that gave it.
    pub fn unknown(&self, spec: &Spec) -> Vec<(&'static str, String)> {
        let flags = [
            ("--target", &self.target),
            ("--exclude", &self.exclude),
            ("--replace", &self.replace),
        ];
        flags
            .into_iter()
            .flat_map(|(flag, names)| names.iter().map(move |n| (flag, n)))
            .filter(|(_, n)| !spec.ops.contains_key(*n) && !spec.fleets.contains_key(*n))
            .map(|(flag, n)| (flag, n.clone()))
            .collect()
    }
}

/// The steps `targeting` keeps, in their order, and the names it leaves out.
///
/// `--target` keeps each target and, transitively, every operation it waits for: those that
/// succeeded stay in as unchanged (apply reads their outputs), the rest run first. Then
/// `--exclude` drops each excluded operation and everything that waits for it.
pub fn select(steps: Vec<Step>, targeting: &Targeting) -> (Vec<Step>, Vec<String>) {
    let after: BTreeMap<&str, &[String]> = steps
        .iter()
        .map(|s| (s.name.as_str(), s.after.as_slice()))
        .collect();
    let mut keep: BTreeSet<String> = if targeting.target.is_empty() {
        steps.iter().map(|s| s.name.clone()).collect()
    } else {
        let mut keep = BTreeSet::new();
        let mut todo: Vec<String> = targeting.target.clone();
        while let Some(name) = todo.pop() {
            if keep.insert(name.clone())
                && let Some(preds) = after.get(name.as_str())
            {
                todo.extend(preds.iter().cloned());
            }
        }
        keep
    };
    if !targeting.exclude.is_empty() {
        let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for s in &steps {
            for a in &s.after {
                dependents.entry(a.as_str()).or_default().push(&s.name);
            }
        }
        let mut todo: Vec<&str> = targeting.exclude.iter().map(String::as_str).collect();
        let mut dropped = BTreeSet::new();
        while let Some(name) = todo.pop() {
            if dropped.insert(name) {
                keep.remove(name);
                todo.extend(dependents.get(name).into_iter().flatten().copied());
            }
        }
    }
    let (kept, left): (Vec<Step>, Vec<Step>) =
        steps.into_iter().partition(|s| keep.contains(&s.name));
    (kept, left.into_iter().map(|s| s.name).collect())
}
