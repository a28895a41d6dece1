//! The `drills:` section: each drill's operations, scratch targets, budgets, clean-up policy,
//! logins and probes, checked against the rule that a drill never touches production.

mod probes;
mod production;
mod values;

use super::diagnostic::{Code, Diagnostic, Span};
use super::names::valid_name;
use super::obj::{Obj, as_str, wrong_type};
use super::parse_timeout;
use super::suggest::did_you_mean;
use super::yaml::{Node, Value};
use super::{LoadOptions, Spec};
use crate::drill::notify::{NotifyDecl, NotifyFormat, NotifyUrl};
use crate::drill::schedule::{self, Schedule};
use crate::drill::{Cleanup, CleanupPolicy, DrillDecl};
use probes::Runs;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use values::Interp;

const DRILL_KEYS: &[&str] = &[
    "operations",
    "scratch",
    "rto",
    "rpo",
    "cleanup",
    "report_dir",
    "logins",
    "probes",
    "schedule",
    "notify",
];

/// Lowers `drills:` against the operations already lowered into `spec`.
pub(super) fn section(
    top: &Obj,
    spec: &Spec,
    vars: &BTreeMap<String, Node>,
    opts: &LoadOptions,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, DrillDecl> {
    let mut out = BTreeMap::new();
    let Some(section) = top.opt_obj("drills", diags) else {
        return out;
    };
    let order = spec_order(top, spec);
    for (name, node, span) in section.keys() {
        if !valid_name(name) {
            diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!("`{name}` is not a valid drill name"),
                )
                .at(span)
                .with_hint("names start with a letter and use letters, digits, `-` and `_`"),
            );
            continue;
        }
        let mut interp = Interp {
            vars,
            secrets: &spec.secrets,
            path: section.child_path(name),
            failed: BTreeSet::new(),
            diags: Vec::new(),
        };
        let tree = interp.drill(node);
        diags.append(&mut interp.diags);
        let mut local = Vec::new();
        let cx = Cx {
            name,
            span,
            spec,
            order: &order,
            opts,
            failed: &interp.failed,
        };
        if let Some(d) = drill(&cx, &tree, &mut local) {
            out.insert(name.to_owned(), d);
        }
        // A value whose `${...}` failed has had its error; what it then fails is noise.
        diags.extend(
            local
                .into_iter()
                .filter(|d| d.span.is_none_or(|s| !interp.failed.contains(&s.offset))),
        );
    }
    out
}

/// Every operation name, in the order `restores:` writes them.
fn spec_order(top: &Obj, spec: &Spec) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    if let Some(Value::Map(entries)) = top.get("restores").map(|n| &n.value) {
        for (k, _) in entries {
            let Value::Str(written) = &k.value else {
                continue;
            };
            // A fleet stands for its instances, in their for_each order.
            for name in spec.expand_name(written) {
                if (spec.ops.contains_key(name) || spec.broken.contains_key(name))
                    && seen.insert(name.to_owned())
                {
                    out.push(name.to_owned());
                }
            }
        }
    }
    out
}

struct Cx<'a> {
    name: &'a str,
    span: Span,
    spec: &'a Spec,
    order: &'a [String],
    opts: &'a LoadOptions,
    failed: &'a BTreeSet<usize>,
}

fn drill(cx: &Cx, tree: &Node, diags: &mut Vec<Diagnostic>) -> Option<DrillDecl> {
    let path = format!("drills.{}", cx.name);
    // `nightly:` alone is a drill of every operation, with the defaults.
    let empty = Node {
        value: Value::Map(Vec::new()),
        span: tree.span,
    };
    let tree = if matches!(tree.value, Value::Null) {
        &empty
    } else {
        tree
    };
    let o = Obj::new(tree, &path, diags)?;
    o.check_keys(DRILL_KEYS, diags);
    let (operations, anchors, ops_ok) = operations(cx, &o, diags);
    let (scratch, scratch_ok) = scratch(cx, &o, diags);
    let runs_set: BTreeSet<String> = operations.iter().cloned().collect();
    let known: BTreeSet<String> = cx.order.iter().cloned().collect();
    let runs = Runs {
        drill: cx.name,
        ops: &runs_set,
        known: &known,
    };
    let decl = DrillDecl {
        name: cx.name.to_owned(),
        span: cx.span,
        rto: budget(&o, "rto", diags),
        rpo: budget(&o, "rpo", diags),
        cleanup: cleanup(&o, diags),
        report_dir: report_dir(&o, diags),
        schedule: schedule(&o, diags),
        notify: notify(&o, diags),
        logins: probes::logins(&o, &runs, diags),
        probes: probes::probes(&o, &runs, cx.opts.probe_check, cx.failed, diags),
        operations,
        scratch,
    };
    // With its operations or scratch list unread, the rule would only report noise.
    if ops_ok && scratch_ok {
        production::check(&decl, &anchors, cx.spec, diags);
    }
    Some(decl)
}

