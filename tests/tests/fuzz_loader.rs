//! A bounded mutation fuzzer for the spec loader (`compile`), run as an ordinary test.
//!
//! `cargo fuzz` needs a nightly toolchain and `cargo-fuzz`; this harness needs neither. It
//! mutates the examples and the malformed corpus (byte flips, splices between files, YAML
//! tokens, truncation, duplication, random Unicode, `${...}` templates with random contents,
//! key and value swaps) and asserts, for every input:
//!
//! - `compile` never panics (the input is saved and printed if it does);
//! - every diagnostic's span (and label span) lies within the input, with line and column >= 1;
//! - compiling the same text twice gives the same result;
//! - now and then, the real `rewind validate` on the raw bytes exits 0 or 1 (1 when the
//!   loader refused the text) and never mentions a panic.
//!
//! Budget: 2,000 cases by default (500 in an unoptimized build). Environment:
//! - `REWIND_FUZZ_SECS=N`: run for N seconds instead, and print the number of cases;
//! - `REWIND_FUZZ_CASES=N`: run N cases;
//! - `REWIND_FUZZ_SEED=S`: the base seed (default fixed, so a default run is reproducible);
//! - `REWIND_FUZZ_CASE=I`: replay case I of seed S only and print its input;
//! - `REWIND_FUZZ_STACK_KB=K`: the fuzz thread's stack (default 2048, a test thread's).
//!
//! `REWIND_FUZZ_SECS=300 cargo test --release -p rewind-tests --test fuzz_loader -- --nocapture`
#![allow(
    clippy::print_stdout,
    reason = "the fuzz run's statistics belong in the test output"
)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rewind_engine::compile::{Compiled, compile};
use rewind_engine::spec::{Diagnostic, LoadOptions, Report, Span};
use rewind_tests::{repo_root, rewind_bin};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Cases in a default run: a few seconds either way (the unoptimized loader is ~10x slower).
const DEFAULT_CASES: u64 = if cfg!(debug_assertions) { 500 } else { 2_000 };
const DEFAULT_SEED: u64 = 0x5EED_2026_1120;
/// Inputs larger than this are cut back, so one case stays cheap.
const MAX_INPUT: usize = 64 * 1024;
/// Run the real binary on one case in this many (plus on every case with an odd span).
const CLI_EVERY: u64 = 250;
/// Stop collecting after this many distinct failures.
const MAX_FAILURES: usize = 20;

/// Every key the spec language knows: swapping them in makes unknown, duplicate and missing
/// keys, and fields of the wrong kind.
const KEYS: &[&str] = &[
    "version",
    "cloud",
    "region",
    "project_id",
    "endpoints",
    "rds",
    "ddm",
    "taurusdb",
    "cbr",
    "dcs",
    "vars",
    "restores",
    "kind",
    "depends_on",
    "allow_overwrite_source",
    "source",
    "target",
    "instance_id",
    "type",
    "backup_id",
    "restore_time",
    "data_node_relations",
    "source_instance_id",
    "target_instance_id",
    "data_nodes",
    "server_id",
    "volume_id",
    "mappings",
    "power_on",
    "resource_id",
    "details",
    "destination_path",
    "remark",
    "<<",
    "point_in_time",
];

