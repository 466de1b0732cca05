//! Correlation rules over hand-made event sequences: every correlation type, window edges and
//! group-by. Reference: Sigma correlation rules specification v2.1
//! (https://github.com/SigmaHQ/sigma-specification, "Sigma Correlation Rules Specification").

use std::path::PathBuf;

use saker_event::Event;
use saker_hunt::{CorrelationHit, Hunt};
use saker_sigma::{Options, Target, load_sources};

const LOGIN_FAIL: &str = "title: failed login\nid: fail\nname: failed_login\nlogsource: {product: windows}\ndetection:\n  sel:\n    Action: fail\n  condition: sel\n";
const LOGIN_OK: &str = "title: login\nid: ok\nname: login_ok\nlogsource: {product: windows}\ndetection:\n  sel:\n    Action: ok\n  condition: sel\n";

fn ev(ts: i64, fields: &[(&str, &str)]) -> Event {
    let mut e: Event = fields.iter().copied().collect();
    e.set_by_name("@timestamp", ts.to_string());
    e
}

/// Runs the rules (one text may hold several documents) over the events; returns the
/// correlation hits and the number of plain rule hits.
fn run(texts: &[&str], events: &[Event]) -> (Vec<CorrelationHit>, usize) {
    let sources: Vec<(PathBuf, String)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (PathBuf::from(format!("r{i}.yml")), (*t).to_owned()))
        .collect();
    let opts = Options {
        target: Target::Raw,
        ..Options::default()
    };
    let set = load_sources(&sources, &opts);
    for r in &set.refused {
        assert!(!r.diagnostic.is_error(), "refused: {:?}", r.diagnostic);
    }
    let (hunt, errors) = Hunt::new(&set, &|_| true);
    assert!(errors.is_empty());
    let res = hunt.scan(events);
    (hunt.correlate(res.observations), res.hits.len())
}

fn corr(kind: &str, rules: &str, extra: &str) -> String {
    format!(
        "title: corr\nid: c1\ncorrelation:\n  type: {kind}\n  rules: [{rules}]\n  group-by: [User]\n  timespan: 10s\n{extra}"
    )
}

fn fail(ts: i64, user: &str) -> Event {
    ev(
        ts,
        &[
            ("Action", "fail"),
            ("User", user),
            ("Host", &format!("h{ts}")),
        ],
    )
}

#[test]
fn event_count_fires_at_the_threshold_inside_the_window() {
    let c = corr("event_count", "failed_login", "  condition:\n    gte: 3\n");
    let events = [
        fail(0, "a"),
        fail(4_000, "a"),
        fail(10_000, "a"),
        fail(10_500, "a"),
    ];
    let (hits, plain) = run(&[LOGIN_FAIL, &c], &events);
    assert_eq!(hits.len(), 1, "{hits:?}");
    // The third event at exactly the window edge (10 s after the first) still counts.
    assert_eq!(hits[0].ts, 10_000);
    assert_eq!(hits[0].value, 3.0);
    assert_eq!(hits[0].group, vec![("User".to_owned(), "a".to_owned())]);
    // Rules feeding a correlation do not report their own matches by default.
    assert_eq!(plain, 0);
}

#[test]
fn event_count_window_edge_excludes_older_events() {
    let c = corr("event_count", "failed_login", "  condition:\n    gte: 3\n");
    // 0, 6 s, 10.001 s: the first is 10.001 s before the third, outside a 10 s window.
    let (hits, _) = run(
        &[LOGIN_FAIL, &c],
        &[fail(0, "a"), fail(6_000, "a"), fail(10_001, "a")],
    );
    assert!(hits.is_empty(), "{hits:?}");
}

#[test]
fn event_count_groups_separately() {
    let c = corr("event_count", "failed_login", "  condition:\n    gte: 2\n");
    let events = [fail(0, "a"), fail(1, "b"), fail(2, "c"), fail(3, "b")];
    let (hits, _) = run(&[LOGIN_FAIL, &c], &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group[0].1, "b");
}

