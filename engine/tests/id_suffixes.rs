//! The spec's instance-ID check (`syntax::value`) accepts and attributes exactly the suffixes
//! that the service table (`kinds::services::SERVICES`) lists for each service.

use rewind_engine::kinds::services::SERVICES;
use rewind_engine::syntax::diagnostic::{Diagnostic, Span};
use rewind_engine::syntax::value::{IdShape, InstanceService, check_id};

fn id(suffix: &str) -> String {
    format!("{}{suffix}", "0123456789abcdef".repeat(2))
}

fn check(id: &str, service: InstanceService) -> Result<(), Diagnostic> {
    check_id(id, Span::new(0, 1, 1, 1), "x", IdShape::Instance(service))
}

/// The services whose instance IDs carry a suffix.
fn suffixed() -> impl Iterator<Item = InstanceService> {
    SERVICES
        .iter()
        .filter(|row| !row.id_suffixes.is_empty())
        .map(|row| row.service)
}

#[test]
fn each_shape_accepts_exactly_its_services_suffixes() {
    for service in suffixed() {
        for row in &SERVICES {
            for suffix in row.id_suffixes {
                let accepted = check(&id(suffix), service).is_ok();
                assert_eq!(
                    accepted,
                    row.service == service,
                    "{service} shape, suffix {suffix} of {}",
                    row.service
                );
            }
        }
        // A malformed ID's message lists the suffixes the table gives the service.
        let e = check("not-an-id", service).unwrap_err();
        let own = SERVICES.iter().find(|row| row.service == service);
        for suffix in own.map(|row| row.id_suffixes).unwrap_or_default() {
            assert!(e.message.contains(suffix), "{service}: {}", e.message);
        }
    }
}

#[test]
fn a_foreign_suffix_names_the_service_that_owns_it() {
    for service in suffixed() {
        for row in SERVICES.iter().filter(|row| row.service != service) {
            for suffix in row.id_suffixes {
                let e = check(&id(suffix), service).unwrap_err();
                let hint = e.hint.unwrap_or_default().to_lowercase();
                assert!(
                    hint.contains(&format!("{} instance", row.service.as_str())),
                    "{service} shape, suffix {suffix}: {hint}"
                );
            }
        }
        let e = check(&id("in99"), service).unwrap_err();
        let hint = e.hint.unwrap_or_default();
        assert!(hint.contains("not a known service suffix"), "{hint}");
    }
}
