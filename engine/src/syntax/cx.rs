//! The lowering context every kind's body uses: diagnostics, ID and time checks, `type` inference.

use super::diagnostic::{Diagnostic, Span};
use super::obj::{Obj, as_str};
use super::value::{IdShape, check_id, time_ms};
use super::yaml::{Node, Value};
use std::collections::BTreeMap;

/// Keys every operation accepts besides its body.
pub const COMMON_KEYS: &[&str] = &[
    "kind",
    "depends_on",
    "allow_overwrite_source",
    "timeout",
    "for_each",
];

/// Shared state while lowering one body: the diagnostics sink and where each ID was written.
pub struct Cx<'d> {
    pub diags: &'d mut Vec<Diagnostic>,
    /// ID value -> first place it was written in this operation (for conflict labels).
    pub id_spans: BTreeMap<String, Span>,
}

impl Cx<'_> {
    pub fn id_at(
        &mut self,
        value: String,
        span: Span,
        path: &str,
        shape: IdShape,
    ) -> Option<String> {
        // Another operation's output: its shape is the API's business, known after apply.
        if super::value::is_unknown(&value) {
            self.id_spans.entry(value.clone()).or_insert(span);
            return Some(value);
        }
        match check_id(&value, span, path, shape) {
            Ok(()) => {
                self.id_spans.entry(value.clone()).or_insert(span);
                Some(value)
            }
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    pub fn id(&mut self, o: &Obj, key: &str, shape: IdShape) -> Option<String> {
        let (v, span) = o.str_field(key, self.diags)?;
        self.id_at(v, span, &o.child_path(key), shape)
    }

    /// `Some(None)` when absent, `None` when present but invalid.
    #[allow(clippy::option_option)]
    pub fn opt_id(&mut self, o: &Obj, key: &str, shape: IdShape) -> Option<Option<String>> {
        if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
            return Some(None);
        }
        let (v, span) = o.opt_str(key, self.diags)?;
        self.id_at(v, span, &o.child_path(key), shape).map(Some)
    }

    #[allow(clippy::option_option)]
    pub fn opt_time(&mut self, o: &Obj, key: &str) -> Option<Option<i64>> {
        let Some(node) = o.get(key).filter(|n| !matches!(n.value, Value::Null)) else {
            return Some(None);
        };
        // `latest` / `random_within 7d`: no time yet; `spec::recovery` records the choice (or
        // the error) and the plan pins the point the cloud offers.
        if let Value::Str(text) = &node.value
            && is_recovery_word(text)
        {
            return Some(None);
        }
        match time_ms(node, &o.child_path(key)) {
            Ok(t) => Some(Some(t)),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    pub fn time(&mut self, o: &Obj, key: &str) -> Option<i64> {
        let node = o.required(key, self.diags)?;
        match time_ms(node, &o.child_path(key)) {
            Ok(t) => Some(t),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    pub fn id_list(&mut self, items: &[Node], path: &str, shape: IdShape) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}.{i}");
            match as_str(item, &p, self.diags).and_then(|(v, s)| self.id_at(v, s, &p, shape)) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

pub fn span_of(o: &Obj, key: &str) -> Option<Span> {
    o.get(key)
        .filter(|n| !matches!(n.value, Value::Null))
        .map(|n| n.span)
}

/// `latest` or `random_within ...`: a recovery point chosen at plan time, not a time (the
/// words `drill::recovery::parse` reads; checked there, only recognised here).
pub fn is_recovery_word(text: &str) -> bool {
    let text = text.trim();
    text == "latest" || text.starts_with("random_within")
}

/// The word `backup_id: latest` is written with: a backup the plan chooses.
pub const LATEST: &str = "latest";

/// `Some("latest")` when `o.key` says `latest` (a backup ID the plan chooses), so that
/// lowering keeps it as written instead of checking it as an ID.
pub fn latest(o: &Obj, key: &str) -> Option<String> {
    match o.get(key).map(|n| &n.value) {
        Some(Value::Str(v)) if v == LATEST => Some(v.clone()),
        _ => None,
    }
}