/// Values of every shape the loader distinguishes, right and wrong.
const VALUES: &[&str] = &[
    "rds.restore",
    "ddm.restore",
    "ddm.metadata_restore",
    "taurusdb.restore",
    "cbr.restore",
    "dcs.restore",
    "rds.restor",
    "7edae0250ebc464897bd92b8d3e8b769in01",
    "f4e2949e9b9b4d60b42c89ed39bfe34cin01",
    "1f5c9fd6cd984056ba89c8c87cc03278in09",
    "2f0324a93859487eb5566d75951fcd2din09",
    "96a3a3b5a0c54d97b6d3a5c2e0f1b4d2in07",
    "defa45b24d314e878fde930a61732e9dbr09",
    "43e4feaab48f11e89039fa163ebaa7e4br01",
    "8b2c4d6e8f0a4c1e9b3d5f7a9c1e3b5dbr07",
    "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029",
    "3e2b1c0d-9a8b-4c7d-8e6f-5a4b3c2d1e0f",
    "D8E6CA5A624745BCB546A227AA3AE1CFin01",
    "d8e6ca5a6247in01",
    "ééééééééééééééééééééééééééééééééin01",
    "2026-11-20T03:00:00Z",
    "2026-11-20T03:00:00",
    "2026-11-20T04:00:00+01:00",
    "1970-01-01T00:00:00Z",
    "2200-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1747732352076",
    "1795143600",
    "-1795143600000",
    "0",
    "-1",
    "1.5",
    "1e12",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "\"99999999999999999999\"",
    "0x7fffffffffffffff",
    "0o777",
    ".inf",
    "-.inf",
    ".nan",
    "true",
    "false",
    "yes",
    "null",
    "~",
    "\"\"",
    "''",
    "[]",
    "{}",
    "[a, b]",
    "{a: 1}",
    "backup",
    "timestamp",
    "https://rds.eu-de.otc.t-systems.com",
    "http://127.0.0.1:1/x",
    "619d3e78f61b4be68bc5aa0b59edcf7b",
    "${var.point_in_time}",
    "\"${var.point_in_time}\"",
    "$${literal}",
    "!!str 1",
    "!!binary aGVsbG8=",
    "&anchor x",
    "*anchor",
    "|\n  block",
    ">-\n  folded",
];

/// Text that means something to a YAML parser.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    " :",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "?",
    "? ",
    "&a ",
    "*a",
    "&a",
    "!",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!<tag:x> ",
    "|",
    ">",
    "|-",
    ">+",
    "#",
    " #",
    "\"",
    "'",
    "\\",
    "\\x",
    "\\u",
    "\t",
    "\n",
    "\r\n",
    "\r",
    " ",
    "    ",
    "---",
    "...",
    "--- ",
    "%YAML 1.2\n---\n",
    "%TAG ! x\n",
    "<<: *a\n",
    "~",
    "null",
    "\u{feff}",
    "\0",
    "\u{85}",
    "\u{2028}",
    "@",
    "`",
    "%",
    "${",
    "}",
    "$${",
    "$",
    "\n  ",
    "\n    ",
    "\n- ",
    "[[[[",
    "]]]]",
    "{{{{",
    "}}}}",
];

/// Unicode worth throwing at a parser and at byte-offset arithmetic.
const UNICODE: &[&str] = &[
    "é",
    "ß",
    "€",
    "𝄞",
    "😀",
    "\u{200b}",
    "\u{200d}",
    "\u{202e}",
    "\u{301}",
    "\u{fffd}",
    "\u{ffff}",
    "\u{10ffff}",
    "\u{7f}",
    "\u{1b}[31m",
    "日本語",
    "Ω",
    "\u{0}",
    "\u{c}",
    "\u{b}",
];

/// One input source: its name and bytes.
struct Seed {
    name: String,
    bytes: Vec<u8>,
    /// Names of operations found in it, for references, depends_on and cycles.
    ops: Vec<String>,
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "bin"))
        .collect();
    paths.sort();
    paths
}

fn op_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let name = l.strip_prefix("  ")?.strip_suffix(':')?;
            (name.chars().next()?.is_ascii_alphabetic()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then(|| name.to_owned())
        })
        .collect()
}

fn seeds() -> Vec<Seed> {
    let root = repo_root();
    let mut out = Vec::new();
    for dir in [
        root.join("examples"),
        root.join("tests").join("fixtures").join("invalid"),
    ] {
        for path in read_dir_sorted(&dir) {
            let bytes = std::fs::read(&path).expect("read seed");
            let ops = op_names(&String::from_utf8_lossy(&bytes));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(Seed { name, bytes, ops });
        }
    }
    out
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn position(rng: &mut StdRng, len: usize) -> usize {
    rng.random_range(0..=len)
}

/// Byte ranges of the lines of `b` (without the newline).
fn lines(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    if start < b.len() {
        out.push((start, b.len()));
    }
    out
}

fn random_ident(rng: &mut StdRng) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_-.";
    let n = rng.random_range(0..12);
    (0..n).map(|_| char::from(*pick(rng, CHARS))).collect()
}

