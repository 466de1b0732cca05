//! `detection.yml`: the pack manifest, and its validation.

use std::path::Path;

use saker_sigma::yaml::Node;

use crate::diags::{self, Diags, INVALID_VALUE, MISSING_FILE, MapReader};

pub const SEVERITIES: &[&str] = &["informational", "low", "medium", "high", "critical"];
pub const CONFIDENCES: &[&str] = &["low", "medium", "high"];
pub const STATUSES: &[&str] = &["experimental", "test", "stable", "deprecated"];
pub const PROFILES: &[&str] = &["falcon", "windows", "mde", "generic"];

/// An ATT&CK object named by the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttackRef {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Default)]
pub struct Attack {
    pub tactic: Option<AttackRef>,
    pub technique: Option<AttackRef>,
    pub subtechnique: Option<AttackRef>,
    pub related: Vec<AttackRef>,
}

impl Attack {
    /// The most specific technique the pack is about (sub-technique, else technique).
    pub fn primary(&self) -> Option<&AttackRef> {
        self.subtechnique.as_ref().or(self.technique.as_ref())
    }
}

#[derive(Clone, Debug)]
pub struct DataSource {
    pub name: String,
    pub profile: Option<String>,
    pub event_types: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct QueryEntry {
    pub file: String,
    pub title: Option<String>,
    /// Lint codes the pack acknowledges for this query (a verbatim query kept as a reference
    /// with its known flaws): `saker check` reports them as notes instead of warnings.
    pub known_findings: Vec<String>,
}

/// A validated (as far as possible) manifest. Fields the file lacks stay empty; the diagnostics say why.
#[derive(Clone, Debug, Default)]
pub struct Manifest {
    pub id: String,
    pub name: Option<String>,
    pub title: String,
    pub description: String,
    pub attack: Attack,
    pub severity: String,
    pub confidence: String,
    pub status: String,
    pub data_sources: Vec<DataSource>,
    pub queries: Vec<QueryEntry>,
    pub false_positives: Vec<String>,
    pub tuning: Vec<String>,
    pub references: Vec<String>,
}

/// Parses and validates `detection.yml` of the pack in `pack_dir`.
pub fn parse_manifest(text: &str, pack_dir: &Path, diags: &mut Diags) -> Manifest {
    let mut m = Manifest::default();
    let Some(root) = diags::parse_yaml(text, diags) else {
        return m;
    };
    let Some(mut map) = MapReader::new(&root, "detection.yml", diags) else {
        return m;
    };
    let what = "detection.yml";
    if let Some(n) = map.required("id", what, diags)
        && let Some(id) = diags::string(n, "`id`", diags)
    {
        if id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            m.id = id;
        } else {
            diags.error_help(
                INVALID_VALUE,
                format!(
                    "pack id `{id}` contains characters other than letters, digits, `.`, `_`, `-`"
                ),
                n.span.clone(),
                "the id prefixes test names (`ID/test`) and must be a single word",
            );
        }
    }
    if let Some(n) = map.get("name") {
        m.name = diags::string(n, "`name`", diags);
    }
    if let Some(n) = map.required("title", what, diags) {
        m.title = diags::string(n, "`title`", diags).unwrap_or_default();
    }
    if let Some(n) = map.required("description", what, diags) {
        m.description = diags::string(n, "`description`", diags).unwrap_or_default();
    }
    if let Some(n) = map.required("attack", what, diags) {
        m.attack = parse_attack(n, diags);
    }
    if let Some(n) = map.required("severity", what, diags) {
        m.severity = diags::one_of(n, "severity", SEVERITIES, diags).unwrap_or_default();
    }
    if let Some(n) = map.required("confidence", what, diags) {
        m.confidence = diags::one_of(n, "confidence", CONFIDENCES, diags).unwrap_or_default();
    }
    if let Some(n) = map.required("status", what, diags) {
        m.status = diags::one_of(n, "status", STATUSES, diags).unwrap_or_default();
    }
    if let Some(n) = map.get("author") {
        diags::string(n, "`author`", diags);
    }
    if let Some(n) = map.get("date")
        && let Some(d) = diags::string(n, "`date`", diags)
        && !is_iso_date(&d)
    {
        diags.error(
            INVALID_VALUE,
            format!("date `{d}` is not in the form YYYY-MM-DD"),
            n.span.clone(),
        );
    }
    if let Some(n) = map.required("data_sources", what, diags) {
        m.data_sources = parse_data_sources(n, diags);
    }
    if let Some(n) = map.get("queries") {
        m.queries = parse_queries(n, pack_dir, diags);
    }
    if let Some(n) = map.required("false_positives", what, diags) {
        m.false_positives = non_empty_strings(n, "`false_positives`", diags);
    }
    if let Some(n) = map.get("tuning") {
        m.tuning = diags::string_list(n, "`tuning`", false, diags)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
    }
    if let Some(n) = map.required("references", what, diags) {
        for (r, span) in diags::string_list(n, "`references`", false, diags) {
            if r.starts_with("https://") || r.starts_with("http://") {
                m.references.push(r);
            } else {
                diags.error(
                    INVALID_VALUE,
                    format!("reference `{r}` is not an http(s) URL"),
                    span,
                );
            }
        }
    }
    map.finish(what, diags);
    m
}

