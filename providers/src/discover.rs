//! Read-only cloud queries that `rewind init` scaffolds a spec from (never a submit).
//
// This module holds the queries' plumbing and those the DBS family shares (`instance`,
// `backups`). A service's own queries are `impl Discover` blocks in its module (`ddm.rs`,
// `taurusdb.rs`, `dcs.rs`, `cbr.rs`); `windows` reads the providers' table (`cloud.rs`).

use crate::check::{self, Paged};
use crate::client::Client;
use crate::query::Query;
use rewind_engine::kinds::Service;
use serde_json::Value;
use std::sync::Arc;

/// Pages read at most from one list.
pub(crate) const MAX_PAGES: usize = 20;

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

pub(crate) fn fail(path: &str, why: impl std::fmt::Display) -> DiscoverError {
    DiscoverError {
        message: format!("GET {path}: {why}"),
    }
}

impl Discover {
    pub fn new(client: Arc<Client>) -> Discover {
        Discover { client }
    }

    pub(crate) async fn get(&self, service: Service, path: &str, query: &Query) -> Found<Value> {
        match check::fetch(&self.client, service, path, query).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(why)) => Err(fail(path, why)),
            Err(e) => Err(fail(path, e.message)),
        }
    }

    pub(crate) async fn list(&self, paged: Paged<'_>, query: &Query) -> Found<(Vec<Value>, Value)> {
        match check::fetch_all(&self.client, paged, query).await {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(why)) => Err(fail(paged.path, why)),
            Err(e) => Err(fail(paged.path, e.message)),
        }
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
}

/// The DBS family's `restore-time` query: no parameters; the windows are under `restore_time`.
pub(crate) fn dbs_restore_times(_time: i64) -> (Query, &'static str) {
    (Query::new(), "restore_time")
}
