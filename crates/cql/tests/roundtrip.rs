//! Printing: for every corpus query that compiles, the printed plan compiles to the same plan.

mod common;

use saker_cql::{CompileOptions, compile, print};

#[test]
fn print_then_compile_gives_the_same_plan() {
    let Some(corpus) = common::corpus() else {
        println!("skipped: corpus absent");
        return;
    };
    let opts = CompileOptions::default();
    let mut compiled = 0;
    let mut mismatches = Vec::new();
    for (name, text) in &corpus {
        let Ok(plan) = compile(text, &opts) else {
            continue;
        };
        compiled += 1;
        let printed = print(&plan);
        match compile(&printed, &opts) {
            Ok(again) if again == plan => {}
            Ok(again) => {
                let i = (0..plan.ops.len().max(again.ops.len()))
                    .find(|i| plan.ops.get(*i) != again.ops.get(*i))
                    .unwrap_or(0);
                mismatches.push(format!(
                    "{name}: different plan at stage {i}:\n{:?}\n{:?}\n{printed}",
                    plan.ops.get(i),
                    again.ops.get(i)
                ))
            }
            // A `?parameter` substituted by `*` where a regex is expected is only checked in
            // the printed text.
            Err(e)
                if text.contains('?')
                    && e.iter().all(|d| {
                        d.code == saker_cql::codes::REGEX_INVALID
                            || d.code == saker_cql::codes::REGEX_UNSUPPORTED
                    }) => {}
            Err(e) => mismatches.push(format!(
                "{name}: printed text does not compile: {}\n{printed}",
                e.first().map_or("", |d| d.message.as_str())
            )),
        }
    }
    for m in mismatches.iter().take(20) {
        println!("{m}\n");
    }
    println!(
        "compiled {compiled}, round-trip mismatches {}",
        mismatches.len()
    );
    assert!(compiled > 2000, "only {compiled} corpus queries compiled");
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
}
