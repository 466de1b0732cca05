//! Packs end to end: the runner with a fake engine (gaps, failures, bad fixtures), `check_pack`
//! diagnostics, and the flagship pack's manifest, test balance and verbatim seed query.

use std::path::{Path, PathBuf};

use saker_detect::diags::{DUPLICATE_ID, NO_NEGATIVE_TEST, NO_POSITIVE_TEST};
use saker_detect::{Engine, check_pack, check_packs, load_pack, run_pack};
use saker_event::Event;

/// CQL: a query `FIELD=VALUE` keeps the events whose FIELD equals VALUE. Sigma: the rule file's
/// first line `match: FIELD=VALUE` does the same.
struct FakeEngine;

fn filter(spec: &str, events: &[Event]) -> Result<Vec<Event>, String> {
    let (field, value) = spec
        .trim()
        .split_once('=')
        .ok_or("fake query must be FIELD=VALUE")?;
    Ok(events
        .iter()
        .filter(|e| e.get_by_name(field) == Some(value))
        .cloned()
        .collect())
}

impl Engine for FakeEngine {
    fn run_cql(&self, query: &str, events: &[Event]) -> Result<Vec<Event>, String> {
        filter(query, events)
    }

    fn run_sigma(
        &self,
        rule_path: &Path,
        _target: Option<&str>,
        events: &[Event],
    ) -> Result<Vec<Event>, String> {
        let text = std::fs::read_to_string(rule_path).map_err(|e| e.to_string())?;
        let first = text.lines().next().unwrap_or_default();
        filter(first.trim_start_matches("match:"), events)
    }
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

const MANIFEST: &str = "id: X1\ntitle: t\ndescription: d\nattack:\n  tactic: {id: TA0042, name: Resource Development}\n  technique: {id: T1588, name: Obtain Capabilities}\nseverity: low\nconfidence: low\nstatus: experimental\ndata_sources:\n  - {name: generic, profile: generic, event_types: [any]}\nfalse_positives: [none]\nreferences: [https://attack.mitre.org/techniques/T1588/]\n";

fn fake_pack() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write(&p.join("detection.yml"), MANIFEST);
    write(&p.join("query.cql"), "user=alice\n");
    write(&p.join("narrow.cql"), "user=nobody\n");
    write(&p.join("sigma/r.yml"), "match: user=bob\n");
    write(&p.join("notes.md"), "# n\n```cql\nuser=bob\n```\n");
    write(
        &p.join("tests/in.ndjson"),
        "{\"user\":\"alice\",\"n\":\"1\"}\n{\"user\":\"bob\",\"n\":\"2\"}\n",
    );
    let test = |name: &str, body: &str| {
        write(
            &p.join(format!("tests/{name}.yml")),
            &format!("description: d\ninput: in.ndjson\nprofile: generic\n{body}"),
        );
    };
    test(
        "a-rows",
        "run: query.cql\nexpect:\n  rows:\n    - {user: alice, n: \"1\", missing: null}\n",
    );
    test(
        "b-gap-holds",
        "run: query.cql\ngap_in: [narrow.cql]\nexpect: {count: 1}\n",
    );
    test(
        "c-gap-closed",
        "run: query.cql\ngap_in: [notes.md#1]\nexpect: {count: 1}\n",
    );
    test(
        "d-sigma-and-block",
        "run: [sigma/r.yml, notes.md#1]\nexpect:\n  rows: [{user: bob}]\n",
    );
    test("e-wrong", "run: query.cql\nexpect: none\n");
    dir
}

#[test]
fn the_runner_applies_expectations_and_gaps() {
    let dir = fake_pack();
    let pack = load_pack(dir.path()).expect("pack");
    let results = run_pack(&pack, &FakeEngine);
    let status: Vec<(String, bool)> = results
        .iter()
        .map(|r| (r.name.clone(), r.passed()))
        .collect();
    assert_eq!(
        status,
        vec![
            ("X1/a-rows".into(), true),
            ("X1/b-gap-holds".into(), true),
            ("X1/c-gap-closed".into(), false),
            ("X1/d-sigma-and-block".into(), true),
            ("X1/e-wrong".into(), false),
        ]
    );
    let closed = &results[2].failures[0];
    assert_eq!(closed.target, "notes.md#1");
    assert!(closed.message.starts_with("gap closed"), "{closed:?}");
    let wrong = &results[4].failures[0];
    assert_eq!(wrong.message, "expected no hit, got 1");
    assert_eq!(
        wrong.actual[0]
            .iter()
            .find(|(k, _)| k == "user")
            .map(|(_, v)| v.as_str()),
        Some("alice")
    );
}

#[test]
fn a_malformed_fixture_or_an_invalid_test_fails_the_test() {
    let dir = fake_pack();
    let p = dir.path();
    write(
        &p.join("tests/bad.ndjson"),
        "{\"user\":\"alice\"}\n{not json\n",
    );
    write(
        &p.join("tests/f-bad-input.yml"),
        "description: d\ninput: bad.ndjson\nprofile: generic\nrun: query.cql\nexpect: {count: 1}\n",
    );
    write(
        &p.join("tests/g-bad-spec.yml"),
        "description: d\ninput: in.ndjson\nrun: query.cql\nexpect: {count: many}\n",
    );
    let pack = load_pack(p).expect("pack");
    let results = run_pack(&pack, &FakeEngine);
    let bad_input = results
        .iter()
        .find(|r| r.name == "X1/f-bad-input")
        .expect("test");
    assert!(
        bad_input.failures[0].message.contains("malformed"),
        "{:?}",
        bad_input.failures
    );
    let bad_spec = results
        .iter()
        .find(|r| r.name == "X1/g-bad-spec")
        .expect("test");
    assert!(
        bad_spec.failures[0].message.starts_with("4:"),
        "{:?}",
        bad_spec.failures
    );
    assert!(
        bad_spec.failures[0].message.contains("PACK003"),
        "{:?}",
        bad_spec.failures
    );
}

