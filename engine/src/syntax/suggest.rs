//! "Did you mean" suggestions by edit distance (`strsim`'s Levenshtein).

fn distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// The closest candidate, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["instance_id", "restore_time", "backup_id"];
        assert_eq!(did_you_mean("instnce_id", keys), Some("instance_id"));
        assert_eq!(did_you_mean("restore_tme", keys), Some("restore_time"));
        assert_eq!(did_you_mean("flavor", keys), None);
    }
}
