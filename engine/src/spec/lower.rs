//! Top-level lowering: `version`, `cloud`, `vars`, `restores`, `drills`, and `${...}` resolution.

use super::bodies::Cx;
use super::diagnostic::{Code, Diagnostic, Span};
use super::names::{dangling, valid_name};
use super::obj::{Obj, missing, wrong_type};
use super::parse_timeout;
use super::resolve::{KindInfo, Resolver};
use super::suggest::did_you_mean;
use super::yaml::{Node, Value, scalar_text};
use super::{CloudSpec, LoadOptions, OpDecl, Reference, SPEC_VERSION, Spec};
use crate::kinds::{Kind, KindDecl, Service};
use std::collections::{BTreeMap, BTreeSet};

const TOP_KEYS: &[&str] = &[
    "version", "cloud", "vars", "secrets", "restores", "drills", "moved",
];

/// Lowers a parsed document. Always returns what could be lowered, plus every problem found.
pub fn lower(root: &Node, opts: &LoadOptions) -> (Spec, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut spec = Spec::default();
    if matches!(root.value, Value::Null) {
        diags.push(
            Diagnostic::new(Code::MissingField, "the spec is empty").with_hint(
                "start with `version: 1` and a `restores:` mapping; see `rewind schema`",
            ),
        );
        return (spec, diags);
    }
    let Some(top) = Obj::new(root, "", &mut diags) else {
        return (spec, diags);
    };
    top.check_keys(TOP_KEYS, &mut diags);
    if let Some(v) = top.get("version")
        && v.value != Value::Int(SPEC_VERSION)
    {
        diags.push(
            Diagnostic::new(Code::UnsupportedVersion, "unsupported spec `version`")
                .at(v.span)
                .with_hint(format!("this rewind reads `version: {SPEC_VERSION}`")),
        );
    }
    if let Some(c) = top.opt_obj("cloud", &mut diags) {
        spec.cloud = cloud(&c, &mut diags);
    }
    spec.secrets = super::secrets::section(&top, &mut diags);
    let vars = vars(&top, opts, &mut diags);
    spec.vars = vars
        .iter()
        .map(|(k, v)| (k.clone(), var_text(&v.value)))
        .collect();

    let Some(restores) = top.required("restores", &mut diags) else {
        return (spec, diags);
    };
    let Some(restores) = Obj::new(restores, "restores", &mut diags) else {
        return (spec, diags);
    };
    let mut raw = BTreeMap::new();
    let mut name_spans = BTreeMap::new();
    let mut instances = Vec::new();
    for (name, node, span) in restores.keys() {
        if !valid_name(name) {
            diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    format!("`{name}` is not a valid operation name"),
                )
                .at(span)
                .with_hint("names start with a letter and use letters, digits, `-` and `_`"),
            );
            continue;
        }
        if let Some(fleet) = super::fleet::expand(name, node, &vars, &mut diags) {
            spec.fleets.insert(
                name.to_owned(),
                fleet.iter().map(|i| i.name.clone()).collect(),
            );
            instances.extend(fleet);
            continue;
        }
        raw.insert(name.to_owned(), node);
        name_spans.insert(name.to_owned(), span);
    }
    for i in &instances {
        raw.insert(i.name.clone(), &i.node);
        name_spans.insert(i.name.clone(), i.span);
    }
    let kinds: BTreeMap<String, KindInfo> = raw
        .iter()
        .map(|(name, node)| (name.clone(), KindInfo::of(node, &opts.kinds)))
        .collect();
    let mut resolver = Resolver {
        raw: &raw,
        vars: &vars,
        secrets: &spec.secrets,
        kinds: &kinds,
        done: BTreeMap::new(),
        active: Vec::new(),
        refs: BTreeMap::new(),
        in_cycle: BTreeSet::new(),
        failed: BTreeSet::new(),
        diags: Vec::new(),
    };
    let names: Vec<String> = raw.keys().cloned().collect();
    for name in &names {
        resolver.resolve(name);
    }
    let Resolver {
        done,
        mut refs,
        in_cycle,
        failed,
        diags: ref_diags,
        ..
    } = resolver;
    diags.extend(ref_diags);
    for name in &names {
        let Some(node) = done.get(name) else { continue };
        let mut op_diags = Vec::new();
        let references = refs.remove(name).unwrap_or_default();
        let (decl, depends_on) = op(
            name,
            name_spans[name],
            node,
            (&raw, &spec.fleets),
            references.clone(),
            &opts.kinds,
            &mut op_diags,
        );
        // Fields of an operation caught in a reference loop stay unresolved; the loop is
        // the one error worth reporting there. Likewise a value whose `${...}` failed has
        // had its error; its type is not worth a second one.
        if !in_cycle.contains(name) {
            diags.extend(
                op_diags
                    .into_iter()
                    .filter(|d| d.span.is_none_or(|s| !failed.contains(&s.offset))),
            );
        }
        if let Some(decl) = decl {
            if let Some(text) = decl
                .spec
                .restore_time()
                .and_then(|t| super::value::written_offset(node, t))
            {
                spec.written_times.insert(name.clone(), text);
            }
            spec.ops.insert(name.clone(), decl);
        } else {
            let span = name_spans[name];
            spec.broken.insert(
                name.clone(),
                super::BrokenOp {
                    span,
                    depends_on,
                    references,
                },
            );
        }
    }
    spec.recovery = super::recovery::choices(&done, &spec, &mut diags);
    spec.drills = super::drills::section(&top, &spec, &vars, opts, &mut diags);
    if !spec.fleets.is_empty() {
        // The instances of a fleet share their body's text: a mistake outside the elements
        // is reported once, at its place, not once per instance.
        let mut seen = BTreeSet::new();
        diags.retain(|d| d.span.is_none_or(|s| seen.insert((d.code, s.offset))));
    }
    spec.moved = super::moved::section(&top, &raw, &mut diags);
    let diags = super::var_errors::at_the_var(&raw, &vars, &opts.vars, diags);
    (spec, diags)
}

