//! The built-in kinds: one declaration per kind (one file each) and the table that lists them.
//!
//! Everything rewind knows of a built-in kind before any cloud call is in its file: the body
//! schema (generated with schemars from the kind's `Body`), the footprint rules as JSON
//! pointers (the same rules plugin kinds declare), outputs, whether it creates, its expected
//! duration, where its IDs and times are, its lowering (semantic checks) and its request.
//! [`builtin_kinds!`] turns the table into `Kind`, `OpSpec` and [`TABLE`]; the rest of rewind
//! reads those, and nothing else matches on a built-in kind.
//
// Kind files import only leaf modules (`declare`, `shared`, and `kinds::{bodies, create,
// footprint, services}`), never this table or `kinds` itself: the imports run one way.

pub mod declare;
pub mod shared;

use super::create::SecretRef;
use super::decl::{Access, FootprintRule, KindDecl};
use super::footprint::{Footprint, Resource};
use super::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;

pub use declare::{Builtin, LatestBackup, OwnSource, Rule, TimeChoice, Wire, reads, writes};

/// Generates, from one row per built-in kind, everything that lists them: the `Kind` and
/// `OpSpec` enums (the serde tag of a body is its kind's name, as plan files and state have
/// always written it), `Kind::ALL`, `Kind::as_str`, `OpSpec::kind`, the [`TABLE`] of
/// declarations, and the dispatch of lowering and rendering to the kind's file.
///
/// A row: `KindVariant / OpSpecVariant(Body) = "service.verb" => module;`. The module is the
/// kind's file: `pub static KIND: Builtin`, `pub fn lower(&Obj, &mut Cx) -> Option<Body>`,
/// `pub fn request(&Body) -> Wire`.
macro_rules! builtin_kinds {
    ($( $(#[$doc:meta])* $kind:ident / $variant:ident($body:ty) = $name:literal => $module:ident; )*) => {
        $( pub mod $module; )*

        /// A restore kind as written in the spec (`kind: rds.restore`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $( $(#[$doc])* $kind, )*
            /// A kind declared by an external provider, e.g. `evs.snapshot_rollback` (interned).
            External(&'static str),
        }

        impl Kind {
            /// The built-in kinds, in table order.
            pub const ALL: [Kind; [$($name),*].len()] = [$(Kind::$kind),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( Kind::$kind => $name, )*
                    Kind::External(name) => name,
                }
            }
        }

        /// A validated, fully resolved operation body (no `${...}` left).
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum OpSpec {
            $( #[serde(rename = $name)] $variant($body), )*
            /// A plugin kind: its body as JSON, checked against the kind's declared schema.
            #[serde(untagged)]
            External(ExternalOp),
        }

        impl OpSpec {
            pub fn kind(&self) -> Kind {
                match self {
                    $( OpSpec::$variant(_) => Kind::$kind, )*
                    OpSpec::External(e) => e.kind,
                }
            }
        }

        /// The built-in kinds, in the order the JSON Schema lists them.
        pub static TABLE: &[Entry] = &[$( Entry { kind: Kind::$kind, builtin: &$module::KIND } ),*];

        /// The semantic checks of a built-in kind: the located body in, the typed operation out.
        pub fn lower(kind: Kind, o: &Obj, cx: &mut Cx) -> Option<OpSpec> {
            match kind {
                $( Kind::$kind => $module::lower(o, cx).map(OpSpec::$variant), )*
                Kind::External(_) => None,
            }
        }

        /// The exact request the API page documents; `None` for a plugin kind.
        pub fn wire(op: &OpSpec) -> Option<Wire> {
            match op {
                $( OpSpec::$variant(body) => Some($module::request(body)), )*
                OpSpec::External(_) => None,
            }
        }
    };
}

builtin_kinds! {
    RdsRestore / Rds(super::bodies::RdsRestore) = "rds.restore" => rds_restore;
    DdmRestore / Ddm(super::bodies::DdmRestore) = "ddm.restore" => ddm_restore;
    DdmMetadataRestore / DdmMetadata(super::bodies::DdmMetadataRestore) = "ddm.metadata_restore" => ddm_metadata_restore;
    TaurusdbRestore / Taurusdb(super::bodies::TaurusdbRestore) = "taurusdb.restore" => taurusdb_restore;
    CbrRestore / Cbr(super::bodies::CbrRestore) = "cbr.restore" => cbr_restore;
    DcsRestore / Dcs(super::bodies::DcsRestore) = "dcs.restore" => dcs_restore;
    /// RDS restore into a new instance (`POST /v3/{project_id}/instances` + `restore_point`).
    RdsRestoreNew / RdsNew(super::create::RestoreNew) = "rds.restore_new" => rds_restore_new;
    /// DDS restore into a new instance.
    DdsRestoreNew / DdsNew(super::create::RestoreNew) = "dds.restore_new" => dds_restore_new;
    /// DDS restore to the original instance (the body of `rds.restore`: `{source, target}`).
    DdsRestore / DdsRecovery(super::bodies::RdsRestore) = "dds.restore" => dds_restore;
    /// DDS database and collection point-in-time restore.
    DdsRestoreCollections / DdsCollections(super::create::DdsCollections) = "dds.restore_collections" => dds_restore_collections;
    /// RDS table- and database-level point-in-time restore.
    RdsRestoreTables / RdsTables(rds_restore_tables::RdsTablesRestore) = "rds.restore_tables" => rds_restore_tables;
    /// GaussDB (openGauss) restore into a new instance.
    GaussdbRestoreNew / GaussdbNew(super::create::RestoreNew) = "gaussdb.restore_new" => gaussdb_restore_new;
}

/// One row of [`TABLE`]: a built-in kind and its file's declaration.
pub struct Entry {
    pub kind: Kind,
    pub builtin: &'static Builtin,
}

/// The body of a plugin kind, with the footprint its declaration derived at load time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalOp {
    pub kind: Kind,
    /// The body as written (secrets only as references, never values).
    pub body: serde_json::Value,
    #[serde(default)]
    pub footprint: Footprint,
    /// The secret references at the body's sensitive fields, by JSON pointer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<(String, SecretRef)>,
}

/// The built-in kinds as declarations, in table order (body schemas `$ref` into the spec
/// schema's `$defs`).
pub fn builtin_decls() -> Vec<KindDecl> {
    TABLE.iter().map(|e| e.builtin.decl().clone()).collect()
}

/// The schema generator every built-in body schema is generated with: the settings of the
/// spec schema itself, so `$ref`s agree.
pub fn schema_generator() -> schemars::SchemaGenerator {
    schemars::SchemaGenerator::default()
}

/// The declaration of a built-in kind.
pub fn get(kind: Kind) -> Option<&'static Builtin> {
    TABLE.iter().find(|e| e.kind == kind).map(|e| e.builtin)
}

