//! Locating the shared reference data (`../shared` beside the workspace).

#![allow(dead_code)]

use std::path::PathBuf;

pub fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.is_dir().then_some(p)
}

/// Every corpus query as (file name, text), sorted by name.
pub fn corpus() -> Option<Vec<(String, String)>> {
    let dir = shared()?.join("cql/corpus");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).ok()? {
        let path = e.ok()?.path();
        if path.extension().is_some_and(|x| x == "cql") {
            let name = path.file_name()?.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).ok()?;
            out.push((name, text));
        }
    }
    out.sort();
    Some(out)
}

/// File names marked SUSPECT (probably invalid as written) in the corpus SOURCES.md.
pub fn suspects() -> Vec<String> {
    let Some(dir) = shared() else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(dir.join("cql/corpus/SOURCES.md")).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("SUSPECT") && l.starts_with("| "))
        .filter_map(|l| l.split('|').nth(1).map(|s| s.trim().to_string()))
        .collect()
}
