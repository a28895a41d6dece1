//! EVS snapshot rollback plugin: the JSON-RPC loop and the kind it declares.
//
// `api` speaks EVS and IAM over HTTP; this file only frames messages and dispatches.
// It shares no code with rewind: all it knows of rewind is docs/PROVIDER_PROTOCOL.md.
#![allow(
    clippy::print_stderr,
    reason = "a plugin's stderr is its log, which rewind collects (docs/PROVIDER_PROTOCOL.md)"
)]

mod api;
mod fail;
mod validate;

pub use fail::{FAILED, Fail, REJECTED};

use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// The kind this plugin declares in `describe`.
pub fn kind() -> Value {
    json!({
        "name": "evs.snapshot_rollback",
        "description": "Roll an EVS disk back to one of its snapshots",
        "schema": {
            "type": "object",
            "properties": {
                "snapshot_id": { "type": "string", "minLength": 36, "maxLength": 36 },
                "volume_id": { "type": "string", "minLength": 36, "maxLength": 36 },
                "name": { "type": "string", "maxLength": 64 },
                "server_id": { "type": "string" }
            },
            "required": ["snapshot_id", "volume_id"],
            "additionalProperties": false
        },
        "footprint": [
            { "pointer": "/volume_id", "resource": "volume", "access": "writes" },
            { "pointer": "/snapshot_id", "resource": "evs_snapshot", "access": "reads" },
            { "pointer": "/server_id", "resource": "server", "access": "reads" }
        ],
        "outputs": ["volume_id", "status"]
    })
}

fn dispatch(api: &mut api::Evs, method: &str, params: &Value) -> Result<Value, Fail> {
    match method {
        "hello" => Ok(json!({
            "protocol_version": 1,
            "name": "evs",
            "capabilities": ["preflight", "reconcile", "validate"],
        })),
        "describe" => Ok(json!({ "kinds": [kind()] })),
        "validate" => Ok(validate::checks(&params["body"])),
        "preflight" => api.preflight(&params["body"]),
        "submit" => api.submit(&params["body"]),
        "poll" => api.poll(&params["handle"]),
        "reconcile" => api.reconcile(
            &params["body"],
            params["submitted_at"].as_i64().unwrap_or(0),
        ),
        "shutdown" => Ok(json!({})),
        other => Err(Fail {
            code: -32601,
            message: format!("no method `{other}`"),
        }),
    }
}

/// Reads requests until `shutdown` or the end of stdin.
pub fn run() -> ExitCode {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("evs: cannot start the async runtime");
        return ExitCode::from(1);
    };
    let mut api = api::Evs::from_env(rt);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let (reply, stop) = match serde_json::from_str::<Value>(&line) {
            Err(_) => (
                json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32700, "message": "parse error" } }),
                false,
            ),
            Ok(msg) => {
                let method = msg["method"].as_str().unwrap_or_default().to_owned();
                let reply = match dispatch(&mut api, &method, &msg["params"]) {
                    Ok(result) => json!({ "jsonrpc": "2.0", "id": msg["id"], "result": result }),
                    Err(f) => json!({
                        "jsonrpc": "2.0", "id": msg["id"],
                        "error": { "code": f.code, "message": f.message },
                    }),
                };
                (reply, method == "shutdown")
            }
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
        if stop {
            break;
        }
    }
    ExitCode::SUCCESS
}
