//! What a built-in kind's file declares: its [`Builtin`] record, footprint [`Rule`]s and [`Wire`] request.
//
// A leaf: kind files import it (and the other leaves: footprint, services, bodies) directly,
// so no import runs from a kind file back up to the table that lists it.

use crate::kinds::decl::Access;
use crate::kinds::footprint::ResourceClass;
use crate::kinds::services::Service;
use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

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

/// The instance a kind restores from its own backups (and logs) when its API names no other
/// source: the DCS instance, the DDS instance of a collection restore, the RDS instance of a
/// table restore.
#[derive(Debug, Clone, Copy)]
pub struct OwnSource {
    pub pointer: &'static str,
    pub class: ResourceClass,
    /// Whether the restore overwrites that instance's data (DCS), so that data newer than the
    /// restore point is lost; `false` when the restored objects land beside the live ones.
    pub overwritten: bool,
}

/// Where a kind takes `restore_time: latest | random_within` (a drill's choice of point).
#[derive(Debug, Clone, Copy)]
pub struct TimeChoice {
    /// The instance whose restorable windows the point is chosen from.
    pub windows_of: &'static str,
    /// The time the chosen point is pinned at.
    pub time: &'static str,
}

/// Where a kind takes `backup_id: latest`: the instance whose newest backup it restores
/// (the first of `of` that is set), pinned at its backup read (see [`Builtin::footprint`]).
#[derive(Debug, Clone, Copy)]
pub struct LatestBackup {
    pub of: &'static [&'static str],
    /// When this field is set, the body names no one source (a CBR server restore, whose
    /// `mappings` name the disk backups of one server backup).
    pub unless: Option<&'static str>,
}

/// Everything about one built-in kind but its name and its typed body, which its row in the
/// table gives. Pointers point into the body as the spec writes it (the operation's keys
/// besides `kind`, `depends_on`, ...), which is also how the lowered body serializes.
///
/// Besides this record (`pub static KIND`), a kind file has `pub fn lower(&Obj, &mut Cx) ->
/// Option<Body>` (the semantic checks: the located body in, the typed body out) and `pub fn
/// request(&Body) -> Wire` (the exact request the API page documents).
pub struct Builtin {
    pub service: Service,
    /// What the kind reads and overwrites, as pointers into the body. The read of a backup
    /// class is the backup it restores (`backup_id`).
    pub footprint: &'static [Rule],
    /// The class of the instance it creates (its ID is the output `instance_id`; its name is
    /// the body's `/name`, the create's idempotency key), if any.
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
    /// The instance it restores from its own backups, when the body names no other source.
    pub own_source: Option<OwnSource>,
    /// Where it takes `restore_time: latest | random_within`, if it does.
    pub time_choice: Option<TimeChoice>,
    /// Where it takes `backup_id: latest`, if it does.
    pub latest_backup: Option<LatestBackup>,
    /// The body's JSON Schema (properties documented as the API page types them; sensitive
    /// fields carry `"sensitive": true`).
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}
