//! Drill calls shared by the providers: instances as the cloud reports them, one DELETE, recovery points.
//
// Each service keeps its own module (`dbs` for RDS and DDS, which share the
// `/v3/{project_id}/instances` shape, `dcs`, `ddm`, `taurusdb`); this one turns a DELETE's answer into a
// `DeleteOutcome` with the service's documented codes, and reads addresses.

pub mod dbs;
pub mod dcs;
pub mod ddm;
pub mod taurusdb;

use crate::client::{ClientError, Reply};
use rewind_engine::kinds::Service;
use rewind_engine::provider::{DeleteOutcome, InstanceInfo, ProviderError};
use serde_json::Value;

/// A service's documented answers to a DELETE that did not delete.
#[derive(Debug, Clone, Copy)]
pub struct DeleteCodes {
    pub service: Service,
    /// Refused because of the instance's state: ask again once it is stable.
    pub busy: &'static [&'static str],
    /// The instance does not exist (besides any 404).
    pub gone: &'static [&'static str],
}

impl DeleteCodes {
    /// What one DELETE did. A 5xx or a cut connection is an error (the delete may or may not
    /// have taken effect: look the instance up before asking again); any other refusal that
    /// is neither busy nor gone is a permanent error.
    pub fn outcome(
        &self,
        result: Result<Reply, ClientError>,
    ) -> Result<DeleteOutcome, ProviderError> {
        match result {
            Ok(reply) => Ok(DeleteOutcome::Accepted {
                job_id: reply.body["job_id"]
                    .as_str()
                    .filter(|j| !j.is_empty())
                    .map(str::to_owned),
            }),
            Err(e) => {
                let Some(api) = e.api().filter(|a| a.status < 500 && a.status != 429) else {
                    return Err(e.into());
                };
                if api.status == 404 || self.gone.contains(&api.code.as_str()) {
                    Ok(DeleteOutcome::Gone)
                } else if self.busy.contains(&api.code.as_str()) {
                    Ok(DeleteOutcome::Busy {
                        detail: format!("{}: {api}", self.service),
                    })
                } else {
                    Err(ProviderError {
                        message: format!("{}: the delete was refused: {api}", self.service),
                        transient: false,
                    })
                }
            }
        }
    }
}

/// An address field as given: non-empty, and the first of a comma-separated list (a DCS
/// cluster lists every node's IP).
pub fn host_of(value: &Value) -> Option<String> {
    let first = value.as_str()?.split(',').next()?.trim();
    (!first.is_empty()).then(|| first.to_owned())
}

/// A port written as a number or as a string (DDS and DDM write strings).
pub fn port_of(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The [`InstanceInfo`] of an instance object whose id, name and status sit under the given keys.
pub fn info(
    instance: &Value,
    id_key: &str,
    host: Option<String>,
    port: Option<u16>,
) -> Option<InstanceInfo> {
    let text = |k: &str| instance[k].as_str().map(str::to_owned);
    Some(InstanceInfo {
        id: text(id_key).filter(|i| !i.is_empty())?,
        name: text("name").unwrap_or_default(),
        status: text("status").unwrap_or_default(),
        host,
        port,
    })
}

/// A read that found a list, but several instances under one name: which one a drill
/// created cannot be told, so nothing is picked.
pub fn ambiguous_name(service: Service, name: &str, ids: &[String]) -> ProviderError {
    ProviderError {
        message: format!(
            "{service}: {} instances are named {name} ({}); rewind picks only a name that is \
             unique, so check them by hand",
            ids.len(),
            ids.join(", ")
        ),
        transient: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error::ApiError;
    use serde_json::json;

    const RDS: DeleteCodes = DeleteCodes {
        service: Service::Rds,
        busy: &["DBS.200019"],
        gone: &["DBS.201028"],
    };

    fn refused(status: u16, body: &str) -> Result<Reply, ClientError> {
        Err(ClientError::Api {
            service: "rds",
            error: ApiError::parse(status, body.as_bytes()),
        })
    }

    #[test]
    fn delete_outcomes() {
        let ok = Ok(Reply {
            status: 202,
            body: json!({"job_id": "j1"}),
        });
        assert_eq!(
            RDS.outcome(ok).unwrap(),
            DeleteOutcome::Accepted {
                job_id: Some("j1".into())
            }
        );
        let none = Ok(Reply {
            status: 204,
            body: Value::Null,
        });
        assert_eq!(
            RDS.outcome(none).unwrap(),
            DeleteOutcome::Accepted { job_id: None }
        );
        let busy = refused(409, r#"{"error_code":"DBS.200019","error_msg":"busy"}"#);
        assert!(matches!(
            RDS.outcome(busy).unwrap(),
            DeleteOutcome::Busy { .. }
        ));
        let gone = refused(404, r#"{"error_code":"DBS.200002","error_msg":"no"}"#);
        assert_eq!(RDS.outcome(gone).unwrap(), DeleteOutcome::Gone);
        let gone = refused(403, r#"{"error_code":"DBS.201028","error_msg":"no"}"#);
        assert_eq!(RDS.outcome(gone).unwrap(), DeleteOutcome::Gone);
        let denied = RDS
            .outcome(refused(
                403,
                r#"{"error_code":"DBS.200010","error_msg":"no"}"#,
            ))
            .unwrap_err();
        assert!(!denied.transient, "{denied:?}");
        let unknown = RDS
            .outcome(refused(
                502,
                r#"{"error_code":"DBS.108000","error_msg":"x"}"#,
            ))
            .unwrap_err();
        assert!(unknown.transient, "{unknown:?}");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            host_of(&json!("10.0.0.1,10.0.0.2")).as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(host_of(&json!("")), None);
        assert_eq!(host_of(&Value::Null), None);
        assert_eq!(port_of(&json!("8635")), Some(8635));
        assert_eq!(port_of(&json!(3306)), Some(3306));
        assert_eq!(port_of(&json!(70000)), None);
    }
}
