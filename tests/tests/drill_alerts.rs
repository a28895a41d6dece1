//! A drill's `notify:` webhook and the `--ping` dead-man switch, against a loopback receiver:
//! a failing drill posts one webhook, the next passing one posts one "recovered", and the ping
//! URL sees start, then fail or success.

use rewind_tests::{Harness, Options};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// One cache restore; its backup is an hour old, so `rpo: 1s` fails the drill and `rpo: 2h`
/// passes it.
fn spec(rpo: &str, hook: &str) -> String {
    format!(
        r#"version: 1
restores:
  sessions:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: drill
drills:
  cache:
    scratch: [3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77]
    rpo: {rpo}
    notify: {{ url: "{hook}", format: slack }}
"#
    )
}

/// Answers 200 to every request (at most 50), sending each (request line, body) down the
/// channel.
fn receiver(listener: TcpListener) -> mpsc::Receiver<(String, String)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..50 {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
            let Ok(clone) = stream.try_clone() else {
                return;
            };
            let mut reader = BufReader::new(clone);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut length = 0usize;
            for _ in 0..100 {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            // Recorded before the answer: once `rewind` has its answer (and so once it has
            // exited), the request is in the channel.
            let sent = (
                line.trim().to_owned(),
                String::from_utf8_lossy(&body).into_owned(),
            );
            if tx.send(sent).is_err() {
                return;
            }
            let mut out = stream;
            let _ =
                out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    rx
}

/// Every request that arrived by now: `rewind` waits for each answer before it exits, and
/// the receiver records a request before answering it, so nothing is still on its way.
fn drained(rx: &mpsc::Receiver<(String, String)>) -> Vec<(String, String)> {
    rx.try_iter().collect()
}

#[test]
fn a_failure_posts_one_webhook_the_next_pass_one_recovered_and_pings_bracket_each_run() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let rx = receiver(listener);
    let hook = format!("{base}/hook");
    let ping = format!("{base}/ping");
    let h = Harness::new(&spec("1s", &hook), &Options::default());

    let failed = h.rewind(&["drill", "cache", "--ping", &ping]);
    assert_eq!(failed.status, Some(1), "{}", failed.transcript());
    let got = drained(&rx);
    let lines: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        lines,
        [
            "POST /ping/start HTTP/1.1",
            "POST /hook HTTP/1.1",
            "POST /ping/fail HTTP/1.1"
        ],
        "{}",
        failed.transcript()
    );
    let hook_body: serde_json::Value = serde_json::from_str(&got[1].1).expect("JSON");
    let text = hook_body["text"].as_str().expect("slack text");
    assert!(text.starts_with("Drill cache FAILED (run 1)"), "{text}");
    assert!(text.contains("RPO") && text.contains("Report: "), "{text}");

    std::fs::write(&h.spec, spec("2h", &hook)).expect("rewrite spec");
    let passed = h.rewind(&["drill", "cache", "--ping", &ping]);
    assert!(passed.ok(), "{}", passed.transcript());
    let got = drained(&rx);
    let lines: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        lines,
        [
            "POST /ping/start HTTP/1.1",
            "POST /hook HTTP/1.1",
            "POST /ping HTTP/1.1"
        ],
        "{}",
        passed.transcript()
    );
    let hook_body: serde_json::Value = serde_json::from_str(&got[1].1).expect("JSON");
    assert!(
        hook_body["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Drill cache RECOVERED")),
        "{hook_body}"
    );

    // A second pass in a row is not news: only the pings.
    let again = h.rewind(&["drill", "cache", "--ping", &ping]);
    assert!(again.ok(), "{}", again.transcript());
    let lines: Vec<String> = drained(&rx).into_iter().map(|(l, _)| l).collect();
    assert_eq!(
        lines,
        ["POST /ping/start HTTP/1.1", "POST /ping HTTP/1.1"],
        "{}",
        again.transcript()
    );
}
