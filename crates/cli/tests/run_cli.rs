//! `saker run` end to end: the flagship example, output formats, parameters, lookup files, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run saker")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn flagship_example_finds_the_planted_writes() {
    let o = saker(&[
        "run",
        "-f",
        "examples/flagship/query.cql",
        "examples/flagship/fdr-events.ndjson",
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "root, CA and policy-root writes; svchost and near misses excluded"
    );
    let stores: Vec<&str> = lines
        .iter()
        .map(|l| l["StoreType"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        stores,
        ["Trusted Root CA", "Intermediate CA", "Trusted Root CA"]
    );
    for l in &lines {
        assert!(l.get("_time").is_none() && l.get("@timestamp").is_none());
        let keys: Vec<&String> = l
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys.first().map(|k| k.as_str()),
            Some("ComputerName"),
            "select() order"
        );
    }
}

#[test]
fn csv_output_keeps_groupby_field_order() {
    let o = saker(&[
        "run",
        "groupBy(ComputerName, function=count()) | sort()",
        "examples/flagship/fdr-events.ndjson",
        "--format",
        "csv",
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("ComputerName,_count"));
    assert_eq!(lines.next(), Some("FIN-WS-014,4"));
}

#[test]
fn parameters_fill_placeholders() {
    let o = saker(&[
        "run",
        "ComputerName=?host | count()",
        "--param",
        "host=DC-01",
        "examples/flagship/fdr-events.ndjson",
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), r#"{"_count":"2"}"#);
}

#[test]
fn lookup_files_come_from_files_dir() {
    let dir = std::env::temp_dir().join(format!("saker-run-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("hosts.csv"), "ComputerName,owner\nDC-01,infra\n").expect("csv");
    let o = saker(&[
        "run",
        "match(file=\"hosts.csv\", field=ComputerName) | groupBy(owner)",
        "--files",
        dir.to_str().unwrap_or("."),
        "examples/flagship/fdr-events.ndjson",
        "--format",
        "ndjson",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o).trim(), r#"{"owner":"infra","_count":"2"}"#);
}

#[test]
fn query_errors_exit_2_before_reading_input() {
    // The input does not exist: a query error must be reported first.
    let o = saker(&["run", "groupBy(", "does-not-exist.ndjson"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("query:1:"), "{err}");
    let o = saker(&["run", "rdns(ip)", "does-not-exist.ndjson"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not supported yet"));
    // A function that needs data saker was not given says what to pass.
    let o = saker(&["run", "ipLocation(ip)", "does-not-exist.ndjson"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--geoip"));
}

#[test]
fn missing_input_is_an_error() {
    let o = saker(&["run", "count()", "does-not-exist.ndjson"]);
    assert_eq!(o.status.code(), Some(2));
}
