//! The built-in kinds: one declaration per kind (one file each) and the table that lists them.
//!
//! Everything rewind knows of a built-in kind before any cloud call is in its file: the body
//! schema (generated with schemars from the kind's `Body`), the footprint rules as JSON
//! pointers (the same rules plugin kinds declare), outputs, whether it creates, its expected
//! duration, where its IDs and times are, its lowering (semantic checks) and its request.
//! The rest of rewind reads [`TABLE`]; nothing else matches on a built-in kind.

pub mod shared;

mod cbr_restore;
mod dcs_restore;
mod ddm_metadata_restore;
mod ddm_restore;
mod dds_restore;
mod dds_restore_collections;
mod dds_restore_new;
mod gaussdb_restore_new;
mod rds_restore;
mod rds_restore_new;
pub mod rds_restore_tables;
mod taurusdb_restore;

use super::decl::{Access, FootprintRule, KindDecl};
use super::{Footprint, Kind, OpSpec, Resource, ResourceClass, SecretRef, Service};
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use schemars::{Schema, SchemaGenerator};
use serde_json::Value;
use std::sync::OnceLock;

/// The built-in kinds, in the order the JSON Schema lists them.
pub static TABLE: &[&Builtin] = &[
    &rds_restore::KIND,
    &ddm_restore::KIND,
    &ddm_metadata_restore::KIND,
    &taurusdb_restore::KIND,
    &cbr_restore::KIND,
    &dcs_restore::KIND,
    &rds_restore_new::KIND,
    &dds_restore_new::KIND,
    &dds_restore::KIND,
    &dds_restore_collections::KIND,
    &rds_restore_tables::KIND,
    &gaussdb_restore_new::KIND,
];

/// The built-in kinds as declarations, in table order (body schemas `$ref` into the spec
/// schema's `$defs`).
pub fn builtin_decls() -> Vec<KindDecl> {
    TABLE.iter().map(|b| b.decl().clone()).collect()
}

/// The schema generator every built-in body schema is generated with: the settings of the
/// spec schema itself, so `$ref`s agree.
pub fn schema_generator() -> schemars::SchemaGenerator {
    schemars::SchemaGenerator::default()
}

/// One footprint rule: the field at `pointer` (`*` for every array element) holds the ID of a
/// `class` resource that the kind reads or overwrites.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub pointer: &'static str,
    pub class: ResourceClass,
    pub access: Access,
}

pub const fn reads(pointer: &'static str, class: ResourceClass) -> Rule {
    Rule {
        pointer,
        class,
        access: Access::Reads,
    }
}

pub const fn writes(pointer: &'static str, class: ResourceClass) -> Rule {
    Rule {
        pointer,
        class,
        access: Access::Writes,
    }
}

pub const fn adds(pointer: &'static str, class: ResourceClass) -> Rule {
    Rule {
        pointer,
        class,
        access: Access::Adds,
    }
}

/// The wire request of a kind: path (with the literal `{project_id}`) and body.
pub struct Wire {
    pub path: String,
    pub body: Value,
}

/// Everything about one built-in kind. Pointers point into the body as the spec writes it
/// (the operation's keys besides `kind`, `depends_on`, ...), which is also how the lowered
/// body serializes.
pub struct Builtin {
    pub kind: Kind,
    pub service: Service,
    /// What the kind reads and overwrites, as pointers into the body.
    pub footprint: &'static [Rule],
    /// The class of the instance it creates (its ID is the output `instance_id`), if any.
    pub creates: Option<ResourceClass>,
    /// The values a succeeded run reports, for `${restores.X.outputs.NAME}`.
    pub outputs: &'static [&'static str],
    /// Expected minutes for a small instance, when state has no earlier run: this only
    /// orders launches on the critical path.
    pub expected_minutes: u64,
    /// The ID shape of the instances it names (`in01`: RDS, `in02`: DDS, `in07`: TaurusDB,
    /// `in09`: DDM) or `uuid`; documentation for plans and errors.
    pub id_pattern: &'static str,
    /// Pointers of the restore times it names (epoch ms); the earliest is its recovery point.
    pub restore_times: &'static [&'static str],
    /// Pointer of the existing instance it overwrites (what a drill's probes check).
    pub existing_target: Option<&'static str>,
    /// Pointers of `(source, target)` for a restore that could overwrite its own source.
    pub source_and_target: Option<(&'static str, &'static str)>,
    /// The body's JSON Schema (properties documented as the API page types them; sensitive
    /// fields carry `"sensitive": true`).
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// The semantic checks: the located body in, the typed operation out.
    pub lower: fn(&Obj, &mut Cx) -> Option<OpSpec>,
    /// The exact request the API page documents.
    pub request: fn(&OpSpec) -> Wire,
}

