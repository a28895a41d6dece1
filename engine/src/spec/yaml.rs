//! The one door to serde-saphyr: YAML text in, a located tree (`Node`) out.

use super::diagnostic::{Code, Diagnostic, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use serde_saphyr::budget::Budget;
use serde_saphyr::options::{DuplicateKeyPolicy, Options};
use std::fmt;

/// A YAML value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order; duplicates are kept so the loader can report them.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// How a type mismatch names what was found.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Raw tree as serde hands it over; converted to `Node` so the rest of the engine never sees
/// serde-saphyr types.
struct RawNode(Spanned<RawValue>);

enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(RawNode, RawNode)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Spanned::<RawValue>::deserialize(d).map(RawNode)
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }
            fn visit_none<E>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
                RawValue::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
                Ok(RawValue::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
                i64::try_from(v)
                    .map(RawValue::Int)
                    .map_err(|_| E::custom("integer is too large"))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
                i64::try_from(v)
                    .map(RawValue::Int)
                    .map_err(|_| E::custom("integer is too large"))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
                i64::try_from(v)
                    .map(RawValue::Int)
                    .map_err(|_| E::custom("integer is too large"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
                Ok(RawValue::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
                Ok(RawValue::Str(v))
            }
            fn visit_bytes<E: de::Error>(self, _v: &[u8]) -> Result<RawValue, E> {
                Err(E::custom("binary values are not supported"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<RawNode>()? {
                    items.push(item);
                }
                Ok(RawValue::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<RawNode, RawNode>()? {
                    entries.push((k, v));
                }
                Ok(RawValue::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

fn span_of(loc: serde_saphyr::Location, text: &str) -> Span {
    let s = loc.span();
    let offset = s
        .byte_offset()
        .map_or_else(|| char_to_byte(text, s.offset()), |b| b as usize);
    let len = s.byte_len().map_or(s.len() as usize, |b| b as usize);
    Span::new(
        offset.min(text.len()),
        len,
        loc.line() as u32,
        loc.column() as u32,
    )
}

fn char_to_byte(text: &str, chars: u64) -> usize {
    text.char_indices()
        .nth(chars as usize)
        .map_or(text.len(), |(b, _)| b)
}

fn convert(raw: RawNode, text: &str) -> Node {
    let span = span_of(raw.0.referenced, text);
    let value = match raw.0.value {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Int(i) => Value::Int(i),
        RawValue::Float(f) => Value::Float(f),
        RawValue::Str(s) => Value::Str(s),
        RawValue::Seq(items) => Value::Seq(items.into_iter().map(|n| convert(n, text)).collect()),
        RawValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(k, text), convert(v, text)))
                .collect(),
        ),
    };
    Node { value, span }
}

/// Deepest nesting we accept: deeper documents are refused before they can exhaust the stack.
const MAX_DEPTH: usize = 64;

fn nesting_depth(text: &str) -> usize {
    // A cheap upper bound on flow nesting; block nesting is bounded by indentation width,
    // which the parser handles iteratively.
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses one YAML document. Syntax errors come back as one located diagnostic.
pub fn parse(text: &str) -> Result<Node, Diagnostic> {
    if text.contains('\t')
        && let Some(d) = tab_indentation(text)
    {
        return Err(d);
    }
    if nesting_depth(text) > MAX_DEPTH {
        return Err(Diagnostic::new(
            Code::Syntax,
            format!("the document nests deeper than {MAX_DEPTH} levels"),
        )
        .with_hint("a restore spec is a few levels deep; check for unbalanced brackets"));
    }
    let mut options = Options::default();
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    // The default budget (250,000 nodes) refuses specs of a few tens of thousands of
    // operations. A node that is not an alias costs at least one byte of input, so a budget
    // proportional to the input admits every honest document, while alias expansion (the
    // "billion laughs" attack the budget exists for) keeps its own, unchanged limits.
    let mut budget = Budget::default();
    budget.max_nodes = budget.max_nodes.max(text.len());
    budget.max_events = budget.max_events.max(text.len().saturating_mul(2));
    options.budget = Some(budget);
    options.with_snippet = false;
    match serde_saphyr::from_str_with_options::<RawNode>(text, options) {
        Ok(raw) => Ok(convert(raw, text)),
        Err(e) => {
            let message = first_line(&e.to_string());
            let diag = Diagnostic::new(Code::Syntax, message).with_hint(
                "the file is not valid YAML; fix this first, then rewind checks the rest",
            );
            Err(match e.location() {
                Some(loc) if loc.line() > 0 => {
                    let mut span = span_of(loc, text);
                    span.len = span.len.max(1).min(text.len().saturating_sub(span.offset));
                    diag.at(span)
                }
                _ => diag,
            })
        }
    }
}

fn first_line(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or(msg).trim();
    // serde-saphyr prefixes "error: line L column C: "; the span carries that already.
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.find(": ") {
        Some(i) if line[..i].starts_with("line ") => line[i + 2..].to_owned(),
        _ => line.to_owned(),
    }
}

/// YAML forbids tabs in indentation; the parser's own message is obscure, so say it plainly.
fn tab_indentation(text: &str) -> Option<Diagnostic> {
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if let Some(col) = indent.find('\t') {
            return Some(
                Diagnostic::new(Code::Syntax, "a tab character is used for indentation")
                    .at(Span::new(offset + col, 1, i as u32 + 1, col as u32 + 1))
                    .with_hint("YAML indentation must use spaces; replace the tab with spaces"),
            );
        }
        offset += line.len();
    }
    None
}
