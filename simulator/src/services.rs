//! The simulator's service table: each service's module is registered here, once.
//
// To add a service: a module with `route(&Req) -> Option<Routed>`, its collections in
// `world/<svc>.rs` with their `PART`, a `Service` variant, and one row below. The server, flow
// control, the world's checks and settling read nothing per service but this table.

use crate::http::Req;
use crate::route::Routed;
use crate::service::Service;
use crate::world::part::Part;
use crate::{
    cbr, dcs, ddm, dds, dds_restore, evs, gaussdb, iam, rds, rds_new, rds_recycle, rds_tables,
    taurusdb, world,
};

/// One service's module, as the server needs it.
pub(crate) struct ServiceModule {
    pub service: Service,
    /// The service's route table: the handler for a request, or None (the gateway's 404).
    pub route: fn(&Req) -> Option<Routed>,
    /// The error code and message of the service's answer to an injected 5xx.
    pub internal_error: (&'static str, &'static str),
    /// The path segments of the service's routes that are words, never IDs: flow control
    /// keys an API by its route template (`GET /v3/{pid}/instances/{id}/restore-time`).
    pub route_words: &'static [&'static str],
    /// The service's collections, as the whole-world code reaches them.
    pub world: Part,
}

/// The DBS family (RDS, DDM, TaurusDB, DDS) answers a server failure alike.
const DBS_SERVER_FAILURE: (&str, &str) = ("DBS.300002", "Server failure.");

/// Every service, one row each, in [`Service::ALL`] order.
pub(crate) const SERVICES: &[ServiceModule] = &[
    ServiceModule {
        service: Service::Iam,
        route: iam::route,
        internal_error: ("", "The service is temporarily unavailable."),
        route_words: &["auth", "tokens", "catalog", "projects"],
        world: Part::NONE,
    },
    ServiceModule {
        service: Service::Rds,
        route: |req| {
            rds::route(req)
                .or_else(|| rds_new::route(req))
                .or_else(|| rds_tables::route(req))
                .or_else(|| rds_recycle::route(req))
        },
        internal_error: DBS_SERVER_FAILURE,
        route_words: &[
            "instances",
            "recovery",
            "backups",
            "jobs",
            "tasklist",
            "restore-time",
            "flavors",
            "restore",
        ],
        world: world::rds::PART,
    },
    ServiceModule {
        service: Service::Ddm,
        route: ddm::route,
        internal_error: DBS_SERVER_FAILURE,
        route_words: &[
            "instances",
            "backups",
            "jobs",
            "recovery",
            "metadata-recovery",
            "restorable-time-interval",
            "restorable-instances",
            "related-dn",
            "restorable-data-node",
        ],
        world: world::ddm::PART,
    },
    ServiceModule {
        service: Service::Taurusdb,
        route: taurusdb::route,
        internal_error: DBS_SERVER_FAILURE,
        route_words: &["instances", "backups", "jobs", "restore", "restore-time"],
        world: world::taurusdb::PART,
    },
    ServiceModule {
        service: Service::Cbr,
        route: cbr::route,
        internal_error: ("BackupService.9999", "Internal error."),
        route_words: &["backups", "restore", "operation-logs"],
        world: world::cbr::PART,
    },
    ServiceModule {
        service: Service::Dcs,
        route: dcs::route,
        internal_error: ("DCS.5000", "The system is busy. Please try again later."),
        route_words: &["instances", "backups", "restores"],
        world: world::dcs::PART,
    },
    ServiceModule {
        service: Service::Evs,
        route: evs::route,
        internal_error: ("EVS.5000", "Internal error."),
        route_words: &[],
        world: world::evs::PART,
    },
    ServiceModule {
        service: Service::Dds,
        route: |req| dds::route(req).or_else(|| dds_restore::route(req)),
        internal_error: DBS_SERVER_FAILURE,
        route_words: &[
            "instances",
            "backups",
            "jobs",
            "restore-time",
            "recovery",
            "restore",
            "collections",
        ],
        world: world::dds::PART,
    },
    ServiceModule {
        service: Service::Gaussdb,
        route: gaussdb::route,
        internal_error: DBS_SERVER_FAILURE,
        route_words: &["instances", "backups", "jobs", "restore-time"],
        world: world::gaussdb::PART,
    },
];

/// The module of `service`. Every [`Service`] has a row (a test checks it).
pub(crate) fn module(service: Service) -> &'static ServiceModule {
    SERVICES
        .iter()
        .find(|m| m.service == service)
        .unwrap_or(&SERVICES[0])
}

/// Whether `segment` is a word of some service's routes (not an ID).
pub(crate) fn is_route_word(segment: &str) -> bool {
    SERVICES.iter().any(|m| m.route_words.contains(&segment))
}

/// The handler for `req` on `service`, or None.
pub(crate) fn route(service: Service, req: &Req) -> Option<Routed> {
    (module(service).route)(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::api_of;

    fn segs(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn an_api_is_a_method_and_a_route_template() {
        let api = |m, p| api_of(m, &segs(p), Some("p1"), is_route_word);
        assert_eq!(api("GET", "/v3/p1/jobs"), "GET /v3/{pid}/jobs");
        assert_eq!(
            api("POST", "/v3/p1/instances/i-9/backups/recovery"),
            "POST /v3/{pid}/instances/{id}/backups/recovery"
        );
        assert_eq!(
            api("GET", "/v3/p1/instances/a/restore-time"),
            api("GET", "/v3/p1/instances/b/restore-time")
        );
        assert_eq!(api("POST", "/v3/auth/tokens"), "POST /v3/auth/tokens");
        // The routes of restores to new instances, deletes, flavors and DDS.
        assert_eq!(api("POST", "/v3/p1/instances"), "POST /v3/{pid}/instances");
        assert_eq!(
            api("DELETE", "/v3/p1/instances/a1in01"),
            "DELETE /v3/{pid}/instances/{id}"
        );
        assert_eq!(
            api("GET", "/v3/p1/flavors/mysql"),
            "GET /v3/{pid}/flavors/{id}"
        );
        assert_eq!(
            api("POST", "/v3/p1/instances/m1in02/restore/collections"),
            "POST /v3/{pid}/instances/{id}/restore/collections"
        );
    }

    #[test]
    fn every_service_has_one_row_in_order() {
        let listed: Vec<Service> = SERVICES.iter().map(|m| m.service).collect();
        assert_eq!(listed, Service::ALL.to_vec());
    }
}
