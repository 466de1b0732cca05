//! `selfJoinFilter()` and `correlate()`: filters and patterns over the whole stream.
//!
//! selfJoinFilter: <https://library.humio.com/data-analysis/functions-selfjoinfilter.html> —
//! keys for which every `where` clause is met by some event; then the events having such a key
//! pass (with `prefilter=true` only those that meet a clause themselves).
//! correlate: <https://library.humio.com/data-analysis/functions-correlate.html> — one event per
//! named query, linked by `f <=> other.g`, optionally `within` a time span and in `sequence`;
//! output rows carry `query.field` for the `include` fields of each query's event.

mod common;

use common::{col, run};

/// Logins: user u1 failed then succeeded, u2 only failed, u3 only succeeded.
const LOGINS: &[&[(&str, &str)]] = &[
    &[("user", "u1"), ("status", "fail"), ("n", "1")],
    &[("user", "u2"), ("status", "fail"), ("n", "2")],
    &[("user", "u1"), ("status", "other"), ("n", "3")],
    &[("user", "u3"), ("status", "ok"), ("n", "4")],
    &[("user", "u1"), ("status", "ok"), ("n", "5")],
    &[("status", "ok"), ("n", "6")],
];

#[test]
fn self_join_filter_passes_every_event_of_keys_meeting_all_clauses() {
    let out = run(
        "selfJoinFilter(field=user, where=[{status=fail}, {status=ok}])",
        LOGINS,
    );
    assert_eq!(col(&out, "n"), vec![Some("1"), Some("3"), Some("5")]);
}

#[test]
fn self_join_filter_with_prefilter_passes_only_clause_events() {
    let out = run(
        "selfJoinFilter(field=user, where=[{status=fail}, {status=ok}], prefilter=true)",
        LOGINS,
    );
    assert_eq!(col(&out, "n"), vec![Some("1"), Some("5")]);
}

#[test]
fn self_join_filter_composes_with_later_stages() {
    let out = run(
        "status!=other | selfJoinFilter(field=[user], where=[{status=fail}, {status=ok}]) | count()",
        LOGINS,
    );
    assert_eq!(col(&out, "_count"), vec![Some("2")]);
}

/// Process events on two hosts: whoami then net on h1 within a minute; on h2 net comes 10
/// minutes after whoami.
const PROCS: &[&[(&str, &str)]] = &[
    &[
        ("@timestamp", "1000"),
        ("aid", "h1"),
        ("FileName", "whoami.exe"),
    ],
    &[
        ("@timestamp", "2000"),
        ("aid", "h2"),
        ("FileName", "whoami.exe"),
    ],
    &[
        ("@timestamp", "30000"),
        ("aid", "h1"),
        ("FileName", "net.exe"),
    ],
    &[
        ("@timestamp", "602000"),
        ("aid", "h2"),
        ("FileName", "net.exe"),
    ],
    &[
        ("@timestamp", "700000"),
        ("aid", "h3"),
        ("FileName", "net.exe"),
    ],
];

#[test]
fn correlate_links_events_and_prefixes_included_fields() {
    let q = r#"correlate(
        whoami: { FileName="whoami.exe" } include: [aid, FileName],
        net: { FileName="net.exe" | aid <=> whoami.aid } include: [aid, @timestamp],
        within=5m)"#;
    let out = run(q, PROCS);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(
        out[0],
        vec![
            ("whoami.aid".to_owned(), "h1".to_owned()),
            ("whoami.FileName".to_owned(), "whoami.exe".to_owned()),
            ("net.@timestamp".to_owned(), "30000".to_owned()),
            ("net.aid".to_owned(), "h1".to_owned()),
        ]
    );
    // Without `within`, events anywhere in the input may form a constellation.
    let q = r#"correlate(
        whoami: { FileName="whoami.exe" } include: [aid],
        net: { FileName="net.exe" | aid <=> whoami.aid } include: [aid])"#;
    let out = run(q, PROCS);
    assert_eq!(col(&out, "net.aid"), vec![Some("h1"), Some("h2")]);
}

