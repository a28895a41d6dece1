//! Generated names: restore names in the spec and instance names for the API, both deterministic.

use std::collections::BTreeSet;

/// Letters, digits, `-` and `_`, starting with a letter (both the spec's and the RDS rule).
fn clean(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "r-");
    }
    out
}

/// A restore name from `raw`, unique among `taken` (which it joins).
pub fn op_name(raw: &str, taken: &mut BTreeSet<String>) -> String {
    let base: String = clean(raw).chars().take(48).collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// `<source name>-r<yyyymmddhhmm>`: 4 to 64 characters, starting with a letter.
pub fn instance_name(source: &str, stamp: &str) -> String {
    let suffix = format!("-r{stamp}");
    let keep = 64usize.saturating_sub(suffix.len());
    let base: String = clean(source).chars().take(keep).collect();
    format!("{base}{suffix}")
}

/// The first 8 characters of an ID, for names.
pub fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// A var name from a restore name (`node-a` -> `node_a`).
pub fn var_name(op: &str) -> String {
    op.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// 32 lowercase hex characters derived from `seed` (FNV-1a, twice), for simulated IDs.
pub fn hex32(seed: &str) -> String {
    let fnv = |salt: u64| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    format!("{:016x}{:016x}", fnv(1), fnv(2))
}

/// A UUID-shaped ID derived from `seed`.
pub fn uuid(seed: &str) -> String {
    let h = hex32(seed);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules_and_are_unique() {
        let mut taken = BTreeSet::new();
        assert_eq!(op_name("rds-7edae025", &mut taken), "rds-7edae025");
        assert_eq!(op_name("rds-7edae025", &mut taken), "rds-7edae025-2");
        assert_eq!(op_name("1 odd.name", &mut taken), "r-1-odd-name");
        let long = "x".repeat(80);
        let n = instance_name(&long, "202611300200");
        assert_eq!(n.len(), 64);
        assert!(n.ends_with("-r202611300200"));
        assert_eq!(instance_name("9db", "202611300200"), "r-9db-r202611300200");
        assert_eq!(hex32("a"), hex32("a"));
        assert_ne!(hex32("a"), hex32("b"));
        assert_eq!(uuid("a").len(), 36);
    }
}
