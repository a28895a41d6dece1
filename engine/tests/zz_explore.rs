#[test]
fn explore() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/many-mistakes.yaml")).unwrap();
    let r = rewind_engine::compile::compile("many-mistakes.yaml", &text, &Default::default()).unwrap_err();
    println!("{}", r.plain());
    for d in &r.diagnostics { println!("{:?} {:?} {:?}", d.code, d.span, d.labels); }
}
