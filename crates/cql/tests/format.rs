//! Formatter properties over the corpus: idempotent, and meaning-preserving (the formatted query
//! compiles to the same plan).

mod common;

use saker_cql::{CompileOptions, compile, format};

#[test]
fn fmt_is_idempotent_and_keeps_the_plan() {
    let Some(corpus) = common::corpus() else {
        println!("skipped: corpus absent");
        return;
    };
    let opts = CompileOptions::default();
    let mut formatted = 0;
    let mut problems = Vec::new();
    for (name, text) in &corpus {
        let Ok(once) = format(text) else { continue };
        formatted += 1;
        match format(&once) {
            Ok(twice) if twice == once => {}
            Ok(twice) => problems.push(format!("{name}: not idempotent:\n{once}\n---\n{twice}")),
            Err(e) => problems.push(format!(
                "{name}: formatted text does not parse: {e:?}\n{once}"
            )),
        }
        if once == *text && !text.ends_with('\n') {
            // Unchanged because the safety net kept the original: count as a problem.
            problems.push(format!("{name}: formatter fell back to the original text"));
        }
        match (compile(text, &opts), compile(&once, &opts)) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(_), Err(_)) => {}
            _ => problems.push(format!("{name}: formatting changed the plan\n{once}")),
        }
    }
    for p in problems.iter().take(10) {
        println!("{p}\n");
    }
    println!("formatted {formatted}, problems {}", problems.len());
    assert!(formatted > 2000);
    assert!(problems.is_empty(), "{} problems", problems.len());
}
