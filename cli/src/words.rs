//! Errors from the standard library and parsers, said in the user's terms.

use std::io::ErrorKind;

/// Why a file could not be read, without the OS's error numbers or Rust's kind names.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "the file does not exist".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "it is a directory, not a file".to_owned(),
        ErrorKind::InvalidData => "it is not UTF-8 text".to_owned(),
        _ => {
            // The OS's own sentence, without the "(os error N)" tail.
            let text = e.to_string();
            match text.find(" (os error") {
                Some(at) => text[..at].to_owned(),
                None => text,
            }
        }
    }
}

/// Why a file could not be written, in the user's terms (a missing directory, not
/// "No such file or directory (os error 2)").
pub fn write_reason(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "its directory does not exist".to_owned(),
        ErrorKind::IsADirectory => "it is a directory".to_owned(),
        _ => io_reason(e),
    }
}

/// A point in time given on the command line: RFC 3339 with an offset. Each mistake people
/// make is named (a time of day without a date, a date without an offset) instead of the
/// parser's own message.
pub fn user_time(flag: &str, text: &str) -> Result<jiff::Timestamp, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    let example = "2026-11-30T02:00:00Z";
    if t.parse::<jiff::civil::DateTime>().is_ok() || t.parse::<jiff::civil::Date>().is_ok() {
        return Err(format!(
            "{flag} {text:?} has no UTC offset; add `Z` or an offset such as +01:00, e.g. {example}"
        ));
    }
    if t.parse::<jiff::civil::Time>().is_ok() {
        return Err(format!(
            "{flag} {text:?} is a time of day without a date; give the date and offset too, e.g. {example}"
        ));
    }
    Err(format!(
        "{flag} {text:?} is not a point in time; use RFC 3339 with an offset, e.g. {example}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_explained_in_the_users_terms() {
        let e = user_time("--at", "02:00").unwrap_err();
        assert!(e.contains("time of day without a date"), "{e}");
        assert!(!e.contains("four digit"), "{e}");
        let e = user_time("--at", "2026-11-30T02:00:00").unwrap_err();
        assert!(e.contains("no UTC offset"), "{e}");
        let e = user_time("--at", "yesterday").unwrap_err();
        assert!(e.contains("not a point in time"), "{e}");
        assert_eq!(
            user_time("--at", "2026-11-30T03:00:00+01:00")
                .unwrap()
                .as_millisecond(),
            user_time("--at", "2026-11-30T02:00:00Z")
                .unwrap()
                .as_millisecond()
        );
    }

    #[test]
    fn a_missing_file_is_said_plainly() {
        let e = std::fs::read("/nonexistent/rewind-secret").unwrap_err();
        assert_eq!(io_reason(&e), "the file does not exist");
    }
}
