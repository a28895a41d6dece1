//! What the RDS and DDS creators share: the name as idempotency key, the one create POST, and following the new instance.
//
// A create has no natural key but its name, so the name is made one: `submit` lists the
// project's instances by name and refuses to POST when any has it, and `reconcile` adopts
// the instance that carries it after an ambiguous submit. A create is never sent twice.

use crate::check::{self, check};
use crate::client::Client;
use crate::job::{self, Job};
use crate::query::Query;
use rewind_engine::kinds::Service;
use rewind_engine::provider::{Check, Handle, Operation, PollOutcome, ProviderError, SubmitError};
use serde_json::Value;
use std::collections::BTreeMap;

/// How one service's instances look, where the two creators differ.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub service: Service,
    /// RDS names are case-insensitive (`restoring_data_to_a_new_db_instance.rst`, Table 2);
    /// DDS names are case-sensitive.
    pub name_ignores_case: bool,
    /// Instance statuses of a create that ended well, and of one that failed. Any other
    /// status is still running.
    pub ready: &'static [&'static str],
    pub failed: &'static [&'static str],
    /// `private_ip` and `port` of an instance as the instance list shows it.
    pub address: fn(&Value) -> (Option<String>, Option<String>),
}

/// The instance list of both services: `GET /v3/{project_id}/instances`, with `id` and
/// `name` filters, `offset`/`limit` paging (at most 100) and `total_count`.
const INSTANCES: &str = "/v3/{project_id}/instances";

fn paged(service: Service) -> check::Paged<'static> {
    check::Paged {
        service,
        path: INSTANCES,
        items: "instances",
        total: "total_count",
        page: 100,
        // Instances that share a name are few; a longer answer is cut, not followed.
        max_pages: 3,
    }
}

impl Shape {
    fn same_name(&self, a: &str, b: &str) -> bool {
        if self.name_ignores_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }

    /// Every instance named `name` (a definite 4xx is `Err(why)`).
    pub async fn by_name(
        &self,
        client: &Client,
        name: &str,
    ) -> Result<Result<Vec<Value>, String>, ProviderError> {
        let query = Query::new().with("name", name);
        Ok(check::fetch_all(client, paged(self.service), &query)
            .await?
            .map(|(items, _)| {
                items
                    .into_iter()
                    .filter(|i| i["name"].as_str().is_some_and(|n| self.same_name(n, name)))
                    .collect()
            }))
    }

    /// The instance `id`, or why it is not there.
    pub async fn by_id(
        &self,
        client: &Client,
        id: &str,
    ) -> Result<Result<Value, String>, ProviderError> {
        let query = Query::new().with("id", id);
        let found = check::fetch(client, self.service, INSTANCES, &query).await?;
        Ok(found.and_then(|body| {
            check::find(check::array(&body["instances"]), "id", id)
                .cloned()
                .ok_or_else(|| "not found".to_owned())
        }))
    }

    /// The outputs of a finished create, read from the instance.
    pub fn outputs(&self, instance: &Value, instance_id: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::from([("instance_id".to_owned(), instance_id.to_owned())]);
        if let Some(name) = instance["name"].as_str() {
            out.insert("name".to_owned(), name.to_owned());
        }
        let (ip, port) = (self.address)(instance);
        if let Some(ip) = ip.filter(|ip| !ip.is_empty()) {
            out.insert("private_ip".to_owned(), ip);
        }
        if let Some(port) = port.filter(|p| !p.is_empty()) {
            out.insert("port".to_owned(), port);
        }
        out
    }

    /// The preflight check that `name` is free in the project.
    pub async fn name_check(&self, client: &Client, name: &str) -> Result<Check, ProviderError> {
        let title = format!("name {name} is not taken in the project");
        Ok(match self.by_name(client, name).await? {
            Ok(list) if list.is_empty() => check(title, true, "no instance has it"),
            Ok(list) => check(title, false, format!("taken by {}", describe(&list))),
            Err(why) => check(title, false, why),
        })
    }

    /// Makes sure the name is free, then POSTs the create once. 202 names the new instance
    /// (`instance.id` on RDS, `id` on DDS) and its `job_id`.
    pub async fn submit(
        &self,
        client: &Client,
        op: &Operation,
        name: &str,
    ) -> Result<Handle, SubmitError> {
        let service = self.service;
        job::checked_request(service, op)?;
        let not_sent = |why: String| SubmitError::NotSent {
            message: format!(
                "{service}: could not make sure that the name {name} is free, so the create was \
                 not sent: {why}"
            ),
        };
        let taken = self
            .by_name(client, name)
            .await
            .map_err(|e| not_sent(e.message))?
            .map_err(not_sent)?;
        if !taken.is_empty() {
            return Err(SubmitError::Rejected {
                status: 409,
                code: "rewind.name_taken".to_owned(),
                message: format!(
                    "the name {name} is the idempotency key of this create and is already taken \
                     by {}; rewind did not send the create (pick another name, or delete that \
                     instance)",
                    describe(&taken)
                ),
            });
        }
        let reply = client.post_op(service, op).await?;
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let instance_id = text(&reply.body["instance"]["id"]).or_else(|| text(&reply.body["id"]));
        match instance_id {
            Some(instance_id) => Ok(Handle::Create {
                instance_id,
                job_id: text(&reply.body["job_id"]),
            }),
            None => Err(SubmitError::Ambiguous {
                message: format!(
                    "{service}: accepted (HTTP {}) but the answer named no instance id; the \
                     instance is looked up by its name {name}",
                    reply.status
                ),
            }),
        }
    }

