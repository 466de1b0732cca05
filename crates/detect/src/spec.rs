//! Test files of a pack (`tests/*.yml`): what to read, what to run, what to expect.

use std::ops::Range;
use std::path::{Path, PathBuf};

use saker_sigma::yaml::{Node, Value};

use crate::diags::{self, BAD_TARGET, Diags, INVALID_VALUE, MISSING_FILE, MapReader, WRONG_TYPE};
use crate::manifest::PROFILES;
use crate::markdown;

pub const SIGMA_TARGETS: &[&str] = &["windows", "falcon", "mde", "ecs", "raw"];

/// What a test runs: a CQL file, a CQL block of a Markdown file, or a Sigma rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Cql { file: String },
    CqlBlock { file: String, index: usize },
    Sigma { file: String },
}

impl Target {
    /// How the target is written in a test file (`query.cql`, `investigation.md#2`, `sigma/x.yml`).
    pub fn label(&self) -> String {
        match self {
            Target::Cql { file } | Target::Sigma { file } => file.clone(),
            Target::CqlBlock { file, index } => format!("{file}#{index}"),
        }
    }

    fn parse(s: &str) -> Result<Target, String> {
        let s = s.trim();
        if let Some((file, n)) = s.rsplit_once('#') {
            if !file.ends_with(".md") {
                return Err(format!(
                    "`{s}`: only Markdown files have numbered blocks (`FILE.md#N`)"
                ));
            }
            let index: usize = n
                .parse()
                .ok()
                .filter(|i| *i > 0)
                .ok_or_else(|| format!("`{s}`: block number must be 1 or more"))?;
            return Ok(Target::CqlBlock {
                file: file.to_owned(),
                index,
            });
        }
        if s.ends_with(".cql") {
            Ok(Target::Cql { file: s.to_owned() })
        } else if s.ends_with(".yml") || s.ends_with(".yaml") {
            Ok(Target::Sigma { file: s.to_owned() })
        } else {
            Err(format!(
                "`{s}` is not a query (`*.cql`), a Sigma rule (`*.yml`) or a Markdown block (`FILE.md#N`)"
            ))
        }
    }
}

/// An expected value of a field in a row: the text, or "must be absent" (YAML `null`).
pub type ExpectedRow = Vec<(String, Option<String>)>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// No hit at all.
    None,
    /// Exactly this many hits.
    Count(usize),
    /// Exactly these rows, in this order; each row lists the fields it checks.
    Rows {
        rows: Vec<ExpectedRow>,
        exact_fields: bool,
    },
}