/// The declaration of a built-in kind.
pub fn get(kind: Kind) -> Option<&'static Builtin> {
    TABLE.iter().copied().find(|b| b.kind == kind)
}

impl Builtin {
    /// The declaration every kind shares with plugin kinds (schema `$ref`s point into the
    /// spec schema's `$defs`).
    pub fn decl(&self) -> &'static KindDecl {
        static DECLS: OnceLock<Vec<KindDecl>> = OnceLock::new();
        let decls = DECLS.get_or_init(|| {
            let mut generator = schema_generator();
            TABLE.iter().map(|b| b.declare(&mut generator)).collect()
        });
        let at = TABLE
            .iter()
            .position(|b| b.kind == self.kind)
            .unwrap_or_default();
        &decls[at]
    }

    fn declare(&self, generator: &mut SchemaGenerator) -> KindDecl {
        KindDecl {
            name: self.kind.as_str().to_owned(),
            description: String::new(),
            schema: (self.schema)(generator).to_value(),
            footprint: self
                .footprint
                .iter()
                .map(|r| FootprintRule {
                    pointer: r.pointer.to_owned(),
                    resource: r.class.key().to_owned(),
                    access: r.access,
                })
                .collect(),
            outputs: self.outputs.iter().map(|o| (*o).to_owned()).collect(),
            provider: None,
        }
    }

    /// The body keys the kind accepts, from its schema.
    pub fn body_keys(&self) -> Vec<&'static str> {
        self.decl()
            .schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

/// The body of a typed operation as the spec writes it (what the pointers point into).
fn body(op: &OpSpec) -> Value {
    serde_json::to_value(op).unwrap_or_default()
}

/// Every value `pointer` names in `v`; `*` walks every element of an array.
pub fn at_pointer<'v>(v: &'v Value, pointer: &str) -> Vec<&'v Value> {
    let mut out = vec![v];
    for seg in pointer.split('/').skip(1) {
        out = out
            .into_iter()
            .flat_map(|v| match (v, seg) {
                (Value::Array(items), "*") => items.iter().collect::<Vec<_>>(),
                (Value::Object(m), key) => m.get(key).into_iter().collect(),
                _ => Vec::new(),
            })
            .collect();
    }
    out
}

fn first_str(v: &Value, pointer: &str) -> Option<String> {
    at_pointer(v, pointer)
        .into_iter()
        .find_map(Value::as_str)
        .map(str::to_owned)
}

/// What a built-in operation reads and overwrites, read through its declared pointers.
pub(super) fn footprint(b: &Builtin, op: &OpSpec) -> Footprint {
    let v = body(op);
    let mut fp = Footprint::default();
    for rule in b.footprint {
        for id in at_pointer(&v, rule.pointer)
            .into_iter()
            .filter_map(Value::as_str)
        {
            let r = Resource::new(rule.class, id);
            match rule.access {
                Access::Reads => fp.reads.push(r),
                Access::Writes => fp.writes.push(r),
                Access::Adds => {
                    fp.adds.push(r.clone());
                    fp.writes.push(r);
                }
            }
        }
    }
    fp
}

pub(super) fn restore_time(b: &Builtin, op: &OpSpec) -> Option<i64> {
    let v = body(op);
    b.restore_times
        .iter()
        .flat_map(|p| at_pointer(&v, p))
        .filter_map(Value::as_i64)
        .min()
}

pub(super) fn existing_target(b: &Builtin, op: &OpSpec) -> Option<(Service, String)> {
    first_str(&body(op), b.existing_target?).map(|id| (b.service, id))
}

pub(super) fn source_and_target(b: &Builtin, op: &OpSpec) -> Option<(String, String)> {
    let (s, t) = b.source_and_target?;
    let v = body(op);
    Some((first_str(&v, s)?, first_str(&v, t)?))
}

/// The secret references at the kind's sensitive fields, by pointer into the request body.
pub(super) fn secret_refs(b: &Builtin, op: &OpSpec) -> Vec<(String, SecretRef)> {
    let v = body(op);
    let mut out = Vec::new();
    for pointer in b.decl().sensitive_pointers() {
        for found in at_pointer(&v, &pointer) {
            if let Ok(r) = serde_json::from_value::<SecretRef>(found.clone()) {
                out.push((pointer.clone(), r));
            }
        }
    }
    out
}
