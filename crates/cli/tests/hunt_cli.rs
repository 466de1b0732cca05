//! `saker hunt` end to end: output fields, ordering, summary, levels, exclusions, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RULE_HIGH: &str = "title: Whoami\nid: r-high\nlevel: high\ntags: [attack.discovery]\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n";
const RULE_LOW: &str = "title: Any cmd\nid: r-low\nlevel: low\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    CommandLine|contains: 'cmd'\n  condition: sel\n";
const RULE_BAD: &str = "title: Broken\nid: r-bad\nlogsource: {product: windows}\ndetection:\n  sel:\n    a|nosuchmodifier: 1\n  condition: sel\n";

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("high.yml"), RULE_HIGH).unwrap();
    std::fs::write(rules.join("low.yml"), RULE_LOW).unwrap();
    let events = dir.path().join("events.ndjson");
    let line = |ts: &str, image: &str, cmd: &str| {
        format!(
            r#"{{"@timestamp":{ts},"Channel":"{SYSMON}","EventID":"1","Image":"{image}","CommandLine":"{cmd}"}}"#
        )
    };
    let text = [
        line(
            "1700000003000",
            "C:\\\\Windows\\\\whoami.exe",
            "whoami /all",
        ),
        line("1700000001000", "C:\\\\Windows\\\\cmd.exe", "cmd /c dir"),
        line("1700000002000", "C:\\\\Windows\\\\notepad.exe", "notepad"),
    ]
    .join("\n");
    std::fs::write(&events, text + "\n").unwrap();
    (dir, rules, events)
}

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running saker: {e}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn hits_carry_rule_fields_and_are_sorted_by_time() {
    let (_d, rules, events) = setup();
    let o = saker(&["hunt", "-r", s(&rules), "--format", "ndjson", s(&events)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = lines(&o);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["rule_id"], "r-low");
    assert_eq!(rows[0]["@timestamp"], "1700000001000");
    assert_eq!(rows[1]["rule_id"], "r-high");
    assert_eq!(rows[1]["rule_title"], "Whoami");
    assert_eq!(rows[1]["level"], "high");
    assert_eq!(rows[1]["tags"], "attack.discovery");
    assert_eq!(rows[1]["CommandLine"], "whoami /all");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rules: 2 loaded"), "{err}");
    assert!(err.contains("events: 3 read"), "{err}");
    assert!(err.contains("hits: 2 (high 1, low 1)"), "{err}");
}

#[test]
fn min_level_exclude_and_fail_on_match() {
    let (d, rules, events) = setup();
    let o = saker(&[
        "hunt",
        "-r",
        s(&rules),
        "--format",
        "ndjson",
        "--min-level",
        "medium",
        s(&events),
    ]);
    let rows = lines(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["rule_id"], "r-high");

    let excl = d.path().join("exclude.txt");
    std::fs::write(&excl, "# noisy\nr-high\n").unwrap();
    let o = saker(&[
        "hunt",
        "-r",
        s(&rules),
        "--format",
        "ndjson",
        "--exclude",
        s(&excl),
        s(&events),
    ]);
    let rows = lines(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["rule_id"], "r-low");

    let o = saker(&["hunt", "-r", s(&rules), "--fail-on-match", s(&events)]);
    assert_eq!(o.status.code(), Some(1));
    let o = saker(&[
        "hunt",
        "-r",
        s(&rules),
        "--min-level",
        "critical",
        "--fail-on-match",
        s(&events),
    ]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn refused_rules_are_reported_with_the_reason() {
    let (_d, rules, events) = setup();
    std::fs::write(rules.join("bad.yml"), RULE_BAD).unwrap();
    let o = saker(&["hunt", "-r", s(&rules), "--format", "csv", s(&events)]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1 refused"), "{err}");
    assert!(err.contains("unknown modifier `nosuchmodifier`"), "{err}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("rule_id,rule_title,level,tags,@timestamp"),
        "{out}"
    );
}

#[test]
fn unsupported_pipeline_transformation_is_an_error() {
    let (d, rules, events) = setup();
    let p = d.path().join("p.yml");
    std::fs::write(&p, "transformations:\n- type: replace_string\n").unwrap();
    let o = saker(&["hunt", "-r", s(&rules), "--pipeline", s(&p), s(&events)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("replace_string"));
}

#[test]
fn regression_evtx_through_the_cli() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigma");
    let case =
        root.join("regression_data/rules/windows/process_creation/proc_creation_win_cmdkey_recon");
    if !case.is_dir() {
        println!("skipped: corpus absent");
        return;
    }
    let rule = root.join("rules/rules/windows/process_creation/proc_creation_win_cmdkey_recon.yml");
    let evtx = case.join("07f8bdc2-c9b3-472a-9817-5a670b872f53.evtx");
    let o = saker(&["hunt", "-r", s(&rule), "--format", "ndjson", s(&evtx)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = lines(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["rule_id"], "07f8bdc2-c9b3-472a-9817-5a670b872f53");
    assert_eq!(rows[0]["EventID"], "1");
}
