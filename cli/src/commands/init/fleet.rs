//! Folding a scaffold's look-alike restores into one `for_each` over a mapping var: the fields
//! all share stay in the body, the ones that differ become each element's fields.

use super::yaml::{Entry, Y, entry, s};

/// A leaf of an operation's body: its path of keys, its value and the comments above it.
type Leaf = (Vec<String>, Y, Vec<String>);

fn leaves(prefix: &[String], entries: &[Entry], out: &mut Vec<Leaf>) {
    for e in entries {
        let mut path = prefix.to_vec();
        path.push(e.key.clone());
        match &e.value {
            Y::Map(inner) if !inner.is_empty() => leaves(&path, inner, out),
            v => out.push((path, v.clone(), e.comments.clone())),
        }
    }
}

/// Rebuilds `entries` with each leaf that differs across the fleet replaced by
/// `${each.value.FIELD}`; comments that differ are dropped, as they name one element.
fn body(prefix: &[String], entries: &[Entry], all: &[Vec<Leaf>]) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| {
            let mut path = prefix.to_vec();
            path.push(e.key.clone());
            let same_comments = all.iter().all(|ls| {
                ls.iter()
                    .find(|(p, _, _)| *p == path)
                    .is_none_or(|(_, _, c)| *c == e.comments)
            });
            let value = match &e.value {
                Y::Map(inner) if !inner.is_empty() => Y::Map(body(&path, inner, all)),
                v => {
                    let differs = all.iter().any(|ls| {
                        ls.iter().find(|(p, _, _)| *p == path).map(|(_, v, _)| v) != Some(v)
                    });
                    if differs {
                        s(format!("${{each.value.{}}}", path.join("_")))
                    } else {
                        v.clone()
                    }
                }
            };
            Entry {
                key: e.key.clone(),
                value,
                comments: if same_comments {
                    e.comments.clone()
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}

/// `ops` (name, body) as one operation `fleet` with `for_each: ${var.VAR}`, and the var
/// entry. `None` when the bodies differ in shape (then they are not one fleet).
pub fn fold(fleet: &str, var: &str, ops: &[(String, Vec<Entry>)]) -> Option<(Entry, Entry)> {
    let all: Vec<Vec<Leaf>> = ops
        .iter()
        .map(|(_, b)| {
            let mut out = Vec::new();
            leaves(&[], b, &mut out);
            out
        })
        .collect();
    let first = all.first()?;
    let shape = |ls: &Vec<Leaf>| ls.iter().map(|(p, _, _)| p.clone()).collect::<Vec<_>>();
    if all.iter().any(|ls| shape(ls) != shape(first)) {
        return None;
    }
    let differing: Vec<&Vec<String>> = first
        .iter()
        .map(|(p, _, _)| p)
        .filter(|p| {
            let values: Vec<&Y> = all
                .iter()
                .filter_map(|ls| ls.iter().find(|(q, _, _)| q == *p).map(|(_, v, _)| v))
                .collect();
            values.windows(2).any(|w| w[0] != w[1])
        })
        .collect();
    let elements: Vec<Entry> = ops
        .iter()
        .zip(&all)
        .map(|((name, _), ls)| {
            // A comment that names this element (where its value came from) moves with
            // the value.
            let fields = differing
                .iter()
                .filter_map(|p| {
                    let (_, v, comments) = ls.iter().find(|(q, _, _)| q == *p)?;
                    let shared = all.iter().all(|other| {
                        other.iter().find(|(q, _, _)| q == *p).map(|(_, _, c)| c) == Some(comments)
                    });
                    let mut field = entry(&p.join("_"), v.clone());
                    if !shared {
                        field.comments.clone_from(comments);
                    }
                    Some(field)
                })
                .collect();
            entry(name, Y::Map(fields))
        })
        .collect();
    let mut restore = vec![
        entry("for_each", s(format!("${{var.{var}}}"))).note(format!(
            "One restore per entry of `vars.{var}`, named {fleet}[KEY]."
        )),
    ];
    restore.extend(body(&[], &ops[0].1, &all));
    Some((entry(var, Y::Map(elements)), entry(fleet, Y::Map(restore))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(source: &str, target: &str) -> Vec<Entry> {
        vec![
            entry("kind", s("rds.restore")),
            entry(
                "source",
                Y::Map(vec![
                    entry("instance_id", s(source)).note("Source data node"),
                    entry("restore_time", s("${var.at}")),
                ]),
            ),
            entry(
                "target",
                Y::Map(vec![
                    entry("instance_id", s(target)).note(format!("picked {target}")),
                ]),
            ),
        ]
    }

    #[test]
    fn shared_fields_stay_and_differing_ones_become_element_fields() {
        let ops = vec![
            ("dn-1".to_owned(), op("a", "x")),
            ("dn-2".to_owned(), op("b", "y")),
        ];
        let (var, restore) = fold("data-nodes", "data_nodes", &ops).unwrap();
        let doc = super::super::yaml::document(&[], &[var, restore]);
        for want in [
            "dn-1:\n    source_instance_id: a\n    # picked x\n    target_instance_id: x",
            "for_each: \"${var.data_nodes}\"",
            "instance_id: \"${each.value.source_instance_id}\"",
            "restore_time: \"${var.at}\"",
            "# Source data node\n",
        ] {
            assert!(doc.contains(want), "{want:?} missing from:\n{doc}");
        }
        assert_eq!(
            doc.matches("# picked").count(),
            2,
            "a comment naming one element moves to it: {doc}"
        );
    }

    #[test]
    fn bodies_of_different_shapes_are_not_a_fleet() {
        let mut other = op("b", "y");
        other.pop();
        let ops = vec![("a".to_owned(), op("a", "x")), ("b".to_owned(), other)];
        assert!(fold("f", "v", &ops).is_none());
    }
}
