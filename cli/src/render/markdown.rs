//! The plan as a pull-request comment: summary, overwrites in bold, details folded, size-capped.

use rewind_engine::plan::{Action, Plan, Step};
use std::fmt::Write;

/// GitHub refuses comment bodies longer than this many characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// Room kept for the notes about what was cut, so adding them never crosses the limit.
const NOTE_RESERVE: usize = 600;

/// Characters that Markdown or HTML would interpret in a name or an ID.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// For text inside HTML tags, where Markdown escapes would show as backslashes.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut blocked = if s.moved > 0 {
        format!(", {} moved", s.moved)
    } else {
        String::new()
    };
    if s.blocked > 0 {
        let _ = write!(blocked, ", {} blocked", s.blocked);
    }
    format!(
        "**Plan:** {} to restore, {} to rerun, {} to resume, {} to retry, {} to forget, {} unchanged{blocked}.",
        s.restore, s.rerun, s.resume, s.retry, s.forget, s.unchanged
    )
}

/// The overwrite lines, restores onto their own source first (they lose data).
fn overwrite_lines(plan: &Plan) -> Vec<String> {
    let mut own_source = Vec::new();
    let mut others = Vec::new();
    for s in plan.steps.iter().filter(|s| s.action.submits()) {
        // A table-level restore adds objects under new names: no target is overwritten.
        for o in s.overwrites.iter().filter(|o| !o.adds_only) {
            let resource = esc(&o.resource.to_string());
            if o.is_source {
                own_source.push(format!(
                    "- :warning: **{resource}** ← {} (**its own source**)\n",
                    esc(&s.name)
                ));
            } else {
                others.push(format!("- **{resource}** ← {}\n", esc(&s.name)));
            }
        }
    }
    own_source.extend(others);
    own_source
}

fn details(s: &Step) -> String {
    let mut out = format!(
        "<details><summary>{} {} <b>{}</b> ({})</summary>\n\n",
        html(&s.action.symbol().to_string()),
        s.action.verb(),
        html(&s.name),
        html(&s.kind.to_string())
    );
    if let Some(from) = &s.moved_from {
        let _ = writeln!(out, "- moved from {}", esc(from));
    }
    for (label, value) in super::facts::lines(s) {
        let _ = writeln!(out, "- {label}: {}", esc(&value));
    }
    if s.action.submits() {
        let _ = writeln!(
            out,
            "- request: `{} {}`",
            s.request.method,
            s.request.path.replace('`', "'")
        );
    }
    if !s.after.is_empty() {
        let after: Vec<String> = s.after.iter().map(|a| esc(a)).collect();
        let _ = writeln!(out, "- after: {}", after.join(", "));
    }
    for c in &s.changes {
        let _ = writeln!(
            out,
            "- changed {}: {} → {}",
            esc(&c.path),
            esc(c.before.as_deref().unwrap_or("(absent)")),
            esc(c.after.as_deref().unwrap_or("(absent)"))
        );
    }
    if let Some(err) = s.prior.as_ref().and_then(|p| p.last_error.as_deref()) {
        let _ = writeln!(out, "- last error: {}", esc(err));
    }
    if let Some(h) = s.prior.as_ref().and_then(|p| p.handle.as_ref())
        && s.action == Action::Resume
    {
        let _ = writeln!(out, "- re-attaches to {}", esc(h.id()));
    }
    if !s.checks.is_empty() {
        out.push_str("- checks:\n");
        for c in &s.checks {
            let mark = if c.passed && c.assumed {
                ":warning: assumed"
            } else if c.passed {
                ":white_check_mark:"
            } else {
                ":x: **failed**"
            };
            let _ = writeln!(out, "  - {mark} {}: {}", esc(&c.name), esc(&c.observed));
        }
    }
    for n in &s.notes {
        let _ = writeln!(out, "- note: {}", esc(n));
    }
    out.push_str("\n</details>\n");
    out
}

/// Most rows of the summary table; the details below (and `rewind plan`) have the rest.
const TABLE_ROWS: usize = 50;

