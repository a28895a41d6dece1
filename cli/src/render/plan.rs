//! The human plan: one block per operation in execution order, overwrites in red.

use crate::printer::{Printer, Style};
use rewind_engine::plan::{Action, Plan, Step};
use std::fmt::Write;

fn action_style(a: Action) -> Style {
    match a {
        Action::Restore | Action::Moved => Style::Green,
        Action::Rerun | Action::Resume => Style::Yellow,
        Action::Retry | Action::Forget | Action::Blocked => Style::Red,
        Action::Unchanged => Style::Dim,
    }
}

fn step(out: &mut String, s: &Step, p: &Printer) {
    let head = format!("{} {:<9}", s.action.symbol(), s.action.verb());
    let _ = writeln!(
        out,
        "  {} {}  ({})",
        p.paint(&head, action_style(s.action)),
        p.paint(&s.name, Style::Bold),
        s.kind
    );
    if s.action == Action::Moved {
        if let Some(from) = &s.moved_from {
            let _ = writeln!(
                out,
                "      from {from}: its record follows the new name; nothing is restored"
            );
        }
        return;
    }
    if s.action == Action::Unchanged {
        return;
    }
    facts(out, s);
    if s.action.submits() {
        let _ = writeln!(out, "      {} {}", s.request.method, s.request.path);
    }
    body(out, s, p);
    if let (Some(class), Some(name)) = (s.spec.created_class(), s.spec.created_name()) {
        let line = format!(
            "creates {} {:?} (its ID is known after apply)",
            class.as_str(),
            name
        );
        let _ = writeln!(out, "      {}", p.paint(&line, Style::Green));
    }
    for pointer in &s.unknown {
        let template = s
            .request
            .body
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let _ = writeln!(out, "      {pointer} = (known after apply) from {template}");
    }
    for (pointer, secret) in s.spec.secret_refs() {
        let _ = writeln!(out, "      {pointer} = (sensitive) from {secret}");
    }
    for o in &s.overwrites {
        if o.adds_only {
            let line = format!(
                "restores into {} under new names (overwrites nothing)",
                o.resource
            );
            let _ = writeln!(out, "      {}", p.paint(&line, Style::Yellow));
            continue;
        }
        let mut line = format!("overwrites {}", o.resource);
        if o.is_source {
            line.push_str("  (its own source: data newer than the restore point is lost)");
        }
        let _ = writeln!(out, "      {}", p.paint(&line, Style::Red));
    }
    if !s.after.is_empty() {
        let _ = writeln!(out, "      after {}", s.after.join(", "));
    }
    for c in &s.changes {
        let _ = writeln!(
            out,
            "      ~ {}: {} -> {}",
            c.path,
            c.before.as_deref().unwrap_or("(absent)"),
            c.after.as_deref().unwrap_or("(absent)")
        );
    }
    if let Some(prior) = &s.prior {
        if let Some(err) = &prior.last_error {
            let _ = writeln!(out, "      last error: {err}");
        }
        if let Some(h) = &prior.handle
            && matches!(s.action, Action::Resume)
        {
            let _ = writeln!(out, "      re-attaches to {}", h.id());
        }
    }
    for c in &s.checks {
        let mark = if c.passed && c.assumed {
            p.paint("assumed", Style::Yellow)
        } else if c.passed {
            p.paint("ok  ", Style::Green)
        } else {
            p.paint("FAIL", Style::Red)
        };
        let _ = writeln!(out, "      [{mark}] {}: {}", c.name, c.observed);
    }
    for n in &s.notes {
        let _ = writeln!(out, "      note: {n}");
    }
}

/// The step's facts: source, point in time or backup, target, creates.
fn facts(out: &mut String, s: &Step) {
    // What a create creates has a line of its own below.
    for (label, value) in super::facts::lines(s)
        .into_iter()
        .filter(|(l, _)| *l != "creates")
    {
        let _ = writeln!(out, "      {:<14} {value}", format!("{label}:"));
    }
}

/// With `-v`, the whole request body, secrets as `(sensitive)`.
fn body(out: &mut String, s: &Step, p: &Printer) {
    if p.verbose && s.action.submits() {
        let _ = writeln!(out, "      body:");
        for line in super::facts::body(s).lines() {
            let _ = writeln!(out, "        {line}");
        }
    }
}

pub fn human(plan: &Plan, p: &Printer) -> String {
    let mut out = String::new();
    if plan.simulated {
        let _ = writeln!(out, "{}\n", p.paint(REHEARSAL_BANNER, Style::Yellow));
    }
    if !plan.has_changes() && plan.summary.blocked == 0 {
        let _ = writeln!(
            out,
            "No changes: every restore in {} has succeeded with these inputs.",
            plan.spec_file
        );
    } else {
        let _ = writeln!(out, "rewind will perform these actions, in this order:\n");
    }
    for s in &plan.steps {
        if s.action == Action::Unchanged && !p.verbose {
            continue;
        }
        step(&mut out, s, p);
    }
    for name in &plan.forget {
        let head = p.paint("- forget   ", Style::Red);
        let _ = writeln!(
            out,
            "  {head} {}  (no longer in the spec; the cloud is not touched)",
            p.paint(name, Style::Bold)
        );
    }
    let s = &plan.summary;
    let _ = writeln!(
        out,
        "\nPlan: {} to restore, {} to rerun, {} to resume, {} to retry, {} to forget, {} unchanged{}{}.",
        s.restore,
        s.rerun,
        s.resume,
        s.retry,
        s.forget,
        s.unchanged,
        if s.moved > 0 {
            format!(", {} moved", s.moved)
        } else {
            String::new()
        },
        if s.blocked > 0 {
            format!(", {} blocked", s.blocked)
        } else {
            String::new()
        }
    );
    if !plan.left_out.is_empty() {
        let _ = writeln!(
            out,
            "Targeting (--target/--exclude) left out {} operation(s): {}",
            plan.left_out.len(),
            plan.left_out.join(", ")
        );
    }
    let cp = &plan.critical_path;
    if !cp.names.is_empty() {
        let _ = writeln!(
            out,
            "Critical path (expected {}{}): {}",
            duration_text(cp.duration_ms),
            if plan.simulated {
                " in the real cloud; the rehearsal's simulated jobs take the world's durations"
            } else {
                ""
            },
            cp.names.join(" -> ")
        );
    }
    if !plan.preflight {
        let _ = writeln!(out, "Preflight checks were skipped (--offline).");
    }
    if !plan.invented.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(&invented_line(&plan.invented), Style::Yellow)
        );
    }
    out
}

/// The first line of every rehearsal plan, in each rendering.
pub const REHEARSAL_BANNER: &str = "REHEARSAL (--simulate): against the simulator; nothing real was checked and nothing real will be touched.";

/// The IDs a rehearsal made up, so that a mistyped one stands out.
pub fn invented_line(ids: &[String]) -> String {
    format!(
        "The rehearsal invented {} resource(s) the spec names, so the checks on them are assumed, not checked (a typo would pass here): {}",
        ids.len(),
        ids.join(", ")
    )
}

/// An expected duration, to the minute once it is long: `45s`, `12m`, `1h 05m`.
pub fn duration_text(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs.div_ceil(60)),
        _ => format!(
            "{}h {:02}m",
            secs / 3600,
            (secs % 3600).div_ceil(60).min(59)
        ),
    }
}