#[test]
fn value_count_counts_distinct_values() {
    let c = corr(
        "value_count",
        "failed_login",
        "  condition:\n    gte: 3\n    field: Host\n",
    );
    let same_host = |ts| ev(ts, &[("Action", "fail"), ("User", "a"), ("Host", "h")]);
    let (hits, _) = run(
        &[LOGIN_FAIL, &c],
        &[same_host(0), same_host(1), same_host(2)],
    );
    assert!(hits.is_empty());
    let (hits, _) = run(
        &[LOGIN_FAIL, &c],
        &[fail(0, "a"), fail(1, "a"), fail(2, "a")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 3.0);
}

#[test]
fn temporal_needs_every_rule_in_the_window_in_any_order() {
    let c = corr("temporal", "failed_login, login_ok", "");
    let ok = |ts, u: &str| ev(ts, &[("Action", "ok"), ("User", u)]);
    let (hits, _) = run(&[LOGIN_FAIL, LOGIN_OK, &c], &[ok(0, "a"), fail(5_000, "a")]);
    assert_eq!(hits.len(), 1);
    // Different users do not correlate; too far apart does not either.
    let (hits, _) = run(&[LOGIN_FAIL, LOGIN_OK, &c], &[ok(0, "a"), fail(5_000, "b")]);
    assert!(hits.is_empty());
    let (hits, _) = run(
        &[LOGIN_FAIL, LOGIN_OK, &c],
        &[ok(0, "a"), fail(10_001, "a")],
    );
    assert!(hits.is_empty());
}

#[test]
fn temporal_ordered_needs_the_listed_order() {
    let c = corr("temporal_ordered", "failed_login, login_ok", "");
    let ok = |ts| ev(ts, &[("Action", "ok"), ("User", "a")]);
    let (hits, _) = run(&[LOGIN_FAIL, LOGIN_OK, &c], &[fail(0, "a"), ok(3_000)]);
    assert_eq!(hits.len(), 1);
    let (hits, _) = run(&[LOGIN_FAIL, LOGIN_OK, &c], &[ok(0), fail(3_000, "a")]);
    assert!(hits.is_empty());
    // At exactly the timespan the chain still completes.
    let (hits, _) = run(&[LOGIN_FAIL, LOGIN_OK, &c], &[fail(0, "a"), ok(10_000)]);
    assert_eq!(hits.len(), 1);
}

fn bytes(ts: i64, n: &str) -> Event {
    ev(ts, &[("Action", "fail"), ("User", "a"), ("Bytes", n)])
}

#[test]
fn value_sum_avg_median_percentile() {
    let events = [bytes(0, "10"), bytes(1, "20"), bytes(2, "90")];
    let sum = corr(
        "value_sum",
        "failed_login",
        "  condition:\n    gt: 100\n    field: Bytes\n",
    );
    let (hits, _) = run(&[LOGIN_FAIL, &sum], &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 120.0);

    let avg = corr(
        "value_avg",
        "failed_login",
        "  condition:\n    gte: 40\n    field: Bytes\n",
    );
    let (hits, _) = run(&[LOGIN_FAIL, &avg], &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 40.0);

    let median = corr(
        "value_median",
        "failed_login",
        "  condition:\n    gte: 20\n    field: Bytes\n",
    );
    let (hits, _) = run(&[LOGIN_FAIL, &median], &events);
    // 10 alone (median 10) no; 10, 20 → 15 no; 10, 20, 90 → 20 yes.
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].ts, 2);

    let pct = corr(
        "value_percentile",
        "failed_login",
        "  condition:\n    gte: 80\n    field: Bytes\n    percentile: 95\n",
    );
    let (hits, _) = run(&[LOGIN_FAIL, &pct], &events);
    assert_eq!(hits.len(), 1);
    assert!(hits[0].value > 80.0);
}

#[test]
fn aliases_join_differently_named_fields() {
    let other = "title: net\nid: net\nname: net_logon\nlogsource: {product: windows}\ndetection:\n  sel:\n    Action: net\n  condition: sel\n";
    let c = "title: corr\ncorrelation:\n  type: temporal\n  rules: [failed_login, net_logon]\n  group-by: [who]\n  timespan: 1m\n  aliases:\n    who:\n      failed_login: User\n      net_logon: TargetUserName\n";
    let events = [
        fail(0, "alice"),
        ev(1_000, &[("Action", "net"), ("TargetUserName", "alice")]),
    ];
    let (hits, _) = run(&[LOGIN_FAIL, other, c], &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, vec![("who".to_owned(), "alice".to_owned())]);
}

#[test]
fn correlations_chain_and_generate_keeps_rule_hits() {
    let c1 = "title: many fails\nname: many_fails\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  group-by: [User]\n  timespan: 10s\n  generate: true\n  condition:\n    gte: 2\n";
    let c2 = "title: fails then login\ncorrelation:\n  type: temporal_ordered\n  rules: [many_fails, login_ok]\n  group-by: [User]\n  timespan: 1m\n";
    let ok = |ts| ev(ts, &[("Action", "ok"), ("User", "a")]);
    let (hits, plain) = run(
        &[LOGIN_FAIL, LOGIN_OK, c1, c2],
        &[fail(0, "a"), fail(1_000, "a"), ok(5_000)],
    );
    // c1 fires at 1 s, c2 at 5 s.
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[1].ts, 5_000);
    // generate: true keeps failed_login's own matches; login_ok only feeds c2.
    assert_eq!(plain, 2);
}

#[test]
fn multi_document_file_with_rule_and_correlation() {
    let text = format!(
        "{LOGIN_FAIL}---\n{}",
        corr("event_count", "fail", "  condition:\n    gte: 2\n")
    );
    let (hits, _) = run(&[&text], &[fail(0, "a"), fail(1, "a")]);
    assert_eq!(hits.len(), 1);
}

#[test]
fn unknown_rule_reference_is_refused_with_the_name() {
    let c = corr("event_count", "nope", "  condition:\n    gte: 2\n");
    let set = load_sources(&[(PathBuf::from("c.yml"), c)], &Options::default());
    assert_eq!(set.refused.len(), 1);
    assert!(set.refused[0].diagnostic.message.contains("nope"));
}
