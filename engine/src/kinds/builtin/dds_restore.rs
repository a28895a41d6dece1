//! `dds.restore`: DDS restore to the original instance (`POST /v3/{project_id}/instances/recovery`).

use super::shared::create::Svc;
use super::shared::schema_types as schema;
use super::shared::{TimeAs, recovery, recovery_body};
use super::{Builtin, Wire, reads, writes};
use crate::kinds::{Kind, OpSpec, ResourceClass as C, Service};
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use schemars::JsonSchema;
use serde::Deserialize;

pub static KIND: Builtin = Builtin {
    kind: Kind::DdsRestore,
    service: Service::Dds,
    footprint: &[
        writes("/target/instance_id", C::DdsInstance),
        reads("/source/instance_id", C::DdsInstance),
        reads("/source/backup_id", C::DdsBackup),
    ],
    creates: None,
    outputs: &["instance_id", "job_id"],
    expected_minutes: 30,
    id_pattern: "in02",
    restore_times: &["/source/restore_time"],
    existing_target: Some("/target/instance_id"),
    source_and_target: Some(("/source/instance_id", "/target/instance_id")),
    schema: Body::json_schema,
    lower,
    request,
};

/// DDS restore to the original instance: `POST /v3/{project_id}/instances/recovery`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    source: schema::RdsSource,
    target: schema::InstanceRef,
}

fn lower(o: &Obj, cx: &mut Cx) -> Option<OpSpec> {
    recovery(o, Svc::Dds, cx).map(OpSpec::DdsRecovery)
}

fn request(op: &OpSpec) -> Wire {
    let OpSpec::DdsRecovery(r) = op else {
        unreachable!("dds.restore renders only its own body")
    };
    // The DDS parameter table types `source.restore_time` String (RDS: Integer).
    Wire {
        path: "/v3/{project_id}/instances/recovery".to_owned(),
        body: recovery_body(r, TimeAs::String),
    }
}
