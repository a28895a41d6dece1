//! `DcsProvider`: `dcs.restore`, followed through the instance's restore records.

use crate::check::{self, check};
use crate::client::Client;
use crate::job::{self, percent};
use crate::query::{Query, encode};
use crate::wire_time::{self, CLOCK_SKEW_MS};
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

fn outcome(record: &Value, instance_id: &str) -> PollOutcome {
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
        DcsProvider { client }
    }

    /// Every record `wanted` accepts, reading the list page by page (204 means none).
    async fn find_record(
        &self,
        instance_id: &str,
        wanted: impl Fn(&Value) -> bool,
    ) -> Result<Vec<Value>, ProviderError> {
        let path = format!(
            "/v2/{{project_id}}/instances/{}/restores",
            encode(instance_id)
        );
        let mut found = Vec::new();
        for page in 0..MAX_PAGES {
            let query = Query::new().with("offset", page * PAGE).with("limit", PAGE);
            let body = self.client.get(Service::Dcs, &path, &query).await?.body;
            let records = body["restore_record_response"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let count = records.len();
            found.extend(records.into_iter().filter(|r| wanted(r)));
            let total = body["total_num"]
                .as_u64()
                .map_or(usize::MAX, |t| t as usize);
            if count < PAGE || (page + 1) * PAGE >= total {
                break;
            }
        }
        Ok(found)
    }

    async fn checks(&self, spec: &DcsRestore) -> Result<Vec<Check>, ProviderError> {
        let id = &spec.instance_id;
        let path = format!("/v2/{{project_id}}/instances/{}", encode(id));
        let instance = check::fetch(&self.client, Service::Dcs, &path, &Query::new()).await?;
        let mut checks = vec![check::status(
            format!("instance {id} is RUNNING"),
            instance
                .as_ref()
                .map(|i| i["status"].as_str())
                .map_err(String::as_str),
            &["RUNNING"],
        )];
        if let Ok(mode) = instance.as_ref().map(|i| i["cache_mode"].as_str())
            && let Some(mode) = mode
        {
            checks.push(check("instance is not single-node", mode != "single", mode));
        }

        let backup_id = &spec.backup_id;
        let path = format!("/v2/{{project_id}}/instances/{}/backups", encode(id));
        let mut backup = Err(format!("not among the backups of {id}"));
        for page in 0..MAX_PAGES {
            let query = Query::new().with("offset", page * PAGE).with("limit", PAGE);
            let body = match check::fetch(&self.client, Service::Dcs, &path, &query).await? {
                Ok(body) => body,
                Err(why) => {
                    backup = Err(why);
                    break;
                }
            };
            let list = body["backup_record_response"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let count = list.len();
            if let Some(b) = list
                .into_iter()
                .find(|b| b["backup_id"].as_str() == Some(backup_id))
            {
                backup = Ok(b);
                break;
            }
            let total = body["total_num"]
                .as_u64()
                .map_or(usize::MAX, |t| t as usize);
            if count < PAGE || (page + 1) * PAGE >= total {
                break;
            }
        }
        checks.push(check::status(
            format!("backup {backup_id} exists and succeeded"),
            backup
                .as_ref()
                .map(|b| b["status"].as_str())
                .map_err(String::as_str),
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
        Box::pin(async move {
            let spec = spec(op)?;
            let Handle::Restore { restore_id } = handle else {
                return Err(ProviderError {
                    message: format!("dcs: cannot follow a {handle:?} handle"),
                    transient: false,
                });
            };
            let records = self
                .find_record(&spec.instance_id, |r| {
                    r["restore_id"].as_str() == Some(restore_id.as_str())
                })
                .await?;
            // A record can show up a little after the POST answered.
            Ok(records.first().map_or(
                PollOutcome::Running {
                    percent: None,
                    handle: None,
                },
                |r| outcome(r, &spec.instance_id),
            ))
        })
    }

    fn reconcile<'a>(
        &'a self,
        op: &'a Operation,
        submitted_at: i64,
    ) -> BoxFuture<'a, Result<Option<Handle>, ProviderError>> {
        Box::pin(async move {
            let spec = spec(op)?;
            let from = submitted_at - CLOCK_SKEW_MS;
            let records = self
                .find_record(&spec.instance_id, |r| {
                    r["backup_id"].as_str() == Some(spec.backup_id.as_str())
                        && wire_time::value_ms(&r["created_at"]).is_some_and(|c| c >= from)
                })
                .await?;
            let newest = records
                .iter()
                .max_by_key(|r| wire_time::value_ms(&r["created_at"]));
            Ok(newest
                .and_then(|r| r["restore_id"].as_str())
                .map(|id| Handle::Restore {
                    restore_id: id.to_owned(),
                }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_outcomes() {
        let r = json!({"restore_id": "r1", "status": "restoring", "progress": "45.00"});
        assert_eq!(
            outcome(&r, "i"),
            PollOutcome::Running {
                percent: Some(45),
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
