//! A restore into a new instance, logged at trace level, shows its body with `(sensitive)` and never the password.

// Alone in its binary, as `logs.rs` is: a scoped subscriber races with tests on other threads.

#[allow(dead_code)]
mod harness;

use harness::fixtures::{RDS_SRC, healthy_world};
use harness::{Harness, operation, poll_to_end, provider, succeeded};
use rewind_engine::kinds::{OpSpec, RestoreNew, RestorePoint, RestoreType, Secret, SecretRef};
use rewind_engine::provider::SubmitError;
use serde_json::json;
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "Zq7-Drill-Pw";

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_create_logs_its_body_without_the_password() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (w, at) = healthy_world();
    let h = Harness::start(w).await;
    let cloud = h.cloud();
    let spec = OpSpec::RdsNew(RestoreNew {
        name: "drill-logged".into(),
        restore_point: RestorePoint {
            instance_id: Some(RDS_SRC.into()),
            restore_type: Some(RestoreType::Timestamp),
            backup_id: None,
            restore_time: Some(at),
        },
        password: Some(SecretRef {
            name: "secrets.pw".into(),
        }),
        create: json!({
            "flavor_ref": "rds.mysql.n1.large",
            "volume": {"type": "CLOUDSSD", "size": 40},
            "availability_zone": "eu-de-01",
            "vpc_id": "490a4a08-ef4b-44c5-94be-3051ef9e4fce",
            "subnet_id": "0e2eda62-1d42-4d64-a9d1-4e9aa9cd994f",
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    });
    let mut op = operation("drill", spec);
    op.secrets.insert("/password".into(), Secret::new(PASSWORD));
    let p = provider(&cloud, &op);
    let handle = p.submit(&op).await.expect("submit");
    let (outcome, _, _) = poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    succeeded(&outcome);
    // A second submit is refused by name; its error names no secret either.
    let err = p.submit(&op).await.expect_err("the name is taken");
    assert!(matches!(err, SubmitError::Rejected { .. }));
    assert!(!format!("{err} {err:?}").contains(PASSWORD));

    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("drill-logged") && text.contains("(sensitive)"),
        "the create body is logged, redacted"
    );
    assert!(
        !text.contains(PASSWORD),
        "the password leaked into the logs"
    );
}
