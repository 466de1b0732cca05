//! Helpers shared by the engine's integration tests: events from field lists, a query run over
//! them, rows as (field, value) pairs.
#![allow(dead_code)] // each test file uses its own subset

use saker_event::Event;
use saker_exec::{Options, Query};

pub type Row = Vec<(String, String)>;

pub fn events(input: &[&[(&str, &str)]]) -> Vec<Event> {
    input
        .iter()
        .map(|fields| {
            let mut e = Event::new();
            for (k, v) in *fields {
                e.set_by_name(k, *v);
            }
            e
        })
        .collect()
}

pub fn rows(out: &[Event]) -> Vec<Row> {
    out.iter()
        .map(|e| {
            e.iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Compiles `q` with `opts` and runs it over `input`.
pub fn run_with(q: &str, opts: &Options, input: &[&[(&str, &str)]]) -> Vec<Row> {
    let plan = saker_cql::compile(q, &Default::default()).expect("query compiles");
    let query = Query::compile(&plan, opts).expect("engine compiles");
    rows(&query.run_all(events(input)))
}

pub fn run(q: &str, input: &[&[(&str, &str)]]) -> Vec<Row> {
    run_with(q, &Options::default(), input)
}

pub fn get<'a>(row: &'a [(String, String)], name: &str) -> Option<&'a str> {
    row.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub fn col<'a>(rows: &'a [Row], name: &str) -> Vec<Option<&'a str>> {
    rows.iter().map(|r| get(r, name)).collect()
}
