//! `dds.restore_new`: DDS (MongoDB) restore into a new instance (`POST /v3/{project_id}/instances` with `restore_point`).

use super::shared::create;
use super::shared::schema_types as schema;
use super::declare::{Builtin, Wire, reads, LatestBackup};
use crate::kinds::create::RestoreNew;
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use schemars::JsonSchema;
use serde::Deserialize;

pub static KIND: Builtin = Builtin {
    service: Service::Dds,
    footprint: &[
        reads("/restore_point/instance_id", C::DdsInstance),
        reads("/restore_point/backup_id", C::DdsBackup),
    ],
    creates: Some(C::DdsInstance),
    outputs: &["instance_id", "name", "job_id", "private_ip", "port"],
    expected_minutes: 40,
    id_pattern: "in02",
    restore_times: &["/restore_point/restore_time"],
    existing_target: None,
    source_and_target: None,
    own_source: None,
    time_choice: None,
    latest_backup: Some(LatestBackup {
        of: &["/restore_point/instance_id"],
        unless: None,
    }),
    schema: Body::json_schema,
};

/// DDS (MongoDB) restore into a new instance: `POST /v3/{project_id}/instances` with `restore_point`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// The new instance's name: 4 to 64 characters, starting with a letter; letters, digits, `-`, `_`. rewind makes sure it is unique before the create.
    name: String,
    restore_point: schema::DdsRestorePoint,
    /// The root password, optional: `${secrets.NAME}` or `${env.VAR}`, never a literal.
    #[schemars(extend("sensitive" = true))]
    password: Option<String>,
    availability_zone: String,
    vpc_id: String,
    subnet_id: String,
    security_group_id: String,
    disk_encryption_id: Option<String>,
    flavor: Vec<schema::DdsFlavor>,
    backup_strategy: Option<schema::BackupStrategy>,
    enterprise_project_id: Option<String>,
    /// `"1"` enables SSL (the default), `"0"` disables it.
    ssl_option: Option<schema::IntOrText>,
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<RestoreNew> {
    create::dds_new(o, Body::json_schema, cx)
}

pub fn request(r: &RestoreNew) -> Wire {
    Wire {
        path: "/v3/{project_id}/instances".to_owned(),
        body: create::create_body(r),
    }
}