fn cloud(c: &Obj, diags: &mut Vec<Diagnostic>) -> CloudSpec {
    c.check_keys(&["region", "project_id", "endpoints"], diags);
    let mut out = CloudSpec {
        region: c.opt_str("region", diags).map(|(v, _)| v),
        project_id: None,
        endpoints: BTreeMap::new(),
    };
    if let Some((p, span)) = c.opt_str("project_id", diags) {
        if p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.project_id = Some(p);
        } else {
            diags.push(
                Diagnostic::new(
                    Code::BadId,
                    format!("`cloud.project_id` = {p:?} is not a project ID"),
                )
                .at(span)
                .with_hint(
                    "project IDs are 32 hex characters, e.g. 619d3e78f61b4be68bc5aa0b59edcf7b",
                ),
            );
        }
    }
    if let Some(e) = c.opt_obj("endpoints", diags) {
        let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
        e.check_keys(&names, diags);
        for svc in Service::ALL {
            if let Some((url, span)) = e.opt_str(svc.as_str(), diags) {
                if url.starts_with("https://") || url.starts_with("http://") {
                    out.endpoints
                        .insert(svc, url.trim_end_matches('/').to_owned());
                } else {
                    diags.push(
                        Diagnostic::new(
                            Code::BadValue,
                            format!("endpoint for {svc} must be an http(s) URL"),
                        )
                        .at(span)
                        .with_hint("for example https://rds.eu-de.otc.t-systems.com"),
                    );
                }
            }
        }
    }
    out
}