fn non_empty_strings(n: &Node, what: &str, diags: &mut Diags) -> Vec<String> {
    let items: Vec<String> = diags::string_list(n, what, false, diags)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    if items.is_empty() && n.as_seq().is_some() {
        diags.error(
            INVALID_VALUE,
            format!("{what} must list at least one entry"),
            n.span.clone(),
        );
    }
    items
}

fn parse_attack(node: &Node, diags: &mut Diags) -> Attack {
    let mut attack = Attack::default();
    let Some(mut map) = MapReader::new(node, "`attack`", diags) else {
        return attack;
    };
    if let Some(n) = map.required("tactic", "`attack`", diags) {
        attack.tactic = parse_ref(n, "`attack.tactic`", IdKind::Tactic, diags);
    }
    if let Some(n) = map.required("technique", "`attack`", diags) {
        attack.technique = parse_ref(n, "`attack.technique`", IdKind::Technique, diags);
    }
    if let Some(n) = map.get("subtechnique") {
        attack.subtechnique = parse_ref(n, "`attack.subtechnique`", IdKind::SubTechnique, diags);
        if let (Some(sub), Some(tech)) = (&attack.subtechnique, &attack.technique)
            && !sub.id.starts_with(&format!("{}.", tech.id))
        {
            diags.error(
                INVALID_VALUE,
                format!(
                    "sub-technique `{}` does not belong to technique `{}`",
                    sub.id, tech.id
                ),
                n.span.clone(),
            );
        }
    }
    if let Some(n) = map.get("related") {
        for item in diags::list(n, "`attack.related`", false, diags) {
            if let Some(r) = parse_ref(item, "`attack.related` entry", IdKind::AnyTechnique, diags)
            {
                attack.related.push(r);
            }
        }
    }
    map.finish("`attack`", diags);
    attack
}

#[derive(Clone, Copy)]
enum IdKind {
    Tactic,
    Technique,
    SubTechnique,
    AnyTechnique,
}

fn parse_ref(node: &Node, what: &str, kind: IdKind, diags: &mut Diags) -> Option<AttackRef> {
    let mut map = MapReader::new(node, what, diags)?;
    let id_node = map.required("id", what, diags);
    let name = map
        .required("name", what, diags)
        .and_then(|n| diags::string(n, "`name`", diags));
    map.finish(what, diags);
    let id_node = id_node?;
    let id = diags::string(id_node, "`id`", diags)?;
    let (ok, expected) = match kind {
        IdKind::Tactic => (is_tactic_id(&id), "TA#### (e.g. TA0042)"),
        IdKind::Technique => (is_technique_id(&id), "T#### (e.g. T1588)"),
        IdKind::SubTechnique => (is_subtechnique_id(&id), "T####.### (e.g. T1588.004)"),
        IdKind::AnyTechnique => (
            is_technique_id(&id) || is_subtechnique_id(&id),
            "T#### or T####.###",
        ),
    };
    if !ok {
        diags.error_help(
            INVALID_VALUE,
            format!("{what} id `{id}` is not an ATT&CK id of the right kind"),
            id_node.span.clone(),
            format!("expected {expected}"),
        );
        return None;
    }
    Some(AttackRef {
        id,
        name: name.unwrap_or_default(),
    })
}

fn parse_data_sources(node: &Node, diags: &mut Diags) -> Vec<DataSource> {
    let items = diags::list(node, "`data_sources`", false, diags);
    if items.is_empty() && node.as_seq().is_some() {
        diags.error(
            INVALID_VALUE,
            "`data_sources` must list at least one source",
            node.span.clone(),
        );
    }
    let mut out = Vec::new();
    for item in items {
        let what = "a `data_sources` entry";
        let Some(mut map) = MapReader::new(item, what, diags) else {
            continue;
        };
        let name = map
            .required("name", what, diags)
            .and_then(|n| diags::string(n, "`name`", diags));
        let profile = map
            .get("profile")
            .and_then(|n| diags::one_of(n, "profile", PROFILES, diags));
        let event_types = map
            .required("event_types", what, diags)
            .map(|n| non_empty_strings(n, "`event_types`", diags))
            .unwrap_or_default();
        map.finish(what, diags);
        if let Some(name) = name {
            out.push(DataSource {
                name,
                profile,
                event_types,
            });
        }
    }
    out
}

