//! ATT&CK coverage: techniques named by pack manifests and by Sigma rule tags, and the ATT&CK
//! Navigator layer (format 4.5) that shows them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use crate::manifest::{is_subtechnique_id, is_technique_id};
use crate::pack::{self, MANIFEST, TESTS_DIR};

/// A Sigma rule that tags a technique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRef {
    pub path: PathBuf,
    pub title: String,
    pub id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TechniqueCoverage {
    /// `T1588` or `T1588.004`.
    pub id: String,
    /// The name a pack manifest gives it, if any.
    pub name: Option<String>,
    /// Ids of the packs that name it (primary or related technique).
    pub packs: Vec<String>,
    pub rules: Vec<RuleRef>,
}

impl TechniqueCoverage {
    /// How many detections cover the technique (the Navigator score).
    pub fn score(&self) -> usize {
        self.packs.len() + self.rules.len()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Sorted by technique id.
    pub techniques: Vec<TechniqueCoverage>,
    pub packs: usize,
    pub rules: usize,
    /// Files that could not be read as packs or rules, with the reason.
    pub problems: Vec<(PathBuf, String)>,
}

/// Coverage of the packs and Sigma rules at or under `paths`.
pub fn coverage(paths: &[PathBuf]) -> std::io::Result<Coverage> {
    let mut by_id: BTreeMap<String, TechniqueCoverage> = BTreeMap::new();
    let mut cov = Coverage::default();
    let pack_dirs = pack::find_packs(paths)?;
    for dir in &pack_dirs {
        match pack::load_pack(dir) {
            Err(e) => cov.problems.push((dir.join(MANIFEST), e.to_string())),
            Ok(p) => {
                cov.packs += 1;
                let a = &p.manifest.attack;
                let named = a
                    .subtechnique
                    .iter()
                    .chain(a.technique.iter().filter(|_| a.subtechnique.is_none()));
                for r in named.chain(a.related.iter()) {
                    let entry = by_id
                        .entry(r.id.clone())
                        .or_insert_with(|| TechniqueCoverage {
                            id: r.id.clone(),
                            ..Default::default()
                        });
                    if entry.name.is_none() && !r.name.is_empty() {
                        entry.name = Some(r.name.clone());
                    }
                    if !entry.packs.contains(&p.label()) {
                        entry.packs.push(p.label());
                    }
                }
            }
        }
    }
    for path in sigma_files(paths, &pack_dirs)? {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                cov.problems.push((path, e.to_string()));
                continue;
            }
        };
        let docs = match saker_sigma::yaml::parse_documents(&text) {
            Ok(d) => d,
            Err(e) => {
                cov.problems
                    .push((path, format!("invalid YAML: {}", e.message)));
                continue;
            }
        };
        for doc in docs.iter().filter(|d| is_sigma_rule(d)) {
            cov.rules += 1;
            let rule = RuleRef {
                path: path.clone(),
                title: doc
                    .get("title")
                    .and_then(|n| n.as_scalar_text())
                    .unwrap_or_default(),
                id: doc.get("id").and_then(|n| n.as_scalar_text()),
            };
            let tags = doc
                .get("tags")
                .and_then(|n| n.as_str_list())
                .unwrap_or_default();
            for id in tags.iter().filter_map(|t| technique_of_tag(t)) {
                let entry = by_id
                    .entry(id.clone())
                    .or_insert_with(|| TechniqueCoverage {
                        id,
                        ..Default::default()
                    });
                if !entry.rules.contains(&rule) {
                    entry.rules.push(rule.clone());
                }
            }
        }
    }
    cov.techniques = by_id.into_values().collect();
    Ok(cov)
}

fn is_sigma_rule(doc: &saker_sigma::yaml::Node) -> bool {
    doc.get("title").is_some()
        && (doc.get("detection").is_some() || doc.get("correlation").is_some())
}

