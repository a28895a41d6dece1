//! The probes of a drill: each restore's target found in the cloud, then its probes run, as
//! soon as that restore has succeeded.

use super::journal::Journal;
use crate::printer::{Printer, Style};
use crate::secrets::SpecSecrets;
use rewind_drills::{DrillProbe, OnError, Password, ProbeResult, ProbeSpec, Target};
use rewind_engine::drill::{DrillDecl, ScratchStatus};
use rewind_engine::kinds::{OpSpec, SecretRef, Service};
use rewind_engine::provider::{InstanceInfo, Providers, Secrets};
use rewind_engine::spec::Spec;
use std::collections::BTreeMap;
use tokio::sync::mpsc::UnboundedReceiver;

/// What the probes need, borrowed from the drill run.
pub struct ProbeCtx<'a> {
    pub drill: &'a DrillDecl,
    pub spec: &'a Spec,
    pub providers: &'a Providers,
    pub secrets: &'a SpecSecrets,
    /// Parsed probes per operation (the spec's were checked when it loaded).
    pub probes: BTreeMap<String, Vec<ProbeSpec>>,
    pub printer: &'a Printer,
    /// A rehearsal: probes run only against loopback, which only a world file can give.
    pub rehearsal: bool,
}

/// What the probes found.
#[derive(Debug, Default)]
pub struct Probed {
    pub probes: Vec<DrillProbe>,
    /// The instance each operation restored, as the cloud named it.
    pub instances: BTreeMap<String, String>,
    pub errors: Vec<String>,
}

/// Probes each operation whose name arrives on `succeeded`, until apply closes it.
pub async fn probe_loop(
    ctx: &ProbeCtx<'_>,
    mut succeeded: UnboundedReceiver<String>,
    journal: &mut Journal<'_>,
) -> Probed {
    let mut out = Probed::default();
    while let Some(op) = succeeded.recv().await {
        probe_op(ctx, &op, journal, &mut out).await;
    }
    out
}

/// Where an operation's restored instance is found: a create's by its name, any other's by
/// the target ID the spec names.
fn lookup(spec: &OpSpec) -> Option<(Service, Lookup)> {
    if spec.created_class().is_some() {
        let name = spec.request().body.get("name")?.as_str()?.to_owned();
        return Some((spec.kind().service(), Lookup::Name(name)));
    }
    spec.existing_target()
        .map(|(service, id)| (service, Lookup::Id(id)))
}

enum Lookup {
    Name(String),
    Id(String),
}

async fn find(ctx: &ProbeCtx<'_>, op: &str) -> Result<Option<InstanceInfo>, String> {
    let decl = ctx
        .spec
        .ops
        .get(op)
        .ok_or_else(|| format!("`{op}` is not in the spec"))?;
    let Some((service, how)) = lookup(&decl.spec) else {
        return Ok(None);
    };
    let provider = ctx
        .providers
        .get(&service)
        .ok_or_else(|| format!("no provider serves {service}"))?;
    let found = match how {
        Lookup::Name(n) => provider.instance_by_name(&n).await,
        Lookup::Id(id) => provider.instance(&id).await,
    };
    found.map_err(|e| e.message)
}

async fn probe_op(ctx: &ProbeCtx<'_>, op: &str, journal: &mut Journal<'_>, out: &mut Probed) {
    let specs = ctx.probes.get(op).map_or(&[][..], Vec::as_slice);
    let creates = journal
        .record()
        .and_then(|r| r.scratch.iter().position(|s| s.operation == op));
    if specs.is_empty() && creates.is_none() {
        return;
    }
    let info = match find(ctx, op).await {
        Ok(Some(info)) => info,
        Ok(None) => {
            fail_all(
                ctx,
                op,
                specs,
                "the cloud does not know the restored instance",
                out,
            );
            return;
        }
        Err(e) => {
            fail_all(
                ctx,
                op,
                specs,
                &format!("cannot look up the restored instance: {e}"),
                out,
            );
            return;
        }
    };
    out.instances.insert(op.to_owned(), info.id.clone());
    if let Some(i) = creates {
        let id = info.id.clone();
        if let Err(e) = journal.scratch(i, |s| {
            s.instance_id = Some(id);
            s.status = ScratchStatus::Live;
        }) {
            out.errors
                .push(format!("journaling `{op}`'s instance: {e}"));
        }
    }
    if specs.is_empty() {
        return;
    }
    let (Some(host), Some(port)) = (info.host.clone(), info.port) else {
        fail_all(
            ctx,
            op,
            specs,
            &format!("the cloud reports no address for instance {}", info.id),
            out,
        );
        return;
    };
    if ctx.rehearsal
        && let Some(why) = not_real(&host)
    {
        for spec in specs {
            let result = ProbeResult::skipped(spec, &why);
            show(ctx.printer, op, &result);
            out.probes.push(DrillProbe {
                operation: op.to_owned(),
                result,
            });
        }
        return;
    }
    let target = match target(ctx, op, &info, host, port) {
        Ok(t) => t,
        Err(e) => {
            fail_all(ctx, op, specs, &e, out);
            return;
        }
    };
    for spec in specs {
        let result = rewind_drills::run_probe(spec, &target).await;
        show(ctx.printer, op, &result);
        out.probes.push(DrillProbe {
            operation: op.to_owned(),
            result,
        });
    }
}