fn random_unicode(rng: &mut StdRng) -> String {
    let n = rng.random_range(1..6);
    (0..n)
        .map(|_| {
            if rng.random_bool(0.5) {
                (*pick(rng, UNICODE)).to_owned()
            } else {
                rng.random::<char>().to_string()
            }
        })
        .collect()
}

/// A `${...}` template: usually plausible, sometimes malformed.
fn template(rng: &mut StdRng, ops: &[String]) -> String {
    let op = if ops.is_empty() || rng.random_bool(0.2) {
        random_ident(rng)
    } else {
        pick(rng, ops).clone()
    };
    let mut path: Vec<String> = (0..rng.random_range(0..4))
        .map(|_| match rng.random_range(0..4) {
            0 => rng.random_range(0..3).to_string(),
            1 => random_ident(rng),
            _ => (*pick(rng, KEYS)).to_owned(),
        })
        .collect();
    if path.is_empty() && rng.random_bool(0.7) {
        path = vec!["target".to_owned(), "instance_id".to_owned()];
    }
    let body = match rng.random_range(0..9) {
        0..=3 => format!("restores.{op}.{}", path.join(".")),
        4 => format!(
            "var.{}",
            if rng.random_bool(0.5) {
                "point_in_time".to_owned()
            } else {
                random_ident(rng)
            }
        ),
        5 => random_unicode(rng),
        6 => String::new(),
        7 => format!("restores.{op}"),
        _ => format!(" var . {} ", random_ident(rng)),
    };
    match rng.random_range(0..10) {
        0 => format!("${{{body}"),
        1 => format!("$${{{body}}}"),
        2 => format!("${{${{{body}}}}}"),
        3 => format!("pre-${{{body}}}-${{{body}}}"),
        _ => format!("${{{body}}}"),
    }
}

