//! Lowering of `dds.restore_collections`: databases and collections of a replica set, each to a point in time.

use super::Svc;
use super::fields::{bad, text};
use crate::kinds::{DdsCollection, DdsCollections, DdsDatabase};
use crate::spec::bodies::{Cx, span_of};
use crate::spec::diagnostic::{Code, Diagnostic};
use crate::spec::obj::{Obj, missing};
use crate::spec::yaml::{Node, Value};

/// `dds.restore_collections`.
pub(in crate::spec) fn dds_collections(o: &Obj, cx: &mut Cx) -> Option<DdsCollections> {
    let instance_id = cx.id(o, "instance_id", Svc::Dds.instance());
    let key = "restore_collections";
    let list = match o.opt_seq(key, cx.diags) {
        None => {
            if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
                let at = o.get(key).map_or(o.span, |n| n.span);
                cx.diags.push(missing(&o.child_path(key), at));
            }
            None
        }
        Some(([], span)) => {
            bad(
                cx,
                span,
                format!("`{}` must not be empty", o.child_path(key)),
                "list the databases to restore",
            );
            None
        }
        Some((items, _)) => {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match dds_database(item, &format!("{}.{i}", o.child_path(key)), cx) {
                    Some(d) => out.push(d),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    Some(DdsCollections {
        instance_id: instance_id?,
        restore_collections: list?,
    })
}

fn dds_database(item: &Node, path: &str, cx: &mut Cx) -> Option<DdsDatabase> {
    let d = Obj::new(item, path, cx.diags)?;
    d.check_keys(
        &["database", "collections", "restore_database_time"],
        cx.diags,
    );
    let database = d.required("database", cx.diags).and_then(|n| {
        let v = text(n, &d.child_path("database"), cx)?;
        v.as_str().map(str::to_owned)
    });
    let time = cx.opt_time(&d, "restore_database_time");
    let collections = match d.opt_seq("collections", cx.diags) {
        None => Some(Vec::new()),
        Some((items, _)) => {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, c) in items.iter().enumerate() {
                match dds_collection(c, &format!("{}.{i}", d.child_path("collections")), cx) {
                    Some(c) => out.push(c),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    let listed = d
        .get("collections")
        .filter(|n| matches!(&n.value, Value::Seq(v) if !v.is_empty()));
    match (span_of(&d, "restore_database_time"), listed) {
        (Some(t), Some(c)) => {
            cx.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{path}` sets both `restore_database_time` and `collections`"),
                )
                .at(t)
                .with_label(c.span, "collections given here")
                .with_hint("restore the whole database (`restore_database_time`) or some collections (`collections`), not both"),
            );
            return None;
        }
        (None, None) => {
            cx.diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("`{path}` needs `restore_database_time` or `collections`"),
                )
                .at(d.span)
                .with_hint("add `restore_database_time:` for the whole database, or `collections:` with `old_name` and `restore_collection_time`"),
            );
            return None;
        }
        _ => {}
    }
    Some(DdsDatabase {
        database: database?,
        restore_database_time: time?,
        collections: collections?,
    })
}

fn dds_collection(item: &Node, path: &str, cx: &mut Cx) -> Option<DdsCollection> {
    let c = Obj::new(item, path, cx.diags)?;
    c.check_keys(
        &["old_name", "new_name", "restore_collection_time"],
        cx.diags,
    );
    let old_name = c.str_field("old_name", cx.diags).map(|(v, _)| v);
    let new_name = c.opt_str("new_name", cx.diags).map(|(v, _)| v);
    let time = cx.time(&c, "restore_collection_time");
    Some(DdsCollection {
        old_name: old_name?,
        new_name,
        restore_collection_time: time?,
    })
}
