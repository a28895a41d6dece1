//! `rewind providers`: every plugin found, its protocol version and kinds.

use crate::error::CliError;
use crate::plugins::{clashes, describe_all, find};
use crate::printer::{Printer, Style};
use crate::session::Session;
use std::process::ExitCode;

/// `rewind providers`: every plugin found, its protocol version and kinds.
pub fn exec(session: &Session, printer: &Printer) -> Result<ExitCode, CliError> {
    // Described here leniently (each failure is listed), not through the session's strict
    // description, so one broken plugin does not hide the others.
    let all = describe_all(find(session.file_settings()?));
    let mut failed = false;
    let mut doc = Vec::new();
    let clash = clashes(
        all.iter()
            .filter_map(|(c, d)| Some((c.name.as_str(), d.as_ref().ok()?.kinds.as_slice()))),
    );
    if all.is_empty() && !printer.json {
        printer.info("no providers found: add [providers.NAME] command = [...] to rewind.toml, or put rewind-provider-NAME on PATH");
    }
    for (cmd, described) in all {
        match described {
            Ok(d) => {
                if printer.json {
                    doc.push(serde_json::json!({
                        "name": d.name,
                        "command": cmd.argv,
                        "protocol_version": d.protocol_version,
                        "capabilities": d.capabilities,
                        "kinds": d.kinds,
                    }));
                } else {
                    printer.out(&format!(
                        "{} (protocol {}, {})",
                        printer.paint(&d.name, Style::Bold),
                        d.protocol_version,
                        cmd.argv.join(" ")
                    ));
                    for k in &d.kinds {
                        let writes: Vec<String> = k
                            .footprint
                            .iter()
                            .map(|r| {
                                format!("{} {:?} {}", r.resource, r.access, r.pointer)
                                    .to_lowercase()
                            })
                            .collect();
                        printer.out(&format!("  {}  {}", k.name, k.description));
                        if !writes.is_empty() {
                            printer.out(&format!("    footprint: {}", writes.join(", ")));
                        }
                        if !k.outputs.is_empty() {
                            printer.out(&format!("    outputs: {}", k.outputs.join(", ")));
                        }
                    }
                }
            }
            Err(e) => {
                failed = true;
                if printer.json {
                    doc.push(serde_json::json!({ "name": cmd.name, "command": cmd.argv, "error": e.to_string() }));
                } else {
                    crate::render::errors::print(&e, printer);
                }
            }
        }
    }
    if !clash.is_empty() {
        failed = true;
        if !printer.json {
            for c in &clash {
                crate::render::errors::print(
                    &CliError::hint(
                        format!("{c}; a spec using it is refused"),
                        "each kind, and each service of plugin kinds, must come from one plugin: remove or rename one",
                    ),
                    printer,
                );
            }
        }
    }
    if printer.json {
        printer.out(&serde_json::json!({ "providers": doc, "clashes": clash }).to_string());
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
