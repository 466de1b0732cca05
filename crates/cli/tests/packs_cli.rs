//! `saker test` and `saker coverage` end to end: the shipped packs, a failing pack, JUnit and the
//! Navigator layer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .output()
        .expect("run saker")
}

fn detections() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../detections")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_shipped_packs_pass_with_one_junit_testcase_per_test() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("junit.xml");
    let out = saker(&[
        "test",
        detections().to_str().expect("utf-8 path"),
        "--junit",
        junit.to_str().expect("utf-8 path"),
    ]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flagship = text
        .lines()
        .filter(|l| l.starts_with("test T1588.004/"))
        .count();
    assert!(flagship >= 20, "{flagship} tests in the flagship pack");
    let total = text.lines().filter(|l| l.starts_with("test ")).count();
    assert_eq!(
        text.lines().last(),
        Some(format!("{total} passed, 0 failed").as_str())
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<testcase ").count(), total);
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

const MANIFEST: &str = "id: X1\ntitle: t\ndescription: d\nattack:\n  tactic: {id: TA0042, name: Resource Development}\n  technique: {id: T1588, name: Obtain Capabilities}\nseverity: low\nconfidence: low\nstatus: experimental\ndata_sources:\n  - {name: generic, profile: generic, event_types: [any]}\nfalse_positives: [none]\nreferences: [https://attack.mitre.org/techniques/T1588/]\n";

#[test]
fn a_failing_test_shows_expected_and_actual_rows_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("p");
    write(&pack.join("detection.yml"), MANIFEST);
    write(&pack.join("query.cql"), "user = alice\n");
    write(
        &pack.join("tests/in.ndjson"),
        "{\"user\":\"alice\",\"n\":\"1\"}\n{\"user\":\"bob\",\"n\":\"2\"}\n",
    );
    write(
        &pack.join("tests/wrong-row.yml"),
        "description: d\ninput: in.ndjson\nprofile: generic\nrun: query.cql\nexpect:\n  rows:\n    - {user: alice, n: \"2\"}\n",
    );
    write(
        &pack.join("tests/none.yml"),
        "description: d\ninput: in.ndjson\nprofile: generic\nrun: query.cql\nexpect: none\n",
    );
    let junit = dir.path().join("j.xml");
    let out = saker(&[
        "test",
        pack.to_str().expect("utf-8"),
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("test X1/wrong-row ... FAILED"), "{text}");
    assert!(
        text.contains("row 1: `n` expected \"2\", got \"1\""),
        "{text}"
    );
    assert!(
        text.contains("expected rows:") && text.contains("actual rows:"),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("0 passed, 2 failed"));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
}

#[test]
fn coverage_lists_pack_and_rule_techniques_and_writes_a_valid_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layer_path = dir.path().join("layer.json");
    let out = saker(&[
        "coverage",
        detections().to_str().expect("utf-8"),
        "--navigator",
        layer_path.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    for id in ["T1588.004", "T1553.004", "T1105", "T1552.004"] {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "{id} missing:\n{text}"
        );
    }
    let layer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&layer_path).expect("layer")).expect("json");
    assert_eq!(saker_detect::validate_layer(&layer), Vec::<String>::new());
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["domain"], "enterprise-attack");
    let ids: Vec<&str> = layer["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .filter_map(|t| t["techniqueID"].as_str())
        .collect();
    assert!(
        ids.contains(&"T1588.004") && ids.contains(&"T1105"),
        "{ids:?}"
    );
}
