//! Escaping for XML/HTML text and attributes, and for Markdown table cells.

/// Text safe in XML and HTML content and double- or single-quoted attributes. Characters XML 1.0
/// forbids (most C0 controls) become U+FFFD, so `junit.xml` always parses.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// One line of text for a Markdown table cell: pipes escaped, newlines folded, HTML neutralised.
pub(crate) fn md_cell(text: &str) -> String {
    let one_line = text
        .split(['\n', '\r'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ⏎ ");
    // `<` could open an HTML tag; `>` is harmless inside a cell and reads better unescaped.
    one_line
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
}

/// A code fence longer than any backtick run in `text`, so captured output cannot close it.
pub(crate) fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            xml("a<b & \"c\" 'd'\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;\u{FFFD}"
        );
        assert_eq!(md_cell("a|b\nc"), "a\\|b ⏎ c");
        assert_eq!(fence_for("x ```` y"), "`````");
        assert_eq!(fence_for("plain"), "```");
    }
}
