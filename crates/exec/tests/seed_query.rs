//! The T1588.004 seed query, verbatim, over generated FDR-shaped NDJSON with planted certificate
//! store writes, read through the falcon profile and the raw-line prefilter. The expected rows come
//! from an independent evaluation written here in plain Rust (no engine code).
//!
//! Semantics pinned (FINDINGS.md §2; <https://library.humio.com/data-analysis/syntax-operators.html>,
//! <https://library.humio.com/data-analysis/functions-select.html>,
//! <https://library.humio.com/data-analysis/functions-sort.html>): `(?i)` inline flags; `not FileName
//! = …` keeps events without FileName; the `*` branch of `case` gives "Other"; `select()` omits
//! fields that do not exist (`_time`, `ParentProcessName`); `sort()` keeps 200 rows.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;

use saker_event::Event;
use saker_exec::{Options, Query, execute};
use saker_io::{Input, Profile, ReadOptions};
use serde_json::{Map, Value, json};

const SEED: &str = r#"#event_simpleName = /^(AsepValueUpdate|RegGenericValueUpdate)$/
| RegObjectName = /(?i)SOFTWARE\\(Microsoft\\SystemCertificates\\(Root|CA)\\Certificates|Policies\\Microsoft\\SystemCertificates\\(Root|CA))/
| not FileName = /(?i)^(svchost\.exe|lsass\.exe|wuauclt\.exe|TrustedInstaller\.exe|MicrosoftEdgeUpdate\.exe|MsMpEng\.exe|SgrmBroker\.exe)$/
| case {
    RegObjectName = /(?i)Root\\Certificates/ | StoreType := "Trusted Root CA";
    RegObjectName = /(?i)CA\\Certificates/   | StoreType := "Intermediate CA";
    *                                         | StoreType := "Other"
  }
| select([_time, ComputerName, UserName, #event_simpleName, StoreType, RegObjectName, FileName, CommandLine, ParentProcessName])
| sort(field=_time, order=desc)"#;

/// Deterministic generator (64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const HIVES: &[&str] = &[
    "\\REGISTRY\\MACHINE\\",
    "\\REGISTRY\\USER\\S-1-5-21-1004336348-1177238915-682003330-1001\\",
];

/// Paths the query must match, and the StoreType an independent reading gives each.
const PLANTED: &[&str] = &[
    "SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\A1B2C3",
    "SOFTWARE\\Microsoft\\SystemCertificates\\Root\\Certificates\\D4E5F6\\Blob",
    "SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates\\778899",
    "Software\\Microsoft\\SystemCertificates\\ca\\certificates\\ABCDEF",
    "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates\\0102",
    "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\CA\\Certificates\\0304",
    // The policy key itself: matches line 2 but neither Root\Certificates nor CA\Certificates.
    "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root",
    "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\CA\\CRLs",
];

/// Near misses: no path here may match.
const NEAR_MISS: &[&str] = &[
    "SOFTWARE\\Microsoft\\SystemCertificates\\Disallowed\\Certificates\\AA",
    "SOFTWARE\\Microsoft\\SystemCertificate\\Root\\Certificates\\BB",
    "SOFTWARE\\Microsoft\\SystemCertificates\\TrustedPeople\\Certificates\\CC",
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
    "SOFTWARE/Microsoft/SystemCertificates/Root/Certificates/DD",
];

const WRITERS: &[Option<&str>] = &[
    None,
    None,
    Some("certutil.exe"),
    Some("powershell.exe"),
    Some("svchost.exe"),
    Some("SVCHOST.EXE"),
    Some("lsass.exe"),
    Some("MsMpEng.exe"),
    Some("svchost.exe.bak"),
];

fn generate(n: usize, plant_every: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let ts = 1_700_000_000_000u64 + i as u64 * 1000;
        let host = format!("WS-{:03}", rng.next() % 50);
        let mut ev = Map::new();
        ev.insert("timestamp".into(), json!(ts.to_string()));
        ev.insert("aid".into(), json!(format!("{:032x}", rng.next())));
        ev.insert("cid".into(), json!("0123456789abcdef0123456789abcdef"));
        ev.insert("event_platform".into(), json!("Win"));
        ev.insert("ComputerName".into(), json!(host));
        if i.is_multiple_of(plant_every) {
            let kind = rng.pick(&["RegGenericValueUpdate", "AsepValueUpdate"]);
            let path = format!("{}{}", rng.pick(HIVES), rng.pick(PLANTED));
            ev.insert("event_simpleName".into(), json!(kind));
            ev.insert("RegObjectName".into(), json!(path));
            ev.insert("RegValueName".into(), json!("Blob"));
            ev.insert(
                "ContextProcessId".into(),
                json!((rng.next() % 100000).to_string()),
            );
            if let Some(f) = WRITERS[(rng.next() as usize) % WRITERS.len()] {
                ev.insert("FileName".into(), json!(f));
                ev.insert(
                    "CommandLine".into(),
                    json!(format!("{f} -addstore Root x.cer")),
                );
            }
            if rng.next().is_multiple_of(3) {
                ev.insert("UserName".into(), json!("CORP\\alice"));
            }
        } else {
            match rng.next() % 4 {
                0 => {
                    ev.insert("event_simpleName".into(), json!("RegGenericValueUpdate"));
                    let path = format!("{}{}", rng.pick(HIVES), rng.pick(NEAR_MISS));
                    ev.insert("RegObjectName".into(), json!(path));
                }
                1 => {
                    // Right path, wrong event type.
                    ev.insert("event_simpleName".into(), json!("ProcessRollup2"));
                    ev.insert(
                        "RegObjectName".into(),
                        json!("\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\Root\\Certificates\\EE"),
                    );
                    ev.insert("FileName".into(), json!("certutil.exe"));
                    ev.insert(
                        "CommandLine".into(),
                        json!("certutil -addstore \"Root\" C:\\Users\\x\\ca.cer"),
                    );
                }
                2 => {
                    ev.insert("event_simpleName".into(), json!("DnsRequest"));
                    ev.insert("DomainName".into(), json!("example.org"));
                }
                _ => {
                    ev.insert("event_simpleName".into(), json!("NetworkConnectIP4"));
                    ev.insert("RemoteAddressIP4".into(), json!("192.0.2.7"));
                }
            }
        }
        out.push(Value::Object(ev));
    }
    out
}

