//! Logs at trace level name requests and headers but never a credential.

// Alone in its binary: a scoped tracing subscriber races with tests on other threads over
// callsite interest, and would miss lines.

#[allow(dead_code)]
mod harness;

use harness::fixtures::{RDS_SRC, RDS_TGT, healthy_world, rds_pitr};
use harness::{Harness, operation, poll_to_end, provider};
use std::sync::{Arc, Mutex};

/// A run at trace level logs requests and responses, but never a credential.
#[tokio::test]
async fn logs_hold_no_secret() {
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
    h.sim.set_faults(rewind_sim::Faults {
        rules: vec![],
        token_ttl_seconds: Some(600),
    });
    let cloud = h.cloud();
    let op = operation("op", rds_pitr(RDS_SRC, RDS_TGT, at));
    let p = provider(&cloud, &op);
    p.preflight(&op).await.unwrap();
    let handle = p.submit(&op).await.unwrap();
    h.advance(3_600);
    poll_to_end(&h, p.as_ref(), &op, handle, 60).await;
    let mut aksk = h.sim.access_key_env();
    aksk.push((
        "OS_PROJECT_ID".into(),
        "619d3e78f61b4be68bc5aa0b59edcf7b".into(),
    ));
    let signed = harness::cloud_from(&h.env(&aksk));
    let p = provider(&signed, &op);
    p.preflight(&op).await.unwrap();

    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("x-auth-token"),
        "request headers are logged: {}",
        &text[..text.len().min(3000)]
    );
    assert!(
        text.contains("authorization"),
        "signed request headers are logged"
    );
    for secret in [
        "rewind-sim-password",
        "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
        "Signature=",
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked into the logs");
    }
    for line in text.lines().filter(|l| l.contains("x-auth-token")) {
        assert!(line.contains(r#"("x-auth-token", "***")"#), "{line}");
    }
}
