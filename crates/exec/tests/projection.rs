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

/// Falcon-shaped lines with escapes, tags and timestamps, for the decode-time projection.
fn falcon_fixture(name: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("saker-dproj-{}-{name}.ndjson", std::process::id()));
    let mut text = String::new();
    for i in 0..400 {
        let kind = ["AsepValueUpdate", "ProcessRollup2", "DnsRequest"][i % 3];
        let key = [
            r"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\AB",
            r"\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates\\CD",
            r#"SOFTWARE\\Run \"quoted\" \u00e9"#,
        ][i % 5 % 3];
        let file = if i % 4 == 0 {
            String::new()
        } else {
            format!(
                ",\"FileName\":\"{}\"",
                ["svchost.exe", "certutil.exe", "a.exe"][i % 3]
            )
        };
        text.push_str(&format!(
            "{{\"timestamp\":\"{}\",\"event_simpleName\":\"{kind}\",\"event_platform\":\"Win\",\"ComputerName\":\"WS-{}\",\"RegObjectName\":\"{key}\",\"n\":\"{}\",\"CommandLine\":\"cmd /c x{i}\"{file}}}\n",
            1_700_000_000_000u64 + (i as u64 * 7919) % 1000,
            i % 6,
            i % 9,
        ));
    }
    std::fs::write(&path, text).expect("write fixture");
    path
}

#[test]
fn decode_time_projection_names_what_the_plan_reads() {
    let fields = |q: &str| {
        compile(q)
            .read_fields()
            .map(|f| f.iter().map(str::to_owned).collect::<Vec<_>>())
    };
    assert_eq!(
        fields("groupBy(ComputerName, function=count())"),
        Some(vec!["ComputerName".to_owned()])
    );
    assert!(fields(include_str!("../../../examples/flagship/query.cql")).is_some());
    assert_eq!(fields("ComputerName = x"), None, "whole events are output");
    assert_eq!(
        fields("\"cmd\" | count()"),
        None,
        "free text reads every value"
    );
}

#[test]
fn decode_time_projection_does_not_change_results() {
    let path = falcon_fixture("same");
    let queries = [
        include_str!("../../../examples/flagship/query.cql"),
        "groupBy(ComputerName, function=count())",
        "groupBy([#event_simpleName, ComputerName], function=[count(), max(n), min(@timestamp)])",
        "#event_platform = Win | select([ComputerName, @timestamp, @rawstring, #event_simpleName])",
        "RegObjectName = /quoted/ | table([ComputerName, RegObjectName, FileName], sortby=n)",
        "table([ComputerName, n])",
        "\"x1\" | select([ComputerName, CommandLine])",
        "@rawstring = /x2/ | select([ComputerName])",
        "case { FileName = svchost.exe | k := \"svc\" ; n > 4 | k := ComputerName ; * | k := \"o\" } | groupBy(k)",
        "RegObjectName = /(?<store>ROOT|CA)\\\\Certificates/ | select([store, ComputerName])",
        "CommandLine = /x(?<num>\\d+)/ | groupBy(num, function=count()) | sort(num)",
        "format(\"%s-%s\", field=[ComputerName, n], as=both) | select(both)",
        "m := n * 2 | select([m, ComputerName])",
        "not FileName = /svchost/i | count()",
        "ComputerName match { WS-1 => z := 1 ; * => z := n } | select([z])",
        "FileName != * | count(ComputerName)",
        "head(5) | select([ComputerName, CommandLine])",
        "sort(n, limit=3) | table([n, ComputerName])",
        "lower(ComputerName, as=lc) | groupBy(lc)",
        "in(FileName, values=[\"a.exe\"]) | count()",
    ];
    for q in queries {
        let compiled = compile(q);
        let read = ReadOptions {
            profile: Some(saker_io::Profile::Falcon),
            ..ReadOptions::default()
        };
        let mut projected = Vec::new();
        execute(
            &compiled,
            &[Input::path(&path)],
            &read,
            |r| {
                projected.push(r);
                ControlFlow::Continue(())
            },
            |m| panic!("malformed: {m}"),
        )
        .expect("run");
        let mut events = Vec::new();
        saker_io::read_input(
            &Input::path(&path),
            &read,
            &mut |e| {
                events.push(e);
                ControlFlow::Continue(())
            },
            &mut |m| panic!("malformed: {m}"),
        )
        .expect("read");
        let full = compiled.run_all(events);
        assert!(!full.is_empty(), "{q}: the fixture should give rows");
        assert_eq!(projected, full, "{q}");
    }
    let _ = std::fs::remove_file(&path);
}
