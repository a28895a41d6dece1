//! `DcsProvider`: `dcs.restore`, followed through the instance's restore records.

use crate::check::{self, Paged, check};
use crate::client::Client;
use crate::discover::{self, Discover, Found};
use crate::job::{self, percent};
use crate::query::{Query, encode};
use crate::rank::Ranks;
use crate::wire_time;
use rewind_engine::kinds::{DcsRestore, OpSpec, Service};
use rewind_engine::provider::{
    BoxFuture, Check, Handle, Operation, PollOutcome, Provider, ProviderError, SubmitError,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

const PAGE: usize = 100;
/// Pages of records read at most in one search.
const MAX_PAGES: usize = 10;

#[derive(Debug, Clone)]
pub struct DcsProvider {
    client: Arc<Client>,
    /// Each job's earliest possible end, which ranks its polls in the budget.
    ranks: Ranks,
}

fn spec(op: &Operation) -> Result<&DcsRestore, ProviderError> {
    match &op.spec {
        OpSpec::Dcs(spec) => Ok(spec),
        other => Err(ProviderError {
            message: format!(
                "{}: {} was handed to the dcs provider",
                op.name,
                other.kind()
            ),
            transient: false,
        }),
    }
}

pub fn outcome(record: &Value, instance_id: &str) -> PollOutcome {
    let restore_id = record["restore_id"].as_str().unwrap_or_default();
    match record["status"].as_str() {
        Some("succeed") => PollOutcome::Succeeded {
            outputs: BTreeMap::from([
                ("restore_id".to_owned(), restore_id.to_owned()),
                ("instance_id".to_owned(), instance_id.to_owned()),
            ]),
        },
        Some("failed") => {
            let code = record["error_code"].as_str().filter(|c| !c.is_empty());
            PollOutcome::Failed {
                reason: code.map_or_else(
                    || format!("restore {restore_id} failed"),
                    |c| format!("restore {restore_id} failed: {c}"),
                ),
            }
        }
        _ => PollOutcome::Running {
            percent: percent(&record["progress"]),
            handle: None,
        },
    }
}

impl DcsProvider {
    pub fn new(client: Arc<Client>) -> DcsProvider {
        DcsProvider {
            client,
            ranks: Ranks::default(),
        }
    }

    /// The instance's restore records (a 204 means there are none yet).
    async fn records(&self, instance_id: &str) -> Result<Vec<Value>, ProviderError> {
        let path = format!(
            "/v2/{{project_id}}/instances/{}/restores",
            encode(instance_id)
        );
        let list = Paged {
            service: Service::Dcs,
            path: &path,
            items: "restore_record_response",
            total: "total_num",
            page: PAGE,
            max_pages: MAX_PAGES,
        };
        check::fetch_all(&self.client, list, &Query::new())
            .await?
            .map(|(records, _)| records)
            .map_err(|why| ProviderError {
                message: format!("dcs: restore records of {instance_id}: {why}"),
                transient: false,
            })
    }

    async fn checks(&self, spec: &DcsRestore) -> Result<Vec<Check>, ProviderError> {
        let id = &spec.instance_id;
        let path = format!("/v2/{{project_id}}/instances/{}", encode(id));
        let instance = check::fetch(&self.client, Service::Dcs, &path, &Query::new()).await?;
        let mut checks = vec![check::status(
            format!("instance {id} is RUNNING"),
            &instance,
            &["RUNNING"],
        )];
        if let Ok(mode) = instance.as_ref().map(|i| i["cache_mode"].as_str())
            && let Some(mode) = mode
        {
            checks.push(check("instance is not single-node", mode != "single", mode));
        }

        let backup_id = &spec.backup_id;
        let path = format!("/v2/{{project_id}}/instances/{}/backups", encode(id));
        let list = Paged {
            service: Service::Dcs,
            path: &path,
            items: "backup_record_response",
            total: "total_num",
            page: PAGE,
            max_pages: MAX_PAGES,
        };
        let backup = check::fetch_all(&self.client, list, &Query::new())
            .await?
            .and_then(|(list, _)| {
                check::find(&list, "backup_id", backup_id)
                    .cloned()
                    .ok_or_else(|| format!("not among the backups of {id}"))
            });
        checks.push(check::status(
            format!("backup {backup_id} exists and succeeded"),
            &backup,
            &["succeed"],
        ));
        if let Ok(b) = &backup
            && let Some(flag) = b["is_support_restore"].as_str()
        {
            checks.push(check(
                "backup supports restore",
                flag.eq_ignore_ascii_case("TRUE"),
                flag,
            ));
        }
        Ok(checks)
    }
}

impl Provider for DcsProvider {
    fn service(&self) -> Service {
        Service::Dcs
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(self.client.prepare(Service::Dcs))
    }

    fn preflight<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Vec<Check>, ProviderError>> {
        Box::pin(async move { self.checks(spec(op)?).await })
    }

    fn submit<'a>(&'a self, op: &'a Operation) -> BoxFuture<'a, Result<Handle, SubmitError>> {
        Box::pin(async move {
            let request = job::checked_request(Service::Dcs, op)?;
            let reply = self
                .client
                .post(Service::Dcs, &request.path, &request.body)
                .await?;
            match reply.body["restore_id"].as_str() {
                Some(id) if !id.is_empty() => Ok(Handle::Restore {
                    restore_id: id.to_owned(),
                }),
                _ => Err(SubmitError::Ambiguous {
                    message: format!(
                        "dcs: accepted (HTTP {}) but the answer named no restore_id",
                        reply.status
                    ),
                }),
            }
        })
    }

    fn poll<'a>(
        &'a self,
        op: &'a Operation,
        handle: &'a Handle,
    ) -> BoxFuture<'a, Result<PollOutcome, ProviderError>> {
        Box::pin(self.ranks.poll(&op.name, async move {
            let spec = spec(op)?;
            let Handle::Restore { restore_id } = handle else {
                return Err(ProviderError {
                    message: format!("dcs: cannot follow a {handle:?} handle"),
                    transient: false,
                });
            };
            let records = self.records(&spec.instance_id).await?;
            // A record can show up a little after the POST answered; the walker decides when
            // "not there" means lost.
            Ok(check::find(&records, "restore_id", restore_id).map_or_else(
                || PollOutcome::NotFound {
                    detail: format!(
                        "dcs: no restore record {restore_id} on instance {}",
                        spec.instance_id
                    ),
                },
                |r| outcome(r, &spec.instance_id),
            ))
        }))
    }

    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            let spec = spec(op)?;
            let records = self.records(&spec.instance_id).await?;
            // Matched in the cloud's clock, as its answers (this one too) dated it.
            let from = self.client.clock().since(submitted_at);
            let newest = records
                .iter()
                .filter(|r| r["backup_id"].as_str() == Some(spec.backup_id.as_str()))
                .filter_map(|r| Some((wire_time::value_ms(&r["created_at"])?, r)))
                .filter(|(created, _)| *created >= from)
                .max_by_key(|(created, _)| *created)
                .map(|(_, r)| r);
            Ok(newest
                .and_then(|r| r["restore_id"].as_str())
                .map(|id| Handle::Restore {
                    restore_id: id.to_owned(),
                }))
        })
    }

    // Drill calls (`instances`).

    fn instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<rewind_engine::provider::InstanceInfo>, ProviderError>> {
        Box::pin(crate::instances::dcs::instance(&self.client, id))
    }

    fn instance_by_name<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<rewind_engine::provider::InstanceInfo>, ProviderError>> {
        Box::pin(crate::instances::dcs::by_name(&self.client, name))
    }

    fn delete_instance<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<rewind_engine::provider::DeleteOutcome, ProviderError>> {
        Box::pin(crate::instances::dcs::delete(&self.client, id))
    }

    fn recovery_point<'a>(
        &'a self,
        op: &'a Operation,
    ) -> BoxFuture<'a, Result<Option<i64>, ProviderError>> {
        Box::pin(crate::instances::dcs::recovery_point(&self.client, op))
    }

    fn latest_backup<'a>(
        &'a self,
        instance: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, ProviderError>> {
        Box::pin(crate::instances::dcs::latest_backup(&self.client, instance))
    }
}

