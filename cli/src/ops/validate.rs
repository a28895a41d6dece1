//! The checks plugins make of their own operations (`validate`), which every command that
//! reads a spec runs after the built-in ones.

use crate::error::CliError;
use crate::printer::{Printer, Style};
use crate::session::Session;
use rewind_engine::kinds::OpSpec;
use rewind_engine::spec::{Code, Diagnostic, OpDecl, Report, Span, yaml};
use rewind_providers::external::{self, Severity};

/// Asks each plugin that offers `validate` about its operations: an error finding is a
/// located spec error (at the field the plugin names, else at the operation), a warning is
/// printed with its place.
pub fn plugin_checks(session: &Session, printer: &Printer) -> Result<(), CliError> {
    let loaded = session.loaded()?;
    let plugins = crate::plugins::validating(session.plugins_started());
    if plugins.is_empty() {
        return Ok(());
    }
    let c = &loaded.compiled;
    let mut findings = Vec::new();
    for (cmd, kinds) in &plugins {
        let ops: Vec<&OpDecl> = c
            .spec
            .ops
            .values()
            .filter(|op| match &op.spec {
                OpSpec::External(ext) => kinds.iter().any(|k| k.kind() == ext.kind),
                _ => false,
            })
            .collect();
        let found = external::validate(cmd, &ops, crate::plugins::validate_timeout())
            .map_err(|e| {
                CliError::hint(
                    e.to_string(),
                    "its stderr is in the log (REWIND_LOG=info); `rewind providers` shows its capabilities",
                )
            })?;
        findings.extend(found);
    }
    if findings.is_empty() {
        return Ok(());
    }
    let root = loaded.parsed.root();
    let mut errors = Vec::new();
    for f in findings {
        let Some(op) = c.spec.ops.get(&f.op) else {
            continue;
        };
        let span = f
            .pointer
            .as_deref()
            .and_then(|p| locate(root, &f.op, p))
            .unwrap_or(op.span);
        let message = format!("`{}`: {}", f.op, f.message);
        match f.severity {
            Severity::Error => errors.push(
                Diagnostic::new(Code::BadValue, message)
                    .at(span)
                    .with_hint("reported by the plugin's `validate`"),
            ),
            Severity::Warning => printer.error(&format!(
                "{} {}:{}:{}: {message}",
                printer.paint("warning:", Style::Yellow),
                c.file,
                span.line,
                span.column
            )),
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(CliError::Spec(Report::new(
        &c.file,
        loaded.parsed.source().clone(),
        errors,
    )))
}

/// Where the body field at `pointer` of operation `op` is written.
fn locate(root: &yaml::Node, op: &str, pointer: &str) -> Option<Span> {
    let entry = |node: &yaml::Node, key: &str| -> Option<yaml::Node> {
        match &node.value {
            yaml::Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, yaml::Value::Str(s) if s == key))
                .map(|(_, v)| v.clone()),
            yaml::Value::Seq(items) => key
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).cloned()),
            _ => None,
        }
    };
    let mut node = entry(&entry(root, "restores")?, op)?;
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        node = entry(&node, &seg)?;
    }
    Some(node.span)
}