/// `operations:`, or every operation; with where each is named, and whether all was read.
fn operations(
    cx: &Cx,
    o: &Obj,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<String>, BTreeMap<String, Span>, bool) {
    let Some((items, list_span)) = o.opt_seq("operations", diags) else {
        let ok = o
            .get("operations")
            .is_none_or(|n| matches!(n.value, Value::Null));
        let all = cx.order.to_vec();
        let anchors = all.iter().map(|n| (n.clone(), cx.span)).collect();
        return (if ok { all } else { Vec::new() }, anchors, ok);
    };
    let path = o.child_path("operations");
    let mut out = Vec::new();
    let mut anchors: BTreeMap<String, Span> = BTreeMap::new();
    let mut ok = true;
    if items.is_empty() {
        diags.push(
            Diagnostic::new(Code::BadValue, format!("`{path}` is empty"))
                .at(list_span)
                .with_hint("list the operations the drill runs, or remove `operations:` to run every operation"),
        );
    }
    for (i, item) in items.iter().enumerate() {
        let Some((op, span)) = as_str(item, &format!("{path}[{i}]"), diags) else {
            ok = false;
            continue;
        };
        if cx.failed.contains(&span.offset) {
            ok = false;
            continue;
        }
        if let Some(first) = anchors.get(&op) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!("`{op}` is listed twice in `{path}`"),
                )
                .at(span)
                .with_label(*first, "first listed here")
                .with_hint("remove one of them"),
            );
            continue;
        }
        if !cx.order.contains(&op) && !cx.spec.fleets.contains_key(&op) {
            let hint = did_you_mean(&op, cx.order.iter().map(String::as_str)).map_or_else(
                || format!("defined operations: {}", cx.order.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            diags.push(
                Diagnostic::new(
                    Code::DanglingReference,
                    format!("no operation named `{op}` in `restores` (in `{path}`)"),
                )
                .at(span)
                .with_hint(hint),
            );
            continue;
        }
        anchors.insert(op.clone(), span);
        out.push(op);
    }
    // A fleet's name stands for all of its instances.
    let out: Vec<String> = out
        .iter()
        .flat_map(|op| cx.spec.expand_name(op))
        .filter(|op| cx.order.iter().any(|o| o == op))
        .map(str::to_owned)
        .collect();
    for (fleet, members) in &cx.spec.fleets {
        if let Some(span) = anchors.get(fleet).copied() {
            for m in members {
                anchors.entry(m.clone()).or_insert(span);
            }
        }
    }
    (out, anchors, ok)
}

/// `scratch:`, and whether every entry was read.
fn scratch(cx: &Cx, o: &Obj, diags: &mut Vec<Diagnostic>) -> (Vec<String>, bool) {
    let Some((items, _)) = o.opt_seq("scratch", diags) else {
        let ok = o
            .get("scratch")
            .is_none_or(|n| matches!(n.value, Value::Null));
        return (Vec::new(), ok);
    };
    let path = o.child_path("scratch");
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let Some((id, span)) = as_str(item, &format!("{path}[{i}]"), diags) else {
            ok = false;
            continue;
        };
        if cx.failed.contains(&span.offset) {
            ok = false;
        } else if id.trim().is_empty() {
            diags.push(
                Diagnostic::new(Code::BadValue, format!("`{path}[{i}]` is empty"))
                    .at(span)
                    .with_hint("write the ID of an existing instance the drill may overwrite"),
            );
        } else if !out.contains(&id) {
            out.push(id);
        }
    }
    (out, ok)
}

