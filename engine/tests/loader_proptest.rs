//! The loader never panics: mutated example specs (and nasty hand-picked inputs) give located diagnostics or a spec.

mod common;

use common::{examples, fixture, span_problem};
use miette::{GraphicalReportHandler, GraphicalTheme};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rewind_engine::compile::compile;
use rewind_engine::graph::{Format, render};
use rewind_engine::plan::{self, PlanOptions};
use rewind_engine::spec::yaml::Value;
use rewind_engine::spec::{Code, LoadOptions};
use rewind_engine::state::StateMeta;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The CLI's main thread has the platform's 8 MiB stack; the loader runs there.
const MAIN_THREAD_STACK: usize = 8 << 20;

/// Characters that mean something to YAML, plus a few that mean something to rewind.
const SIGNIFICANT: &[&str] = &[
    ":",
    "{",
    "}",
    "[",
    "]",
    "-",
    "&",
    "*",
    "!",
    "|",
    ">",
    "'",
    "\"",
    "%",
    "@",
    "\t",
    "\n",
    "#",
    ",",
    "?",
    "${",
    "}",
    "$${",
    "\r\n",
    "\u{feff}",
    "---",
    "...",
    "<<: ",
    "&a ",
    "*a",
    "!!binary ",
    " ",
    "\0",
];

