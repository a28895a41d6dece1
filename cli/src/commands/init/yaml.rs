//! A small YAML writer for scaffolded specs: ordered keys, comment lines above entries, stable quoting.

/// One YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Y {
    Str(String),
    Int(i64),
    Bool(bool),
    Map(Vec<Entry>),
    List(Vec<Y>),
}

/// A mapping entry and the comment lines written above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Y,
    pub comments: Vec<String>,
}

pub fn entry(key: &str, value: Y) -> Entry {
    Entry {
        key: key.to_owned(),
        value,
        comments: Vec::new(),
    }
}

pub fn s(text: impl Into<String>) -> Y {
    Y::Str(text.into())
}

impl Entry {
    #[must_use]
    pub fn note(mut self, line: impl Into<String>) -> Entry {
        self.comments.push(line.into());
        self
    }
}

/// Renders a top-level mapping, with a blank line between its entries.
pub fn document(header: &[String], top: &[Entry]) -> String {
    let mut out = String::new();
    for line in header {
        comment(&mut out, 0, line);
    }
    for (i, e) in top.iter().enumerate() {
        if i > 0 || !header.is_empty() {
            out.push('\n');
        }
        write_entry(&mut out, 0, e);
    }
    out
}

fn comment(out: &mut String, indent: usize, line: &str) {
    out.push_str(&" ".repeat(indent));
    out.push('#');
    if !line.is_empty() {
        out.push(' ');
        out.push_str(line);
    }
    out.push('\n');
}

fn write_entry(out: &mut String, indent: usize, e: &Entry) {
    for line in &e.comments {
        comment(out, indent, line);
    }
    out.push_str(&" ".repeat(indent));
    out.push_str(&key(&e.key));
    out.push(':');
    write_value(out, indent, &e.value);
}

/// Writes the value that follows `key:` (or `- `), ending the line.
fn write_value(out: &mut String, indent: usize, v: &Y) {
    match v {
        Y::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            for e in entries {
                write_entry(out, indent + 2, e);
            }
        }
        Y::List(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(indent + 2));
                out.push('-');
                write_value(out, indent + 2, item);
            }
        }
        Y::Map(_) => out.push_str(" {}\n"),
        Y::List(_) => out.push_str(" []\n"),
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn scalar_text(v: &Y) -> String {
    match v {
        Y::Str(t) => quoted(t),
        Y::Int(i) => i.to_string(),
        Y::Bool(b) => b.to_string(),
        Y::Map(_) | Y::List(_) => String::new(),
    }
}

fn key(k: &str) -> String {
    if plain(k) { k.to_owned() } else { json(k) }
}

/// Plain when YAML cannot read it as anything but this string.
fn plain(t: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ];
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && t.starts_with(|c: char| c.is_ascii_alphabetic())
        && !WORDS.contains(&t.to_ascii_lowercase().as_str())
}

fn quoted(t: &str) -> String {
    if plain(t) { t.to_owned() } else { json(t) }
}

/// A JSON string is a valid YAML double-quoted scalar.
fn json(t: &str) -> String {
    serde_json::Value::String(t.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_maps_lists_comments_and_quoting() {
        let top = vec![
            entry("version", Y::Int(1)),
            entry(
                "restores",
                Y::Map(vec![entry(
                    "node-a",
                    Y::Map(vec![
                        entry("kind", s("rds.restore_new")).note("from GET /x"),
                        entry("at", s("${var.at}")),
                        entry("yes", s("no")),
                        entry("ids", Y::List(vec![s("a1"), s("1234")])),
                        entry("on", Y::Bool(true)),
                    ]),
                )]),
            ),
        ];
        let text = document(&["head".to_owned()], &top);
        assert_eq!(
            text,
            "# head\n\nversion: 1\n\nrestores:\n  node-a:\n    # from GET /x\n    kind: rds.restore_new\n    at: \"${var.at}\"\n    \"yes\": \"no\"\n    ids:\n      - a1\n      - \"1234\"\n    \"on\": true\n"
        );
    }
}