/// `rto:` / `rpo:`: a duration, as `timeout:` takes one.
fn budget(o: &Obj, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Duration> {
    let (text, at) = o.opt_str(key, diags)?;
    match parse_timeout(&text) {
        Ok(d) => Some(d),
        Err(why) => {
            diags.push(
                Diagnostic::new(Code::BadValue, format!("{}: {why}", o.child_path(key)))
                    .at(at)
                    .with_hint("a duration such as 45m or 26h (1s to 30 days)"),
            );
            None
        }
    }
}

/// `cleanup: RULE` for both outcomes, or `{ on_success: RULE, on_failure: RULE }`.
fn cleanup(o: &Obj, diags: &mut Vec<Diagnostic>) -> CleanupPolicy {
    let mut policy = CleanupPolicy::default();
    let Some(node) = o.get("cleanup") else {
        return policy;
    };
    let path = o.child_path("cleanup");
    match &node.value {
        Value::Null => {}
        Value::Str(text) => {
            if let Some(rule) = rule(text, &path, node.span, diags) {
                policy = CleanupPolicy {
                    on_success: rule,
                    on_failure: rule,
                };
            }
        }
        Value::Map(_) => {
            let Some(c) = Obj::new(node, &path, diags) else {
                return policy;
            };
            c.check_keys(&["on_success", "on_failure"], diags);
            for (key, slot) in [
                ("on_success", &mut policy.on_success),
                ("on_failure", &mut policy.on_failure),
            ] {
                if let Some((text, at)) = c.opt_str(key, diags)
                    && let Some(r) = rule(&text, &c.child_path(key), at, diags)
                {
                    *slot = r;
                }
            }
        }
        _ => diags.push(wrong_type(
            node,
            &path,
            "`delete`, `keep`, `keep DURATION`, or a mapping with `on_success` and `on_failure`",
        )),
    }
    policy
}

/// One clean-up rule: `delete`, `keep`, or `keep DURATION`.
fn rule(text: &str, path: &str, at: Span, diags: &mut Vec<Diagnostic>) -> Option<Cleanup> {
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    match (first, rest.as_slice()) {
        ("delete", []) => return Some(Cleanup::Delete),
        ("keep", []) => return Some(Cleanup::Keep),
        ("keep", duration) => match parse_timeout(&duration.join(" ")) {
            Ok(d) => return Some(Cleanup::KeepFor(d)),
            Err(why) => diags.push(
                Diagnostic::new(Code::BadValue, format!("{path}: {why}"))
                    .at(at)
                    .with_hint("`keep` takes a duration such as 4h or 48h (at most 30 days)"),
            ),
        },
        _ => {
            let hint = did_you_mean(first, ["delete", "keep"]).map_or_else(
                || "write `delete`, `keep` or `keep DURATION` (for example `keep 4h`)".to_owned(),
                |s| format!("did you mean `{s}`? Rules: `delete`, `keep`, `keep DURATION`"),
            );
            diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!("`{path}` = {text:?} is not a clean-up rule"),
                )
                .at(at)
                .with_hint(hint),
            );
        }
    }
    None
}

fn report_dir(o: &Obj, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let (dir, at) = o.opt_str("report_dir", diags)?;
    if dir.trim().is_empty() {
        diags.push(
            Diagnostic::new(
                Code::BadValue,
                format!("`{}` is empty", o.child_path("report_dir")),
            )
            .at(at)
            .with_hint("write a directory (relative to the spec's), or remove it to report under the state directory"),
        );
        return None;
    }
    Some(dir)
}

