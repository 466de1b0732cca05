//! `join()` and `defineTable()`: sub-queries over the same inputs as the main query, run to
//! completion before it.
//!
//! join: <https://library.humio.com/data-analysis/functions-join.html> — `mode=inner` lets only
//! events matching on the keys through, `mode=left` also the others; `include` fields come from
//! the sub-query row and are `""` when the row lacks them; `max` rows per key are emitted (default
//! 1); `key` names the sub-query's fields, defaulting to `field`.
//! defineTable: <https://library.humio.com/data-analysis/functions-definetable.html> — a preamble
//! that declares an ad-hoc table read by `match(table=…)` and `readFile()`.

mod common;

use std::ops::ControlFlow;

use common::{col, rows, run};
use saker_exec::{Options, Query, execute};
use saker_io::{Input, ReadOptions};

fn compile(q: &str) -> Query {
    let plan = saker_cql::compile(q, &Default::default()).expect("query compiles");
    Query::compile(&plan, &Options::default()).expect("engine compiles")
}

/// Processes (type=p) and DNS requests (type=d) on hosts a1..a3.
const INPUT: &[&[(&str, &str)]] = &[
    &[("type", "p"), ("aid", "a1"), ("file", "cmd.exe")],
    &[("type", "p"), ("aid", "a2"), ("file", "calc.exe")],
    &[("type", "p"), ("file", "nokey.exe")],
    &[("type", "d"), ("aid", "a1"), ("domain", "one.example")],
    &[("type", "d"), ("aid", "a1"), ("domain", "two.example")],
    &[("type", "d"), ("aid", "a3")],
];

#[test]
fn inner_join_keeps_matching_events_and_adds_include_fields() {
    let out = run(
        "type=p | join({type=d}, field=aid, include=[domain])",
        INPUT,
    );
    assert_eq!(col(&out, "file"), vec![Some("cmd.exe")]);
    // max=1 by default: one row per key, the first in the sub-query's output order.
    assert_eq!(col(&out, "domain"), vec![Some("one.example")]);
}

#[test]
fn left_join_keeps_non_matching_events_unchanged() {
    let out = run(
        "type=p | join({type=d}, field=aid, include=[domain], mode=left)",
        INPUT,
    );
    assert_eq!(
        col(&out, "file"),
        vec![Some("cmd.exe"), Some("calc.exe"), Some("nokey.exe")]
    );
    assert_eq!(col(&out, "domain"), vec![Some("one.example"), None, None]);
}

#[test]
fn max_emits_one_event_per_joined_row() {
    let out = run(
        "type=p | join({type=d}, field=aid, include=[domain], max=5)",
        INPUT,
    );
    assert_eq!(
        col(&out, "domain"),
        vec![Some("one.example"), Some("two.example")]
    );
}

#[test]
fn missing_include_field_in_the_row_gives_empty_string() {
    let input: &[&[(&str, &str)]] = &[
        &[("type", "p"), ("aid", "a3"), ("file", "x.exe")],
        &[("type", "d"), ("aid", "a3")],
    ];
    let out = run(
        "type=p | join({type=d}, field=aid, include=[domain])",
        input,
    );
    assert_eq!(col(&out, "domain"), vec![Some("")]);
}

#[test]
fn key_names_the_sub_query_field_and_several_keys_must_all_match() {
    let input: &[&[(&str, &str)]] = &[
        &[("type", "p"), ("aid", "a1"), ("pid", "10")],
        &[("type", "p"), ("aid", "a1"), ("pid", "11")],
        &[("type", "d"), ("aid", "a1"), ("ctx", "10"), ("domain", "x")],
    ];
    let out = run(
        "type=p | join({type=d}, field=[aid, pid], key=[aid, ctx], include=[domain])",
        input,
    );
    assert_eq!(col(&out, "pid"), vec![Some("10")]);
    assert_eq!(col(&out, "domain"), vec![Some("x")]);
    // `f =~ join(…)` is field=f.
    let out = run("type=p | pid =~ join({type=d | pid := ctx})", input);
    assert_eq!(col(&out, "pid"), vec![Some("10")]);
}

#[test]
fn negated_join_keeps_only_events_without_a_match() {
    let out = run("type=p | !join({type=d}, field=aid)", INPUT);
    assert_eq!(col(&out, "file"), vec![Some("calc.exe"), Some("nokey.exe")]);
}

