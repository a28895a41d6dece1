//! The restore kinds: the built-in typed bodies, plugin kinds, and their declarations.
//
// The table in `builtin` generates `Kind` and `OpSpec`; this module holds what every kind
// shares (parsing names, reading a body through its kind's declaration).

mod bodies;
pub mod builtin;
mod create;
mod decl;
mod footprint;
mod names;
mod request;
pub mod services;

pub use bodies::{
    CbrDetails, CbrMapping, CbrRestore, DataNodeRelation, DcsRestore, DdmMetadataRestore,
    DdmRestore, DdmSource, InstanceRef, MetadataSource, MetadataTarget, RdsRestore, RdsSource,
    RestoreType, TaurusdbRestore,
};
pub use builtin::rds_restore_tables::{
    MysqlDatabase, PgDatabase, PgSchema, RdsTablesRestore, Rename, TableObjects,
};
pub use builtin::{ExternalOp, Kind, OpSpec, builtin_decls, schema_generator};
pub use create::{
    DdsCollection, DdsCollections, DdsDatabase, RestoreNew, RestorePoint, SENSITIVE, Secret,
    SecretRef,
};
pub use decl::{Access, COMMON_KEYS, FootprintRule, KindDecl, is_unknown, output_template};
pub use footprint::{Footprint, Resource, ResourceClass};
pub use names::intern;
pub use request::ApiRequest;
pub use services::Service;

use std::fmt;

impl Kind {
    /// A built-in kind by name; plugin kinds are looked up in their declarations.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A built-in kind by name, else the external kind of that name.
    pub fn parse_any(s: &str) -> Kind {
        Kind::parse(s).unwrap_or_else(|| Kind::External(intern(s)))
    }

    pub fn service(self) -> Service {
        match self {
            Kind::External(name) => {
                Service::External(intern(name.split_once('.').map_or(name, |(svc, _)| svc)))
            }
            builtin => builtin::get(builtin).map_or(Service::External(""), |b| b.service),
        }
    }
}

names::string_serde!(Kind, Kind::parse_any);

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl KindDecl {
    pub fn kind(&self) -> Kind {
        Kind::parse_any(&self.name)
    }

    /// Why this declaration cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.provider.is_some() && Kind::parse(&self.name).is_some() {
            return Some(format!("kind `{}` is built in", self.name));
        }
        self.shape_problem()
    }
}

impl OpSpec {
    /// The declaration of a built-in operation's kind; `None` for a plugin kind.
    pub fn builtin(&self) -> Option<&'static builtin::Builtin> {
        match self {
            OpSpec::External(_) => None,
            _ => builtin::get(self.kind()),
        }
    }

    /// The restore target that a restore "to the original" would also read from, if the
    /// kind has such a notion: `(source, target)` instance IDs.
    pub fn source_and_target(&self) -> Option<(String, String)> {
        builtin::source_and_target(self.builtin()?, self)
    }

    /// The point in time it restores to (epoch ms), when the spec names one; a restore from a
    /// backup names none (its backup's end time is the recovery point).
    pub fn restore_time(&self) -> Option<i64> {
        builtin::restore_time(self.builtin()?, self)
    }

    /// The existing instance a restore overwrites, with its service: what a drill's probes
    /// check. A create has none (its instance is an output), nor has CBR or a plugin kind.
    pub fn existing_target(&self) -> Option<(Service, String)> {
        builtin::existing_target(self.builtin()?, self)
    }

    /// The secret references the operation uses, by JSON pointer into its request body.
    pub fn secret_refs(&self) -> Vec<(String, SecretRef)> {
        match self {
            OpSpec::External(e) => e.secrets.clone(),
            _ => self
                .builtin()
                .map(|b| builtin::secret_refs(b, self))
                .unwrap_or_default(),
        }
    }

    /// The name of the instance this operation creates (its `name`), for kinds that create one:
    /// the create's idempotency key.
    pub fn created_name(&self) -> Option<String> {
        self.created_class()?;
        builtin::string_at(self, "/name")
    }

    /// The backup it restores, when it names one: its kind's read of a backup.
    pub fn backup_id(&self) -> Option<String> {
        builtin::string_at(self, self.builtin()?.backup_pointer()?)
    }

    /// The instance it restores from its own backups, when its body names no other source,
    /// and whether the restore overwrites that instance's data.
    pub fn own_source(&self) -> Option<(Resource, bool)> {
        let own = self.builtin()?.own_source?;
        let id = builtin::string_at(self, own.pointer)?;
        Some((Resource::new(own.class, &id), own.overwritten))
    }

    /// The instance whose restorable windows `restore_time: latest | random_within` chooses
    /// from, for the kinds that take it.
    pub fn time_choice_source(&self) -> Option<String> {
        builtin::string_at(self, self.builtin()?.time_choice?.windows_of)
    }

    /// Whether the time a time choice pins is set (`true` for the kinds that take no choice).
    pub fn time_is_pinned(&self) -> bool {
        self.builtin()
            .and_then(|b| b.time_choice)
            .is_none_or(|c| builtin::value_at(self, c.time).is_some_and(|v| !v.is_null()))
    }

    /// Pins `at` (epoch ms) as the chosen restore time; false when the kind takes no choice.
    pub fn pin_time(&mut self, at: i64) -> bool {
        let Some(choice) = self.builtin().and_then(|b| b.time_choice) else {
            return false;
        };
        builtin::set_at(self, choice.time, at.into())
    }

    /// The instance (CBR: the disk) whose newest backup `backup_id: latest` restores, for the
    /// kinds that take it and where the body names that one source.
    pub fn latest_backup_source(&self) -> Option<String> {
        let latest = self.builtin()?.latest_backup?;
        if latest
            .unless
            .is_some_and(|p| builtin::string_at(self, p).is_some())
        {
            return None;
        }
        latest.of.iter().find_map(|p| builtin::string_at(self, p))
    }

    /// Pins `backup` as the backup it restores; false when the kind takes no `latest`.
    pub fn pin_backup(&mut self, backup: &str) -> bool {
        let Some(b) = self.builtin().filter(|b| b.latest_backup.is_some()) else {
            return false;
        };
        b.backup_pointer()
            .is_some_and(|p| builtin::set_at(self, p, backup.into()))
    }

    /// The class of the instance this operation creates, for kinds that create one.
    pub fn created_class(&self) -> Option<ResourceClass> {
        self.builtin()?.creates
    }

    /// What the operation reads and overwrites: its kind's footprint rules applied to its
    /// body (a plugin kind's were applied when it was lowered).
    pub fn footprint(&self) -> Footprint {
        let mut fp = match self {
            OpSpec::External(e) => e.footprint.clone(),
            _ => self
                .builtin()
                .map(|b| builtin::footprint(b, self))
                .unwrap_or_default(),
        };
        for list in [&mut fp.reads, &mut fp.writes] {
            list.sort();
            list.dedup();
        }
        fp
    }
}