/// Applies one random mutation to `b`; `other` is another seed to splice from.
fn mutate(rng: &mut StdRng, b: &mut Vec<u8>, other: &Seed, ops: &[String]) {
    match rng.random_range(0..16) {
        // Byte flips.
        0 => {
            for _ in 0..rng.random_range(1..8) {
                if b.is_empty() {
                    break;
                }
                let i = rng.random_range(0..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
            }
        }
        // Random bytes in, or overwritten.
        1 => {
            let at = position(rng, b.len());
            let n = rng.random_range(1..16);
            let junk: Vec<u8> = (0..n).map(|_| rng.random::<u8>()).collect();
            b.splice(at..at, junk);
        }
        // Splice: a piece of another file into this one, or this one's head on its tail.
        2 | 3 => {
            let from = &other.bytes;
            let one = position(rng, from.len());
            let two = position(rng, from.len());
            let (start, end) = (one.min(two), one.max(two));
            if rng.random_bool(0.5) {
                let at = position(rng, b.len());
                b.splice(at..at, from[start..end].iter().copied());
            } else {
                b.truncate(position(rng, b.len()));
                b.extend_from_slice(&from[start..]);
            }
        }
        // A YAML-significant token.
        4 | 5 => {
            let at = position(rng, b.len());
            let t = pick(rng, TOKENS).as_bytes();
            b.splice(at..at, t.iter().copied());
        }
        // Truncation.
        6 => b.truncate(position(rng, b.len())),
        // Duplication of a range (often lines: duplicate keys and operations).
        7 => {
            let ls = lines(b);
            if ls.is_empty() {
                return;
            }
            let first = rng.random_range(0..ls.len());
            let last = (first + rng.random_range(0..8)).min(ls.len() - 1);
            let (start, end) = (ls[first].0, (ls[last].1 + 1).min(b.len()));
            let mut piece = b[start..end].to_vec();
            if !piece.ends_with(b"\n") {
                piece.push(b'\n');
            }
            b.splice(end..end, piece);
        }
        // Random Unicode.
        8 => {
            let at = position(rng, b.len());
            b.splice(at..at, random_unicode(rng).into_bytes());
        }
        // A template inside a value.
        9 | 10 => {
            let t = template(rng, ops);
            let quote = rng.random_bool(0.5);
            replace_value(rng, b, &t, quote);
        }
        // A value of another shape.
        11 | 12 => {
            let v = if !ops.is_empty() && rng.random_bool(0.25) {
                let op = pick(rng, ops);
                if rng.random_bool(0.5) {
                    format!("[{op}]")
                } else {
                    op.clone()
                }
            } else {
                (*pick(rng, VALUES)).to_owned()
            };
            replace_value(rng, b, &v, false);
        }
        // A key swapped for another.
        13 => replace_key(rng, b),
        // Line surgery: delete, swap or re-indent.
        14 => {
            let ls = lines(b);
            if ls.len() < 2 {
                return;
            }
            let (start, end) = ls[rng.random_range(0..ls.len())];
            match rng.random_range(0..3) {
                0 => {
                    b.drain(start..(end + 1).min(b.len()));
                }
                1 => {
                    let (start2, end2) = ls[rng.random_range(0..ls.len())];
                    if start2 > end {
                        let (here, there) = (b[start..end].to_vec(), b[start2..end2].to_vec());
                        b.splice(start2..end2, here);
                        b.splice(start..end, there);
                    }
                }
                _ => {
                    if rng.random_bool(0.5) {
                        let n = rng.random_range(1..4);
                        b.splice(start..start, std::iter::repeat_n(b' ', n));
                    } else if b.get(start) == Some(&b' ') {
                        b.remove(start);
                    }
                }
            }
        }
        // A new operation that refers to (or depends on) existing ones: cycles and conflicts.
        _ => {
            let name = if ops.is_empty() {
                "x".to_owned()
            } else {
                pick(rng, ops).clone()
            };
            let dep = if ops.is_empty() {
                "y".to_owned()
            } else {
                pick(rng, ops).clone()
            };
            let target = pick(rng, &VALUES[7..13]);
            let src = if rng.random_bool(0.5) {
                template(rng, ops)
            } else {
                (*pick(rng, &VALUES[7..13])).to_owned()
            };
            let op = format!(
                "  {name}{}:\n    kind: rds.restore\n    depends_on: [{dep}]\n    source:\n      instance_id: \"{src}\"\n      restore_time: 2026-11-20T03:00:00Z\n    target:\n      instance_id: {target}\n",
                if rng.random_bool(0.5) { "-copy" } else { "" }
            );
            if !b.ends_with(b"\n") && !b.is_empty() {
                b.push(b'\n');
            }
            b.extend_from_slice(op.as_bytes());
        }
    }
}

/// Replaces what follows `: ` on a random line with `value` (quoted when asked).
fn replace_value(rng: &mut StdRng, b: &mut Vec<u8>, value: &str, quote: bool) {
    let ls: Vec<(usize, usize)> = lines(b)
        .into_iter()
        .filter(|&(s, e)| b[s..e].windows(2).any(|w| w == b": "))
        .collect();
    let v = if quote {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_owned()
    };
    if ls.is_empty() {
        let at = position(rng, b.len());
        b.splice(at..at, v.into_bytes());
        return;
    }
    let (s, e) = *pick(rng, &ls);
    let colon = s + b[s..e].windows(2).position(|w| w == b": ").unwrap_or(0) + 2;
    b.splice(colon..e, v.into_bytes());
}

/// Replaces the key of a random `key:` line with another known key.
fn replace_key(rng: &mut StdRng, b: &mut Vec<u8>) {
    let ls: Vec<(usize, usize)> = lines(b)
        .into_iter()
        .filter(|&(s, e)| b[s..e].contains(&b':'))
        .collect();
    if ls.is_empty() {
        return;
    }
    let (s, e) = *pick(rng, &ls);
    let indent = b[s..e]
        .iter()
        .take_while(|&&c| c == b' ' || c == b'-')
        .count();
    let colon = s + b[s..e].iter().position(|&c| c == b':').unwrap_or(0);
    if s + indent <= colon {
        b.splice(s + indent..colon, pick(rng, KEYS).bytes());
    }
}

/// The text the loader sees: what `rewind` does with the bytes (BOM stripped), or, for
/// non-UTF-8 bytes, their lossy decoding (the CLI refuses those itself, before the loader).
fn text_of(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(t) => (t.strip_prefix('\u{feff}').unwrap_or(t).to_owned(), true),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), false),
    }
}

