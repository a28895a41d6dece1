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

/// A scalar as the text it stands for (`3` and `"3"` alike); `None` for null, lists and
/// mappings. Where a string is expected, a number or boolean written bare is taken as written.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
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

/// Deepest nesting accepted. A restore spec is about six levels deep; the limit keeps the
/// recursive conversion well inside a 2 MiB thread stack (tokio workers, test threads).
const MAX_DEPTH: usize = 32;

/// Parses one YAML document. Syntax errors come back as one located diagnostic.
pub fn parse(text: &str) -> Result<Node, Diagnostic> {
    if text.contains('\t')
        && let Some(d) = tab_indentation(text)
    {
        return Err(d);
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
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = budget.flow_nesting_limit.min(MAX_DEPTH);
    options.budget = Some(budget);
    options.with_snippet = false;
    // YAML 1.2 booleans only: an operation named `n` or `on`, or `to: y`, is a string, as
    // the 1.2 core schema says, not a boolean that fails as "keys must be strings".
    options.strict_booleans = true;
    match serde_saphyr::from_str_with_options::<RawNode>(text, options) {
        Ok(raw) => Ok(convert(raw, text)),
        Err(e) => {
            let message = first_line(&e.to_string());
            let diag = Diagnostic::new(Code::Syntax, message).with_hint(
                "the file is not valid YAML; fix this first, then rewind checks the rest",
            );
            Err(match e.location() {
                Some(loc) if loc.line() > 0 => diag.at(char_span(span_of(loc, text), text)),
                _ => diag,
            })
        }
    }
}

/// A span of at least one whole character, inside the text.
fn char_span(mut span: Span, text: &str) -> Span {
    span.offset = span.offset.min(text.len());
    while !text.is_char_boundary(span.offset) {
        span.offset -= 1;
    }
    let mut end = (span.offset + span.len.max(1)).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    span.len = end - span.offset;
    span
}

fn first_line(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or(msg).trim();
    // serde-saphyr writes the place into the message too ("error: line L column C: ...",
    // "... at line L, column C"); the span already carries it.
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line.find(": ") {
        Some(i) if line[..i].starts_with("line ") => &line[i + 2..],
        _ => line,
    };
    let line = strip_trailing_place(line);
    friendly(line).unwrap_or(line).to_owned()
}

/// Drops a final " at line N, column M" (only when it is exactly that, at the very end).
fn strip_trailing_place(line: &str) -> &str {
    let Some(i) = line.rfind(" at line ") else {
        return line;
    };
    let tail = &line[i + " at line ".len()..];
    let ok = tail.split_once(", column ").is_some_and(|(l, c)| {
        !l.is_empty()
            && !c.is_empty()
            && l.bytes().all(|b| b.is_ascii_digit())
            && c.bytes().all(|b| b.is_ascii_digit())
    });
    if ok { &line[..i] } else { line }
}

/// Library wording that means nothing to a spec author, said in the spec's terms.
fn friendly(line: &str) -> Option<&'static str> {
    if line.contains("budget breached: Depth") || line.contains("recursion limit exceeded") {
        Some("the document nests too deeply (more than 32 levels)")
    } else if line.contains("budget breached") {
        Some("the document is too large or repeats aliases too often")
    } else if line.contains("from_str_multiple") {
        Some("the file holds more than one YAML document; a spec is one document (remove `---`)")
    } else {
        None
    }
}

/// YAML forbids tabs in indentation; the parser's own message is obscure, so say it plainly.
/// Lines break at `\n`, `\r\n` and a lone `\r`, as the parser counts them.
fn tab_indentation(text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let (mut line, mut start) = (1u32, 0usize);
    while start <= text.len() {
        let mut end = start;
        while end < bytes.len() && bytes[end] != b'\n' && bytes[end] != b'\r' {
            end += 1;
        }
        let indent = bytes[start..end]
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t');
        if let Some(col) = indent.clone().position(|b| *b == b'\t') {
            return Some(
                Diagnostic::new(Code::Syntax, "a tab character is used for indentation")
                    .at(Span::new(start + col, 1, line, col as u32 + 1))
                    .with_hint("YAML indentation must use spaces; replace the tab with spaces"),
            );
        }
        if end >= bytes.len() {
            break;
        }
        start = end + usize::from(bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n')) + 1;
        line += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_are_strings_and_1_2_ones_are_booleans() {
        let node = parse("n: y\non: [yes, no, off]\nt: true\nf: False\n").expect("parses");
        let Value::Map(entries) = &node.value else {
            panic!("a mapping: {node:?}")
        };
        let keys: Vec<&Value> = entries.iter().map(|(k, _)| &k.value).collect();
        assert_eq!(keys[0], &Value::Str("n".to_owned()));
        assert_eq!(keys[1], &Value::Str("on".to_owned()));
        assert_eq!(entries[0].1.value, Value::Str("y".to_owned()));
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("a list")
        };
        assert!(
            items.iter().all(|i| matches!(i.value, Value::Str(_))),
            "{items:?}"
        );
        assert_eq!(entries[2].1.value, Value::Bool(true));
        assert_eq!(entries[3].1.value, Value::Bool(false));
    }
}
