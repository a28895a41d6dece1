//! Large specs load: the YAML budget grows with the input instead of refusing big runbooks.

use rewind_engine::compile::compile;
use rewind_engine::spec::LoadOptions;
use std::fmt::Write;

#[test]
fn a_spec_beyond_a_quarter_million_yaml_nodes_compiles() {
    let mut text = String::from("version: 1\nrestores:\n");
    let ops = 30_000;
    for n in 0..ops {
        let _ = write!(
            text,
            "  op-{n}:\n    kind: rds.restore\n    source: {{ instance_id: {:032x}in01, restore_time: 1747732352076 }}\n    target: {{ instance_id: {:032x}in01 }}\n",
            n + 1_000_000,
            n + 2_000_000
        );
    }
    let compiled = compile("big.yaml", &text, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    assert_eq!(compiled.spec.ops.len(), ops);
}

#[test]
fn alias_bombs_are_still_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        let _ = writeln!(
            text,
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]"
        );
    }
    let err =
        compile("bomb.yaml", &text, &LoadOptions::default()).expect_err("an alias bomb is refused");
    assert_eq!(err.diagnostics.len(), 1, "{}", err.plain());
}