/// The administrator of a new RDS for MySQL instance, whose password its create sets.
const NEW_RDS_USER: &str = "root";
/// The administrator of a new DDS instance (the API's `db_user_name`).
const NEW_DDS_USER: &str = "rwuser";
/// Why a rehearsal must not connect to `host`, if it must not. The simulator makes up
/// addresses from the documentation ranges (RFC 5737, RFC 3849), which route nowhere; any
/// other address that is not loopback (a `data_vip`, a hostname) may be a real machine.
pub fn not_real(host: &str) -> Option<String> {
    let ip: std::net::IpAddr = match host.trim_matches(['[', ']']).parse() {
        Ok(ip) => ip,
        Err(_) if host.eq_ignore_ascii_case("localhost") => return None,
        Err(_) => {
            return Some(format!(
                "{host} is a name, and a rehearsal connects only to loopback"
            ));
        }
    };
    if ip.is_loopback() {
        return None;
    }
    if is_documentation(ip) {
        return Some(format!(
            "the simulator made up {ip}; give the instance a real (loopback) address in a world file (--world) to run it"
        ));
    }
    Some(format!(
        "{ip} is not loopback, and a rehearsal connects only to loopback"
    ))
}

/// The documentation ranges: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32.
pub fn is_documentation(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => matches!(
            v4.octets(),
            [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]
        ),
        std::net::IpAddr::V6(v6) => v6.segments()[..2] == [0x2001, 0x0db8],
    }
}

/// The probe's target: the instance's address, with the drill's login for it, else the
/// create's own password (and the probe kind's default user).
fn target(
    ctx: &ProbeCtx<'_>,
    op: &str,
    info: &InstanceInfo,
    host: String,
    port: u16,
) -> Result<Target, String> {
    let mut t = Target::new(host, port, info.id.clone());
    // A new instance's administrator: the account its create's password belongs to.
    let own = || {
        let spec = &ctx.spec.ops.get(op)?.spec;
        spec.created_class()?;
        let user = match spec.kind().service() {
            Service::Rds => NEW_RDS_USER,
            Service::Dds => NEW_DDS_USER,
            _ => return None,
        };
        let password = spec
            .secret_refs()
            .into_iter()
            .find(|(pointer, _)| pointer == "/password")
            .map(|(_, r)| r);
        Some((user, password))
    };
    let (user, password): (Option<String>, Option<SecretRef>) =
        ctx.drill.logins.get(op).map_or_else(
            || own().map_or((None, None), |(u, p)| (Some(u.to_owned()), p)),
            |login| (login.user.clone(), login.password.clone()),
        );
    if let Some(u) = user {
        t = t.with_user(u);
    }
    if let Some(reference) = password {
        let secret = ctx.secrets.resolve(&reference)?;
        t = t.with_password(Password::new(secret.expose()));
    }
    Ok(t)
}

fn fail_all(ctx: &ProbeCtx<'_>, op: &str, specs: &[ProbeSpec], why: &str, out: &mut Probed) {
    if specs.is_empty() {
        out.errors.push(format!("`{op}`: {why}"));
    }
    for spec in specs {
        let result = ProbeResult {
            name: spec.name.clone(),
            kind: spec.check.kind(),
            passed: false,
            warned: spec.on_error == OnError::Warn,
            on_error: spec.on_error,
            detail: why.to_owned(),
            output: String::new(),
            started_at: jiff::Timestamp::now(),
            duration: std::time::Duration::ZERO,
            timed_out: false,
            not_run: false,
        };
        show(ctx.printer, op, &result);
        out.probes.push(DrillProbe {
            operation: op.to_owned(),
            result,
        });
    }
}

fn show(printer: &Printer, op: &str, r: &ProbeResult) {
    if printer.json {
        printer.json_line(&serde_json::json!({
            "format_version": 1,
            "event": "probe",
            "time": jiff::Timestamp::now().to_string(),
            "operation": op,
            "probe": r.name,
            "kind": r.kind.as_str(),
            "passed": r.passed,
            "warned": r.warned,
            "not_run": r.not_run,
            "detail": r.detail,
            "duration_ms": u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX),
        }));
        return;
    }
    let (mark, style) = match (r.passed, r.warned) {
        _ if r.not_run => ("-", Style::Yellow),
        (true, _) => ("✓", Style::Green),
        (false, true) => ("!", Style::Yellow),
        (false, false) => ("✗", Style::Red),
    };
    printer.info(&format!(
        "  {} probe {} `{}` on {op}: {} ({} ms)",
        printer.paint(mark, style),
        r.kind.as_str(),
        r.name,
        r.detail,
        r.duration.as_millis()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rehearsal_probes_only_loopback() {
        for ok in ["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost"] {
            assert_eq!(not_real(ok), None, "{ok}");
        }
        for made_up in ["192.0.2.10", "198.51.100.7", "203.0.113.250", "2001:db8::5"] {
            let why = not_real(made_up).unwrap_or_default();
            assert!(why.contains("made up"), "{made_up}: {why}");
        }
        for real in ["192.168.0.40", "10.1.2.3", "8.8.8.8", "db.example.com"] {
            assert!(not_real(real).is_some(), "{real}");
        }
    }
}