/// The summary table: one row per operation that does something: action, operation, kind,
/// point in time (or backup) and target.
fn summary_table(plan: &Plan) -> String {
    let rows: Vec<&Step> = plan
        .steps
        .iter()
        .filter(|s| s.action != Action::Unchanged)
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\n| | Operation | Kind | Point in time | Target |\n|---|---|---|---|---|\n");
    for s in rows.iter().take(TABLE_ROWS) {
        let point = super::facts::point(&s.facts).unwrap_or_else(|| "-".to_owned());
        let _ = writeln!(
            out,
            "| {} {} | {} | {} | {} | {} |",
            esc(&s.action.symbol().to_string()),
            s.action.verb(),
            esc(&s.name),
            esc(&s.kind.to_string()),
            esc(&point),
            esc(&super::facts::target_cell(s)),
        );
    }
    if rows.len() > TABLE_ROWS {
        let _ = writeln!(
            out,
            "\n{} more operation(s) are not in this table; see the details below or `rewind plan`.",
            rows.len() - TABLE_ROWS
        );
    }
    out
}

/// The comment body; always under [`COMMENT_LIMIT`] characters. The summary comes first and
/// is never cut; then the overwrite list, cut only when it alone cannot fit; then one
/// `<details>` block per operation, dropped from the end when the body would grow too long.
pub fn plan(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.simulated {
        let _ = writeln!(out, "> **{}**\n", super::plan::REHEARSAL_BANNER);
    }
    let _ = writeln!(out, "{}", summary_line(plan));
    out.push_str(&summary_table(plan));
    out.push('\n');
    let _ = writeln!(out, "Spec `{}`.", plan.spec_file.replace('`', "'"));
    if !plan.invented.is_empty() {
        let _ = writeln!(out, "{}", esc(&super::plan::invented_line(&plan.invented)));
    }
    if !plan.left_out.is_empty() {
        let left: Vec<String> = plan.left_out.iter().map(|n| esc(n)).collect();
        let _ = writeln!(
            out,
            "Targeting left out {} operation(s): {}.",
            left.len(),
            left.join(", ")
        );
    }
    if !plan.preflight {
        out.push_str("Preflight checks were skipped (`--offline`).\n");
    }
    if !plan.has_changes() && plan.summary.blocked == 0 {
        out.push_str("\nNo changes: every restore has succeeded with these inputs.\n");
    }
    let budget = COMMENT_LIMIT - NOTE_RESERVE;
    let mut used = chars(&out);

    let lines = overwrite_lines(plan);
    if !lines.is_empty() {
        let own = plan
            .steps
            .iter()
            .filter(|s| s.action.submits())
            .flat_map(|s| &s.overwrites)
            .filter(|o| o.is_source)
            .count();
        let mut head = format!("\n### Overwritten targets ({})\n\n", lines.len());
        if own > 0 {
            let _ = write!(
                head,
                ":warning: **{own} restore(s) onto their own source**, listed first: data newer than the restore point is lost.\n\n"
            );
        }
        used += chars(&head);
        out.push_str(&head);
        let mut kept = 0;
        for line in &lines {
            let n = chars(line);
            if used + n > budget {
                break;
            }
            out.push_str(line);
            used += n;
            kept += 1;
        }
        if kept < lines.len() {
            let note = format!(
                "\n**{} more overwritten target(s) not listed**: {} targets do not fit in one comment. Run `rewind plan` for all of them.\n",
                lines.len() - kept,
                lines.len()
            );
            used += chars(&note);
            out.push_str(&note);
        }
    }
    for name in &plan.forget {
        let line = format!(
            "- forget **{}** (no longer in the spec; the cloud is not touched)\n",
            esc(name)
        );
        if used + chars(&line) > budget {
            break;
        }
        used += chars(&line);
        out.push_str(&line);
    }

    let shown: Vec<&Step> = plan
        .steps
        .iter()
        .filter(|s| s.action != Action::Unchanged)
        .collect();
    if !shown.is_empty() {
        out.push_str("\n### Operations, in order\n\n");
        used += 26;
    }
    let mut cut = 0;
    let mut cut_chars = 0;
    for s in &shown {
        let block = details(s);
        let n = chars(&block);
        if cut > 0 || used + n > budget {
            cut += 1;
            cut_chars += n;
            continue;
        }
        out.push_str(&block);
        used += n;
    }
    if cut > 0 {
        let _ = write!(
            out,
            "\n**Details of {cut} of {} operations left out** ({cut_chars} characters) to stay under the {COMMENT_LIMIT}-character comment limit; the summary and the overwrite list above are complete unless they say otherwise. Run `rewind plan` for everything.\n",
            shown.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_engine::compile::compile;
    use rewind_engine::plan::{PlanOptions, build};
    use rewind_engine::spec::LoadOptions;
    use rewind_engine::state::StateStore;

    fn plan_of(file: &str, text: &str) -> Plan {
        let c = compile(file, text, &LoadOptions::default())
            .unwrap_or_else(|r| panic!("{}", r.plain()));
        let state = rewind_state::MemoryState::with_lineage("snapshot");
        let meta = state.meta().unwrap();
        build(
            &c.file,
            &c.spec,
            &c.graph,
            &meta,
            &[],
            &PlanOptions::default(),
        )
    }

    fn example(name: &str) -> Plan {
        let path = format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        plan_of(&format!("examples/{name}"), &text)
    }

    #[test]
    fn small_examples_match_their_snapshots() {
        for name in ["ddm-pitr.yaml", "rds-restore.yaml", "cbr-restore.yaml"] {
            let md = plan(&example(name));
            assert!(md.starts_with("**Plan:** "), "{md}");
            insta::assert_snapshot!(format!("markdown_{name}"), md);
        }
    }

    #[test]
    fn table_restores_restore_into_their_instance_and_overwrite_nothing() {
        let p = example("rds-table-restore.yaml");
        assert_eq!(p.steps.len(), 3);
        for s in &p.steps {
            assert_eq!(s.overwrites.len(), 1, "{s:?}");
            assert!(
                s.overwrites[0].adds_only && !s.overwrites[0].is_source,
                "{s:?}"
            );
        }
        let md = plan(&p);
        assert!(!md.contains("Overwritten targets"), "{md}");
        let printer = crate::printer::Printer::new(false, false, true, false);
        let human = crate::render::plan::human(&p, &printer);
        assert!(!human.contains("overwrites rds"), "{human}");
        assert!(
            human.contains(
                "restores into rds instance 5d742eda6e574ff3a003191638ef8c51in01 under new names (overwrites nothing)"
            ),
            "{human}"
        );
        // A restore that does overwrite still says so.
        let md = plan(&example("rds-restore.yaml"));
        assert!(md.contains("Overwritten targets"), "{md}");
    }

    #[test]
    fn ten_thousand_operations_stay_under_the_comment_limit() {
        let mut text = String::from(
            "version: 1\ncloud:\n  region: eu-de\n  project_id: 619d3e78f61b4be68bc5aa0b59edcf7b\nrestores:\n",
        );
        for i in 0..10_000 {
            // Every hundredth restores onto its own source; those come first in the list.
            let (target, allow) = if i % 100 == 0 {
                (
                    format!("{i:032x}in01"),
                    "    allow_overwrite_source: true\n",
                )
            } else {
                (format!("{:032x}in01", i + 1_000_000), "")
            };
            let _ = write!(
                text,
                "  op-{i}:\n{allow}    kind: rds.restore\n    source:\n      instance_id: {i:032x}in01\n      type: timestamp\n      restore_time: 2026-11-20T03:00:00Z\n    target:\n      instance_id: {target}\n"
            );
        }
        let p = plan_of("big.yaml", &text);
        assert_eq!(p.steps.len(), 10_000);
        let md = plan(&p);
        assert!(chars(&md) < COMMENT_LIMIT, "{} characters", chars(&md));
        assert!(md.starts_with(&summary_line(&p)), "summary first");
        assert!(md.contains("10000 to restore"));
        // Restores onto their own source come first and are never the ones cut.
        assert_eq!(md.matches("(**its own source**)").count(), 100);
        assert!(md.contains("**100 restore(s) onto their own source**"));
        assert!(
            md.contains("more overwritten target(s) not listed"),
            "says what it cut"
        );
        assert!(md.contains("operations left out"), "says details were cut");
    }

    #[test]
    fn details_are_cut_before_the_overwrite_list() {
        let p = example("ddm-pitr.yaml");
        let full = plan(&p);
        assert!(!full.contains("left out"));
        assert_eq!(full.matches("<details>").count(), p.steps.len());
        assert!(full.contains("- **rds"), "{full}");
    }
}