/// `attack.t1588.004` → `T1588.004`; other tags (tactics, groups, software, cars) → `None`.
pub fn technique_of_tag(tag: &str) -> Option<String> {
    let rest = tag.trim().strip_prefix("attack.")?;
    let id = rest.to_ascii_uppercase();
    (is_technique_id(&id) || is_subtechnique_id(&id)).then_some(id)
}

/// Sigma rule files under `paths`: `*.yml`/`*.yaml` except pack manifests and pack test files.
fn sigma_files(paths: &[PathBuf], pack_dirs: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else {
            out.extend(pack::files_with_ext(p, &["yml", "yaml"], true)?);
        }
    }
    let test_dirs: Vec<PathBuf> = pack_dirs.iter().map(|d| d.join(TESTS_DIR)).collect();
    out.retain(|f| {
        f.file_name().is_none_or(|n| n != MANIFEST) && !test_dirs.iter().any(|t| f.starts_with(t))
    });
    out.sort();
    out.dedup();
    Ok(out)
}

pub const LAYER_VERSION: &str = "4.5";
pub const NAVIGATOR_VERSION: &str = "5.2.0";
pub const ATTACK_VERSION: &str = "18";

/// The Navigator layer (format 4.5) of `cov`: one technique entry per covered technique, scored by
/// the number of detections that cover it.
pub fn navigator_layer(cov: &Coverage, name: &str) -> Json {
    let max = cov
        .techniques
        .iter()
        .map(TechniqueCoverage::score)
        .max()
        .unwrap_or(1)
        .max(1);
    let techniques: Vec<Json> = cov
        .techniques
        .iter()
        .map(|t| {
            let mut parts = Vec::new();
            if !t.packs.is_empty() {
                parts.push(format!("packs: {}", t.packs.join(", ")));
            }
            if !t.rules.is_empty() {
                let titles: Vec<&str> = t.rules.iter().map(|r| r.title.as_str()).collect();
                parts.push(format!("sigma: {}", titles.join("; ")));
            }
            json!({
                "techniqueID": t.id,
                "score": t.score(),
                "color": "",
                "comment": parts.join(" | "),
                "enabled": true,
                "showSubtechniques": false,
            })
        })
        .collect();
    json!({
        "name": name,
        "versions": {"attack": ATTACK_VERSION, "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": "enterprise-attack",
        "description": format!(
            "Techniques covered by {} detection pack(s) and {} Sigma rule(s); score = number of detections",
            cov.packs, cov.rules
        ),
        "sorting": 3,
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#ffffff", "#66b1ff"], "minValue": 0, "maxValue": max},
        "legendItems": [],
        "metadata": [],
        "links": [],
        "showTacticRowBackground": false,
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
    })
}

/// Problems of `layer` against the layer format 4.5 specification (mitre-attack/attack-navigator,
/// `layers/spec/v4.5/layerformat.md`): required fields, their types and allowed values.
pub fn validate_layer(layer: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(obj) = layer.as_object() else {
        return vec!["a layer must be a JSON object".into()];
    };
    if !obj.get("name").is_some_and(Json::is_string) {
        problems.push("`name` (string) is required".into());
    }
    match obj.get("domain").and_then(Json::as_str) {
        Some("enterprise-attack" | "mobile-attack" | "ics-attack") => {}
        _ => {
            problems.push("`domain` must be enterprise-attack, mobile-attack or ics-attack".into())
        }
    }
    if let Some(v) = obj.get("versions") {
        if v.get("layer").and_then(Json::as_str) != Some(LAYER_VERSION) {
            problems.push("`versions.layer` must be \"4.5\"".into());
        }
        match v.get("navigator").and_then(Json::as_str) {
            Some(n) if version_at_least(n, &[4, 9, 0]) => {}
            _ => {
                problems.push("`versions.navigator` is required and must be at least 4.9.0".into())
            }
        }
        if v.get("attack").is_some_and(|a| !a.is_string()) {
            problems.push("`versions.attack` must be a string".into());
        }
    }
    if let Some(ts) = obj.get("techniques") {
        let Some(ts) = ts.as_array() else {
            problems.push("`techniques` must be an array".into());
            return problems;
        };
        for (i, t) in ts.iter().enumerate() {
            match t.get("techniqueID").and_then(Json::as_str) {
                Some(id) if is_technique_id(id) || is_subtechnique_id(id) => {}
                _ => problems.push(format!(
                    "techniques[{i}].techniqueID must be T#### or T####.###"
                )),
            }
            if t.get("score").is_some_and(|s| !s.is_number()) {
                problems.push(format!("techniques[{i}].score must be a number"));
            }
            for key in ["comment", "color", "tactic"] {
                if t.get(key).is_some_and(|s| !s.is_string()) {
                    problems.push(format!("techniques[{i}].{key} must be a string"));
                }
            }
            for key in ["enabled", "showSubtechniques"] {
                if t.get(key).is_some_and(|s| !s.is_boolean()) {
                    problems.push(format!("techniques[{i}].{key} must be a boolean"));
                }
            }
        }
    }
    if let Some(g) = obj.get("gradient") {
        let colors = g.get("colors").and_then(Json::as_array).map_or(0, Vec::len);
        if colors < 2 {
            problems.push("`gradient.colors` needs at least two colours".into());
        }
        match (
            g.get("minValue").and_then(Json::as_f64),
            g.get("maxValue").and_then(Json::as_f64),
        ) {
            (Some(lo), Some(hi)) if hi > lo => {}
            _ => problems.push(
                "`gradient.minValue` and `maxValue` are required numbers with maxValue > minValue"
                    .into(),
            ),
        }
    }
    if let Some(items) = obj.get("legendItems").and_then(Json::as_array) {
        for (i, it) in items.iter().enumerate() {
            if !it.get("label").is_some_and(Json::is_string)
                || !it.get("color").is_some_and(Json::is_string)
            {
                problems.push(format!(
                    "legendItems[{i}] needs `label` and `color` strings"
                ));
            }
        }
    }
    problems
}

fn version_at_least(v: &str, min: &[u64]) -> bool {
    let parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    for (i, m) in min.iter().enumerate() {
        let p = parts.get(i).copied().unwrap_or(0);
        if p != *m {
            return p > *m;
        }
    }
    true
}

/// Convenience for callers holding a single path.
pub fn coverage_of(path: &Path) -> std::io::Result<Coverage> {
    coverage(&[path.to_path_buf()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_tags_are_recognised() {
        assert_eq!(
            technique_of_tag("attack.t1588.004").as_deref(),
            Some("T1588.004")
        );
        assert_eq!(technique_of_tag("attack.t1105").as_deref(), Some("T1105"));
        assert_eq!(technique_of_tag("attack.resource-development"), None);
        assert_eq!(technique_of_tag("attack.g0032"), None);
        assert_eq!(technique_of_tag("cve.2021-1675"), None);
    }

    #[test]
    fn navigator_versions_compare_numerically() {
        assert!(version_at_least("5.2.0", &[4, 9, 0]));
        assert!(version_at_least("4.10", &[4, 9, 0]));
        assert!(!version_at_least("4.8.2", &[4, 9, 0]));
    }

    #[test]
    fn the_generated_layer_meets_the_format() {
        let cov = Coverage {
            techniques: vec![TechniqueCoverage {
                id: "T1588.004".into(),
                packs: vec!["T1588.004".into()],
                ..Default::default()
            }],
            packs: 1,
            rules: 0,
            problems: Vec::new(),
        };
        let layer = navigator_layer(&cov, "x");
        assert_eq!(validate_layer(&layer), Vec::<String>::new());
        assert_eq!(layer["techniques"][0]["score"], 1);
    }

    #[test]
    fn validation_catches_missing_and_wrong_fields() {
        let bad = json!({"versions": {"layer": "4.4"}, "domain": "enterprise", "techniques": [{"techniqueID": "1588"}]});
        let problems = validate_layer(&bad);
        assert_eq!(problems.len(), 5, "{problems:?}");
    }
}