fn vars(top: &Obj, opts: &LoadOptions, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    let mut span = Span::new(0, 0, 1, 1);
    if let Some(v) = top.opt_obj("vars", diags) {
        span = v.span;
        for (name, node, _) in v.keys() {
            // Lists and mappings are for `for_each:` (and whole-value uses such as a list
            // of data nodes); null is a mistake.
            if matches!(node.value, Value::Null) {
                diags.push(wrong_type(
                    node,
                    &format!("vars.{name}"),
                    "a value, a list or a mapping",
                ));
                continue;
            }
            out.insert(name.to_owned(), node.clone());
        }
    }
    for (name, value) in &opts.vars {
        if !out.contains_key(name) {
            let hint = did_you_mean(name, out.keys().map(String::as_str)).map_or_else(
                || "declare it under `vars:` in the spec first".to_owned(),
                |s| format!("did you mean `{s}`?"),
            );
            diags.push(
                Diagnostic::new(
                    Code::UnknownVar,
                    format!("--var {name}: the spec declares no such var"),
                )
                .with_hint(hint),
            );
            continue;
        }
        let declared = out.get(name).map_or(span, |n| n.span);
        let collection = out
            .get(name)
            .is_some_and(|n| matches!(n.value, Value::Seq(_) | Value::Map(_)));
        let value = if collection {
            // A list or mapping var takes YAML (flow style fits a flag: `[a, b]`).
            match super::yaml::parse(value) {
                Ok(node) if matches!(node.value, Value::Seq(_) | Value::Map(_)) => {
                    respan(node.value, declared)
                }
                _ => {
                    diags.push(
                        Diagnostic::new(
                            Code::WrongType,
                            format!("--var {name}: `vars.{name}` is a list or mapping; {value:?} is not one"),
                        )
                        .at(declared)
                        .with_hint(format!("write it in YAML flow style, e.g. --var '{name}=[a, b]' or --var '{name}={{a: x, b: y}}'")),
                    );
                    continue;
                }
            }
        } else {
            Value::Str(value.clone())
        };
        out.insert(
            name.clone(),
            Node {
                value,
                span: declared,
            },
        );
    }
    out
}

