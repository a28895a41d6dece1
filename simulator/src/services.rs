//! The simulator's service table: each service's module is registered here, once.
//
// To add a service: a module with `route(&Req) -> Option<Routed>`, a `Service` variant, and
// one row below. The server reads nothing per service but this table.

use crate::http::Req;
use crate::route::Routed;
use crate::service::Service;
use crate::{
    cbr, dcs, ddm, ddm_backups, ddm_jobs, dds, dds_restore, evs, gaussdb, iam, rds, rds_new,
    rds_recycle, rds_tables, taurusdb,
};

/// One service's module, as the server needs it.
pub(crate) struct ServiceModule {
    pub service: Service,
    /// The service's route table: the handler for a request, or None (the gateway's 404).
    pub route: fn(&Req) -> Option<Routed>,
    /// The error code and message of the service's answer to an injected 5xx.
    pub internal_error: (&'static str, &'static str),
}

/// The DBS family (RDS, DDM, TaurusDB, DDS) answers a server failure alike.
const DBS_SERVER_FAILURE: (&str, &str) = ("DBS.300002", "Server failure.");

/// Every service, one row each, in [`Service::ALL`] order.
pub(crate) const SERVICES: &[ServiceModule] = &[
    ServiceModule {
        service: Service::Iam,
        route: iam::route,
        internal_error: ("", "The service is temporarily unavailable."),
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
    },
    ServiceModule {
        service: Service::Ddm,
        route: |req| {
            ddm::route(req)
                .or_else(|| ddm_jobs::route(req))
                .or_else(|| ddm_backups::route(req))
        },
        internal_error: DBS_SERVER_FAILURE,
    },
    ServiceModule {
        service: Service::Taurusdb,
        route: taurusdb::route,
        internal_error: DBS_SERVER_FAILURE,
    },
    ServiceModule {
        service: Service::Cbr,
        route: cbr::route,
        internal_error: ("BackupService.9999", "Internal error."),
    },
    ServiceModule {
        service: Service::Dcs,
        route: dcs::route,
        internal_error: ("DCS.5000", "The system is busy. Please try again later."),
    },
    ServiceModule {
        service: Service::Evs,
        route: evs::route,
        internal_error: ("EVS.5000", "Internal error."),
    },
    ServiceModule {
        service: Service::Dds,
        route: |req| dds::route(req).or_else(|| dds_restore::route(req)),
        internal_error: DBS_SERVER_FAILURE,
    },
    ServiceModule {
        service: Service::Gaussdb,
        route: gaussdb::route,
        internal_error: DBS_SERVER_FAILURE,
    },
];

/// The module of `service`. Every [`Service`] has a row (a test checks it).
pub(crate) fn module(service: Service) -> &'static ServiceModule {
    SERVICES
        .iter()
        .find(|m| m.service == service)
        .unwrap_or(&SERVICES[0])
}

/// The handler for `req` on `service`, or None.
pub(crate) fn route(service: Service, req: &Req) -> Option<Routed> {
    (module(service).route)(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_has_one_row_in_order() {
        let listed: Vec<Service> = SERVICES.iter().map(|m| m.service).collect();
        assert_eq!(listed, Service::ALL.to_vec());
    }
}
