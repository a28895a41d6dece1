//! No two modules of a workspace crate import each other, directly or through others.
//!
//! For every workspace member's `src/` (binaries under `src/bin/` are separate crates and are
//! left out), the test builds a graph whose nodes are the crate's *file modules*: `lib.rs` /
//! `main.rs` is the root, `a.rs` and `a/mod.rs` are `a`, `a/b.rs` is `a::b`. Inline `mod x { … }`
//! blocks belong to the file that holds them.
//!
//! What counts as module `m` importing module `n` (an edge `m → n`):
//! - a path `crate::…`, `super::…` or `self::…` written in `m`'s file, in a `use` (each leaf of a
//!   `use` group `{…}` separately) or anywhere in code (calls, types, macros' arguments);
//! - a path whose first segment is a child file module of `m` (`child::f()`, `use child::X`);
//! - the path resolves to the deepest file module it names: `crate::a::b::Item` is `a::b` when
//!   `a/b.rs` (or `a/b/mod.rs`) exists, else `a`. `crate::Item` is the root.
//!
//! What does not count:
//! - `mod child;` declarations;
//! - a `pub use` / `pub(…) use` (a re-export) of something inside one of `m`'s descendants;
//! - references of a file to itself (including `use super::*` in an inline `mod tests`);
//! - visibility paths (`pub(in crate::a)`), `$crate` in macro definitions, comments and strings;
//! - paths through other crates (`rewind_engine::…`): crates cannot form cycles, cargo refuses.
//!
//! A cycle is a strongly connected component of more than one module. The test prints every
//! cycle it finds, with one source location for each edge inside it, and fails on any cycle that
//! is not in [`ALLOWED`] — and on any entry of [`ALLOWED`] that no longer exists, so the list
//! only shrinks.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

/// Cycles that exist today, as (crate directory, sorted member modules). Shrink it; never grow it.
const ALLOWED: &[(&str, &[&str])] = &[(
    "engine",
    &[
        "kinds",
        "kinds::builtin",
        "kinds::builtin::cbr_restore",
        "kinds::builtin::dcs_restore",
        "kinds::builtin::ddm_metadata_restore",
        "kinds::builtin::ddm_restore",
        "kinds::builtin::dds_restore",
        "kinds::builtin::dds_restore_collections",
        "kinds::builtin::dds_restore_new",
        "kinds::builtin::gaussdb_restore_new",
        "kinds::builtin::rds_restore",
        "kinds::builtin::rds_restore_new",
        "kinds::builtin::rds_restore_tables",
        "kinds::builtin::shared",
        "kinds::builtin::shared::create",
        "kinds::builtin::shared::create::fields",
        "kinds::builtin::taurusdb_restore",
        "kinds::decl",
    ],
)];

/// One file module: its path segments and the file it lives in.
struct ModFile {
    segments: Vec<String>,
    file: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

/// The workspace members, read from the root `Cargo.toml`.
fn members(root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).expect("root Cargo.toml");
    let value: toml::Table = toml::from_str(&text).expect("root Cargo.toml parses");
    value["workspace"]["members"]
        .as_array()
        .expect("workspace.members is a list")
        .iter()
        .map(|m| m.as_str().expect("member is a string").to_owned())
        .collect()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable src dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file modules of one crate's `src/`, binaries excluded.
fn file_modules(src: &Path) -> Vec<ModFile> {
    let mut files = Vec::new();
    collect_files(src, &mut files);
    let mut mods = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let mut segments: Vec<String> = rel
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        if segments.first().is_some_and(|s| s == "bin") {
            continue;
        }
        let last = segments.pop().expect("a file name");
        let stem = last.trim_end_matches(".rs").to_owned();
        if segments.is_empty() && (stem == "lib" || stem == "main") {
            // the crate root
        } else if stem != "mod" {
            segments.push(stem);
        }
        mods.push(ModFile { segments, file });
    }
    mods
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
}