/// `schedule: { cron: "0 2 * * *", time_zone: Europe/Berlin, window: 2h }`.
fn schedule(o: &Obj, diags: &mut Vec<Diagnostic>) -> Option<Schedule> {
    let s = o.opt_obj("schedule", diags)?;
    s.check_keys(&["cron", "time_zone", "window"], diags);
    let path = o.child_path("schedule");
    let Some((cron, cron_at)) = s.opt_str("cron", diags) else {
        if s.get("cron").is_none() {
            diags.push(
                Diagnostic::new(Code::BadValue, format!("`{path}` has no `cron`"))
                    .at(s.span)
                    .with_hint("add `cron: \"0 2 * * *\"` (minute hour day month weekday)"),
            );
        }
        return None;
    };
    let mut ok = true;
    if let Err(why) = schedule::parse_cron(&cron) {
        ok = false;
        diags.push(
            Diagnostic::new(Code::BadValue, format!("{path}.cron: {why}"))
                .at(cron_at)
                .with_hint("five fields: minute hour day-of-month month day-of-week, for example \"0 2 * * *\" (02:00 every day)"),
        );
    }
    let zone = match s.opt_str("time_zone", diags) {
        Some((zone, at)) => {
            if let Err(why) = schedule::parse_zone(&zone) {
                ok = false;
                diags.push(
                    Diagnostic::new(Code::BadValue, format!("{path}.time_zone: {why}"))
                        .at(at)
                        .with_hint("an IANA name such as Europe/Berlin or UTC"),
                );
            }
            zone
        }
        None => "UTC".to_owned(),
    };
    let window = match s.opt_str("window", diags) {
        Some((text, at)) => match parse_timeout(&text) {
            Ok(d) => d,
            Err(why) => {
                ok = false;
                diags.push(
                    Diagnostic::new(Code::BadValue, format!("{path}.window: {why}"))
                        .at(at)
                        .with_hint("a duration such as 2h (1s to 30 days): how late a slot may still start on time"),
                );
                schedule::DEFAULT_WINDOW
            }
        },
        None => schedule::DEFAULT_WINDOW,
    };
    if !ok {
        return None;
    }
    Schedule::new(&cron, &zone, window).ok()
}

/// `notify: { url: URL or ${secrets.NAME}, format: generic|slack|mattermost|teams, when: failure|always }`.
fn notify(o: &Obj, diags: &mut Vec<Diagnostic>) -> Option<NotifyDecl> {
    let n = o.opt_obj("notify", diags)?;
    n.check_keys(&["url", "format", "when"], diags);
    let path = o.child_path("notify");
    let Some((text, at)) = n.opt_str("url", diags) else {
        if n.get("url").is_none() {
            diags.push(
                Diagnostic::new(Code::BadValue, format!("`{path}` has no `url`"))
                    .at(n.span)
                    .with_hint(
                        "add `url: ${secrets.drill_webhook}` (a secret), or the webhook's URL",
                    ),
            );
        }
        return None;
    };
    let url = if let Some(name) = super::secrets::as_reference(&text) {
        NotifyUrl::Secret(crate::kinds::SecretRef { name })
    } else if text.starts_with("http://") || text.starts_with("https://") {
        NotifyUrl::Literal(text)
    } else {
        diags.push(
            Diagnostic::new(
                Code::BadValue,
                format!("`{path}.url` = {text:?} is not a URL"),
            )
            .at(at)
            .with_hint("an http:// or https:// URL, or `${secrets.NAME}`"),
        );
        return None;
    };
    let format = match n.opt_str("format", diags) {
        None => NotifyFormat::Generic,
        Some((f, at)) => {
            if let Some(format) = NotifyFormat::parse(&f) {
                format
            } else {
                let hint = did_you_mean(&f, NotifyFormat::NAMES).map_or_else(
                    || format!("one of: {}", NotifyFormat::NAMES.join(", ")),
                    |s| format!("did you mean `{s}`?"),
                );
                diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        format!("`{path}.format` = {f:?} is not a webhook format"),
                    )
                    .at(at)
                    .with_hint(hint),
                );
                return None;
            }
        }
    };
    // `when:`, not `on:`: YAML 1.1 reads a bare `on` key as the boolean true.
    let always = match n.opt_str("when", diags) {
        None => false,
        Some((on, _)) if on == "failure" => false,
        Some((on, _)) if on == "always" => true,
        Some((on, at)) => {
            diags.push(
                Diagnostic::new(Code::BadValue, format!("`{path}.when` = {on:?} is not `failure` or `always`"))
                    .at(at)
                    .with_hint("`failure` sends on failure and on recovery; `always` also after every passing run"),
            );
            return None;
        }
    };
    Some(NotifyDecl {
        url,
        format,
        always,
    })
}
