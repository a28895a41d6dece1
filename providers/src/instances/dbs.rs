//! RDS and DDS drill calls: the `/v3/{project_id}/instances` list and DELETE, and backup end times.
//
// Both services document the same list (`id` and `name` filters, a leading `*` for a fuzzy
// match, `offset`/`limit` up to 100, `total_count`) and the same DELETE, which answers 202
// `{"job_id"}` (RDS `deleting_a_db_instance.rst`, DDS `deleting_a_db_instance.rst`). Their
// backup lists both carry `end_time`: RDS as `yyyy-mm-ddThh:mm:ssZ`, DDS as
// `yyyy-mm-dd hh:mm:ss` in UTC.

use super::{DeleteCodes, ambiguous_name, info};
use crate::check;
use crate::client::Client;
use crate::create::Shape;
use crate::query::{Query, encode};
use crate::wire_time;
use rewind_engine::kinds::{OpSpec, RdsRestore, RestoreNew, RestoreType};
use rewind_engine::provider::{DeleteOutcome, InstanceInfo, Operation, ProviderError};
use serde_json::Value;

/// One of the two services, with what the drill calls need of it.
#[derive(Debug, Clone, Copy)]
pub struct Dbs {
    pub shape: &'static Shape,
    pub codes: DeleteCodes,
    /// Whether the backup list needs `instance_id` (RDS: mandatory; DDS: optional).
    pub backups_need_instance: bool,
}

const INSTANCES: &str = "/v3/{project_id}/instances";

impl Dbs {
    fn info(&self, instance: &Value) -> Option<InstanceInfo> {
        let (host, port) = (self.shape.address)(instance);
        let host = host.filter(|h| !h.is_empty());
        let port = port.and_then(|p| p.trim().parse().ok());
        info(instance, "id", host, port)
    }

    /// `GET /v3/{project_id}/instances?id=`: `None` when the list does not hold it.
    pub async fn instance(
        &self,
        client: &Client,
        id: &str,
    ) -> Result<Option<InstanceInfo>, ProviderError> {
        let query = Query::new().with("id", id);
        let reply = client.get(self.shape.service, INSTANCES, &query).await?;
        Ok(
            check::find(check::array(&reply.body["instances"]), "id", id)
                .and_then(|i| self.info(i)),
        )
    }

    /// The one instance named `name`. RDS compares names without case, so an exact spelling
    /// wins over others; two candidates left are an error.
    pub async fn by_name(
        &self,
        client: &Client,
        name: &str,
    ) -> Result<Option<InstanceInfo>, ProviderError> {
        let service = self.shape.service;
        let list = self
            .shape
            .by_name(client, name)
            .await?
            .map_err(|why| ProviderError {
                message: format!("{service}: listing instances named {name}: {why}"),
                transient: false,
            })?;
        let exact: Vec<&Value> = list
            .iter()
            .filter(|i| i["name"].as_str() == Some(name))
            .collect();
        let candidates: Vec<&Value> = if exact.is_empty() {
            list.iter().collect()
        } else {
            exact
        };
        match candidates.as_slice() {
            [] => Ok(None),
            [one] => Ok(self.info(one)),
            many => {
                let ids: Vec<String> = many
                    .iter()
                    .map(|i| i["id"].as_str().unwrap_or("?").to_owned())
                    .collect();
                Err(ambiguous_name(service, name, &ids))
            }
        }
    }

    /// `DELETE /v3/{project_id}/instances/{instance_id}`, once.
    pub async fn delete(&self, client: &Client, id: &str) -> Result<DeleteOutcome, ProviderError> {
        let path = format!("{INSTANCES}/{}", encode(id));
        self.codes
            .outcome(client.delete(self.shape.service, &path).await)
    }

    /// `GET /v3/{project_id}/backups?backup_id=[&instance_id=]`: the backup's `end_time`.
    /// `None` when the service no longer lists it (or never did).
    async fn backup_end(
        &self,
        client: &Client,
        instance_id: Option<&str>,
        backup_id: &str,
    ) -> Result<Option<i64>, ProviderError> {
        let mut query = Query::new();
        match instance_id {
            Some(id) => query = query.with("instance_id", id),
            None if self.backups_need_instance => return Ok(None),
            None => {}
        }
        query = query.with("backup_id", backup_id);
        let found = check::fetch(
            client,
            self.shape.service,
            "/v3/{project_id}/backups",
            &query,
        )
        .await?;
        Ok(found.ok().and_then(|body| {
            check::find(check::array(&body["backups"]), "id", backup_id)
                .and_then(|b| wire_time::value_ms(&b["end_time"]))
        }))
    }

    /// The backup end time of a backup restore, else the spec's `restore_time`.
    pub async fn recovery_point(
        &self,
        client: &Client,
        op: &Operation,
    ) -> Result<Option<i64>, ProviderError> {
        match &op.spec {
            OpSpec::Rds(r) | OpSpec::DdsRecovery(r) => match backup_of_recovery(r) {
                Some((source, backup)) => self.backup_end(client, Some(source), backup).await,
                None => Ok(op.spec.restore_time()),
            },
            OpSpec::RdsNew(n) | OpSpec::DdsNew(n) => match backup_of_new(n) {
                Some((source, backup)) => self.backup_end(client, source, backup).await,
                None => Ok(op.spec.restore_time()),
            },
            other => Ok(other.restore_time()),
        }
    }
}

fn backup_of_recovery(r: &RdsRestore) -> Option<(&str, &str)> {
    match (r.source.restore_type, &r.source.backup_id) {
        (RestoreType::Backup, Some(b)) => Some((r.source.instance_id.as_str(), b.as_str())),
        _ => None,
    }
}

fn backup_of_new(n: &RestoreNew) -> Option<(Option<&str>, &str)> {
    let point = &n.restore_point;
    match (point.restore_type, &point.backup_id) {
        (Some(RestoreType::Timestamp), _) | (_, None) => None,
        (_, Some(b)) => Some((point.instance_id.as_deref(), b.as_str())),
    }
}
