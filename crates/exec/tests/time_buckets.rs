//! `bucket()` and `timeChart()`: the span, bucket starts and series kept.
//!
//! <https://library.humio.com/data-analysis/functions-timechart.html>: `buckets` "Defines the
//! number of buckets. The time span is defined by splitting the query time interval into this
//! many buckets"; `limit` (default 10) "Defines the maximum number of series to produce … It
//! prioritizes the top-N series"; `minSpan` bounds the span from below.

mod common;

use common::{col, run, run_with};
use saker_exec::Options;

/// One event a minute for 40 minutes from 2023-11-14T22:13:20Z on host `h{i mod 12}`: hosts
/// h0..h3 have four events, h4..h11 three.
fn minutes() -> Vec<Vec<(String, String)>> {
    (0..40)
        .map(|i| {
            vec![
                (
                    "@timestamp".to_owned(),
                    (1_700_000_000_000i64 + i * 60_000).to_string(),
                ),
                ("h".to_owned(), format!("h{}", i % 12)),
            ]
        })
        .collect()
}

fn input(rows: &[Vec<(String, String)>]) -> Vec<Vec<(&str, &str)>> {
    rows.iter()
        .map(|r| r.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
        .collect()
}

#[test]
fn without_span_the_events_range_is_split_into_buckets_from_its_start() {
    let data = minutes();
    let events = input(&data);
    let slices: Vec<&[(&str, &str)]> = events.iter().map(Vec::as_slice).collect();
    let out = run("timeChart(buckets=4)", &slices);
    // 39 minutes + 1 ms over 4 buckets: 585,001 ms each, the first at the first event.
    assert_eq!(
        col(&out, "_bucket"),
        vec![
            Some("1700000000000"),
            Some("1700000585001"),
            Some("1700001170002"),
            Some("1700001755003")
        ]
    );
    assert_eq!(
        col(&out, "_count"),
        vec![Some("10"), Some("10"), Some("10"), Some("10")]
    );
}

#[test]
fn the_interval_comes_from_start_and_end_when_given() {
    let data = minutes();
    let events = input(&data);
    let slices: Vec<&[(&str, &str)]> = events.iter().map(Vec::as_slice).collect();
    let opts = Options {
        start_ms: Some(1_700_000_000_000),
        end_ms: Some(1_700_003_600_000),
        ..Options::default()
    };
    // One hour in 2 buckets of 30 minutes: 30 events, then 10.
    let out = run_with("bucket(buckets=2)", &opts, &slices);
    assert_eq!(col(&out, "_count"), vec![Some("30"), Some("10")]);
    // minSpan wins over a shorter computed span.
    let out = run_with("bucket(buckets=2, minSpan=1h)", &opts, &slices);
    assert_eq!(col(&out, "_count"), vec![Some("40")]);
}

#[test]
fn time_chart_keeps_the_top_limit_series() {
    let data = minutes();
    let events = input(&data);
    let slices: Vec<&[(&str, &str)]> = events.iter().map(Vec::as_slice).collect();
    let series = |q: &str| {
        let out = run(q, &slices);
        let mut s: Vec<String> = col(&out, "h")
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect();
        s.sort();
        s.dedup();
        s
    };
    // 12 hosts, default limit 10: h0..h3 (4 events each) stay, two of the 3-event hosts go.
    let kept = series("timeChart(h, span=1d)");
    assert_eq!(kept.len(), 10);
    assert!(
        ["h0", "h1", "h2", "h3"]
            .iter()
            .all(|h| kept.contains(&h.to_string()))
    );
    assert_eq!(series("timeChart(h, span=1d, limit=2)").len(), 2);
    assert_eq!(series("bucket(span=1d, field=h, limit=12)").len(), 12);
}