/// Tokens of a Rust file with comments, strings and character literals removed, each with its
/// line number.
fn lex(src: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let n = chars.len();
    while i < n {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < n && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < n {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&chars, i) {
            line += chars[i..end].iter().filter(|&&c| c == '\n').count();
            i = end;
        } else if c == '"' || (c == 'b' && chars.get(i + 1) == Some(&'"')) {
            i += if c == 'b' { 2 } else { 1 };
            while i < n && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if i < n && chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' || (c == 'b' && chars.get(i + 1) == Some(&'\'')) {
            let start = if c == 'b' { i + 1 } else { i };
            // A char literal closes within a few characters; a lifetime does not.
            if chars.get(start + 1) == Some(&'\\') {
                let mut j = start + 2;
                while j < n && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if chars.get(start + 2) == Some(&'\'') {
                i = start + 3;
            } else {
                // a lifetime or label: skip the quote, the name lexes as an identifier
                i = start + 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < n && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let word = word.strip_prefix("r#").map_or(word.clone(), str::to_owned);
            toks.push((Tok::Ident(word), line));
        } else if c.is_ascii_digit() {
            while i < n && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                if chars[i] == '.' && chars.get(i + 1) == Some(&'.') {
                    break;
                }
                i += 1;
            }
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            toks.push((Tok::PathSep, line));
            i += 2;
        } else {
            toks.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    toks
}

/// Where a raw (byte) string literal starting at `i` ends, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// A reference found in a file: the absolute module path it names, its line, and whether it is
/// a re-export.
struct Reference {
    path: Vec<String>,
    line: usize,
    reexport: bool,
}

/// Where a `use` tree stands: None = not into this crate; Some((None, here, depth)) = at its
/// first segment, resolved in `here` at inline depth `depth`; Some((Some(path), ..)) = at `path`.
type UseState<'a> = Option<(Option<Vec<String>>, &'a [String], usize)>;

struct Scanner<'a> {
    toks: &'a [(Tok, usize)],
    /// The file module's segments.
    file_mod: &'a [String],
    /// Child file modules of this file's module, by name.
    children: &'a BTreeSet<String>,
    refs: Vec<Reference>,
}

