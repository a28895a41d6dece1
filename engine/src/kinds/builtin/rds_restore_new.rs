//! `rds.restore_new`: RDS restore into a new instance (`POST /v3/{project_id}/instances` with `restore_point`).

use super::shared::create;
use super::shared::schema_types as schema;
use super::declare::{Builtin, Wire, reads, TimeChoice, LatestBackup};
use crate::kinds::create::RestoreNew;
use crate::kinds::footprint::ResourceClass as C;
use crate::kinds::services::Service;
use crate::syntax::cx::Cx;
use crate::syntax::obj::Obj;
use schemars::JsonSchema;
use serde::Deserialize;

pub static KIND: Builtin = Builtin {
    service: Service::Rds,
    footprint: &[
        reads("/restore_point/instance_id", C::RdsInstance),
        reads("/restore_point/backup_id", C::RdsBackup),
    ],
    creates: Some(C::RdsInstance),
    outputs: &["instance_id", "name", "job_id", "private_ip", "port"],
    expected_minutes: 40,
    id_pattern: "in01",
    restore_times: &["/restore_point/restore_time"],
    existing_target: None,
    source_and_target: None,
    own_source: None,
    time_choice: Some(TimeChoice {
        windows_of: "/restore_point/instance_id",
        time: "/restore_point/restore_time",
    }),
    latest_backup: Some(LatestBackup {
        of: &["/restore_point/instance_id"],
        unless: None,
    }),
    schema: Body::json_schema,
};

/// RDS restore into a new instance (MySQL, PostgreSQL, SQL Server): `POST /v3/{project_id}/instances` with `restore_point`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its JSON Schema is used
struct Body {
    /// The new instance's name: 4 to 64 characters, starting with a letter; letters, digits, `-`, `_`. rewind makes sure it is unique before the create.
    name: String,
    restore_point: schema::RdsRestorePoint,
    /// The root password: `${secrets.NAME}` or `${env.VAR}`, never a literal.
    #[schemars(extend("sensitive" = true))]
    password: String,
    ha: Option<schema::Ha>,
    /// Parameter template ID.
    configuration_id: Option<String>,
    /// A string in the API (an integer is accepted): MySQL 1024-65535, PostgreSQL 2100-9500, SQL Server 1433 or 2100-9500.
    port: Option<schema::IntOrText>,
    backup_strategy: Option<schema::BackupStrategy>,
    disk_encryption_id: Option<String>,
    /// Specification code, e.g. `rds.mysql.n1.large`; also tells rewind the engine.
    flavor_ref: String,
    volume: schema::Volume,
    /// AZ ID; one per node, comma-separated, for primary/standby instances.
    availability_zone: String,
    vpc_id: String,
    subnet_id: String,
    /// Floating IP address of the new instance.
    data_vip: Option<String>,
    security_group_id: Option<String>,
    /// SQL Server only (`rds.mssql...` flavors).
    collation: Option<String>,
}

pub fn lower(o: &Obj, cx: &mut Cx) -> Option<RestoreNew> {
    create::rds_new(o, Body::json_schema, cx)
}

pub fn request(r: &RestoreNew) -> Wire {
    Wire {
        path: "/v3/{project_id}/instances".to_owned(),
        body: create::create_body(r),
    }
}