fn parse_queries(node: &Node, pack_dir: &Path, diags: &mut Diags) -> Vec<QueryEntry> {
    let mut out = Vec::new();
    for item in diags::list(node, "`queries`", false, diags) {
        let what = "a `queries` entry";
        let Some(mut map) = MapReader::new(item, what, diags) else {
            continue;
        };
        let file_node = map.required("file", what, diags);
        let title = map
            .get("title")
            .and_then(|n| diags::string(n, "`title`", diags));
        if let Some(n) = map.get("description") {
            diags::string(n, "`description`", diags);
        }
        let known_findings = map
            .get("known_findings")
            .map(|n| {
                diags::string_list(n, "`known_findings`", false, diags)
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect()
            })
            .unwrap_or_default();
        map.finish(what, diags);
        let Some(file_node) = file_node else { continue };
        let Some(file) = diags::string(file_node, "`file`", diags) else {
            continue;
        };
        if !file.ends_with(".cql") {
            diags.error(
                INVALID_VALUE,
                format!("query file `{file}` does not end in `.cql`"),
                file_node.span.clone(),
            );
        } else if !pack_dir.join(&file).is_file() {
            diags.error(
                MISSING_FILE,
                format!("query file `{file}` does not exist in the pack"),
                file_node.span.clone(),
            );
        }
        out.push(QueryEntry {
            file,
            title,
            known_findings,
        });
    }
    out
}

pub fn is_tactic_id(s: &str) -> bool {
    s.len() == 6 && s.starts_with("TA") && s[2..].bytes().all(|b| b.is_ascii_digit())
}

pub fn is_technique_id(s: &str) -> bool {
    s.len() == 5 && s.starts_with('T') && s[1..].bytes().all(|b| b.is_ascii_digit())
}

pub fn is_subtechnique_id(s: &str) -> bool {
    s.len() == 9
        && is_technique_id(&s[..5])
        && s.as_bytes()[5] == b'.'
        && s[6..].bytes().all(|b| b.is_ascii_digit())
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Manifest, Vec<saker_diag::Diagnostic>) {
        let mut diags = Diags::default();
        let m = parse_manifest(text, Path::new("."), &mut diags);
        (m, diags.list)
    }

    const GOOD: &str = "id: T1588.004\ntitle: t\ndescription: d\nattack:\n  tactic: {id: TA0042, name: Resource Development}\n  technique: {id: T1588, name: Obtain Capabilities}\n  subtechnique: {id: T1588.004, name: Digital Certificates}\nseverity: high\nconfidence: high\nstatus: test\ndata_sources:\n  - name: Falcon\n    profile: falcon\n    event_types: [AsepValueUpdate]\nfalse_positives: [x]\nreferences: [https://attack.mitre.org/techniques/T1588/004/]\n";

    #[test]
    fn a_complete_manifest_validates_clean() {
        let (m, diags) = parse(GOOD);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(m.attack.primary().map(|r| r.id.as_str()), Some("T1588.004"));
    }

    #[test]
    fn a_bad_severity_points_at_the_value() {
        let text = GOOD.replace("severity: high", "severity: urgent");
        let (_, diags) = parse(&text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, INVALID_VALUE);
        assert_eq!(&text[diags[0].span.clone()], "urgent");
    }

    #[test]
    fn a_subtechnique_of_another_technique_is_an_error() {
        let text = GOOD.replace(
            "{id: T1588.004, name: Digital",
            "{id: T1553.004, name: Digital",
        );
        let (_, diags) = parse(&text);
        assert!(
            diags.iter().any(|d| d.message.contains("does not belong")),
            "{diags:?}"
        );
    }

    #[test]
    fn a_missing_key_and_a_typo_are_both_reported() {
        let text = GOOD.replace("confidence: high\n", "confidance: high\n");
        let (_, diags) = parse(&text);
        let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
        assert!(codes.contains(&crate::diags::MISSING_KEY), "{diags:?}");
        let typo = diags
            .iter()
            .find(|d| d.code == crate::diags::UNKNOWN_KEY)
            .expect("unknown key");
        assert_eq!(typo.help.as_deref(), Some("did you mean `confidence`?"));
    }

    #[test]
    fn technique_ids_are_checked_by_kind() {
        assert!(is_technique_id("T1588"));
        assert!(!is_technique_id("T158"));
        assert!(is_subtechnique_id("T1588.004"));
        assert!(!is_subtechnique_id("T1588.04"));
        assert!(is_tactic_id("TA0042"));
    }
}
