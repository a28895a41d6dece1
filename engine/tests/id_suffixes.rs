//! The spec's instance-ID check (`syntax::value`) accepts and attributes exactly the suffixes
//! that the service table (`kinds::services::SERVICES`) lists for each service.

use rewind_engine::kinds::Service;
use rewind_engine::kinds::services::SERVICES;
use rewind_engine::syntax::diagnostic::Span;
use rewind_engine::syntax::value::{IdShape, InstanceService, check_id};

/// The instance shapes the kinds use, with the service each stands for.
const SHAPES: [(InstanceService, Service); 4] = [
    (InstanceService::Rds, Service::Rds),
    (InstanceService::Ddm, Service::Ddm),
    (InstanceService::Taurusdb, Service::Taurusdb),
    (InstanceService::Dds, Service::Dds),
];

fn id(suffix: &str) -> String {
    format!("{}{suffix}", "0123456789abcdef".repeat(2))
}

fn check(
    id: &str,
    shape: InstanceService,
) -> Result<(), rewind_engine::syntax::diagnostic::Diagnostic> {
    check_id(id, Span::new(0, 1, 1, 1), "x", IdShape::Instance(shape))
}

#[test]
fn each_shape_accepts_exactly_its_services_suffixes() {
    for (shape, service) in SHAPES {
        let own = SERVICES
            .iter()
            .find(|row| row.service == service)
            .map(|row| row.id_suffixes)
            .unwrap_or_default();
        assert!(!own.is_empty(), "{service}: the table lists no suffix");
        for row in &SERVICES {
            for suffix in row.id_suffixes {
                let accepted = check(&id(suffix), shape).is_ok();
                assert_eq!(
                    accepted,
                    row.service == service,
                    "{service} shape, suffix {suffix} of {}",
                    row.service
                );
            }
        }
        // A malformed ID's message lists the suffixes the table gives the service.
        let e = check("not-an-id", shape).unwrap_err();
        for suffix in own {
            assert!(e.message.contains(suffix), "{service}: {}", e.message);
        }
    }
}

#[test]
fn a_foreign_suffix_names_the_service_that_owns_it() {
    for (shape, service) in SHAPES {
        for row in SERVICES.iter().filter(|row| row.service != service) {
            for suffix in row.id_suffixes {
                let e = check(&id(suffix), shape).unwrap_err();
                let hint = e.hint.unwrap_or_default().to_lowercase();
                assert!(
                    hint.contains(&format!("{} instance", row.service.as_str())),
                    "{service} shape, suffix {suffix}: {hint}"
                );
            }
        }
        let e = check(&id("in99"), shape).unwrap_err();
        let hint = e.hint.unwrap_or_default();
        assert!(hint.contains("not a known service suffix"), "{hint}");
    }
}