    /// Follows a create: its job while the job is known, else the instance status. A
    /// success reads the instance once for its outputs.
    pub async fn poll(
        &self,
        client: &Client,
        handle: &Handle,
    ) -> Result<PollOutcome, ProviderError> {
        let service = self.service;
        let Handle::Create {
            instance_id,
            job_id,
        } = handle
        else {
            return Err(ProviderError {
                message: format!("{service}: a create cannot follow a {handle:?} handle"),
                transient: false,
            });
        };
        if let Some(job_id) = job_id {
            return match read_job(client, service, job_id).await? {
                Err(detail) => Ok(PollOutcome::NotFound { detail }),
                Ok(job) if job.status == "Completed" => {
                    match self.by_id(client, instance_id).await? {
                        Ok(inst) => Ok(PollOutcome::Succeeded {
                            outputs: self.outputs(&inst, instance_id),
                        }),
                        Err(why) => Err(ProviderError {
                            message: format!(
                                "{service}: job {job_id} completed, but the new instance \
                             {instance_id} is not listed yet: {why}"
                            ),
                            transient: true,
                        }),
                    }
                }
                Ok(job) => Ok(job.outcome(instance_id)),
            };
        }
        Ok(match self.by_id(client, instance_id).await? {
            Ok(inst) => {
                let status = inst["status"].as_str().unwrap_or_default();
                if self.ready.contains(&status) {
                    PollOutcome::Succeeded {
                        outputs: self.outputs(&inst, instance_id),
                    }
                } else if self.failed.contains(&status) {
                    PollOutcome::Failed {
                        reason: format!("the new instance {instance_id} is {status}"),
                    }
                } else {
                    PollOutcome::Running {
                        percent: None,
                        handle: None,
                    }
                }
            }
            Err(why) => PollOutcome::NotFound {
                detail: format!("the new instance {instance_id}: {why}"),
            },
        })
    }

    /// After an ambiguous submit: the instance with the name is the one the POST created
    /// (the name was free before it). Its job is unknown, so its status is followed.
    pub async fn reconcile(
        &self,
        client: &Client,
        name: &str,
    ) -> Result<Option<Handle>, ProviderError> {
        let service = self.service;
        let list = self
            .by_name(client, name)
            .await?
            .map_err(|why| ProviderError {
                message: format!("{service}: listing instances named {name}: {why}"),
                transient: false,
            })?;
        match list.as_slice() {
            [] => Ok(None),
            [one] => Ok(one["id"].as_str().map(|id| Handle::Create {
                instance_id: id.to_owned(),
                job_id: None,
            })),
            many => Err(ProviderError {
                message: format!(
                    "{service}: {} instances are named {name} ({}); rewind adopts only a name \
                     that is unique, so check them by hand",
                    many.len(),
                    describe(many)
                ),
                transient: false,
            }),
        }
    }
}

/// `ID (status)` of each instance, for messages.
fn describe(list: &[Value]) -> String {
    list.iter()
        .map(|i| {
            format!(
                "{} ({})",
                i["id"].as_str().unwrap_or("?"),
                i["status"].as_str().unwrap_or("no status")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads `GET /v3/{project_id}/jobs?id=` (RDS and DDS alike); `Err(detail)` when the service
/// does not know the job (yet). DDS writes the progress as `progress`, RDS as `process`.
pub async fn read_job(
    client: &Client,
    service: Service,
    job_id: &str,
) -> Result<Result<Job, String>, ProviderError> {
    let query = Query::new().with("id", job_id);
    match client.get(service, "/v3/{project_id}/jobs", &query).await {
        Ok(reply) => {
            let raw = &reply.body["job"];
            let mut job = Job::from_value(raw).ok_or_else(|| ProviderError {
                message: format!("{service}: the job answer has no job id or status"),
                transient: true,
            })?;
            job.percent = job.percent.or_else(|| job::percent(&raw["progress"]));
            Ok(Ok(job))
        }
        Err(e) if job::is_not_found(&e) => Ok(Err(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// A JSON string or number as text (`port` is a string on some pages, a number on others).
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON number or numeric string as an integer (`"40"` and `40` alike).
pub fn number_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rds_address(i: &Value) -> (Option<String>, Option<String>) {
        (
            i["private_ips"][0].as_str().map(str::to_owned),
            text_of(&i["port"]),
        )
    }

    #[test]
    fn outputs_and_names() {
        let shape = Shape {
            service: Service::Rds,
            name_ignores_case: true,
            ready: &["ACTIVE"],
            failed: &["FAILED"],
            address: rds_address,
        };
        let inst =
            json!({"id": "i1", "name": "drill-a", "private_ips": ["10.0.0.5"], "port": 3306});
        let out = shape.outputs(&inst, "i1");
        assert_eq!(out["private_ip"], "10.0.0.5");
        assert_eq!(out["port"], "3306");
        assert_eq!(out["name"], "drill-a");
        assert!(shape.same_name("Drill-A", "drill-a"));
        let dds = Shape {
            name_ignores_case: false,
            ..shape
        };
        assert!(!dds.same_name("Drill-A", "drill-a"));
        assert_eq!(number_of(&json!("40")), Some(40));
        assert_eq!(number_of(&json!(40)), Some(40));
        assert_eq!(
            describe(&[json!({"id": "x", "status": "BUILD"})]),
            "x (BUILD)"
        );
    }
}