#[test]
fn check_reports_targets_without_positive_or_negative_tests() {
    let dir = fake_pack();
    let diags = check_pack(dir.path());
    let found: Vec<(String, &str)> = diags
        .iter()
        .map(|(f, d)| {
            (
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                d.code,
            )
        })
        .collect();
    // query.cql: positive (a-rows) and negative (e-wrong). narrow.cql: only a gap target.
    // sigma/r.yml and notes.md#1: positive only.
    assert_eq!(
        found,
        vec![
            ("narrow.cql".to_owned(), NO_POSITIVE_TEST),
            ("narrow.cql".to_owned(), NO_NEGATIVE_TEST),
            ("notes.md".to_owned(), NO_NEGATIVE_TEST),
            ("r.yml".to_owned(), NO_NEGATIVE_TEST),
        ]
    );
    let block = diags
        .iter()
        .find(|(f, _)| f.ends_with("notes.md"))
        .expect("block diag");
    let md = std::fs::read_to_string(dir.path().join("notes.md")).expect("md");
    assert_eq!(&md[block.1.span.clone()], "user=bob\n");
}

#[test]
fn duplicate_pack_ids_are_reported_on_the_second_manifest() {
    let root = tempfile::tempdir().expect("tempdir");
    for name in ["a", "b"] {
        write(&root.path().join(name).join("detection.yml"), MANIFEST);
    }
    let diags = check_packs(&[root.path().to_path_buf()]).expect("check");
    let dup: Vec<_> = diags
        .iter()
        .filter(|(_, d)| d.code == DUPLICATE_ID)
        .collect();
    assert_eq!(dup.len(), 1);
    assert!(dup[0].0.starts_with(root.path().join("b")));
    let text = std::fs::read_to_string(&dup[0].0).expect("manifest");
    assert_eq!(&text[dup[0].1.span.clone()], "X1");
}

fn flagship() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../detections/T1588.004-cert-store-modification")
}

#[test]
fn the_flagship_pack_checks_clean() {
    let diags = check_pack(&flagship());
    let shown: Vec<String> = diags
        .iter()
        .map(|(f, d)| format!("{}: {} {}", f.display(), d.code, d.message))
        .collect();
    assert!(shown.is_empty(), "{shown:#?}");
}

#[test]
fn the_flagship_pack_covers_the_four_scenarios_and_false_positives() {
    let pack = load_pack(&flagship()).expect("pack");
    assert_eq!(
        pack.manifest.attack.primary().map(|r| r.id.as_str()),
        Some("T1588.004")
    );
    let specs: Vec<_> = pack.tests.iter().filter_map(|t| t.spec.as_ref()).collect();
    assert_eq!(specs.len(), pack.tests.len());
    assert!(specs.len() >= 20, "{} tests", specs.len());
    for scenario in ["1", "2", "3", "4"] {
        for telemetry in ["falcon", "mde"] {
            assert!(
                specs.iter().any(|s| s.scenario.as_deref() == Some(scenario)
                    && s.telemetry.as_deref() == Some(telemetry)),
                "scenario {scenario} has no {telemetry} test"
            );
        }
    }
    let sysmon_scenarios: Vec<&str> = specs
        .iter()
        .filter(|s| s.telemetry.as_deref() == Some("sysmon"))
        .filter_map(|s| s.scenario.as_deref())
        .collect();
    for scenario in ["1", "2", "3", "4"] {
        assert!(
            sysmon_scenarios.contains(&scenario),
            "scenario {scenario} has no Sysmon test"
        );
    }
    let fp = specs
        .iter()
        .filter(|s| s.scenario.as_deref() == Some("fp"))
        .count();
    assert!(fp >= 4, "{fp} false-positive tests");
    for s in &specs {
        let real = s
            .inputs
            .iter()
            .all(|p| !p.to_string_lossy().contains(".synthetic."));
        assert!(
            s.synthetic || real,
            "{} reads a synthetic fixture without `synthetic: true`",
            s.name
        );
    }
}

/// The seed's LogScale block, between the `cql` line and the severity line.
fn seed_query(seed: &str) -> Option<String> {
    let start = seed.lines().position(|l| l.trim() == "cql")?;
    let lines: Vec<&str> = seed
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.contains("severity"))
        .collect();
    Some(lines.join("\n"))
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn query_cql_is_the_seed_query_verbatim() {
    let seed_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seed/T1588.004-logscale-detection.txt");
    let Ok(seed) = std::fs::read_to_string(&seed_path) else {
        eprintln!("skipped: corpus absent");
        return;
    };
    let expected = seed_query(&seed).expect("seed has a cql block");
    let actual = std::fs::read_to_string(flagship().join("query.cql")).expect("query.cql");
    assert!(expected.contains("sort(field=_time, order=desc)"));
    assert_eq!(squash(&actual), squash(&expected));
}