impl Scanner<'_> {
    fn ident(&self, i: usize) -> Option<&str> {
        match self.toks.get(i) {
            Some((Tok::Ident(s), _)) => Some(s),
            _ => None,
        }
    }

    fn is(&self, i: usize, tok: &Tok) -> bool {
        self.toks.get(i).is_some_and(|(t, _)| t == tok)
    }

    /// Resolves the start of a path at `first` (an identifier) within the module `here`:
    /// the absolute prefix it stands for, or None when it is not a path into this crate.
    fn base(&self, first: &str, here: &[String], inline_depth: usize) -> Option<Vec<String>> {
        match first {
            "crate" => Some(Vec::new()),
            "self" => Some(here.to_vec()),
            "super" => {
                let mut up = here.to_vec();
                up.pop();
                Some(up)
            }
            child if inline_depth == 0 && self.children.contains(child) => {
                let mut p = here.to_vec();
                p.push(child.to_owned());
                Some(p)
            }
            _ => None,
        }
    }

    fn scan(&mut self) {
        // Inline `mod name {` blocks open at a brace depth.
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        while i < self.toks.len() {
            let here: Vec<String> = self
                .file_mod
                .iter()
                .cloned()
                .chain(inline.iter().map(|(m, _)| m.clone()))
                .collect();
            match &self.toks[i].0 {
                Tok::Punct('{') => {
                    depth += 1;
                    i += 1;
                }
                Tok::Punct('}') => {
                    depth = depth.saturating_sub(1);
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                    i += 1;
                }
                Tok::Ident(w) if w == "mod" => {
                    if let Some(name) = self.ident(i + 1)
                        && self.is(i + 2, &Tok::Punct('{'))
                    {
                        inline.push((name.to_owned(), depth));
                        depth += 1;
                        i += 3;
                    } else {
                        i += 1;
                    }
                }
                Tok::Ident(w) if w == "use" && !self.is(i + 1, &Tok::Punct('<')) => {
                    let reexport = self.preceded_by_pub(i);
                    let line = self.toks[i].1;
                    let mut j = i + 1;
                    let mut leaves = Vec::new();
                    if self.is(j, &Tok::PathSep) {
                        // `use ::extern_crate::…`
                        j += 1;
                        let _ = self.use_tree(&mut j, None, &mut Vec::new());
                    } else {
                        let _ = self.use_tree(&mut j, Some((&here, inline.len())), &mut leaves);
                    }
                    for path in leaves {
                        self.refs.push(Reference {
                            path,
                            line,
                            reexport,
                        });
                    }
                    // Skip to the end of the statement.
                    while j < self.toks.len() && !self.is(j, &Tok::Punct(';')) {
                        j += 1;
                    }
                    i = j + 1;
                }
                Tok::Ident(w) => {
                    let after_sep = i > 0 && self.is(i - 1, &Tok::PathSep);
                    let after_dollar = i > 0 && self.is(i - 1, &Tok::Punct('$'));
                    let after_in = i > 0 && self.ident(i - 1) == Some("in");
                    if !after_sep
                        && !after_dollar
                        && !after_in
                        && self.is(i + 1, &Tok::PathSep)
                        && let Some(mut path) = self.base(w, &here, inline.len())
                    {
                        let line = self.toks[i].1;
                        let mut j = i + 2;
                        while let Some(seg) = self.ident(j) {
                            match seg {
                                "super" => {
                                    path.pop();
                                }
                                "self" => {}
                                _ => path.push(seg.to_owned()),
                            }
                            if self.is(j + 1, &Tok::PathSep) {
                                j += 2;
                            } else {
                                j += 1;
                                break;
                            }
                        }
                        self.refs.push(Reference {
                            path,
                            line,
                            reexport: false,
                        });
                        i = j;
                    } else {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
    }

    /// Whether the `use` at `i` carries a `pub` visibility.
    fn preceded_by_pub(&self, i: usize) -> bool {
        if i == 0 {
            return false;
        }
        if self.ident(i - 1) == Some("pub") {
            return true;
        }
        if self.is(i - 1, &Tok::Punct(')')) {
            let mut j = i - 1;
            while j > 0 && !self.is(j, &Tok::Punct('(')) {
                j -= 1;
            }
            return j > 0 && self.ident(j - 1) == Some("pub");
        }
        false
    }

    /// Parses one use tree at `*j`. `prefix` is None for a tree that does not lead into this
    /// crate; else the module and the inline depth the first segment resolves in (Some with
    /// an empty path once a prefix is known).
    fn use_tree(
        &self,
        j: &mut usize,
        start: Option<(&[String], usize)>,
        leaves: &mut Vec<Vec<String>>,
    ) -> Option<()> {
        self.use_tree_from(j, start.map(|(here, depth)| (None, here, depth)), leaves)
    }

    fn use_tree_from(
        &self,
        j: &mut usize,
        state: UseState<'_>,
        leaves: &mut Vec<Vec<String>>,
    ) -> Option<()> {
        // `state`: None = not into this crate; Some((None, ..)) = at the first segment;
        // Some((Some(path), ..)) = inside this crate at `path`.
        let mut cur = state;
        loop {
            if self.is(*j, &Tok::Punct('{')) {
                *j += 1;
                loop {
                    if self.is(*j, &Tok::Punct('}')) {
                        *j += 1;
                        return Some(());
                    }
                    self.use_tree_from(j, cur.clone(), leaves)?;
                    if self.is(*j, &Tok::Punct(',')) {
                        *j += 1;
                    }
                    if *j >= self.toks.len() {
                        return None;
                    }
                }
            }
            if self.is(*j, &Tok::Punct('*')) {
                *j += 1;
                if let Some((Some(path), _, _)) = &cur {
                    leaves.push(path.clone());
                }
                return Some(());
            }
            let seg = self.ident(*j)?.to_owned();
            *j += 1;
            cur = match cur {
                None => None,
                Some((None, here, depth)) => {
                    self.base(&seg, here, depth).map(|p| (Some(p), here, depth))
                }
                Some((Some(mut path), here, depth)) => {
                    match seg.as_str() {
                        "super" => {
                            path.pop();
                        }
                        "self" => {}
                        _ => path.push(seg.clone()),
                    }
                    Some((Some(path), here, depth))
                }
            };
            if self.is(*j, &Tok::PathSep) {
                *j += 1;
                continue;
            }
            if self.ident(*j) == Some("as") {
                *j += 2;
            }
            if let Some((Some(path), _, _)) = cur {
                leaves.push(path);
            }
            return Some(());
        }
    }
}

/// One edge's evidence: the file and line of the first reference.
type Edges = BTreeMap<(String, String), (PathBuf, usize)>;

fn display(segments: &[String]) -> String {
    if segments.is_empty() {
        "crate".to_owned()
    } else {
        segments.join("::")
    }
}

/// The module-import edges of one crate.
fn crate_edges(src: &Path) -> Edges {
    let mods = file_modules(src);
    let known: BTreeSet<Vec<String>> = mods.iter().map(|m| m.segments.clone()).collect();
    let mut edges = Edges::new();
    for m in &mods {
        let children: BTreeSet<String> = known
            .iter()
            .filter(|k| k.len() == m.segments.len() + 1 && k.starts_with(&m.segments))
            .map(|k| k.last().expect("non-empty").clone())
            .collect();
        let text = std::fs::read_to_string(&m.file).expect("readable source");
        let toks = lex(&text);
        let mut scanner = Scanner {
            toks: &toks,
            file_mod: &m.segments,
            children: &children,
            refs: Vec::new(),
        };
        scanner.scan();
        for r in scanner.refs {
            // The deepest file module the path names.
            let mut target = r.path.clone();
            while !known.contains(&target) {
                target.pop();
            }
            if target == m.segments {
                continue;
            }
            let into_descendant =
                target.len() > m.segments.len() && target.starts_with(&m.segments);
            if r.reexport && into_descendant {
                continue;
            }
            edges
                .entry((display(&m.segments), display(&target)))
                .or_insert((m.file.clone(), r.line));
        }
    }
    edges
}

/// The cycles (strongly connected components of more than one module) of one crate's edges,
/// each as sorted module names.
fn cycles(edges: &Edges) -> Vec<Vec<String>> {
    let mut graph = DiGraph::<String, ()>::new();
    let mut index = BTreeMap::new();
    for (from, to) in edges.keys() {
        for name in [from, to] {
            index
                .entry(name.clone())
                .or_insert_with(|| graph.add_node(name.clone()));
        }
        graph.add_edge(index[from], index[to], ());
    }
    let mut found: Vec<Vec<String>> = tarjan_scc(&graph)
        .into_iter()
        .filter(|scc| scc.len() > 1)
        .map(|scc| {
            let mut names: Vec<String> = scc.iter().map(|n| graph[*n].clone()).collect();
            names.sort();
            names
        })
        .collect();
    found.sort();
    found
}

#[test]
fn no_module_imports_itself_through_others() {
    let root = workspace_root();
    let mut report = String::new();
    let mut unexpected = Vec::new();
    let mut seen = BTreeSet::new();
    let mut crates_scanned = 0;
    for member in members(&root) {
        let src = root.join(&member).join("src");
        if !src.is_dir() {
            continue;
        }
        crates_scanned += 1;
        let edges = crate_edges(&src);
        for cycle in cycles(&edges) {
            let _ = writeln!(report, "{member}: cycle among {}", cycle.join(", "));
            let members: BTreeSet<&String> = cycle.iter().collect();
            for ((from, to), (file, line)) in &edges {
                if members.contains(from) && members.contains(to) {
                    let file = file.strip_prefix(&root).unwrap_or(file);
                    let _ = writeln!(report, "    {from} -> {to}  ({}:{line})", file.display());
                }
            }
            let allowed = ALLOWED.iter().any(|(c, mods)| {
                *c == member && mods.iter().copied().eq(cycle.iter().map(String::as_str))
            });
            if allowed {
                seen.insert((member.clone(), cycle.clone()));
            } else {
                unexpected.push(format!("{member}: {}", cycle.join(", ")));
            }
        }
    }
    println!("{report}");
    assert!(
        crates_scanned >= 5,
        "found only {crates_scanned} crates under {}",
        root.display()
    );
    let stale: Vec<String> = ALLOWED
        .iter()
        .filter(|(c, mods)| {
            !seen.contains(&(
                (*c).to_owned(),
                mods.iter().map(|m| (*m).to_owned()).collect(),
            ))
        })
        .map(|(c, mods)| format!("{c}: {}", mods.join(", ")))
        .collect();
    assert!(
        unexpected.is_empty(),
        "module import cycles not in ALLOWED (break them):\n{}\n\nall cycles:\n{report}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "ALLOWED names cycles that no longer exist (remove them):\n{}",
        stale.join("\n")
    );
}

/// The scanner itself: what counts and what does not, on small sources.
#[test]
fn scanner_counts_what_the_doc_says() {
    let src = r#"
        //! crate::commented::out is not a reference
        mod child;
        pub use child::Reexported;
        pub(crate) use self::child::{A, B as C};
        use crate::{alpha::{beta, gamma::*}, delta};
        use super::sibling;
        use ::other_crate::x;
        use rewind_engine::y;
        pub(in crate::vis) fn f() { let s = "crate::in_string::x"; crate::epsilon::call(); child::g(); }
        fn lt<'a>(x: &'a str) -> char { '{' }
        mod tests { use super::*; use super::super::zeta; }
    "#;
    let toks = lex(src);
    let here = vec!["m".to_owned()];
    let children: BTreeSet<String> = ["child".to_owned()].into();
    let mut s = Scanner {
        toks: &toks,
        file_mod: &here,
        children: &children,
        refs: Vec::new(),
    };
    s.scan();
    let got: Vec<(String, bool)> = s
        .refs
        .iter()
        .map(|r| (display(&r.path), r.reexport))
        .collect();
    let want: Vec<(String, bool)> = [
        ("m::child::Reexported", true),
        ("m::child::A", true),
        ("m::child::B", true),
        ("alpha::beta", false),
        ("alpha::gamma", false),
        ("delta", false),
        ("sibling", false),
        ("epsilon::call", false),
        ("m::child::g", false),
        ("m", false),
        ("zeta", false),
    ]
    .iter()
    .map(|(p, r)| ((*p).to_owned(), *r))
    .collect();
    assert_eq!(got, want);
}