impl Expectation {
    /// True when the expectation needs at least one hit (a positive test).
    pub fn is_positive(&self) -> bool {
        match self {
            Expectation::None => false,
            Expectation::Count(n) => *n > 0,
            Expectation::Rows { rows, .. } => !rows.is_empty(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct TestSpec {
    /// File stem of the test file.
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub scenario: Option<String>,
    pub telemetry: Option<String>,
    pub synthetic: bool,
    pub inputs: Vec<PathBuf>,
    pub profile: Option<saker_io::Profile>,
    pub format: Option<saker_io::InputFormat>,
    /// Field mapping for Sigma targets (`windows`, `falcon`, `mde`, `ecs`, `raw`); `windows` when absent.
    pub sigma_target: Option<String>,
    pub run: Vec<Target>,
    pub gap_in: Vec<Target>,
    pub expect: Expectation,
}

/// Parses and validates one test file of the pack in `pack_dir`. `None` when the file cannot be
/// used at all (the diagnostics say why).
pub fn parse_test(text: &str, file: &Path, pack_dir: &Path, diags: &mut Diags) -> Option<TestSpec> {
    let root = diags::parse_yaml(text, diags)?;
    let what = "the test";
    let mut map = MapReader::new(&root, what, diags)?;
    let tests_dir = file.parent().unwrap_or(pack_dir);
    let description = map
        .required("description", what, diags)
        .and_then(|n| diags::string(n, "`description`", diags));
    let scenario = map.get("scenario").and_then(|n| n.as_scalar_text());
    let telemetry = map
        .get("telemetry")
        .and_then(|n| diags::string(n, "`telemetry`", diags));
    let synthetic = map
        .get("synthetic")
        .and_then(|n| diags::boolean(n, "`synthetic`", diags))
        .unwrap_or(false);
    let reason = map
        .get("synthetic_reason")
        .and_then(|n| diags::string(n, "`synthetic_reason`", diags));
    if synthetic && reason.is_none() {
        diags.error(
            diags::MISSING_KEY,
            "a synthetic test must say why no real recording is used (`synthetic_reason`)",
            map.key_span("synthetic").unwrap_or_else(|| map.head_span()),
        );
    }
    if let Some(n) = map.get("source") {
        diags::string(n, "`source`", diags);
    }
    let mut inputs = Vec::new();
    if let Some(n) = map.required("input", what, diags) {
        for (rel, span) in diags::string_list(n, "`input`", true, diags) {
            let path = tests_dir.join(&rel);
            if !path.is_file() {
                diags.error(
                    MISSING_FILE,
                    format!("input `{rel}` does not exist (paths are relative to the test file)"),
                    span,
                );
            }
            inputs.push(path);
        }
    }
    let profile = map
        .get("profile")
        .and_then(|n| diags::one_of(n, "profile", PROFILES, diags).and_then(|s| s.parse().ok()));
    let format = map.get("format").and_then(|n| {
        diags::one_of(n, "format", saker_io::InputFormat::NAMES, diags).and_then(|s| s.parse().ok())
    });
    let sigma_target = map
        .get("sigma_target")
        .and_then(|n| diags::one_of(n, "sigma_target", SIGMA_TARGETS, diags));
    let run = map
        .required("run", what, diags)
        .map(|n| targets(n, "`run`", pack_dir, diags))
        .unwrap_or_default();
    let gap_in = map
        .get("gap_in")
        .map(|n| targets(n, "`gap_in`", pack_dir, diags))
        .unwrap_or_default();
    let expect = map
        .required("expect", what, diags)
        .and_then(|n| expectation(n, text, diags));
    map.finish(what, diags);
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(TestSpec {
        name,
        file: file.to_path_buf(),
        description: description.unwrap_or_default(),
        scenario,
        telemetry,
        synthetic,
        inputs,
        profile,
        format,
        sigma_target,
        run,
        gap_in,
        expect: expect?,
    })
}

fn targets(node: &Node, what: &str, pack_dir: &Path, diags: &mut Diags) -> Vec<Target> {
    let mut out = Vec::new();
    for (s, span) in diags::string_list(node, what, true, diags) {
        match Target::parse(&s) {
            Ok(t) => {
                if let Some(problem) = target_problem(&t, pack_dir) {
                    diags.error(BAD_TARGET, problem, span);
                } else {
                    out.push(t);
                }
            }
            Err(msg) => diags.error(BAD_TARGET, msg, span),
        }
    }
    if out.is_empty() && !diags.has_errors() {
        diags.error(
            BAD_TARGET,
            format!("{what} names nothing to run"),
            node.span.clone(),
        );
    }
    out
}

/// Why `target` cannot be run in the pack at `pack_dir`, if it cannot.
pub fn target_problem(target: &Target, pack_dir: &Path) -> Option<String> {
    match target {
        Target::Cql { file } | Target::Sigma { file } => {
            (!pack_dir.join(file).is_file()).then(|| format!("`{file}` does not exist in the pack"))
        }
        Target::CqlBlock { file, index } => match std::fs::read_to_string(pack_dir.join(file)) {
            Err(_) => Some(format!("`{file}` does not exist in the pack")),
            Ok(md) => {
                let n = markdown::cql_blocks(&md).len();
                (*index > n)
                    .then(|| format!("`{file}` has {n} CQL block(s); there is no block {index}"))
            }
        },
    }
}

fn expectation(node: &Node, text: &str, diags: &mut Diags) -> Option<Expectation> {
    match &node.value {
        Value::Str(s) if s == "none" => return Some(Expectation::None),
        Value::Map(_) => {}
        _ => {
            diags.error_help(
                WRONG_TYPE,
                format!(
                    "`expect` must be `none` or a mapping, found {}",
                    node.kind_name()
                ),
                node.span.clone(),
                "write `expect: none`, `expect: {count: N}` or `expect: {rows: [...]}`",
            );
            return None;
        }
    }
    let what = "`expect`";
    let mut map = MapReader::new(node, what, diags)?;
    let count = map.get("count").and_then(|n| count(n, diags));
    let exact_fields = map
        .get("exact_fields")
        .and_then(|n| diags::boolean(n, "`exact_fields`", diags))
        .unwrap_or(false);
    let rows_node = map.get("rows");
    let rows = rows_node.map(|n| rows(n, text, diags));
    let head = map.head_span();
    map.finish(what, diags);
    match (count, rows) {
        (None, None) => {
            diags.error_help(
                diags::MISSING_KEY,
                "`expect` needs `count` or `rows`",
                head,
                "write `expect: none` for a test that expects no hit",
            );
            None
        }
        (Some(0), None) => Some(Expectation::None),
        (Some(n), None) => {
            if exact_fields {
                diags.warning(
                    INVALID_VALUE,
                    "`exact_fields` has no effect without `rows`",
                    node.span.clone(),
                );
            }
            Some(Expectation::Count(n))
        }
        (c, Some(rows)) => {
            if let Some(c) = c
                && c != rows.len()
            {
                diags.error(
                    INVALID_VALUE,
                    format!("`count: {c}` contradicts the {} row(s) listed", rows.len()),
                    rows_node.map_or(head, |n| n.span.clone()),
                );
                return None;
            }
            if rows.is_empty() {
                return Some(Expectation::None);
            }
            Some(Expectation::Rows { rows, exact_fields })
        }
    }
}

fn count(node: &Node, diags: &mut Diags) -> Option<usize> {
    match &node.value {
        Value::Number(s) => s.parse().ok().or_else(|| {
            diags.error(
                INVALID_VALUE,
                format!("count `{s}` is not a whole number"),
                node.span.clone(),
            );
            None
        }),
        _ => {
            diags.error(
                WRONG_TYPE,
                format!("`count` must be a number, found {}", node.kind_name()),
                node.span.clone(),
            );
            None
        }
    }
}

/// A scalar as written in the source: YAML reads `n`, `no`, `on` as booleans, but as a field name or
/// a value compared with event text they mean the letters.
fn source_scalar(node: &Node, text: &str) -> Option<String> {
    match &node.value {
        Value::Str(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(
            text.get(node.span.clone())
                .map(str::trim)
                .filter(|raw| !raw.is_empty())
                .map_or_else(|| b.to_string(), str::to_owned),
        ),
        _ => None,
    }
}

fn rows(node: &Node, text: &str, diags: &mut Diags) -> Vec<ExpectedRow> {
    let mut out = Vec::new();
    for item in diags::list(node, "`rows`", false, diags) {
        let Some(entries) = item.as_map() else {
            diags.error(
                WRONG_TYPE,
                format!(
                    "a row must be a mapping of field: value, found {}",
                    item.kind_name()
                ),
                item.span.clone(),
            );
            continue;
        };
        let mut row = Vec::new();
        for (k, v) in entries {
            let Some(field) = source_scalar(k, text) else {
                diags.error(WRONG_TYPE, "a field name must be a string", k.span.clone());
                continue;
            };
            let value = match &v.value {
                Value::Null => None,
                Value::Str(_) | Value::Number(_) | Value::Bool(_) => source_scalar(v, text),
                _ => {
                    diags.error(
                        WRONG_TYPE,
                        format!("the value of `{field}` must be a scalar or null"),
                        v.span.clone(),
                    );
                    continue;
                }
            };
            row.push((field, value));
        }
        out.push(row);
    }
    out
}

/// Span of the whole text, for diagnostics about a file as a whole.
pub fn whole(text: &str) -> Range<usize> {
    0..text.find('\n').unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("tests")).expect("mkdir");
        std::fs::write(dir.path().join("query.cql"), "a=1\n").expect("write");
        std::fs::write(dir.path().join("tests/in.ndjson"), "{}\n").expect("write");
        std::fs::write(dir.path().join("notes.md"), "```cql\na=1\n```\n").expect("write");
        dir
    }

    fn parse(dir: &Path, text: &str) -> (Option<TestSpec>, Vec<saker_diag::Diagnostic>) {
        let mut diags = Diags::default();
        let spec = parse_test(text, &dir.join("tests/t.yml"), dir, &mut diags);
        (spec, diags.list)
    }

    #[test]
    fn rows_with_null_mean_absent_fields() {
        let dir = pack();
        let (spec, diags) = parse(
            dir.path(),
            "description: d\ninput: in.ndjson\nrun: [query.cql, notes.md#1]\nexpect:\n  rows:\n    - {a: \"1\", b: null}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let spec = spec.expect("spec");
        assert_eq!(spec.run.len(), 2);
        assert_eq!(
            spec.expect,
            Expectation::Rows {
                rows: vec![vec![("a".into(), Some("1".into())), ("b".into(), None)]],
                exact_fields: false
            }
        );
    }

    #[test]
    fn a_missing_block_and_a_missing_input_are_pinpointed() {
        let dir = pack();
        let text = "description: d\ninput: nope.ndjson\nrun: notes.md#3\nexpect: none\n";
        let (_, diags) = parse(dir.path(), text);
        let spans: Vec<&str> = diags.iter().map(|d| &text[d.span.clone()]).collect();
        assert_eq!(spans, vec!["nope.ndjson", "notes.md#3"], "{diags:?}");
        assert!(diags[1].message.contains("has 1 CQL block"));
    }

    #[test]
    fn count_contradicting_rows_is_an_error() {
        let dir = pack();
        let (spec, diags) = parse(
            dir.path(),
            "description: d\ninput: in.ndjson\nrun: query.cql\nexpect:\n  count: 2\n  rows: [{a: b}]\n",
        );
        assert!(spec.is_none());
        assert!(diags.iter().any(|d| d.message.contains("contradicts")));
    }

    #[test]
    fn synthetic_needs_a_reason() {
        let dir = pack();
        let (_, diags) = parse(
            dir.path(),
            "description: d\nsynthetic: true\ninput: in.ndjson\nrun: query.cql\nexpect: none\n",
        );
        assert!(diags.iter().any(|d| d.message.contains("synthetic_reason")));
    }
}