#[test]
fn limit_caps_the_sub_query_rows() {
    let input: &[&[(&str, &str)]] = &[
        &[("type", "p"), ("aid", "a1")],
        &[("type", "p"), ("aid", "a2")],
        &[("type", "d"), ("aid", "a1")],
        &[("type", "d"), ("aid", "a2")],
    ];
    let out = run("type=p | join({type=d}, field=aid, limit=1)", input);
    assert_eq!(col(&out, "aid"), vec![Some("a1")]);
}

#[test]
fn join_sub_query_may_aggregate() {
    let out = run(
        "type=p | join({type=d | groupBy(aid)}, field=aid, include=[_count])",
        INPUT,
    );
    assert_eq!(col(&out, "_count"), vec![Some("2")]);
}

#[test]
fn define_table_feeds_match_and_read_file() {
    let q = r#"defineTable(query={type=d | groupBy(aid)}, name="dns", include=[aid, _count])
        | type=p
        | match(table="dns", field=aid, strict=false)
        | select([file, _count])"#;
    let out = run(q, INPUT);
    assert_eq!(col(&out, "_count"), vec![Some("2"), None, None]);

    let out = run(
        r#"defineTable(query={type=d}, name="dns", include=[domain]) | readFile("dns")"#,
        INPUT,
    );
    assert_eq!(
        out,
        vec![
            vec![("domain".to_owned(), "one.example".to_owned())],
            vec![("domain".to_owned(), "two.example".to_owned())],
            vec![],
        ]
    );
}

#[test]
fn a_defined_table_is_visible_to_a_later_sub_query() {
    let q = r#"defineTable(query={type=d}, name="dns", include=[aid])
        | defineTable(query={type=p | match(table="dns", field=aid)}, name="seen", include=[file])
        | readFile("seen")"#;
    let out = run(q, INPUT);
    assert_eq!(col(&out, "file"), vec![Some("cmd.exe")]);
}

/// The main query's raw-line prefilter requires "ProcessRollup2"; the DNS events the join's
/// sub-query needs do not contain it. They must still reach the sub-query.
#[test]
fn sub_queries_are_not_filtered_by_the_main_query_prefilter() {
    let path = std::env::temp_dir().join(format!("saker-join-{}.ndjson", std::process::id()));
    std::fs::write(
        &path,
        concat!(
            r##"{"#event_simpleName":"ProcessRollup2","aid":"a1","FileName":"cmd.exe"}"##,
            "\n",
            r##"{"#event_simpleName":"ProcessRollup2","aid":"a2","FileName":"calc.exe"}"##,
            "\n",
            r##"{"#event_simpleName":"DnsRequest","aid":"a1","DomainName":"evil.example"}"##,
            "\n",
        ),
    )
    .expect("write fixture");
    let queries = [
        "#event_simpleName=ProcessRollup2 | join({#event_simpleName=DnsRequest}, field=aid, include=[DomainName])",
        r#"defineTable(query={#event_simpleName=DnsRequest}, name="dns", include=[aid, DomainName])
           | #event_simpleName=ProcessRollup2 | match(table="dns", field=aid)"#,
    ];
    for q in queries {
        let query = compile(q);
        let pf = query.prefilter().expect("the main query has a prefilter");
        assert!(!pf.may_match(br##"{"#event_simpleName":"DnsRequest"}"##));
        let mut out = Vec::new();
        execute(
            &query,
            &[Input::path(&path)],
            &ReadOptions::default(),
            |r| {
                out.push(r);
                ControlFlow::Continue(())
            },
            |m| panic!("malformed: {m}"),
        )
        .expect("run");
        let out = rows(&out);
        assert_eq!(col(&out, "FileName"), vec![Some("cmd.exe")], "{q}");
        assert_eq!(col(&out, "DomainName"), vec![Some("evil.example")], "{q}");
    }
    std::fs::remove_file(&path).ok();
}

/// Standard input cannot be read twice, so a sub-query over it is refused instead of leaving the
/// main pass with no events.
#[test]
fn sub_queries_over_standard_input_are_refused() {
    let query = compile(
        "#event_simpleName=ProcessRollup2 | join({#event_simpleName=DnsRequest}, field=aid, include=[DomainName])",
    );
    let err = execute(
        &query,
        &[Input::stdin()],
        &ReadOptions::default(),
        |_| ControlFlow::Continue(()),
        |_| {},
    )
    .expect_err("stdin refused");
    assert!(err.to_string().contains("standard input"), "{err}");
}