/// Everything observable about one compile, for the determinism check.
fn fingerprint(result: &Result<Compiled, Report>) -> String {
    match result {
        Ok(c) => {
            let mut s = format!(
                "ok {:?}\nedges {:?}\norder {:?}\n",
                c.spec,
                c.graph.edges(),
                c.graph.order()
            );
            for op in c.spec.ops.values() {
                let _ = writeln!(s, "{:?}", op.spec.footprint());
            }
            s
        }
        Err(r) => format!("err {:?}\n{}", r.diagnostics, r.plain()),
    }
}

/// Soft findings: not failures, but worth a look (printed at the end with a few examples).
#[derive(Default)]
struct Odd {
    count: u64,
    examples: std::collections::BTreeMap<String, String>,
}

impl Odd {
    /// Counts one occurrence; keeps the first example of each of a few kinds.
    fn note(&mut self, kind: &str, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < 4 && !self.examples.contains_key(kind) {
            self.examples.insert(kind.to_owned(), example());
        }
    }
}

#[derive(Default)]
struct Stats {
    cases: u64,
    ok: u64,
    errors: u64,
    diagnostics: u64,
    cli_runs: u64,
    compile_time: Duration,
    cli_time: Duration,
    bytes: u64,
    /// Spans that start or end inside a UTF-8 character.
    split_char: Odd,
    /// Spans whose line disagrees with the line breaks before their offset.
    line_mismatch: Odd,
    /// Errors reported with no location at all.
    unlocated: Odd,
    codes: std::collections::BTreeMap<&'static str, u64>,
}

/// 1 + line breaks before `offset` (`\r\n` counts once, a lone `\r` counts).
fn line_at(text: &str, offset: usize) -> u32 {
    let b = &text.as_bytes()[..offset.min(text.len())];
    let mut line = 1;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            line += 1;
        }
    }
    line
}

fn span_problem(text: &str, s: Span) -> Option<String> {
    let breaks = text.bytes().filter(|&c| c == b'\n' || c == b'\r').count();
    if s.line == 0 || s.column == 0 {
        return Some(format!("line/column not 1-based: {s:?}"));
    }
    if s.offset > text.len() || s.offset.saturating_add(s.len) > text.len() {
        return Some(format!(
            "span {s:?} runs past the input ({} bytes)",
            text.len()
        ));
    }
    if s.line as usize > breaks + 1 {
        return Some(format!(
            "span {s:?} is on a line past the end ({breaks} line breaks)"
        ));
    }
    None
}

fn check_diag(text: &str, d: &Diagnostic, stats: &mut Stats) -> Vec<String> {
    let mut problems = Vec::new();
    if d.message.trim().is_empty() {
        problems.push(format!("empty message: {d:?}"));
    }
    *stats.codes.entry(d.code.as_str()).or_default() += 1;
    if d.span.is_none() {
        stats
            .unlocated
            .note(&d.message, || format!("{}: {}", d.code.as_str(), d.message));
    }
    for s in d.span.iter().chain(d.labels.iter().map(|l| &l.span)) {
        if let Some(p) = span_problem(text, *s) {
            problems.push(format!("{}: {p} ({})", d.code.as_str(), d.message));
            continue;
        }
        if !text.is_char_boundary(s.offset) || !text.is_char_boundary(s.offset + s.len) {
            stats.split_char.note(d.code.as_str(), || {
                format!("{s:?} in {:?}: {}", excerpt(text, s.offset), d.message)
            });
        }
        if line_at(text, s.offset) != s.line {
            stats.line_mismatch.note(d.code.as_str(), || {
                format!(
                    "{s:?} but offset is on line {}: {} in {:?}",
                    line_at(text, s.offset),
                    d.message,
                    excerpt(text, s.offset)
                )
            });
        }
    }
    problems
}

