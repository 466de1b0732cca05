//! `saker events` end to end: exit codes, stderr reports and summary, output formats.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .output()
        .expect("run saker")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn broken_line_is_reported_and_strict_fails() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("broken.ndjson");
    std::fs::write(&p, "{\"a\":\"1\"}\n{\"a\":\n{\"a\":\"3\"}\n").expect("write");
    let path = p.to_string_lossy().into_owned();

    let out = saker(&["events", &path]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("{\"a\":\"1\""), "{stdout}");
    assert!(lines[1].starts_with("{\"a\":\"3\""), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("{path}:2: ")), "{stderr}");
    assert!(
        stderr.contains("read 2 events from 1 files, 1 malformed records skipped"),
        "{stderr}"
    );

    let out = saker(&["events", "--strict", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(&format!("{path}:2: ")));
}

#[test]
fn unreadable_path_exits_2_naming_it() {
    let out = saker(&["events", "/no/such/input.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such/input.ndjson"));
}

#[test]
fn bundled_falcon_example_gets_tags_and_timestamps() {
    let sample = workspace().join("examples/falcon/fdr_sample.ndjson");
    let out = saker(&["events", &sample.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 16);
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("NDJSON output");
        assert!(v["#event_simpleName"].is_string(), "{line}");
        assert!(
            v["@timestamp"]
                .as_str()
                .is_some_and(|t| t.parse::<i64>().is_ok()),
            "{line}"
        );
        assert!(v["@rawstring"].is_string());
    }
    assert!(text(&out.stderr).contains("read 16 events from 1 files, 0 malformed records skipped"));
}

#[test]
fn fields_inventory_counts_events_per_field() {
    let sample = workspace().join("examples/falcon/fdr_sample.ndjson");
    let out = saker(&[
        "events",
        "--fields",
        "--format",
        "csv",
        &sample.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("field,events,example"));
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("#event_simpleName,16,")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("@timestamp,16,")),
        "{stdout}"
    );
}

#[test]
fn table_and_csv_formats() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("x.json");
    std::fs::write(&p, "[{\"a\":\"1\",\"b\":{\"c\":\"x\"}},{\"a\":\"2\"}]").expect("write");
    let path = p.to_string_lossy().into_owned();
    let out = saker(&["events", "--format", "csv", &path]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().next(), Some("a,b.c,@rawstring"));
    assert_eq!(stdout.lines().count(), 3);
    let out = saker(&["events", "--format", "table", &path]);
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|h| h.starts_with("a | b.c | @rawstring")),
        "{stdout}"
    );
}

#[test]
fn forced_input_format_and_profile() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("data.txt");
    std::fs::write(&p, "{\"event_simpleName\":\"X\",\"timestamp\":\"1000\"}\n").expect("write");
    let path = p.to_string_lossy().into_owned();
    // .txt is read as text: @rawstring only.
    let out = saker(&["events", &path]);
    assert_eq!(
        text(&out.stdout).trim(),
        "{\"@rawstring\":\"{\\\"event_simpleName\\\":\\\"X\\\",\\\"timestamp\\\":\\\"1000\\\"}\"}"
    );
    let out = saker(&["events", "--input-format", "ndjson", &path]);
    assert!(text(&out.stdout).contains("\"#event_simpleName\":\"X\""));
    let out = saker(&[
        "events",
        "--input-format",
        "ndjson",
        "--profile",
        "generic",
        &path,
    ]);
    assert!(!text(&out.stdout).contains("#event_simpleName"));
    let out = saker(&["events", "--profile", "nope", &path]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn regression_evtx_folder_gives_238_events() {
    let dir = workspace().join("../shared/data/sigma/regression_data");
    if !dir.is_dir() {
        println!("skipped: corpus absent");
        return;
    }
    // The folder also holds the JSON renderings; force EVTX files only through a file list.
    let mut files: Vec<String> = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "evtx") {
                files.push(p.to_string_lossy().into_owned());
            }
        }
    }
    assert_eq!(files.len(), 202);
    let mut args = vec!["events"];
    args.extend(files.iter().map(String::as_str));
    let out = saker(&args);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 238);
    assert!(stdout.lines().any(|l| l.contains("-addstore")
        && l.contains(r#""Image":"C:\\Windows\\System32\\certutil.exe""#)));
    assert!(
        text(&out.stderr).contains("read 238 events from 202 files, 0 malformed records skipped")
    );
}
