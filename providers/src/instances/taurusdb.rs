//! TaurusDB drill call: an instance's write address and port, from the instance detail.

use super::{host_of, info, port_of};
use crate::client::Client;
use crate::query::{Query, encode};
use rewind_engine::kinds::Service;
use rewind_engine::provider::{InstanceInfo, ProviderError};

/// `GET /v3/{project_id}/instances/{instance_id}`: `instance.private_write_ips[0]` and
/// `instance.port` (the list names the address `private_ips`); a 404 is `None`.
pub async fn instance(client: &Client, id: &str) -> Result<Option<InstanceInfo>, ProviderError> {
    let path = format!("/v3/{{project_id}}/instances/{}", encode(id));
    match client.get(Service::Taurusdb, &path, &Query::new()).await {
        Ok(reply) => {
            let inst = &reply.body["instance"];
            let host =
                host_of(&inst["private_write_ips"][0]).or_else(|| host_of(&inst["private_ips"][0]));
            Ok(info(inst, "id", host, port_of(&inst["port"])))
        }
        Err(e) if e.api().is_some_and(|a| a.status == 404) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
