//! `saker run` with sub-queries (`join`), saved queries (`--saved`) and `ipLocation` (`--geoip`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .output()
        .expect("run saker")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("saker-subq-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn events(dir: &Path) -> PathBuf {
    let path = dir.join("events.ndjson");
    std::fs::write(
        &path,
        concat!(
            r##"{"#event_simpleName":"ProcessRollup2","aid":"a1","FileName":"cmd.exe"}"##,
            "\n",
            r##"{"#event_simpleName":"ProcessRollup2","aid":"a2","FileName":"calc.exe"}"##,
            "\n",
            r##"{"#event_simpleName":"DnsRequest","aid":"a1","DomainName":"evil.example"}"##,
            "\n",
            r##"{"#event_simpleName":"DnsRequest","aid":"a9","DomainName":"other.example"}"##,
            "\n",
        ),
    )
    .expect("write events");
    path
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect()
}

#[test]
fn join_runs_its_sub_query_over_the_same_inputs() {
    let dir = scratch("join");
    let input = events(&dir);
    let input = input.to_str().expect("utf-8 path");
    let o = saker(&[
        "run",
        "#event_simpleName=ProcessRollup2 | join({#event_simpleName=DnsRequest}, field=aid, include=[DomainName]) | select([aid, FileName, DomainName])",
        input,
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&o);
    assert_eq!(rows.len(), 1, "{}", stdout(&o));
    assert_eq!(rows[0]["FileName"], "cmd.exe");
    assert_eq!(rows[0]["DomainName"], "evil.example");

    let o = saker(&[
        "run",
        "#event_simpleName=ProcessRollup2 | join({#event_simpleName=DnsRequest}, field=aid, include=[DomainName], mode=left) | select([FileName, DomainName])",
        input,
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&o);
    assert_eq!(rows.len(), 2, "{}", stdout(&o));
    assert_eq!(rows[1]["FileName"], "calc.exe");
    assert!(rows[1].get("DomainName").is_none());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn saved_queries_come_from_the_saved_folder_with_arguments_as_parameters() {
    let dir = scratch("saved");
    let input = events(&dir);
    let input = input.to_str().expect("utf-8 path");
    let saved = dir.join("saved");
    std::fs::create_dir_all(saved.join("pkg")).expect("saved dir");
    std::fs::write(
        saved.join("procs.cql"),
        "#event_simpleName=ProcessRollup2 FileName=?{name=*}",
    )
    .expect("write saved query");
    std::fs::write(saved.join("pkg").join("count.cql"), "count()").expect("write saved query");
    let saved = saved.to_str().expect("utf-8 path");

    let o = saker(&[
        "run",
        r#"$procs(name="cmd.exe") | select([aid])"#,
        input,
        "--saved",
        saved,
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), r#"{"aid":"a1"}"#);

    let o = saker(&[
        "run",
        r#"$procs() | $"pkg:count"()"#,
        input,
        "--saved",
        saved,
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), r#"{"_count":"2"}"#);

    let o = saker(&["run", "$nothere()", input, "--saved", saved]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no saved query `nothere`"),
        "{}",
        stderr(&o)
    );

    let o = saker(&["run", "$procs()", input]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--saved"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[path = "../../exec/tests/mmdb/mod.rs"]
mod mmdb;

#[test]
fn ip_location_needs_a_database_and_reads_the_one_given() {
    let dir = scratch("geo");
    let input = dir.join("ips.ndjson");
    std::fs::write(&input, "{\"ip\":\"81.2.69.160\"}\n").expect("write events");
    let input = input.to_str().expect("utf-8 path");

    // No database: a diagnostic before any input is read, never a silent no-op.
    let o = saker(&["run", "ipLocation(ip)", "/nonexistent/input.ndjson"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--geoip"), "{}", stderr(&o));

    let db = dir.join("city.mmdb");
    std::fs::write(
        &db,
        mmdb::build(&[(
            "81.2.69.0",
            24,
            mmdb::City {
                country: "GB",
                city: "London",
                state: None,
                lat: 51.5,
                lon: -0.1,
            },
        )]),
    )
    .expect("write database");
    let o = saker(&[
        "run",
        "ipLocation(ip) | select([ip.country, ip.city])",
        input,
        "--geoip",
        db.to_str().expect("utf-8 path"),
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        r#"{"ip.country":"GB","ip.city":"London"}"#
    );
    std::fs::remove_dir_all(&dir).ok();
}
