//! `rds.restore`: RDS restore to an existing instance (`POST /v3/{project_id}/instances/recovery`).

use super::declare::{Builtin, TimeChoice, Wire, reads, writes};
use super::shared::TimeAs;
use super::shared::recovery::{self, Recovery};
use super::shared::svc::Svc;
use crate::kinds::bodies::RdsRestore;
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use schemars::{Schema, SchemaGenerator};

pub static KIND: Builtin = recovery::declare(Recovery {
    service: Service::Rds,
    footprint: &[
        writes("/target/instance_id", C::RdsInstance),
        reads("/source/instance_id", C::RdsInstance),
        reads("/source/backup_id", C::RdsBackup),
    ],
    id_pattern: "in01",
    time_choice: Some(TimeChoice {
        windows_of: "/source/instance_id",
        time: "/source/restore_time",
    }),
    schema,
});

fn schema(generator: &mut SchemaGenerator) -> Schema {
    recovery::schema(
        generator,
        "RDS for MySQL point-in-time or backup restore: `POST /v3/{project_id}/instances/recovery`.",
    )
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<RdsRestore> {
    recovery::lower(o, Svc::Rds, cx)
}

pub fn request(r: &RdsRestore) -> Wire {
    recovery::request(r, TimeAs::Integer)
}
