//! The function catalogue covers every function SPEC.md §14 names (table and "other functions").

mod common;

use saker_plan::catalog;

/// `crypto:md5/sha1/sha256` → crypto:md5, crypto:sha1, crypto:sha256.
fn expand(entry: &str) -> Vec<String> {
    let entry = entry.trim().trim_matches('`');
    let mut out = Vec::new();
    let mut namespace = String::new();
    for part in entry.split('/') {
        let part = part.trim().trim_matches('`');
        if part.is_empty() || part.contains('*') || part.contains('…') || part.contains(' ') {
            continue;
        }
        if let Some((ns, _)) = part.split_once(':') {
            namespace = format!("{ns}:");
            out.push(part.to_string());
        } else {
            out.push(format!("{namespace}{part}"));
        }
    }
    out
}

#[test]
fn every_spec_function_is_catalogued() {
    let Some(shared) = common::shared() else {
        println!("skipped: corpus absent");
        return;
    };
    let spec = std::fs::read_to_string(shared.join("cql/SPEC.md")).unwrap_or_default();
    let section = spec.split("## 14.").nth(1).unwrap_or_default();
    let mut names = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| ")) {
        let first = line.split('|').nth(1).unwrap_or("").trim();
        if first == "function" || first.starts_with("---") || first.contains("statements") {
            continue;
        }
        for part in first.split(" / ") {
            names.extend(expand(part));
        }
    }
    let others = section
        .split("Other functions present in the corpus")
        .nth(1)
        .unwrap_or_default();
    for chunk in others.split('`').skip(1).step_by(2) {
        if chunk.contains('(') || chunk.contains('=') {
            continue;
        }
        names.extend(expand(chunk));
    }
    assert!(names.len() > 80, "parsed only {} names", names.len());
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| n.as_str() != "dedup" && n.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter(|n| catalog::lookup(n).is_none())
        .collect();
    assert!(missing.is_empty(), "not in the catalogue: {missing:?}");
    assert!(
        catalog::lookup("dedup").is_none(),
        "dedup does not exist in CQL"
    );
}

#[test]
fn unnamed_parameters_are_parameters() {
    for f in catalog::FUNCTIONS {
        if let Some(u) = f.unnamed {
            assert!(
                f.param(u).is_some(),
                "{}: unnamed `{u}` is not a parameter",
                f.name
            );
        }
        let mut seen = std::collections::HashSet::new();
        for p in f.params {
            assert!(
                seen.insert(p.name.to_ascii_lowercase()),
                "{}: `{}` twice",
                f.name,
                p.name
            );
        }
    }
}