#[derive(Debug, Clone)]
enum Mutation {
    FlipByte { at: usize, bit: u8 },
    Delete { at: usize, len: usize },
    Insert { at: usize, what: String },
    Truncate { at: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Nest { at: usize, depth: usize, style: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let anywhere = any::<prop::sample::Index>();
    prop_oneof![
        (anywhere.clone(), 0u8..8).prop_map(|(i, bit)| Mutation::FlipByte {
            at: i.index(usize::MAX),
            bit
        }),
        (anywhere.clone(), 1usize..40).prop_map(|(i, len)| Mutation::Delete {
            at: i.index(usize::MAX),
            len
        }),
        (anywhere.clone(), prop::sample::select(SIGNIFICANT)).prop_map(|(i, s)| Mutation::Insert {
            at: i.index(usize::MAX),
            what: s.to_owned()
        }),
        (anywhere.clone(), any::<String>()).prop_map(|(i, s)| Mutation::Insert {
            at: i.index(usize::MAX),
            what: s
        }),
        (anywhere.clone(), prop::collection::vec(any::<char>(), 1..6)).prop_map(|(i, cs)| {
            Mutation::Insert {
                at: i.index(usize::MAX),
                what: cs.into_iter().collect(),
            }
        }),
        anywhere.clone().prop_map(|i| Mutation::Truncate {
            at: i.index(usize::MAX)
        }),
        anywhere.clone().prop_map(|i| Mutation::DuplicateLine {
            line: i.index(usize::MAX)
        }),
        (anywhere.clone(), anywhere.clone()).prop_map(|(a, b)| Mutation::SwapLines {
            a: a.index(usize::MAX),
            b: b.index(usize::MAX)
        }),
        (anywhere, 1usize..90, 0u8..4).prop_map(|(i, depth, style)| Mutation::Nest {
            at: i.index(usize::MAX),
            depth,
            style
        }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match m {
        Mutation::FlipByte { at, bit } => {
            if n > 0 {
                bytes[at % n] ^= 1 << bit;
            }
        }
        Mutation::Delete { at, len } => {
            if n > 0 {
                let a = at % n;
                let b = (a + len).min(n);
                bytes.drain(a..b);
            }
        }
        Mutation::Insert { at, what } => {
            let a = at % (n + 1);
            bytes.splice(a..a, what.bytes());
        }
        Mutation::Truncate { at } => bytes.truncate(at % (n + 1)),
        Mutation::DuplicateLine { line } => {
            let lines: Vec<Vec<u8>> = bytes
                .split_inclusive(|b| *b == b'\n')
                .map(<[u8]>::to_vec)
                .collect();
            if !lines.is_empty() {
                let i = line % lines.len();
                let mut out = Vec::with_capacity(n * 2);
                for (j, l) in lines.iter().enumerate() {
                    out.extend_from_slice(l);
                    if j == i {
                        out.extend_from_slice(l);
                    }
                }
                *bytes = out;
            }
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<Vec<u8>> = bytes
                .split_inclusive(|b| *b == b'\n')
                .map(<[u8]>::to_vec)
                .collect();
            if !lines.is_empty() {
                let len = lines.len();
                lines.swap(a % len, b % len);
                *bytes = lines.concat();
            }
        }
        Mutation::Nest { at, depth, style } => {
            let a = at % (n + 1);
            let text = match style {
                0 => format!("{}x{}", "[".repeat(*depth), "]".repeat(*depth)),
                1 => format!("{}x{}", "{a: ".repeat(*depth), "}".repeat(*depth)),
                2 => {
                    let mut t = String::new();
                    for i in 0..*depth {
                        let _ = write!(t, "\n{}k{i}:", " ".repeat(i + 1));
                    }
                    t + " v\n"
                }
                _ => {
                    let mut t = String::new();
                    for i in 0..*depth {
                        let _ = write!(t, "\n{}-", " ".repeat(i * 2));
                    }
                    t + " v\n"
                }
            };
            bytes.splice(a..a, text.bytes());
        }
    }
}

/// Every base text the mutations start from.
fn bases() -> Vec<(String, String)> {
    let mut out = examples();
    out.push((
        "many-mistakes.yaml".to_owned(),
        fixture("many-mistakes.yaml"),
    ));
    out
}

/// Loads `text` and checks everything downstream that can see it. Returns a description of
/// the first broken promise.
fn check(file: &str, text: &str) -> Result<(), String> {
    match compile(file, text, &LoadOptions::default()) {
        Ok(c) => {
            let meta = StateMeta {
                lineage: "fuzz".into(),
                serial: 0,
            };
            let p = plan::build(file, &c.spec, &c.graph, &meta, &[], &PlanOptions::default());
            serde_json::to_string(&p).map_err(|e| e.to_string())?;
            let _ = render(&c.graph, &BTreeMap::new(), Format::Dot);
            let _ = render(&c.graph, &BTreeMap::new(), Format::Mermaid);
            Ok(())
        }
        Err(report) => {
            if report.diagnostics.is_empty() {
                return Err("an error report with no diagnostics".into());
            }
            for d in &report.diagnostics {
                if let Some(s) = d.span
                    && let Some(problem) = span_problem(text, s)
                {
                    return Err(format!("{}: {problem}: {d:?}", d.code.as_str()));
                }
                for l in &d.labels {
                    if let Some(problem) = span_problem(text, l.span) {
                        return Err(format!("label of {}: {problem}: {d:?}", d.code.as_str()));
                    }
                }
            }
            let _ = report.plain();
            let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
            for view in report.views() {
                let mut out = String::new();
                handler
                    .render_report(&mut out, &view)
                    .map_err(|e| format!("miette: {e}"))?;
            }
            Ok(())
        }
    }
}

/// 512 cases (a second or two); `PROPTEST_CASES=N` runs more.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Runs `f` on a thread with the main thread's stack and returns its result.
fn on_main_sized_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(MAIN_THREAD_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[test]
fn mutated_specs_never_panic_and_every_span_is_inside_the_file() {
    on_main_sized_stack(|| {
        let bases = bases();
        let strategy = (0..bases.len(), prop::collection::vec(mutation(), 1..6));
        let mut runner = TestRunner::new(config());
        let result = runner.run(&strategy, |(base, mutations)| {
            let (file, text) = &bases[base];
            let mut bytes = text.clone().into_bytes();
            for m in &mutations {
                apply(&mut bytes, m);
            }
            // The CLI refuses non-UTF-8 before loading; the loader sees what lossy decoding gives.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            check(file, &text)
                .map_err(|e| TestCaseError::fail(format!("{e}\n--- input ---\n{text}")))
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    });
}

/// The operations written under `restores:`, straight from the YAML tree.
fn written_operations(text: &str) -> Option<usize> {
    let root = rewind_engine::spec::yaml::parse(text).ok()?;
    let Value::Map(top) = root.value else {
        return None;
    };
    let (_, restores) = top
        .iter()
        .find(|(k, _)| k.value == Value::Str("restores".into()))?;
    match &restores.value {
        Value::Map(entries) => Some(entries.len()),
        _ => None,
    }
}

#[test]
fn strict_every_error_is_located_and_no_operation_is_dropped_silently() {
    on_main_sized_stack(|| {
        let bases = bases();
        let strategy = (0..bases.len(), prop::collection::vec(mutation(), 1..6));
        let mut runner = TestRunner::new(config());
        let result = runner.run(&strategy, |(base, mutations)| {
            let (file, text) = &bases[base];
            let mut bytes = text.clone().into_bytes();
            for m in &mutations {
                apply(&mut bytes, m);
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            match compile(file, &text, &LoadOptions::default()) {
                Err(report) => {
                    for d in &report.diagnostics {
                        // An empty file has no place to point at.
                        let empty = d.code == Code::MissingField && d.message.contains("empty");
                        prop_assert!(
                            d.span.is_some() || empty,
                            "unlocated: {d:?}\n--- input ---\n{text}"
                        );
                    }
                }
                Ok(c) => {
                    let written = written_operations(&text);
                    prop_assert_eq!(
                        written,
                        Some(c.spec.ops.len()),
                        "loaded without errors but operations are missing\n--- input ---\n{}",
                        text
                    );
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    });
}

#[test]
fn hand_picked_nasty_inputs_never_panic() {
    let lol = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nrestores: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";
    let inputs: Vec<String> = vec![
        String::new(),
        "\u{feff}".into(),
        "---".into(),
        "...".into(),
        "~".into(),
        "version: 1\n---\nversion: 1\n".into(),
        "restores: *nowhere\n".into(),
        "base: &b { kind: dcs.restore }\nrestores:\n  a:\n    <<: *b\n".into(),
        "? [complex, key]\n: value\n".into(),
        "restores: { ? [a]: b }\n".into(),
        "version: 99999999999999999999999999\nrestores: {}\n".into(),
        "version: -9223372036854775808\nrestores: {}\n".into(),
        "version: .nan\nrestores: {}\n".into(),
        "version: !!binary aGVsbG8=\nrestores: {}\n".into(),
        "%YAML 1.2\n---\nrestores: {}\n".into(),
        "restores:\n  a: { kind: rds.restore, source: { instance_id: \"${restores.a.source.instance_id}\" } }\n".into(),
        "restores:\n  a: { kind: dcs.restore, remark: \"${\" }\n".into(),
        "restores:\n  a: { kind: dcs.restore, remark: \"${restores.}\" }\n".into(),
        "restores:\n  \u{e9}t\u{e9}: { kind: dcs.restore }\n".into(),
        "restores:\n  a:\n    kind: dcs.restore\n    instance_id: \u{2028}\u{85}\n".into(),
        "restores:\r  a: 1\r".into(),
        "\0\0\0".into(),
        lol.into(),
        format!("restores: {}\n", "[".repeat(10_000)),
        format!("restores:\n{}", "  - ".repeat(5_000)),
        "x: ".repeat(10_000),
        fixture("many-mistakes.yaml").replace('\n', "\r\n"),
    ];
    on_main_sized_stack(move || {
        for text in &inputs {
            if let Err(e) = check("nasty.yaml", text) {
                panic!("{e}\n--- input ---\n{text:?}");
            }
        }
    });
}

/// Nested block mappings, `depth` deep: legal YAML that a user can write.
fn deeply_nested(depth: usize) -> String {
    let mut text = String::from("version: 1\nrestores:\n");
    for i in 0..depth {
        text.push_str(&" ".repeat(2 * (i + 1)));
        let _ = writeln!(text, "k{i}:");
    }
    text
}

#[test]
fn deep_block_nesting_does_not_overflow_a_two_mib_stack() {
    // A stack overflow aborts the process, so the work runs in a child copy of this test and
    // the parent judges its exit status.
    const CHILD: &str = "REWIND_TEST_DEEP_NESTING_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(|| {
            for depth in [40, 60, 64, 80, 200] {
                let text = deeply_nested(depth);
                assert!(check("deep.yaml", &text).is_ok());
            }
        });
        worker.expect("spawn").join().expect("no panic");
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "deep_block_nesting_does_not_overflow_a_two_mib_stack",
            "--include-ignored",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run the child");
    assert!(
        output.status.success(),
        "the loader crashed on a 2 MiB thread ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn deep_nesting_is_refused_not_crashed_on_the_main_stack() {
    on_main_sized_stack(|| {
        for depth in [64, 65, 200, 2_000] {
            let text = deeply_nested(depth);
            let r = compile("deep.yaml", &text, &LoadOptions::default()).expect_err("not a spec");
            if depth > 64 {
                assert_eq!(r.diagnostics[0].code, Code::Syntax, "{}", r.plain());
            }
        }
    });
}
