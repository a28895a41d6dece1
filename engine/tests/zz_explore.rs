use rewind_engine::compile::compile;
fn show(name: &str, text: &str) {
    match compile(name, text, &Default::default()) {
        Ok(c) => println!("== {name}: OK {} ops {:?}", c.spec.ops.len(), c.graph.edges()),
        Err(r) => { println!("== {name}:\n{}", r.plain()); }
    }
}
#[test]
fn deep_indent() {
    for n in [60, 70, 100, 200, 400, 800] {
    let mut text = String::new();
    for i in 0..n { text.push_str(&" ".repeat(i)); text.push_str("a:\n"); }
    show(&format!("deepindent{n}"), &text);
    }
}
#[test]
fn deep_indent_seq() {
    for n in [60, 70, 100, 200, 400, 800,2000] {
    let mut text = String::new();
    for i in 0..n { text.push_str(&" ".repeat(i)); text.push_str("-\n"); }
    show(&format!("deepseq{n}"), &text);
    }
}