#[test]
fn correlate_sequence_requires_the_listed_order() {
    let q = r#"correlate(
        net: { FileName="net.exe" } include: [aid],
        whoami: { FileName="whoami.exe" | aid <=> net.aid } include: [aid],
        sequence=true)"#;
    assert!(run(q, PROCS).is_empty());
    let q = q.replace("sequence=true", "sequence=false");
    assert_eq!(
        col(&run(&q, PROCS), "net.aid"),
        vec![Some("h1"), Some("h2")]
    );
}

#[test]
fn correlate_chains_three_queries_and_one_event_fills_one_query() {
    let input: &[&[(&str, &str)]] = &[
        &[
            ("@timestamp", "1"),
            ("aid", "h1"),
            ("pid", "1"),
            ("FileName", "a"),
        ],
        &[
            ("@timestamp", "2"),
            ("aid", "h1"),
            ("pid", "2"),
            ("ppid", "1"),
            ("FileName", "b"),
        ],
        &[
            ("@timestamp", "3"),
            ("aid", "h1"),
            ("pid", "3"),
            ("ppid", "2"),
            ("FileName", "c"),
        ],
        &[
            ("@timestamp", "4"),
            ("aid", "h1"),
            ("pid", "4"),
            ("ppid", "9"),
            ("FileName", "c"),
        ],
    ];
    let q = r#"correlate(
        gp: { FileName=a } include: [pid],
        p: { FileName=b | aid <=> gp.aid | ppid <=> gp.pid } include: [pid],
        c: { FileName=c | aid <=> p.aid | ppid <=> p.pid } include: [pid],
        sequence=true, within=1m)"#;
    let out = run(q, input);
    assert_eq!(col(&out, "c.pid"), vec![Some("3")]);
    assert_eq!(col(&out, "p.pid"), vec![Some("2")]);
    // Two queries both matching any event need two different events.
    let q =
        r#"correlate(x: { aid=h1 } include: [pid], y: { aid=h1 | aid <=> x.aid } include: [pid])"#;
    let out = run(q, &input[..1]);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn correlate_global_constraints_link_every_query_on_the_fields() {
    // Without a link, whoami on h1 pairs with the first net.exe event whatever its host.
    let q = r#"correlate(
        whoami: { FileName="whoami.exe" } include: [aid],
        net: { FileName="net.exe" } include: [aid],
        globalConstraints=[aid])"#;
    let out = run(q, PROCS);
    assert_eq!(col(&out, "whoami.aid"), vec![Some("h1"), Some("h2")]);
    assert_eq!(col(&out, "net.aid"), vec![Some("h1"), Some("h2")]);
}

#[test]
fn correlate_sequence_by_orders_on_the_named_field_with_jitter_tolerance() {
    // `seq` says b came first although its timestamp is later.
    let input: &[&[(&str, &str)]] = &[
        &[("@timestamp", "1000"), ("seq", "20"), ("k", "a")],
        &[("@timestamp", "2000"), ("seq", "10"), ("k", "b")],
    ];
    let q = r#"correlate(first: { k=a } include: [k], then: { k=b } include: [k], sequence=true)"#;
    assert_eq!(col(&run(q, input), "then.k"), vec![Some("b")]);
    let by_seq = q.replace("sequence=true", "sequence=true, sequenceBy=seq");
    assert!(run(&by_seq, input).is_empty());
    // A tolerance of 10 lets `then` come up to 10 units before `first`.
    let tolerant = q.replace(
        "sequence=true",
        "sequence=true, sequenceBy=seq, jitterTolerance=10",
    );
    assert_eq!(col(&run(&tolerant, input), "then.k"), vec![Some("b")]);
    let strict = q.replace(
        "sequence=true",
        "sequence=true, sequenceBy=seq, jitterTolerance=9",
    );
    assert!(run(&strict, input).is_empty());
}
