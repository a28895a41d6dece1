//! `rewind drill metrics`: after a real drill (against the harness simulator), the textfile
//! holds its metrics and a loopback Pushgateway receives the same text.

use rewind_tests::{Harness, Options};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const SPEC: &str = r"version: 1
restores:
  sessions:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: drill
drills:
  cache:
    scratch: [3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77]
    rto: 1h
";

/// Accepts one HTTP request, answers 200, and hands back its request line and body.
fn one_request(listener: TcpListener) -> std::thread::JoinHandle<(String, String)> {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut request_line = String::new();
        reader.read_line(&mut request_line).expect("request line");
        let mut length = 0usize;
        for _ in 0..100 {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let mut out = stream;
        out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .expect("reply");
        (
            request_line.trim().to_owned(),
            String::from_utf8(body).expect("utf-8"),
        )
    })
}

#[test]
fn a_drill_is_in_the_textfile_and_pushed_to_a_loopback_pushgateway() {
    let h = Harness::new(SPEC, &Options::default());
    let run = h.rewind(&["drill", "cache"]);
    assert!(run.ok(), "{}", run.transcript());

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let received = one_request(listener);
    let out = tempfile::tempdir().expect("dir");
    let dir = out.path().to_string_lossy().into_owned();
    let metrics = h.rewind(&["drill", "metrics", "--textfile", &dir, "--push", &url]);
    assert!(metrics.ok(), "{}", metrics.transcript());
    let (request_line, body) = received.join().expect("receiver");

    let text = std::fs::read_to_string(out.path().join("rewind_drills.prom")).expect("textfile");
    assert!(
        text.contains("rewind_drill_last_status{drill=\"cache\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("rewind_drill_runs_total{drill=\"cache\",outcome=\"passed\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("rewind_drill_rto_budget_seconds{drill=\"cache\"} 3600"),
        "{text}"
    );
    assert_eq!(request_line, "PUT /metrics/job/rewind_drill HTTP/1.1");
    assert_eq!(body, text);
}
