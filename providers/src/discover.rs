//! Read-only cloud queries that `rewind init` scaffolds a spec from (never a submit).

use crate::check::{self, Paged};
use crate::client::Client;
use crate::query::Query;
use crate::wire_time;
use rewind_engine::kinds::Service;
use serde_json::Value;
use std::sync::Arc;

/// Pages read at most from one list.
const MAX_PAGES: usize = 20;

/// Why a query gave no usable answer: the cloud said no, or could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverError {
    pub message: String,
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DiscoverError {}

pub type Found<T> = Result<T, DiscoverError>;

/// Read-only queries over the shared client.
#[derive(Debug, Clone)]
pub struct Discover {
    client: Arc<Client>,
}

fn fail(path: &str, why: impl std::fmt::Display) -> DiscoverError {
    DiscoverError {
        message: format!("GET {path}: {why}"),
    }
}

impl Discover {
    pub fn new(client: Arc<Client>) -> Discover {
        Discover { client }
    }

    async fn get(&self, service: Service, path: &str, query: &Query) -> Found<Value> {
        match check::fetch(&self.client, service, path, query).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(why)) => Err(fail(path, why)),
            Err(e) => Err(fail(path, e.message)),
        }
    }

    async fn list(&self, paged: Paged<'_>, query: &Query) -> Found<(Vec<Value>, Value)> {
        match check::fetch_all(&self.client, paged, query).await {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(why)) => Err(fail(paged.path, why)),
            Err(e) => Err(fail(paged.path, e.message)),
        }
    }

    // ---- DDM (otc-api.md §1.3) ----

    /// `GET /v1/{project_id}/instances/{id}`.
    pub async fn ddm_instance(&self, id: &str) -> Found<Value> {
        let path = format!("/v1/{{project_id}}/instances/{id}");
        self.get(Service::Ddm, &path, &Query::new()).await
    }

    /// The restorable windows of a DDM instance (epoch ms, inclusive).
    pub async fn ddm_windows(&self, id: &str) -> Found<Vec<(i64, i64)>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/restorable-time-interval");
        let (items, _) = self
            .list(ddm_paged(&path, "restorable_time_intervals"), &Query::new())
            .await?;
        Ok(check::windows(&Value::Array(items)))
    }

    /// The data nodes related to `id` at `restore_time`.
    pub async fn ddm_related_nodes(&self, id: &str, restore_time: i64) -> Found<Vec<Value>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/related-dn");
        let query = Query::new().with("restore_time", restore_time);
        Ok(self
            .list(ddm_paged(&path, "related_data_nodes"), &query)
            .await?
            .0)
    }

    /// The DDM instances `id` can restore to.
    pub async fn ddm_restorable_instances(&self, id: &str) -> Found<Vec<Value>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/restorable-instances");
        Ok(self
            .list(ddm_paged(&path, "instances"), &Query::new())
            .await?
            .0)
    }

    /// The RDS instances that can take `source_dn`'s data for a restore of `id` onto `target`.
    pub async fn ddm_restorable_nodes(
        &self,
        id: &str,
        source_dn: &str,
        target: &str,
        restore_time: i64,
    ) -> Found<Vec<Value>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/backups/restorable-data-node");
        let query = Query::new()
            .with("source_dn_instance_id", source_dn)
            .with("target_instance_id", target)
            .with("restore_time", restore_time);
        Ok(self
            .list(ddm_paged(&path, "target_data_nodes"), &query)
            .await?
            .0)
    }

    // ---- RDS, TaurusDB and DDS share the DBS shapes ----

    /// `GET /v3/{project_id}/instances?id=`: the one instance, or an error naming it.
    pub async fn instance(&self, service: Service, id: &str) -> Found<Value> {
        let path = "/v3/{project_id}/instances";
        let body = self
            .get(service, path, &Query::new().with("id", id))
            .await?;
        check::find(check::array(&body["instances"]), "id", id)
            .cloned()
            .ok_or_else(|| fail(&format!("{path}?id={id}"), format!("no instance {id}")))
    }

    /// `GET /v3/{project_id}/instances/{id}` (TaurusDB's detail path).
    pub async fn taurusdb_instance(&self, id: &str) -> Found<Value> {
        let path = format!("/v3/{{project_id}}/instances/{id}");
        let body = self.get(Service::Taurusdb, &path, &Query::new()).await?;
        Ok(if body["instance"].is_object() {
            body["instance"].clone()
        } else {
            body
        })
    }

    /// `GET /v3/{project_id}/instances/{id}/restore-time` windows (`date` only for DDS,
    /// which answers one UTC day).
    pub async fn windows(&self, service: Service, id: &str, time: i64) -> Found<Vec<(i64, i64)>> {
        let path = format!("/v3/{{project_id}}/instances/{id}/restore-time");
        let (query, key) = match service {
            Service::Dds => (
                Query::new().with("date", wire_time::format(time, "%Y-%m-%d")),
                "restore_time",
            ),
            Service::Taurusdb => (Query::new(), "restore_times"),
            _ => (Query::new(), "restore_time"),
        };
        let body = self.get(service, &path, &query).await?;
        Ok(check::windows(&body[key]))
    }

    /// `GET /v3/{project_id}/backups?instance_id=`: the instance's backups.
    pub async fn backups(&self, service: Service, instance_id: &str) -> Found<Vec<Value>> {
        let path = "/v3/{project_id}/backups";
        let body = self
            .get(
                service,
                path,
                &Query::new().with("instance_id", instance_id),
            )
            .await?;
        Ok(check::array(&body["backups"]).to_vec())
    }

    // ---- DCS and CBR ----

    /// `GET /v2/{project_id}/instances/{id}/backups`.
    pub async fn dcs_backups(&self, id: &str) -> Found<Vec<Value>> {
        let path = format!("/v2/{{project_id}}/instances/{id}/backups");
        let paged = Paged {
            service: Service::Dcs,
            path: &path,
            items: "backup_record_response",
            total: "total_num",
            page: 50,
            max_pages: MAX_PAGES,
        };
        Ok(self.list(paged, &Query::new()).await?.0)
    }

    /// `GET /v3/{project_id}/backups?resource_id=`: CBR backups of a server or a volume.
    pub async fn cbr_backups(&self, resource_id: &str) -> Found<Vec<Value>> {
        let path = "/v3/{project_id}/backups";
        let paged = Paged {
            service: Service::Cbr,
            path,
            items: "backups",
            total: "count",
            page: 100,
            max_pages: MAX_PAGES,
        };
        Ok(self
            .list(paged, &Query::new().with("resource_id", resource_id))
            .await?
            .0)
    }
}

fn ddm_paged<'a>(path: &'a str, items: &'a str) -> Paged<'a> {
    Paged {
        service: Service::Ddm,
        path,
        items,
        total: "total",
        page: 128,
        max_pages: MAX_PAGES,
    }
}
