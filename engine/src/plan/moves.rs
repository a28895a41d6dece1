//! Renames before the diff: `moved:` entries and detected renames carry a record to its new name.

use super::digest::inputs_digest;
use crate::kinds::ApiRequest;
use crate::spec::Spec;
use crate::state::OpRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One record that apply renames in state, from its old operation name to the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub from: String,
    pub to: String,
    /// Found by rewind (same kind and inputs digest), not declared in `moved:` or `--move`.
    #[serde(default)]
    pub detected: bool,
}

/// `request` as it was written before `moves`: each `${restores.TO.…}` back to
/// `${restores.FROM.…}`. A dependent of a renamed operation recorded its inputs that way.
pub fn renamed_back(request: &ApiRequest, moves: &[Move]) -> ApiRequest {
    fn walk(v: &mut Value, moves: &[Move]) {
        match v {
            Value::String(s) => {
                for m in moves {
                    let new = format!("${{restores.{}.", m.to);
                    if s.contains(&new) {
                        *s = s.replace(&new, &format!("${{restores.{}.", m.from));
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, moves)),
            Value::Object(map) => map.values_mut().for_each(|i| walk(i, moves)),
            _ => {}
        }
    }
    let mut out = request.clone();
    walk(&mut out.body, moves);
    out
}

/// The inputs digest of each operation as state would have recorded it before `moves`.
pub fn digests_before(
    spec: &Spec,
    requests: &Requests,
    moves: &[Move],
) -> BTreeMap<String, String> {
    requests
        .iter()
        .filter_map(|(name, (request, digest))| {
            let op = spec.ops.get(*name)?;
            let d = if moves.is_empty() {
                digest.clone()
            } else {
                inputs_digest(&op.spec, &renamed_back(request, moves))
            };
            Some(((*name).to_owned(), d))
        })
        .collect()
}

/// Each operation's rendered request and inputs digest, by name.
pub type Requests<'a> = BTreeMap<&'a str, (ApiRequest, String)>;

/// The records as the spec names them, and the moves that renamed them.
///
/// A `moved:` entry moves the record of `from` when state has one and `to` has none. Then
/// every record that would be forgotten (its name is not in the spec) and whose kind and
/// inputs digest equal those of an operation that state does not know is moved to that
/// operation, pairing in name order: a rename alone never restores again. An operation that
/// reads a renamed one's outputs is compared as it was written before the rename, so a chain
/// of renames is found too.
pub fn apply_moves(
    spec: &Spec,
    requests: &Requests,
    records: &[OpRecord],
) -> (Vec<OpRecord>, Vec<Move>) {
    let mut by_name: BTreeMap<String, OpRecord> = records
        .iter()
        .map(|r| (r.name.clone(), r.clone()))
        .collect();
    let mut moves = Vec::new();
    for m in &spec.moved {
        if !spec.ops.contains_key(&m.to) || by_name.contains_key(&m.to) {
            continue;
        }
        if let Some(mut r) = by_name.remove(&m.from) {
            r.name.clone_from(&m.to);
            by_name.insert(m.to.clone(), r);
            moves.push(Move {
                from: m.from.clone(),
                to: m.to.clone(),
                detected: false,
            });
        }
    }
    // Each round can only add moves, at most one per record: it ends.
    loop {
        let digests = digests_before(spec, requests, &moves);
        let found = detect(spec, &digests, &mut by_name);
        if found.is_empty() {
            break;
        }
        moves.extend(found);
    }
    (by_name.into_values().collect(), moves)
}

/// One round of rename detection over the records no operation of the spec names.
fn detect(
    spec: &Spec,
    digests: &BTreeMap<String, String>,
    by_name: &mut BTreeMap<String, OpRecord>,
) -> Vec<Move> {
    let orphans: Vec<String> = by_name
        .keys()
        .filter(|n| !spec.ops.contains_key(*n))
        .cloned()
        .collect();
    let mut moves = Vec::new();
    for old in orphans {
        let Some(record) = by_name.get(&old) else {
            continue;
        };
        let found = spec.ops.iter().find(|(name, op)| {
            !by_name.contains_key(*name)
                && op.spec.kind() == record.kind
                && digests.get(*name) == Some(&record.inputs_digest)
        });
        let Some((new, _)) = found else { continue };
        let new = new.clone();
        if let Some(mut r) = by_name.remove(&old) {
            r.name.clone_from(&new);
            by_name.insert(new.clone(), r);
            moves.push(Move {
                from: old,
                to: new,
                detected: true,
            });
        }
    }
    moves
}
