//! Bounds captured output so one chatty probe cannot bloat a report or the state.

/// Most bytes of output a probe result keeps (head and tail, with a marker between).
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024;

/// `text` cut to [`MAX_OUTPUT_BYTES`]: the head and the tail survive (the tail often says why a
/// command failed), with a line saying how much was cut.
pub(crate) fn bound(text: &str) -> String {
    bound_to(text, MAX_OUTPUT_BYTES)
}

pub(crate) fn bound_to(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let half = max / 2;
    let head_end = floor_char(text, half);
    let tail_start = ceil_char(text, text.len() - half);
    format!(
        "{}\n[… {} bytes cut …]\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_on_char_boundaries() {
        let text = format!("{}{}", "é".repeat(100), "z".repeat(100));
        let out = bound_to(&text, 64);
        assert!(out.starts_with('é') && out.ends_with('z'));
        assert!(out.contains("bytes cut"));
        assert_eq!(bound_to("short", 64), "short");
    }
}
