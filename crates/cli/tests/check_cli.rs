//! `saker check` over CQL, Sigma rules and detection packs together.

use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn saker() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saker"));
    c.current_dir(workspace());
    c
}

#[test]
fn detections_folder_is_clean() {
    let out = saker()
        .args(["check", "--format", "json", "detections"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = records.as_array().unwrap();
    let loud: Vec<_> = records.iter().filter(|r| r["severity"] != "note").collect();
    assert!(loud.is_empty(), "warnings or errors: {loud:#?}");
    // The verbatim seed query's flaws are still reported, as acknowledged notes.
    assert!(
        records
            .iter()
            .any(|r| r["code"] == "CQL-L001" && r["file"].as_str().unwrap().ends_with("query.cql"))
    );
}

#[test]
fn broken_sigma_rule_is_an_error() {
    let dir = std::env::temp_dir().join(format!("saker-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rule = dir.join("bad.yml");
    std::fs::write(
        &rule,
        "title: bad\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|nosuchmodifier: x\n  condition: sel\n",
    )
    .unwrap();
    let out = saker()
        .args(["check", "--format", "json"])
        .arg(&rule)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        records
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["severity"] == "error"),
        "{records}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