impl Builtin {
    /// The declaration every kind shares with plugin kinds (schema `$ref`s point into the
    /// spec schema's `$defs`).
    pub fn decl(&self) -> &'static KindDecl {
        static DECLS: OnceLock<Vec<KindDecl>> = OnceLock::new();
        let decls = DECLS.get_or_init(|| {
            let mut generator = schema_generator();
            TABLE
                .iter()
                .map(|e| e.builtin.declare(e.kind, &mut generator))
                .collect()
        });
        let at = TABLE
            .iter()
            .position(|e| std::ptr::eq(e.builtin, self))
            .unwrap_or_default();
        &decls[at]
    }

    fn declare(&self, kind: Kind, generator: &mut schemars::SchemaGenerator) -> KindDecl {
        KindDecl {
            name: kind.as_str().to_owned(),
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

    /// The pointer of the backup it restores: its footprint's read of a backup.
    pub fn backup_pointer(&self) -> Option<&'static str> {
        self.footprint
            .iter()
            .find(|r| r.access == Access::Reads && r.class.is_backup())
            .map(|r| r.pointer)
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

/// The string at `pointer` in the operation's body.
pub(super) fn string_at(op: &OpSpec, pointer: &str) -> Option<String> {
    first_str(&body(op), pointer)
}

/// The value at `pointer` (no `*`) in the operation's body.
pub(super) fn value_at(op: &OpSpec, pointer: &str) -> Option<Value> {
    body(op).pointer(pointer).cloned()
}

/// Sets the field at `pointer` (no `*`; its parent object must exist) of the operation's body
/// to `value`, through the body's serde form; false if the result is not a valid body.
pub(super) fn set_at(op: &mut OpSpec, pointer: &str, value: Value) -> bool {
    let mut v = body(op);
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let Some(Value::Object(map)) = v.pointer_mut(parent) else {
        return false;
    };
    map.insert(key.to_owned(), value);
    match serde_json::from_value::<OpSpec>(v) {
        Ok(pinned) if pinned.kind() == op.kind() => {
            *op = pinned;
            true
        }
        _ => false,
    }
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
            rule.access.record(&mut fp, Resource::new(rule.class, id));
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
