//! DDM drill call: an instance's `access_ip` and `access_port` (`querying_details_of_a_ddm_instance_a_v1_api.rst`).
//
// The DDM instance list (`querying_ddm_instances_a_v1_api.rst`) takes no name filter, and
// drills create no DDM instance, so DDM finds no instance by name and deletes none.

use super::{host_of, info, port_of};
use crate::client::Client;
use crate::query::{Query, encode};
use rewind_engine::kinds::Service;
use rewind_engine::provider::{InstanceInfo, ProviderError};

/// `GET /v1/{project_id}/instances/{instance_id}`; a 404 is `None` (the error-code appendix
/// lists no "instance does not exist" code).
pub async fn instance(client: &Client, id: &str) -> Result<Option<InstanceInfo>, ProviderError> {
    let path = format!("/v1/{{project_id}}/instances/{}", encode(id));
    match client.get(Service::Ddm, &path, &Query::new()).await {
        Ok(reply) => {
            let body = &reply.body;
            Ok(info(
                body,
                "id",
                host_of(&body["access_ip"]),
                port_of(&body["access_port"]),
            ))
        }
        Err(e) if e.api().is_some_and(|a| a.status == 404) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
