//! One test per case in `../shared/cql/conformance/*.json` and in the in-repo
//! `tests/docs_cases/*.json` (documentation examples, same format), run as the shared README says:
//! timestamps assigned in list order when no event has one; rows compared on `columns` only;
//! numbers accepted after rounding to the decimals the expected value shows; `ordered` decides
//! between sequence and multiset comparison; `files` are lookup tables, `parameters` the `?name`
//! values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use saker_event::{Event, Sym};
use saker_exec::{Options, Query};
use serde_json::Value;

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cql/conformance")
}

/// Cases kept in the repository, so they run on a fresh clone.
fn docs_cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docs_cases")
}

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn main() {
    let args = Arguments::from_args();
    let shared = conformance_dir();
    if !shared.is_dir() {
        println!("skipped: corpus absent (shared conformance cases)");
    }
    let mut trials = Vec::new();
    for (prefix, dir) in [("", shared), ("docs::", docs_cases_dir())] {
        for path in case_files(&dir) {
            let name = path
                .file_stem()
                .map(|s| format!("{prefix}{}", s.to_string_lossy()))
                .unwrap_or_default();
            trials.push(Trial::test(name, move || run_case(&path)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let raw = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&raw).map_err(|e| e.to_string())?;
    let query = case["query"].as_str().ok_or("case without query")?;
    let params: BTreeMap<String, String> = case["parameters"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
        .unwrap_or_default();
    let mut opts = Options {
        params: params.clone(),
        now_ms: 1_700_000_000_000,
        ..Options::default()
    };
    if let Some(files) = case["files"].as_object() {
        for (name, rows) in files {
            let rows = rows
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r.as_object())
                        .map(|r| r.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
                        .collect()
                })
                .unwrap_or_default();
            opts.tables.insert(name.clone(), rows);
        }
    }
    let plan = saker_cql::compile(query, &saker_cql::CompileOptions { params })
        .map_err(|d| format!("front-end: {d:?}"))?;
    let q = Query::compile(&plan, &opts).map_err(|e| format!("engine: {e}"))?;

    let inputs = case["input"].as_array().cloned().unwrap_or_default();
    let has_ts = inputs.iter().any(|e| e.get("@timestamp").is_some());
    let events: Vec<Event> = inputs
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut ev = Event::new();
            if let Some(m) = e.as_object() {
                for (k, v) in m {
                    ev.set(Sym::new(k), text_of(v));
                }
            }
            if !has_ts {
                ev.set(
                    Sym::timestamp(),
                    (1_600_000_000_000i64 + i as i64 * 1000).to_string(),
                );
            }
            ev
        })
        .collect();
    let actual = q.run_all(events);

    let columns: Vec<String> = case["columns"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let expected: Vec<BTreeMap<String, String>> = case["expected"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_object()
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    let ordered = case["ordered"].as_bool().unwrap_or(false);
    compare(&expected, &actual, &columns, ordered)
}

fn row_matches(exp: &BTreeMap<String, String>, act: &Event, columns: &[String]) -> bool {
    columns.iter().all(|c| {
        let a = act.get_by_name(c);
        match exp.get(c) {
            None => a.is_none_or(str::is_empty),
            Some(e) => a.is_some_and(|a| value_matches(e, a)),
        }
    })
}

/// Equal text, or equal numbers after rounding the actual value to the expected decimals.
fn value_matches(expected: &str, actual: &str) -> bool {
    if expected == actual {
        return true;
    }
    let (Ok(e), Ok(a)) = (expected.trim().parse::<f64>(), actual.trim().parse::<f64>()) else {
        return false;
    };
    let decimals = expected.split_once('.').map_or(0, |(_, f)| f.len() as i32);
    let scale = 10f64.powi(decimals);
    ((a * scale).round() - (e * scale).round()).abs() < 0.5 || (a - e).abs() < 1e-9
}

fn compare(
    expected: &[BTreeMap<String, String>],
    actual: &[Event],
    columns: &[String],
    ordered: bool,
) -> Result<(), Failed> {
    let show = |rows: &[Event]| -> String {
        rows.iter()
            .map(|r| format!("{r:?}"))
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    if expected.len() != actual.len() {
        return Err(format!(
            "expected {} rows, got {}:\n  {}\nexpected:\n  {:?}",
            expected.len(),
            actual.len(),
            show(actual),
            expected
        )
        .into());
    }
    if ordered {
        for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
            if !row_matches(e, a, columns) {
                return Err(format!(
                    "row {i}: expected {e:?}, got {a:?}\nall:\n  {}",
                    show(actual)
                )
                .into());
            }
        }
        return Ok(());
    }
    let mut used = vec![false; actual.len()];
    for e in expected {
        let hit = actual
            .iter()
            .enumerate()
            .find(|(i, a)| !used[*i] && row_matches(e, a, columns));
        match hit {
            Some((i, _)) => used[i] = true,
            None => {
                return Err(format!("no row matches {e:?}\nactual:\n  {}", show(actual)).into());
            }
        }
    }
    Ok(())
}
