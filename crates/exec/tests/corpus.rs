//! Every parseable query of `../shared/cql/corpus` compiles to a clean error or runs to the end over
//! a small mixed input (Falcon FDR samples plus hand-made events) without panicking.

use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use saker_event::Event;
use saker_exec::{Options, Query};
use saker_io::{Input, ReadOptions};

fn shared() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn mixed_input(root: &Path) -> Vec<Event> {
    let mut events = Vec::new();
    let dir = root.join("data/falcon");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "ndjson"));
    files.sort();
    for f in files {
        let mut n = 0;
        let _ = saker_io::read_input(
            &Input::path(&f),
            &ReadOptions::default(),
            &mut |e| {
                events.push(e);
                n += 1;
                if n >= 15 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
            &mut |_| {},
        );
    }
    for (i, raw) in [
        "status=200 method=GET url=/index.html bytes=512",
        "{\"a\":[1,2,3],\"user\":{\"name\":\"Alice\"}}",
        "",
    ]
    .iter()
    .enumerate()
    {
        let mut e: Event = [
            ("@rawstring", *raw),
            ("status", "404"),
            ("ComputerName", "WS-1"),
            ("#event_simpleName", "ProcessRollup2"),
            ("a[0]", "1"),
            ("a[1]", "x"),
        ]
        .into_iter()
        .collect();
        e.set_by_name("@timestamp", (1_700_000_000_000i64 + i as i64).to_string());
        events.push(e);
    }
    events
}

#[test]
fn corpus_queries_never_panic() {
    let root = shared();
    let Ok(dir) = std::fs::read_dir(root.join("cql/corpus")) else {
        println!("skipped: corpus absent");
        return;
    };
    let events = mixed_input(&root);
    let mut files: Vec<_> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "cql"));
    files.sort();
    let opts = Options {
        start_ms: Some(1_600_000_000_000),
        end_ms: Some(1_800_000_000_000),
        ..Options::default()
    };
    let (mut parsed, mut ran, mut panicked) = (0, 0, Vec::new());
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &files {
        let Ok(src) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(plan) = saker_cql::compile(&src, &Default::default()) else {
            continue;
        };
        parsed += 1;
        let result = catch_unwind(AssertUnwindSafe(|| match Query::compile(&plan, &opts) {
            Ok(q) => {
                let _ = q.run_all(events.clone());
                true
            }
            Err(e) => {
                *reasons.entry(e.to_string()).or_default() += 1;
                false
            }
        }));
        match result {
            Ok(true) => ran += 1,
            Ok(false) => {}
            Err(_) => panicked.push(f.display().to_string()),
        }
    }
    let mut top: Vec<_> = reasons.into_iter().collect();
    top.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    for (reason, n) in top.iter().take(25) {
        println!("{n:5}  {reason}");
    }
    println!(
        "{parsed} parseable corpus queries, {ran} ran, {} panicked",
        panicked.len()
    );
    assert!(panicked.is_empty(), "panicked: {panicked:#?}");
}