fn excerpt(text: &str, offset: usize) -> String {
    let b = text.as_bytes();
    let s = offset.saturating_sub(20).min(b.len());
    let e = (offset + 20).min(b.len());
    String::from_utf8_lossy(&b[s..e]).into_owned()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".to_owned())
}

/// Runs the real binary on the raw bytes; returns a problem if it misbehaves.
fn cli_check(dir: &Path, bytes: &[u8], loader_ok: Option<bool>) -> Option<String> {
    let path = dir.join("case.yaml");
    std::fs::write(&path, bytes).expect("write case");
    let out = Command::new(rewind_bin())
        .args(["validate", "-f", "case.yaml"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("rewind runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    let expected = match loader_ok {
        Some(true) => Some(0),
        Some(false) | None => Some(1),
    };
    if code != expected || stderr.contains("panicked") {
        return Some(format!(
            "rewind validate exited {code:?} (expected {expected:?}):\n{stderr}"
        ));
    }
    None
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = v
        .strip_prefix("0x")
        .map_or_else(|| v.parse().ok(), |h| u64::from_str_radix(h, 16).ok());
    Some(parsed.unwrap_or_else(|| panic!("{name}={v:?} is not a number")))
}

/// Builds case `i`'s input from the seeds.
fn case_input(seed: u64, i: u64, seeds: &[Seed]) -> (String, Vec<u8>) {
    let mut rng = StdRng::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // Examples (valid) first half of the time: mutations of valid specs reach deeper.
    let examples = seeds
        .iter()
        .take_while(|s| !s.name.starts_with(|c: char| c.is_ascii_digit()))
        .count();
    let base = if rng.random_bool(0.5) && examples > 0 {
        &seeds[rng.random_range(0..examples)]
    } else {
        pick(&mut rng, seeds)
    };
    let mut bytes = base.bytes.clone();
    let mut ops = base.ops.clone();
    let rounds = match rng.random_range(0..10) {
        0 => 0,
        1..=5 => 1,
        6..=8 => rng.random_range(2..5),
        _ => rng.random_range(5..20),
    };
    let mut origin = format!("{} + {rounds} mutation(s)", base.name);
    for _ in 0..rounds {
        let other = pick(&mut rng, seeds);
        if rng.random_bool(0.1) {
            ops.extend(other.ops.iter().cloned());
            let _ = write!(origin, " [with {}]", other.name);
        }
        mutate(&mut rng, &mut bytes, other, &ops);
        bytes.truncate(MAX_INPUT);
    }
    (origin, bytes)
}

/// One case: compile twice, check spans, sometimes the CLI. Returns problems found.
fn run_case(bytes: &[u8], cli: bool, dir: &Path, stats: &mut Stats) -> Vec<String> {
    let (text, utf8) = text_of(bytes);
    let options = LoadOptions::default();
    stats.bytes += bytes.len() as u64;
    let t0 = Instant::now();
    let first = catch_unwind(AssertUnwindSafe(|| compile("fuzz.yaml", &text, &options)));
    let first = match first {
        Ok(r) => r,
        Err(payload) => {
            return vec![format!(
                "compile panicked: {}",
                panic_message(payload.as_ref())
            )];
        }
    };
    let second = catch_unwind(AssertUnwindSafe(|| compile("fuzz.yaml", &text, &options)));
    let Ok(second) = second else {
        return vec!["compile panicked on the second run only".to_owned()];
    };
    stats.compile_time += t0.elapsed();
    let mut problems = Vec::new();
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        (fingerprint(&first), fingerprint(&second))
    }));
    match rendered {
        Ok((a, b)) if a != b => problems.push(format!(
            "not deterministic:\n--- first\n{a}\n--- second\n{b}"
        )),
        Ok(_) => {}
        Err(payload) => problems.push(format!(
            "inspecting the result panicked: {}",
            panic_message(payload.as_ref())
        )),
    }
    let odd_before = stats.split_char.count + stats.line_mismatch.count;
    match &first {
        Ok(_) => stats.ok += 1,
        Err(report) => {
            stats.errors += 1;
            if report.diagnostics.is_empty() {
                problems.push("an error report with no diagnostics".to_owned());
            }
            for d in &report.diagnostics {
                stats.diagnostics += 1;
                problems.extend(check_diag(&text, d, stats));
            }
        }
    }
    let odd = stats.split_char.count + stats.line_mismatch.count > odd_before;
    if cli || odd {
        stats.cli_runs += 1;
        let loader_ok = utf8.then_some(first.is_ok());
        let t1 = Instant::now();
        problems.extend(cli_check(dir, bytes, loader_ok));
        stats.cli_time += t1.elapsed();
    }
    problems
}

