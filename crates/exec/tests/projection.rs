//! Aggregates that say which fields they read let `execute` drop the others before the aggregate
//! runs; the output must be the same as running the query over fully decoded events.

use std::ops::ControlFlow;

use saker_event::{Event, Sym};
use saker_exec::{Options, Query, execute};
use saker_io::{Input, ReadOptions};

fn compile(q: &str) -> Query {
    let plan = saker_cql::compile(q, &Default::default()).expect("query compiles");
    Query::compile(&plan, &Options::default()).expect("engine compiles")
}

fn fixture(name: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("saker-proj-{}-{name}.ndjson", std::process::id()));
    let mut text = String::new();
    for i in 0..500 {
        let host = format!("h{}", i % 7);
        let user = if i % 3 == 0 {
            String::new()
        } else {
            format!(",\"user\":\"u{}\"", i % 5)
        };
        text.push_str(&format!(
            "{{\"host\":\"{host}\",\"n\":{},\"kind\":\"{}\",\"nested\":{{\"x\":{i}}}{user}}}\n",
            i % 11,
            if i % 2 == 0 { "even" } else { "odd" }
        ));
    }
    std::fs::write(&path, text).expect("write fixture");
    path
}

fn via_execute(q: &Query, path: &std::path::Path) -> Vec<Event> {
    let mut rows = Vec::new();
    execute(
        q,
        &[Input::path(path)],
        &ReadOptions::default(),
        |r| {
            rows.push(r);
            ControlFlow::Continue(())
        },
        |m| panic!("malformed: {m}"),
    )
    .expect("run");
    rows
}

fn via_run_all(q: &Query, path: &std::path::Path) -> Vec<Event> {
    let mut events = Vec::new();
    saker_io::read_input(
        &Input::path(path),
        &ReadOptions::default(),
        &mut |e| {
            events.push(e);
            ControlFlow::Continue(())
        },
        &mut |m| panic!("malformed: {m}"),
    )
    .expect("read");
    q.run_all(events)
}

fn names(fields: Option<&[Sym]>) -> Option<Vec<&'static str>> {
    fields.map(|f| f.iter().map(|s| s.as_str()).collect())
}

#[test]
fn aggregates_report_the_fields_they_read() {
    assert_eq!(
        names(compile("groupBy(host, function=count())").projection()),
        Some(vec!["host"])
    );
    assert_eq!(
        names(
            compile("kind=even | groupBy([host, user], function=[count(), sum(n), max(n)])")
                .projection()
        ),
        Some(vec!["host", "user", "n", "n"])
    );
    assert_eq!(
        names(compile("top(host, sum=n)").projection()),
        Some(vec!["host", "n"])
    );
    assert_eq!(names(compile("count()").projection()), Some(vec![]));
    assert_eq!(
        names(compile("groupBy(host, function=collect(user))").projection()),
        None
    );
    assert_eq!(names(compile("sort(n)").projection()), None);
    assert_eq!(names(compile("kind=even").projection()), None);
}

#[test]
fn projection_does_not_change_results() {
    let path = fixture("same");
    for q in [
        "groupBy(host, function=count())",
        "groupBy([host, user], function=[count(), sum(n), max(n), avg(n)])",
        "kind=odd | groupBy(user)",
        "top(host, sum=n)",
        "count(user)",
        "stats([count(), min(nested.x), count(user, distinct=true)])",
        "groupBy(host, function=count()) | sort(_count)",
    ] {
        let q_compiled = compile(q);
        assert_eq!(
            via_execute(&q_compiled, &path),
            via_run_all(&q_compiled, &path),
            "{q}"
        );
    }
    let _ = std::fs::remove_file(&path);
}