// ---- `rewind init dcs`'s queries ----

impl Discover {
    /// `GET /v2/{project_id}/instances/{id}/backups`.
    pub async fn dcs_backups(&self, id: &str) -> Found<Vec<Value>> {
        let path = format!("/v2/{{project_id}}/instances/{id}/backups");
        let paged = Paged {
            service: Service::Dcs,
            path: &path,
            items: "backup_record_response",
            total: "total_num",
            page: 50,
            max_pages: discover::MAX_PAGES,
        };
        Ok(self.list(paged, &Query::new()).await?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimal_progress_is_kept_and_never_100_while_running() {
        let r = json!({"restore_id": "r1", "status": "restoring", "progress": "99.81"});
        let PollOutcome::Running {
            percent: Some(p), ..
        } = outcome(&r, "i")
        else {
            panic!()
        };
        assert!((p.as_f64() - 99.81).abs() < 1e-9, "{p}");
        let r = json!({"restore_id": "r1", "status": "restoring", "progress": "100.00"});
        let PollOutcome::Running {
            percent: Some(p), ..
        } = outcome(&r, "i")
        else {
            panic!()
        };
        assert!(p.as_f64() < 100.0, "{p}");
    }

    #[test]
    fn record_outcomes() {
        let r = json!({"restore_id": "r1", "status": "restoring", "progress": "45.00"});
        assert_eq!(
            outcome(&r, "i"),
            PollOutcome::Running {
                percent: rewind_engine::provider::Percent::running(45.0),
                handle: None
            }
        );
        let r = json!({"restore_id": "r1", "status": "succeed", "progress": "100.00"});
        let PollOutcome::Succeeded { outputs } = outcome(&r, "i") else {
            panic!()
        };
        assert_eq!(
            (
                outputs["restore_id"].as_str(),
                outputs["instance_id"].as_str()
            ),
            ("r1", "i")
        );
        let r = json!({"restore_id": "r1", "status": "failed", "error_code": "dcs.08.0007"});
        assert_eq!(
            outcome(&r, "i"),
            PollOutcome::Failed {
                reason: "restore r1 failed: dcs.08.0007".into()
            }
        );
    }
}
