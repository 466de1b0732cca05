//! SigmaHQ regression data: each `info.yml` names a rule and an EVTX file; running that rule
//! alone on that file must give at least `match_count` hits (at least one when absent), exactly
//! `match_count` where the data allows. At least 99 % of the tests pass.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use saker_event::Event;
use saker_hunt::Hunt;
use saker_io::{Input, ReadOptions};
use saker_sigma::yaml::{Node, parse_documents};
use saker_sigma::{CompiledRule, Options, RuleSet, load};

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigma");
    p.join("regression_data").is_dir().then_some(p)
}

fn info_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            info_files(&p, out);
        } else if p.file_name().is_some_and(|n| n == "info.yml") {
            out.push(p);
        }
    }
}

struct Case {
    info: PathBuf,
    rule_id: String,
    evtx: PathBuf,
    match_count: Option<u64>,
}

fn read_case(info: &Path, sigma_root: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(info).map_err(|e| e.to_string())?;
    let docs = parse_documents(&text).map_err(|e| e.message)?;
    let doc = docs.first().ok_or("empty info.yml")?;
    let rule_id = doc
        .get("rule_metadata")
        .and_then(Node::as_seq)
        .and_then(|s| s.first())
        .and_then(|m| m.get("id"))
        .and_then(Node::as_scalar_text)
        .ok_or("no rule_metadata id")?;
    let test = doc
        .get("regression_tests_info")
        .and_then(Node::as_seq)
        .and_then(|s| s.first())
        .ok_or("no regression_tests_info")?;
    let rel = test
        .get("path")
        .and_then(Node::as_scalar_text)
        .ok_or("no path")?;
    let match_count = test
        .get("match_count")
        .and_then(Node::as_scalar_text)
        .and_then(|t| t.parse().ok());
    Ok(Case {
        info: info.to_owned(),
        rule_id,
        evtx: sigma_root.join(rel),
        match_count,
    })
}

fn count_hits(rule: &CompiledRule, evtx: &Path) -> Result<u64, String> {
    let set = RuleSet {
        rules: vec![rule.clone()],
        ..RuleSet::default()
    };
    let (hunt, errors) = Hunt::new(&set, &|_| true);
    if let Some((_, e)) = errors.first() {
        return Err(format!("not evaluable: {e}"));
    }
    let mut events: Vec<Event> = Vec::new();
    let mut bad = 0;
    saker_io::read_input(
        &Input::path(evtx),
        &ReadOptions::default(),
        &mut |e| {
            events.push(e);
            ControlFlow::Continue(())
        },
        &mut |_| bad += 1,
    )
    .map_err(|e| e.to_string())?;
    Ok(hunt.scan(&events).hits.len() as u64)
}

#[test]
fn sigmahq_regression_data() {
    let Some(root) = shared() else {
        println!("skipped: corpus absent");
        return;
    };
    let set = load(&[root.join("rules")], &Options::default());
    let by_id: HashMap<&str, &CompiledRule> = set
        .rules
        .iter()
        .filter_map(|r| Some((r.meta.id.as_deref()?, r)))
        .collect();
    let mut infos = Vec::new();
    info_files(&root.join("regression_data"), &mut infos);
    let (mut pass, mut exact, mut failures) = (0usize, 0usize, Vec::new());
    let mut without_test = 0usize;
    for info in &infos {
        let case = match read_case(info, &root) {
            Ok(c) => c,
            // The test entry is commented out in the data (e.g. a `raw` test not yet written).
            Err(e) if e == "no regression_tests_info" => {
                println!("no test in {}", info.display());
                without_test += 1;
                continue;
            }
            Err(e) => {
                failures.push(format!("{}: {e}", info.display()));
                continue;
            }
        };
        let Some(rule) = by_id.get(case.rule_id.as_str()) else {
            let refused = set
                .refused
                .iter()
                .find(|r| r.id.as_deref() == Some(case.rule_id.as_str()))
                .map(|r| r.diagnostic.message.clone())
                .unwrap_or_else(|| "rule not found".into());
            failures.push(format!(
                "{}: rule {}: {refused}",
                case.info.display(),
                case.rule_id
            ));
            continue;
        };
        match count_hits(rule, &case.evtx) {
            Ok(n) => {
                let want = case.match_count.unwrap_or(1);
                if n >= want {
                    pass += 1;
                    if case.match_count.is_none_or(|m| m == n) {
                        exact += 1;
                    } else {
                        println!(
                            "over-count {}: {n} hits, match_count {want}",
                            case.info.display()
                        );
                    }
                } else {
                    failures.push(format!(
                        "{}: {} hits, expected {want} ({})",
                        case.info.display(),
                        n,
                        rule.meta.title
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.info.display())),
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    let total = infos.len() - without_test;
    println!(
        "{pass} passed, {} failed ({exact} exact) of {total} regression tests",
        failures.len()
    );
    assert!(
        total >= 200,
        "expected the SigmaHQ regression data, found {total} tests"
    );
    assert!(pass * 100 >= total * 99, "only {pass} of {total} pass");
}