/// The expected row of one event, evaluated without the engine.
fn expected_row(ev: &Value) -> Option<BTreeMap<String, String>> {
    let get = |k: &str| ev.get(k).and_then(Value::as_str);
    let name = get("event_simpleName")?;
    if name != "AsepValueUpdate" && name != "RegGenericValueUpdate" {
        return None;
    }
    let path = get("RegObjectName")?;
    let lower = path.to_ascii_lowercase();
    let stores = [
        "software\\microsoft\\systemcertificates\\root\\certificates",
        "software\\microsoft\\systemcertificates\\ca\\certificates",
        "software\\policies\\microsoft\\systemcertificates\\root",
        "software\\policies\\microsoft\\systemcertificates\\ca",
    ];
    if !stores.iter().any(|s| lower.contains(s)) {
        return None;
    }
    let allowed = [
        "svchost.exe",
        "lsass.exe",
        "wuauclt.exe",
        "trustedinstaller.exe",
        "microsoftedgeupdate.exe",
        "msmpeng.exe",
        "sgrmbroker.exe",
    ];
    if let Some(f) = get("FileName")
        && allowed.contains(&f.to_ascii_lowercase().as_str())
    {
        return None;
    }
    let store = if lower.contains("root\\certificates") {
        "Trusted Root CA"
    } else if lower.contains("ca\\certificates") {
        "Intermediate CA"
    } else {
        "Other"
    };
    let mut row = BTreeMap::new();
    for (k, v) in [
        ("ComputerName", get("ComputerName")),
        ("UserName", get("UserName")),
        ("#event_simpleName", Some(name)),
        ("StoreType", Some(store)),
        ("RegObjectName", Some(path)),
        ("FileName", get("FileName")),
        ("CommandLine", get("CommandLine")),
    ] {
        if let Some(v) = v {
            row.insert(k.to_owned(), v.to_owned());
        }
    }
    Some(row)
}

fn run_seed(events: &[Value], name: &str) -> Vec<Event> {
    let path: PathBuf =
        std::env::temp_dir().join(format!("saker-seed-{}-{name}.ndjson", std::process::id()));
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(&path, text).expect("write fixture");
    let plan = saker_cql::compile(SEED, &Default::default()).expect("seed query compiles");
    let q = Query::compile(&plan, &Options::default()).expect("engine compiles");
    assert!(
        q.prefilter().is_some(),
        "the seed query has required literals"
    );
    let read = ReadOptions {
        profile: Some(Profile::Falcon),
        ..ReadOptions::default()
    };
    let mut rows = Vec::new();
    execute(
        &q,
        &[Input::path(&path)],
        &read,
        |r| {
            rows.push(r);
            ControlFlow::Continue(())
        },
        |m| panic!("malformed: {m}"),
    )
    .expect("run");
    let _ = std::fs::remove_file(&path);
    rows
}

fn as_map(e: &Event) -> BTreeMap<String, String> {
    e.iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
        .collect()
}

const ORDER: [&str; 7] = [
    "ComputerName",
    "UserName",
    "#event_simpleName",
    "StoreType",
    "RegObjectName",
    "FileName",
    "CommandLine",
];

#[test]
fn seed_query_matches_independent_evaluation() {
    let events = generate(3000, 20, 7);
    let expected: Vec<_> = events.iter().filter_map(expected_row).collect();
    assert!(
        expected.len() > 50 && expected.len() < 200,
        "{}",
        expected.len()
    );
    for store in ["Trusted Root CA", "Intermediate CA", "Other"] {
        assert!(
            expected.iter().any(|r| r["StoreType"] == store),
            "fixture plants {store}"
        );
    }
    assert!(expected.iter().any(|r| !r.contains_key("FileName")));
    assert!(expected.iter().any(|r| r.contains_key("FileName")));
    let rows = run_seed(&events, "small");
    let actual: Vec<_> = rows.iter().map(as_map).collect();
    // No time column: `_time` does not exist; neither does ParentProcessName.
    for r in &rows {
        assert!(r.get_by_name("_time").is_none());
        assert!(r.get_by_name("ParentProcessName").is_none());
        assert!(r.get_by_name("@timestamp").is_none());
        assert!(r.get_by_name("RegValueName").is_none());
        let names: Vec<&str> = r.iter().map(|(k, _)| k.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| ORDER.iter().position(|o| o == n));
        assert_eq!(names, sorted, "select() order");
    }
    // Sorting on a field no event has keeps input order, which is the generation order.
    assert_eq!(actual, expected);
}

#[test]
fn seed_query_cuts_at_200_rows() {
    let events = generate(4000, 5, 11);
    let expected: Vec<_> = events.iter().filter_map(expected_row).collect();
    assert!(expected.len() > 200, "{}", expected.len());
    let rows = run_seed(&events, "large");
    assert_eq!(rows.len(), 200, "sort() defaults to limit=200");
    let actual: Vec<_> = rows.iter().map(as_map).collect();
    assert_eq!(actual[..], expected[..200]);
}
