//! The facts a reviewer confirms (source, point in time or backup, target, creates), as text.

use rewind_engine::kinds::Resource;
use rewind_engine::plan::{Facts, Step, rfc3339};
use std::fmt::Write;

/// The point in time in UTC (with the spec's own offset when it had one), or the backup
/// (with its end time when the preflight learned it); `None` for neither.
pub fn point(f: &Facts) -> Option<String> {
    if let Some(t) = f.point_in_time {
        let mut text = rfc3339(t);
        if let Some(w) = &f.as_written {
            let _ = write!(text, " (written {w})");
        }
        return Some(text);
    }
    f.backup.as_ref().map(|b| {
        let mut text = format!("backup {b}");
        if let Some(end) = f.backup_end {
            let _ = write!(text, " (ended {})", rfc3339(end));
        }
        text
    })
}

fn resources(list: &[Resource]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Labelled lines: `source`, `point in time` or `backup`, `target`, `creates`.
pub fn lines(s: &Step) -> Vec<(&'static str, String)> {
    let f = &s.facts;
    let mut out = Vec::new();
    if !f.source.is_empty() {
        out.push(("source", resources(&f.source)));
    }
    if f.point_in_time.is_some() {
        out.push(("point in time", point(f).unwrap_or_default()));
        if let Some(b) = &f.backup {
            out.push(("backup", b.clone()));
        }
    } else if let Some(p) = point(f) {
        out.push(("backup", p.trim_start_matches("backup ").to_owned()));
    }
    if !f.target.is_empty() {
        out.push(("target", resources(&f.target)));
    }
    if !f.creates.is_empty() {
        out.push(("creates", f.creates.join(", ")));
    }
    out
}

/// The whole request body as pretty JSON, each secret shown as `(sensitive)`.
pub fn body(s: &Step) -> String {
    let mut body = s.request.body.clone();
    for (pointer, _) in s.spec.secret_refs() {
        if let Some(v) = body.pointer_mut(&pointer) {
            *v = serde_json::Value::String("(sensitive)".to_owned());
        }
    }
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

/// The target column of a summary table: what is overwritten, else what is created.
pub fn target_cell(s: &Step) -> String {
    if !s.facts.target.is_empty() {
        return resources(&s.facts.target);
    }
    if !s.facts.creates.is_empty() {
        return format!("new {}", s.facts.creates.join(", "));
    }
    String::new()
}
