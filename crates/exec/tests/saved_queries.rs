//! Saved queries `$name(…)`: the call runs the saved query in its place, its named arguments set
//! the saved query's `?parameters`.
//! <https://library.humio.com/data-analysis/syntax-function-user.html>

use std::collections::BTreeMap;
use std::sync::Arc;

use saker_event::Event;
use saker_exec::options::SavedQueries;
use saker_exec::{Options, Query};

fn library() -> Options {
    let saved = SavedQueries(Arc::new(|name: &str, params: &BTreeMap<String, String>| {
        let text = match name {
            "isShell" => r#"FileName=/^(cmd|powershell)\.exe$/i"#,
            "byUser" => "user=?user",
            "perHost" => "groupBy(host)",
            "nested" => "$isShell() | $byUser(user=?who)",
            "loop" => "$loop()",
            _ => return Err(format!("no saved query `{name}`")),
        };
        saker_cql::compile(
            text,
            &saker_cql::CompileOptions {
                params: params.clone(),
            },
        )
        .map_err(|d| format!("{d:?}"))
    }));
    Options {
        saved: Some(saved),
        ..Options::default()
    }
}

const INPUT: &[&[(&str, &str)]] = &[
    &[("host", "h1"), ("user", "ann"), ("FileName", "cmd.exe")],
    &[("host", "h1"), ("user", "bob"), ("FileName", "calc.exe")],
    &[
        ("host", "h2"),
        ("user", "bob"),
        ("FileName", "PowerShell.exe"),
    ],
];

fn run(q: &str) -> Result<Vec<Vec<(String, String)>>, String> {
    let plan = saker_cql::compile(q, &Default::default()).map_err(|d| format!("{d:?}"))?;
    let query = Query::compile(&plan, &library()).map_err(|e| e.to_string())?;
    let events = INPUT.iter().map(|fields| {
        let mut e = Event::new();
        for (k, v) in *fields {
            e.set_by_name(k, *v);
        }
        e
    });
    Ok(query
        .run_all(events)
        .iter()
        .map(|e| {
            e.iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
                .collect()
        })
        .collect())
}

fn col(rows: &[Vec<(String, String)>], name: &str) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .collect()
}

#[test]
fn a_saved_filter_runs_in_place_and_negates() {
    let out = run("$isShell()").expect("runs");
    assert_eq!(col(&out, "user"), ["ann", "bob"]);
    let out = run("!$isShell()").expect("runs");
    assert_eq!(col(&out, "FileName"), ["calc.exe"]);
}

#[test]
fn named_arguments_set_parameters() {
    let out = run(r#"$byUser(user="bob") | select([host])"#).expect("runs");
    assert_eq!(col(&out, "host"), ["h1", "h2"]);
    let out = run(r#"$nested(who="bob")"#).expect("runs");
    assert_eq!(col(&out, "host"), ["h2"]);
}

#[test]
fn an_aggregating_saved_query_is_an_aggregate() {
    let out = run("$perHost() | sort(host, order=asc)").expect("runs");
    assert_eq!(col(&out, "_count"), ["2", "1"]);
}

#[test]
fn unknown_and_cyclic_saved_queries_are_errors() {
    let err = run("$missing()").expect_err("unknown");
    assert!(err.contains("no saved query `missing`"), "{err}");
    let err = run("$loop()").expect_err("cycle");
    assert!(err.contains("nest deeper"), "{err}");
    let plan = saker_cql::compile("$isShell()", &Default::default()).expect("parses");
    let err = Query::compile(&plan, &Options::default())
        .err()
        .expect("no saved queries given");
    assert!(err.to_string().contains("--saved"), "{err}");
}
