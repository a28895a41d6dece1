//! `dds.restore`: DDS restore to the original instance (`POST /v3/{project_id}/instances/recovery`).

use super::declare::{Builtin, Wire, reads, writes};
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
    service: Service::Dds,
    footprint: &[
        writes("/target/instance_id", C::DdsInstance),
        reads("/source/instance_id", C::DdsInstance),
        reads("/source/backup_id", C::DdsBackup),
    ],
    id_pattern: "in02",
    time_choice: None,
    schema,
});

fn schema(generator: &mut SchemaGenerator) -> Schema {
    recovery::schema(
        generator,
        "DDS restore to the original instance: `POST /v3/{project_id}/instances/recovery`.",
    )
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<RdsRestore> {
    recovery::lower(o, Svc::Dds, cx)
}

pub fn request(r: &RdsRestore) -> Wire {
    // The DDS parameter table types `source.restore_time` String (RDS: Integer).
    recovery::request(r, TimeAs::String)
}
