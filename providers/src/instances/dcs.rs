//! DCS drill calls: an instance's `ip` and `port`, the list by exact name, its DELETE, and a backup's completion time.
//
// `GET /v2/{project_id}/instances/{instance_id}` (`querying_a_dcs_instance.rst`) gives `ip`
// (a cluster lists several, comma-separated: the first is used) and `port`;
// `GET /v2/{project_id}/instances?name=&name_equal=true` (`querying_all_dcs_instances.rst`)
// lists by exact name under `instances`, counted by `instance_num`;
// `DELETE /v2/{project_id}/instances/{instance_id}` (`deleting_an_instance.rst`) answers 204
// with no body and no job.

use super::{DeleteCodes, ambiguous_name, host_of, info, port_of};
use crate::check::{self, Paged};
use crate::client::Client;
use crate::query::{Query, encode};
use crate::wire_time;
use rewind_engine::kinds::{OpSpec, Service};
use rewind_engine::provider::{DeleteOutcome, InstanceInfo, Operation, ProviderError};
use serde_json::Value;

/// `appendix/error_codes.rst`: 400 `DCS.4099` "instances in the Creating, Starting, Stopping,
/// or Restarting state cannot be deleted", `DCS.4118` "the instance is creating",
/// `DCS.4097` "the instance is restoring" (and their `1114000xx` twins); 404 `DCS.3022` and
/// `111404022` "This DCS instance does not exist".
pub const CODES: DeleteCodes = DeleteCodes {
    service: Service::Dcs,
    busy: &[
        "DCS.4099",
        "111400099",
        "DCS.4118",
        "111400118",
        "DCS.4097",
        "111400097",
    ],
    gone: &["DCS.3022", "111404022"],
};

fn path(id: &str) -> String {
    format!("/v2/{{project_id}}/instances/{}", encode(id))
}

fn to_info(instance: &Value) -> Option<InstanceInfo> {
    info(
        instance,
        "instance_id",
        host_of(&instance["ip"]),
        port_of(&instance["port"]),
    )
}

pub async fn instance(client: &Client, id: &str) -> Result<Option<InstanceInfo>, ProviderError> {
    match client.get(Service::Dcs, &path(id), &Query::new()).await {
        Ok(reply) => Ok(to_info(&reply.body)),
        Err(e)
            if e.api()
                .is_some_and(|a| a.status == 404 || CODES.gone.contains(&a.code.as_str())) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn by_name(client: &Client, name: &str) -> Result<Option<InstanceInfo>, ProviderError> {
    let list = Paged {
        service: Service::Dcs,
        path: "/v2/{project_id}/instances",
        items: "instances",
        total: "instance_num",
        page: 100,
        max_pages: 3,
    };
    let query = Query::new().with("name", name).with("name_equal", "true");
    let (items, _) = check::fetch_all(client, list, &query)
        .await?
        .map_err(|why| ProviderError {
            message: format!("dcs: listing instances named {name}: {why}"),
            transient: false,
        })?;
    let named: Vec<&Value> = items
        .iter()
        .filter(|i| i["name"].as_str() == Some(name))
        .collect();
    match named.as_slice() {
        [] => Ok(None),
        [one] => Ok(to_info(one)),
        many => {
            let ids: Vec<String> = many
                .iter()
                .map(|i| i["instance_id"].as_str().unwrap_or("?").to_owned())
                .collect();
            Err(ambiguous_name(Service::Dcs, name, &ids))
        }
    }
}

pub async fn delete(client: &Client, id: &str) -> Result<DeleteOutcome, ProviderError> {
    CODES.outcome(client.delete(Service::Dcs, &path(id)).await)
}

/// The restored backup's `updated_at` ("time at which DCS instance backup is completed",
/// `listing_dcs_instance_backup_records.rst`), else its `created_at`.
pub async fn recovery_point(client: &Client, op: &Operation) -> Result<Option<i64>, ProviderError> {
    let OpSpec::Dcs(spec) = &op.spec else {
        return Ok(op.spec.restore_time());
    };
    let backups = format!("{}/backups", path(&spec.instance_id));
    let list = Paged {
        service: Service::Dcs,
        path: &backups,
        items: "backup_record_response",
        total: "total_num",
        page: 100,
        max_pages: 10,
    };
    let Ok((items, _)) = check::fetch_all(client, list, &Query::new()).await? else {
        return Ok(None);
    };
    Ok(
        check::find(&items, "backup_id", &spec.backup_id).and_then(|b| {
            wire_time::value_ms(&b["updated_at"]).or_else(|| wire_time::value_ms(&b["created_at"]))
        }),
    )
}

/// The newest succeeded backup of instance `id` and its completion time (`updated_at`, else
/// `created_at`): what `backup_id: latest` restores.
pub async fn latest_backup(
    client: &Client,
    id: &str,
) -> Result<Option<(String, i64)>, ProviderError> {
    let backups = format!("{}/backups", path(id));
    let list = Paged {
        service: Service::Dcs,
        path: &backups,
        items: "backup_record_response",
        total: "total_num",
        page: 100,
        max_pages: 10,
    };
    let items = match check::fetch_all(client, list, &Query::new()).await? {
        Ok((items, _)) => items,
        Err(why) => {
            return Err(ProviderError {
                message: format!("the backups of {id}: {why}"),
                transient: false,
            });
        }
    };
    Ok(items
        .iter()
        .filter(|b| b["status"].as_str() == Some("succeed"))
        .filter_map(|b| {
            let at = wire_time::value_ms(&b["updated_at"])
                .or_else(|| wire_time::value_ms(&b["created_at"]))?;
            Some((b["backup_id"].as_str()?.to_owned(), at))
        })
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0))))
}
