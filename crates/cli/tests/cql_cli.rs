//! `saker check`, `saker fmt` and `saker explain` end to end.

use std::path::PathBuf;
use std::process::{Command, Output};

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run saker: {e}"))
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn unclosed_call_is_a_syntax_error_with_a_caret_at_the_end() {
    let dir = tempdir();
    let q = "groupBy(ComputerName, function=count()";
    let f = write(&dir, "q.cql", q);
    let out = saker(&["check", f.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error[CQL0002]"), "{text}");
    assert!(text.contains(":1:39"), "{text}");
    let caret_line = text
        .lines()
        .find(|l| l.contains("expected `)` here"))
        .unwrap_or_else(|| panic!("{text}"));
    let source_line = text
        .lines()
        .find(|l| l.ends_with(q))
        .unwrap_or_else(|| panic!("{text}"));
    let caret_col = caret_line.find('^').unwrap_or_default();
    assert_eq!(
        caret_col,
        source_line.len(),
        "caret just past the end:\n{text}"
    );
}

#[test]
fn json_records_and_folders() {
    let dir = tempdir();
    write(
        &dir,
        "a/ok.cql",
        "#event_simpleName=ProcessRollup2 | count()\n",
    );
    write(
        &dir,
        "a/b/lint.cql",
        "#event_simpleName=ProcessRollup2 | sort(_time)\n",
    );
    write(&dir, "a/ignored.txt", "not a query (");
    let out = saker(&[
        "check",
        "--format",
        "json",
        dir.path().to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let records = records.as_array().cloned().unwrap_or_default();
    let time = records
        .iter()
        .find(|r| r["code"] == "CQL-L001")
        .unwrap_or_else(|| panic!("{records:#?}"));
    assert_eq!(time["severity"], "warning");
    assert_eq!(time["kind"], "lint");
    assert_eq!(time["line"], 1);
    assert_eq!(time["column"], 41);
    assert!(
        time["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("lint.cql")
    );
    for key in ["end_line", "end_column", "help", "message"] {
        assert!(time.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn sigma_rules_are_checked() {
    let dir = tempdir();
    let broken = write(&dir, "broken.yml", "title: x\n");
    let out = saker(&["check", broken.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("SIG0002"), "{text}");
    assert!(text.contains("broken.yml:1:1"), "{text}");

    let good = write(
        &dir,
        "good.yml",
        "title: t\nlogsource:\n  product: windows\n  category: registry_set\n\
         detection:\n  sel:\n    TargetObject|contains: 'Root'\n  condition: sel\n",
    );
    let out = saker(&["check", good.to_str().unwrap_or_default()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fmt_check_write() {
    let dir = tempdir();
    let f = write(&dir, "q.cql", "a = 1|count( )");
    let path = f.to_str().unwrap_or_default();
    let out = saker(&["fmt", "--check", path]);
    assert_eq!(out.status.code(), Some(1));
    let out = saker(&["fmt", "--write", path]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&f).unwrap_or_default(),
        "a=1\n| count()\n"
    );
    let out = saker(&["fmt", "--check", path]);
    assert_eq!(out.status.code(), Some(0));
    let bad = write(&dir, "bad.cql", "count(");
    let out = saker(&["fmt", bad.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_codes() {
    let out = saker(&["explain", "cql-l005"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("200"));
    let out = saker(&["explain", "NOPE"]);
    assert_eq!(out.status.code(), Some(2));
    let out = saker(&["explain"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("CQL1001"));
}
