//! Rendering an operation into the exact HTTP request its API documents.

use super::{OpSpec, RdsRestore, RestoreNew, SENSITIVE, Service};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The wire request of one restore. `path` keeps the literal `{project_id}` placeholder: the
/// project is a property of the credentials, not of the spec, and the provider fills it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRequest {
    pub service: Service,
    pub method: String,
    pub path: String,
    pub body: Value,
}

fn opt(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v);
    }
}

impl OpSpec {
    /// The request body and path exactly as the API page documents them.
    pub fn request(&self) -> ApiRequest {
        let (service, path, body) = match self {
            // A plugin's wire request is its own business: the plan shows the body it is given.
            OpSpec::External(e) => {
                return ApiRequest {
                    service: e.kind.service(),
                    method: "SUBMIT".to_owned(),
                    path: e.kind.as_str().to_owned(),
                    body: e.body.clone(),
                };
            }
            OpSpec::Rds(r) => (
                Service::Rds,
                "/v3/{project_id}/instances/recovery".to_owned(),
                recovery_body(r),
            ),
            OpSpec::DdsRecovery(r) => (
                Service::Dds,
                "/v3/{project_id}/instances/recovery".to_owned(),
                recovery_body(r),
            ),
            OpSpec::RdsNew(r) => (
                Service::Rds,
                "/v3/{project_id}/instances".to_owned(),
                create_body(r),
            ),
            OpSpec::DdsNew(r) => (
                Service::Dds,
                "/v3/{project_id}/instances".to_owned(),
                create_body(r),
            ),
            OpSpec::DdsCollections(r) => (
                Service::Dds,
                format!(
                    "/v3/{{project_id}}/instances/{}/restore/collections",
                    r.instance_id
                ),
                json!({ "restore_collections": r.restore_collections.iter().map(|d| {
                    let mut db = Map::new();
                    db.insert("database".into(), json!(d.database));
                    if !d.collections.is_empty() {
                        db.insert("collections".into(), json!(d.collections.iter().map(|c| {
                            let mut m = Map::new();
                            m.insert("old_name".into(), json!(c.old_name));
                            opt(&mut m, "new_name", c.new_name.as_ref().map(|v| json!(v)));
                            m.insert("restore_collection_time".into(), json!(c.restore_collection_time));
                            Value::Object(m)
                        }).collect::<Vec<_>>()));
                    }
                    opt(&mut db, "restore_database_time", d.restore_database_time.map(|v| json!(v)));
                    Value::Object(db)
                }).collect::<Vec<_>>() }),
            ),
            OpSpec::Ddm(r) => (
                Service::Ddm,
                format!(
                    "/v3/{{project_id}}/instances/{}/backups/recovery",
                    r.instance_id
                ),
                json!({
                    "source": { "instance_id": r.source.instance_id, "restore_time": r.source.restore_time },
                    "target": { "instance_id": r.target.instance_id },
                    "data_node_relations": r.data_node_relations.iter().map(|d| json!({
                        "source_instance_id": d.source_instance_id,
                        "target_instance_id": d.target_instance_id,
                    })).collect::<Vec<_>>(),
                }),
            ),
            OpSpec::DdmMetadata(r) => {
                let mut source = Map::new();
                opt(
                    &mut source,
                    "restore_time",
                    r.source.restore_time.map(|v| json!(v)),
                );
                opt(
                    &mut source,
                    "backup_id",
                    r.source.backup_id.as_ref().map(|v| json!(v)),
                );
                (
                    Service::Ddm,
                    format!(
                        "/v3/{{project_id}}/instances/{}/backups/metadata-recovery",
                        r.instance_id
                    ),
                    json!({
                        "source": source,
                        "target": { "instance_id": r.target.instance_id, "data_nodes": r.target.data_nodes },
                    }),
                )
            }
            OpSpec::Taurusdb(r) => {
                let mut body = Map::new();
                body.insert("source_instance_id".into(), json!(r.source_instance_id));
                body.insert("target_instance_id".into(), json!(r.target_instance_id));
                body.insert("type".into(), json!(r.restore_type.as_str()));
                opt(
                    &mut body,
                    "backup_id",
                    r.backup_id.as_ref().map(|v| json!(v)),
                );
                opt(&mut body, "restore_time", r.restore_time.map(|v| json!(v)));
                (
                    Service::Taurusdb,
                    "/v3/{project_id}/instances/restore".to_owned(),
                    Value::Object(body),
                )
            }
            OpSpec::Cbr(r) => {
                let mut restore = Map::new();
                if !r.mappings.is_empty() {
                    restore.insert(
                        "mappings".into(),
                        json!(
                            r.mappings
                                .iter()
                                .map(|m| json!({
                                    "backup_id": m.backup_id, "volume_id": m.volume_id
                                }))
                                .collect::<Vec<_>>()
                        ),
                    );
                }
                restore.insert("power_on".into(), json!(r.power_on));
                opt(
                    &mut restore,
                    "server_id",
                    r.server_id.as_ref().map(|v| json!(v)),
                );
                opt(
                    &mut restore,
                    "volume_id",
                    r.volume_id.as_ref().map(|v| json!(v)),
                );
                opt(
                    &mut restore,
                    "resource_id",
                    r.resource_id.as_ref().map(|v| json!(v)),
                );
                opt(
                    &mut restore,
                    "details",
                    r.details
                        .as_ref()
                        .map(|d| json!({ "destination_path": d.destination_path })),
                );
                (
                    Service::Cbr,
                    format!("/v3/{{project_id}}/backups/{}/restore", r.backup_id),
                    json!({ "restore": restore }),
                )
            }
            OpSpec::Dcs(r) => {
                let mut body = Map::new();
                body.insert("backup_id".into(), json!(r.backup_id));
                opt(&mut body, "remark", r.remark.as_ref().map(|v| json!(v)));
                (
                    Service::Dcs,
                    format!("/v2/{{project_id}}/instances/{}/restores", r.instance_id),
                    Value::Object(body),
                )
            }
        };
        ApiRequest {
            service,
            method: "POST".to_owned(),
            path,
            body,
        }
    }
}