fn escaped(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s = format!("{text:?}");
    if s.len() > 4_000 {
        s.truncate(4_000);
        s.push_str("...");
    }
    s
}

/// The fuzz thread's stack: 2 MiB, what a test thread or a tokio worker has (`rewind` itself
/// loads on its 8 MiB main thread). The loader keeps nesting shallow enough for this.
const STACK_KB: u64 = 2 * 1024;

/// Runs `f` on a thread with a [`STACK_KB`] stack (or `REWIND_FUZZ_STACK_KB`).
fn on_small_stack(f: fn()) {
    let kb = env_u64("REWIND_FUZZ_STACK_KB").unwrap_or(STACK_KB);
    let worker = std::thread::Builder::new()
        .stack_size(usize::try_from(kb).expect("stack size") * 1024)
        .spawn(f)
        .expect("worker thread");
    if let Err(payload) = worker.join() {
        std::panic::resume_unwind(payload);
    }
}

#[test]
fn loader_survives_mutated_specs() {
    on_small_stack(fuzz);
}

fn fuzz() {
    let seeds = seeds();
    assert!(
        seeds.len() >= 60,
        "examples and the invalid corpus are the seeds; found {}",
        seeds.len()
    );
    let base_seed = env_u64("REWIND_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let secs = env_u64("REWIND_FUZZ_SECS");
    let cases = env_u64("REWIND_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let only = env_u64("REWIND_FUZZ_CASE");
    let dir = tempfile::tempdir().expect("temp dir");
    // The input under test is kept on disk, so that an abort (stack overflow) loses nothing.
    let current =
        std::env::temp_dir().join(format!("rewind-fuzz-current-{}.bin", std::process::id()));
    println!(
        "fuzz_loader: seed {base_seed:#x}; the case under test is kept in {} until the run ends",
        current.display()
    );

    let mut stats = Stats::default();
    let mut failures: Vec<String> = Vec::new();
    let started = Instant::now();
    let deadline = secs.map(|s| started + Duration::from_secs(s));
    let mut i = only.unwrap_or(0);
    loop {
        let done = match (only, deadline) {
            (Some(o), _) => i > o,
            (None, Some(d)) => Instant::now() >= d,
            (None, None) => i >= cases,
        };
        if done || failures.len() >= MAX_FAILURES {
            break;
        }
        let (origin, bytes) = case_input(base_seed, i, &seeds);
        if only.is_some() {
            println!("case {i} ({origin}):\n{}", escaped(&bytes));
        }
        let _ = std::fs::write(&current, &bytes);
        let cli = only.is_some() || i.is_multiple_of(CLI_EVERY);
        let problems = run_case(&bytes, cli, dir.path(), &mut stats);
        stats.cases += 1;
        if !problems.is_empty() {
            let kept =
                std::env::temp_dir().join(format!("rewind-fuzz-seed{base_seed:x}-case{i}.bin"));
            std::fs::write(&kept, &bytes).expect("save the failing input");
            failures.push(format!(
                "case {i} (seed {base_seed:#x}; {origin}), saved as {}:\n  - {}\n  input: {}",
                kept.display(),
                problems.join("\n  - "),
                escaped(&bytes)
            ));
        }
        i += 1;
    }
    let _ = std::fs::remove_file(&current);
    let elapsed = started.elapsed();
    println!(
        "fuzz_loader: {} cases in {:.1} s ({:.0}/s), seed {base_seed:#x}: {} compiled, {} refused with {} diagnostics, {} CLI runs, {} failure(s)",
        stats.cases,
        elapsed.as_secs_f64(),
        stats.cases as f64 / elapsed.as_secs_f64().max(1e-9),
        stats.ok,
        stats.errors,
        stats.diagnostics,
        stats.cli_runs,
        failures.len()
    );
    println!(
        "fuzz_loader: {:.1} s compiling (twice per case, {} KB of input), {:.1} s in {} CLI runs",
        stats.compile_time.as_secs_f64(),
        stats.bytes / 1024,
        stats.cli_time.as_secs_f64(),
        stats.cli_runs
    );
    println!("fuzz_loader: diagnostics by code: {:?}", stats.codes);
    for (what, odd) in [
        ("spans splitting a UTF-8 character", &stats.split_char),
        (
            "spans whose line disagrees with their offset",
            &stats.line_mismatch,
        ),
        ("diagnostics with no location", &stats.unlocated),
    ] {
        if odd.count > 0 {
            println!("fuzz_loader: note: {} {what}, e.g.:", odd.count);
            for example in odd.examples.values() {
                println!("    {example}");
            }
        }
    }
    assert!(
        only.is_some() || (stats.ok > 0 && stats.errors > 0),
        "the mutations should produce both valid and invalid specs"
    );
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The seeds themselves: every example compiles, every UTF-8 fixture is refused.
#[test]
fn seeds_are_what_they_claim() {
    on_small_stack(check_seeds);
}

fn check_seeds() {
    for seed in seeds() {
        let (text, utf8) = text_of(&seed.bytes);
        let result = compile(&seed.name, &text, &LoadOptions::default());
        let is_example = !seed.name.starts_with(|c: char| c.is_ascii_digit());
        if is_example {
            assert!(
                result.is_ok(),
                "{}: {}",
                seed.name,
                result.err().map(|r| r.plain()).unwrap_or_default()
            );
        } else if utf8 {
            assert!(
                result.is_err(),
                "{} compiles, but it is in the invalid corpus",
                seed.name
            );
        }
    }
}

/// Regression: the deepest inputs on a 2 MiB thread stack (a test thread, a tokio worker).
/// An unoptimized loader once overflowed it at the old depth limit of 64, which aborts the
/// process; the child process does the work, so an overflow fails this test instead.
#[test]
fn loader_fits_in_a_2mib_stack() {
    const CHILD: &str = "REWIND_FUZZ_STACK_CHILD";
    let deep = [
        "015-deep-flow-nesting.yaml",
        "016-deep-block-sequences.yaml",
        "017-deep-block-mappings.yaml",
    ];
    if std::env::var_os(CHILD).is_some() {
        for name in deep {
            let path = repo_root()
                .join("tests")
                .join("fixtures")
                .join("invalid")
                .join(name);
            let text = std::fs::read_to_string(path).expect("fixture");
            let worker = std::thread::Builder::new()
                .stack_size(2 * 1024 * 1024)
                .spawn(move || compile(name, &text, &LoadOptions::default()).is_err())
                .expect("thread");
            assert!(worker.join().expect("no panic"), "{name} must be refused");
        }
        return;
    }
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "loader_fits_in_a_2mib_stack",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("child test runs");
    assert!(
        out.status.success(),
        "compiling {deep:?} on a 2 MiB stack: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