/// A value parsed from a `--var` flag, located at the var's declaration.
fn respan(value: Value, span: Span) -> Value {
    let node = |n: Node| Node {
        value: respan(n.value, span),
        span,
    };
    match value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(node).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (node(k), node(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A var as text: a scalar as written, a list or mapping in YAML flow style.
pub(super) fn var_text(v: &Value) -> String {
    match v {
        Value::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| var_text(&i.value))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", var_text(&k.value), var_text(&v.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => scalar_text(other).unwrap_or_default(),
    }
}

fn op(
    name: &str,
    span: Span,
    node: &Node,
    (raw, fleets): (&BTreeMap<String, &Node>, &BTreeMap<String, Vec<String>>),
    references: Vec<Reference>,
    plugin_kinds: &[KindDecl],
    diags: &mut Vec<Diagnostic>,
) -> (Option<OpDecl>, Vec<(String, Span)>) {
    let known_kinds: Vec<&str> = Kind::ALL
        .map(Kind::as_str)
        .into_iter()
        .chain(plugin_kinds.iter().map(|d| d.name.as_str()))
        .collect();
    let path = format!("restores.{name}");
    let Some(o) = Obj::new(node, &path, diags) else {
        return (None, Vec::new());
    };
    let kind = match o.get("kind") {
        None => {
            diags.push(
                missing(&o.child_path("kind"), span)
                    .with_hint(format!("add `kind:`, one of {}", known_kinds.join(", "))),
            );
            None
        }
        Some(k) => {
            if let Value::Str(s) = &k.value {
                let parsed = Kind::parse(s).or_else(|| {
                    plugin_kinds
                        .iter()
                        .find(|d| d.name == *s)
                        .map(KindDecl::kind)
                });
                if parsed.is_none() {
                    let hint = did_you_mean(s, known_kinds.iter().copied()).map_or_else(
                        || {
                            format!(
                                "known kinds: {} (plugin kinds come from `rewind providers`)",
                                known_kinds.join(", ")
                            )
                        },
                        |m| format!("did you mean `{m}`?"),
                    );
                    diags.push(
                        Diagnostic::new(Code::UnknownKind, format!("unknown kind `{s}`"))
                            .at(k.span)
                            .with_hint(hint),
                    );
                }
                parsed
            } else {
                diags.push(wrong_type(k, &o.child_path("kind"), "a string"));
                None
            }
        }
    };
    let mut depends_on = Vec::new();
    if let Some((items, _)) = o.opt_seq("depends_on", diags) {
        for (i, item) in items.iter().enumerate() {
            let Value::Str(dep) = &item.value else {
                diags.push(wrong_type(
                    item,
                    &format!("{path}.depends_on.{i}"),
                    "an operation name",
                ));
                continue;
            };
            if dep == name {
                diags.push(
                    Diagnostic::new(Code::Cycle, format!("`{name}` depends on itself"))
                        .at(item.span)
                        .with_hint("remove it from its own depends_on"),
                );
            } else if raw.contains_key(dep) {
                depends_on.push((dep.clone(), item.span));
            } else if let Some(members) = fleets.get(dep) {
                // A fleet's name stands for every instance of it.
                depends_on.extend(
                    members
                        .iter()
                        .filter(|m| *m != name)
                        .map(|m| (m.clone(), item.span)),
                );
            } else {
                diags.push(dangling(dep, item.span, raw));
            }
        }
    }
    let allow_overwrite_source = o.opt_bool("allow_overwrite_source", diags).unwrap_or(false);
    let timeout = o
        .opt_str("timeout", diags)
        .and_then(|(text, at)| match parse_timeout(&text) {
            Ok(d) => Some(d),
            Err(why) => {
                diags.push(
                    Diagnostic::new(Code::BadValue, format!("{path}.timeout: {why}"))
                        .at(at)
                        .with_hint("a duration such as 90s, 45m or 6h (at most 30 days)"),
                );
                None
            }
        });
    let mut cx = Cx {
        diags,
        id_spans: BTreeMap::new(),
    };
    let before = cx.diags.len();
    let lowered = kind.and_then(|k| match k {
        Kind::External(n) => plugin_kinds
            .iter()
            .find(|d| d.name == n)
            .and_then(|d| super::external::lower(d, &o, &mut cx)),
        builtin => crate::kinds::builtin::get(builtin).and_then(|b| {
            let mut allowed: Vec<&str> = super::COMMON_KEYS.to_vec();
            allowed.extend(b.body_keys());
            o.check_keys(&allowed, cx.diags);
            (b.lower)(&o, &mut cx)
        }),
    });
    let Some(spec) = lowered else {
        // An operation is never dropped in silence: if lowering said nothing, say something.
        if cx.diags.len() == before && kind.is_some() {
            cx.diags.push(
                Diagnostic::new(Code::BadValue, format!("`{name}` could not be read"))
                    .at(span)
                    .with_hint("check its fields against `rewind schema`"),
            );
        }
        return (None, depends_on);
    };
    let id_spans = cx.id_spans;
    if let Some((source, target)) = spec.source_and_target()
        && source == target
        && !allow_overwrite_source
    {
        let at = id_spans.get(&target).copied().unwrap_or(span);
        diags.push(
                Diagnostic::new(
                    Code::OverwriteSource,
                    format!("`{name}` restores {target} onto itself, destroying data newer than the restore point"),
                )
                .at(at)
                .with_hint("if this is intended, add `allow_overwrite_source: true` to the operation"),
            );
        // The operation is otherwise well formed: kept, so that the graph's errors about it
        // (another writer of the same target, a cycle) come in this same pass.
    }
    let decl = OpDecl {
        name: name.to_owned(),
        spec,
        span,
        depends_on: depends_on.clone(),
        references,
        allow_overwrite_source,
        timeout,
        id_spans,
    };
    (Some(decl), depends_on)
}