/// `{source{instance_id,type,backup_id|restore_time}, target{instance_id}}`: RDS and DDS alike.
fn recovery_body(r: &RdsRestore) -> Value {
    let mut source = Map::new();
    source.insert("instance_id".into(), json!(r.source.instance_id));
    source.insert("type".into(), json!(r.source.restore_type.as_str()));
    opt(
        &mut source,
        "backup_id",
        r.source.backup_id.as_ref().map(|v| json!(v)),
    );
    opt(
        &mut source,
        "restore_time",
        r.source.restore_time.map(|v| json!(v)),
    );
    json!({ "source": source, "target": { "instance_id": r.target.instance_id } })
}

/// The create body: `name`, the create fields as written, the password placeholder, then
/// `restore_point`. The password's value is put in by the provider, on the wire only.
fn create_body(r: &RestoreNew) -> Value {
    let mut body = Map::new();
    body.insert("name".into(), json!(r.name));
    for (k, v) in &r.create {
        body.insert(k.clone(), v.clone());
    }
    if r.password.is_some() {
        body.insert("password".into(), json!(SENSITIVE));
    }
    let p = &r.restore_point;
    let mut point = Map::new();
    opt(
        &mut point,
        "instance_id",
        p.instance_id.as_ref().map(|v| json!(v)),
    );
    opt(
        &mut point,
        "type",
        p.restore_type.map(|t| json!(t.as_str())),
    );
    opt(
        &mut point,
        "backup_id",
        p.backup_id.as_ref().map(|v| json!(v)),
    );
    opt(&mut point, "restore_time", p.restore_time.map(|v| json!(v)));
    body.insert("restore_point".into(), Value::Object(point));
    Value::Object(body)
}
