//! Golden tests: every rule under `tests/golden/rules` converted to CQL, KQL, SPL and ES|QL and
//! compared with the checked-in expectations in `tests/golden/expected/<rule>.<lang>` (a refusal
//! is expected as `REFUSED: reason`). Set `SAKER_UPDATE_GOLDEN=1` to rewrite the expectations,
//! then review the diff.

use std::path::{Path, PathBuf};

use saker_emit::{Options, Target};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn load_rules() -> Vec<(String, saker_plan::Plan)> {
    let dir = golden_dir().join("rules");
    let mut placeholders = saker_sigma::Placeholders::new();
    placeholders.insert("admins".into(), vec!["Administrator".into(), "adm*".into()]);
    let opts = saker_sigma::Options {
        target: saker_sigma::Target::Raw,
        pipelines: Vec::new(),
        placeholders,
    };
    let set = saker_sigma::load(&[dir], &opts);
    assert!(
        set.refused.is_empty(),
        "golden rules must load: {:?}",
        set.refused
            .iter()
            .map(|r| format!("{}: {}", r.path.display(), r.diagnostic.message))
            .collect::<Vec<_>>()
    );
    set.rules
        .iter()
        .map(|r| {
            let stem = r
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (stem, r.plan.clone())
        })
        .collect()
}

#[test]
fn conversions_match_the_checked_in_expectations() {
    let rules = load_rules();
    assert!(rules.len() >= 30, "only {} golden rules", rules.len());
    let update = std::env::var_os("SAKER_UPDATE_GOLDEN").is_some();
    let expected_dir = golden_dir().join("expected");
    let mut mismatches = Vec::new();
    for (name, plan) in &rules {
        for target in Target::ALL {
            let got = match saker_emit::convert(plan, target, &Options::default()) {
                Ok(c) => {
                    let mut s = c.text;
                    for cv in c.caveats {
                        s.push_str(&format!("\n{}", target.comment(&format!("caveat: {cv}"))));
                    }
                    s
                }
                Err(r) => format!("REFUSED: {}", r.reason),
            };
            let file = expected_dir.join(format!("{name}.{}", target.name()));
            if update {
                std::fs::create_dir_all(&expected_dir).unwrap_or_else(|e| panic!("{e}"));
                std::fs::write(&file, format!("{got}\n")).unwrap_or_else(|e| panic!("{e}"));
                continue;
            }
            let want = std::fs::read_to_string(&file).unwrap_or_else(|e| {
                panic!("{}: {e} (run with SAKER_UPDATE_GOLDEN=1)", file.display())
            });
            if want.trim_end_matches('\n') != got {
                mismatches.push(format!(
                    "{}:\n--- expected\n{}\n--- got\n{got}",
                    file.display(),
                    want.trim_end()
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}
