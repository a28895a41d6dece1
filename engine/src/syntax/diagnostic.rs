//! Located, coded spec errors (`SpecError { loc, kind }` in spirit), and their miette view.

use miette::{LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// A place in a source file. `line` and `column` are 1-based; `offset`/`len` are bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub fn new(offset: usize, len: usize, line: u32, column: u32) -> Self {
        Span {
            line,
            column,
            offset,
            len,
        }
    }
}

/// What kind of mistake; stable strings for scripts (`--json`) and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    Syntax,
    UnknownKey,
    DuplicateKey,
    WrongType,
    MissingField,
    TypeMismatch,
    BadTime,
    BadId,
    BadValue,
    UnknownKind,
    UnknownVar,
    DanglingReference,
    Cycle,
    ConflictingWriters,
    OverwriteSource,
    UnsupportedVersion,
    Config,
    /// A secret written as a literal, or a secret reference where no secret belongs.
    Secret,
    /// A drill would overwrite an instance it neither creates nor lists as scratch.
    DrillProduction,
    /// A drill runs an operation without one it depends on.
    DrillDependency,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::UnknownKey => "unknown_key",
            Code::DuplicateKey => "duplicate_key",
            Code::WrongType => "wrong_type",
            Code::MissingField => "missing_field",
            Code::TypeMismatch => "type_mismatch",
            Code::BadTime => "bad_time",
            Code::BadId => "bad_id",
            Code::BadValue => "bad_value",
            Code::UnknownKind => "unknown_kind",
            Code::UnknownVar => "unknown_var",
            Code::DanglingReference => "dangling_reference",
            Code::Cycle => "cycle",
            Code::ConflictingWriters => "conflicting_writers",
            Code::OverwriteSource => "overwrite_source",
            Code::UnsupportedVersion => "unsupported_version",
            Code::Config => "config",
            Code::Secret => "secret",
            Code::DrillProduction => "drill_touches_production",
            Code::DrillDependency => "drill_missing_dependency",
        }
    }
}

/// A secondary place worth pointing at (the other writer, the other duplicate, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub span: Option<Span>,
    pub hint: Option<String>,
    pub labels: Vec<Label>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span: None,
            hint: None,
            labels: Vec::new(),
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }
}

/// Every problem found in one file, sorted by position. Also an `Error`, so `?` works.
#[derive(Debug, Clone)]
pub struct Report {
    pub file: String,
    pub source: Arc<str>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn new(file: &str, source: Arc<str>, mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.span.map_or((u32::MAX, u32::MAX), |s| (s.line, s.column));
            key(a).cmp(&key(b)).then_with(|| a.code.cmp(&b.code))
        });
        diagnostics.dedup();
        Report {
            file: file.to_owned(),
            source,
            diagnostics,
        }
    }

    /// miette views, one per diagnostic, sharing the named source.
    pub fn views(&self) -> Vec<DiagnosticView> {
        let source = Arc::new(NamedSource::new(self.file.clone(), self.source.to_string()));
        self.diagnostics
            .iter()
            .map(|d| DiagnosticView {
                file: self.file.clone(),
                diag: d.clone(),
                source: source.clone(),
            })
            .collect()
    }

    /// `file:line:column: code: message` lines, for logs and tests.
    pub fn plain(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for d in &self.diagnostics {
            let _ = match d.span {
                Some(s) => write!(out, "{}:{}:{}: ", self.file, s.line, s.column),
                None => write!(out, "{}: ", self.file),
            };
            let _ = writeln!(out, "error[{}]: {}", d.code.as_str(), d.message);
            if let Some(h) = &d.hint {
                let _ = writeln!(out, "  hint: {h}");
            }
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s) in {}", self.diagnostics.len(), self.file)
    }
}

impl std::error::Error for Report {}

/// One diagnostic with its source, ready for a miette handler.
#[derive(Debug, Clone)]
pub struct DiagnosticView {
    file: String,
    diag: Diagnostic,
    source: Arc<NamedSource<String>>,
}

impl fmt::Display for DiagnosticView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.diag.span {
            Some(s) => write!(
                f,
                "{}:{}:{}: {}",
                self.file, s.line, s.column, self.diag.message
            ),
            None => write!(f, "{}: {}", self.file, self.diag.message),
        }
    }
}

impl std::error::Error for DiagnosticView {}

fn source_span(s: Span) -> SourceSpan {
    SourceSpan::new(s.offset.into(), s.len)
}

impl miette::Diagnostic for DiagnosticView {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("rewind::{}", self.diag.code.as_str())))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .hint
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        // The line of a literal secret holds the secret: the location alone must do.
        if self.diag.code == Code::Secret {
            return None;
        }
        self.diag
            .span
            .map(|_| self.source.as_ref() as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.diag.code == Code::Secret {
            return None;
        }
        let primary = self
            .diag
            .span
            .map(|s| LabeledSpan::new_primary_with_span(Some("here".to_owned()), source_span(s)));
        let rest = self
            .diag
            .labels
            .iter()
            .map(|l| LabeledSpan::new_with_span(Some(l.text.clone()), source_span(l.span)));
        Some(Box::new(primary.into_iter().chain(rest)))
    }
}
