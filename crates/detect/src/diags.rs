//! Diagnostic codes of pack validation and a small helper that reads typed values out of a spanned
//! YAML tree while recording precise diagnostics.

use std::ops::Range;

use saker_diag::{Diagnostic, Kind};
use saker_sigma::yaml::{Node, Value};

/// `detection.yml` or a test file is not valid YAML.
pub const YAML_SYNTAX: &str = "PACK001";
/// A required key is missing.
pub const MISSING_KEY: &str = "PACK002";
/// A value has the wrong type (a list where a string is expected, …).
pub const WRONG_TYPE: &str = "PACK003";
/// A key the format does not define (likely a typo).
pub const UNKNOWN_KEY: &str = "PACK004";
/// A value outside its allowed set or shape (severity, ATT&CK id, date, URL, …).
pub const INVALID_VALUE: &str = "PACK005";
/// A file a manifest or test names does not exist.
pub const MISSING_FILE: &str = "PACK006";
/// A query or rule has no positive test (one that expects at least one hit).
pub const NO_POSITIVE_TEST: &str = "PACK007";
/// A query or rule has no negative test (one that expects no hit).
pub const NO_NEGATIVE_TEST: &str = "PACK008";
/// A `run:`/`gap_in:` target that is not a query, a rule or a CQL block of a Markdown file.
pub const BAD_TARGET: &str = "PACK009";
/// Two packs share an id.
pub const DUPLICATE_ID: &str = "PACK010";
/// A Sigma rule of the pack could not be read as YAML or lacks what coverage needs.
pub const BAD_RULE: &str = "PACK011";

/// Collects diagnostics for one file.
#[derive(Default)]
pub struct Diags {
    pub list: Vec<Diagnostic>,
}

impl Diags {
    pub fn error(&mut self, code: &'static str, message: impl Into<String>, span: Range<usize>) {
        self.list
            .push(Diagnostic::error(Kind::Semantic, code, message, span));
    }

    pub fn error_help(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        span: Range<usize>,
        help: impl Into<String>,
    ) {
        self.list
            .push(Diagnostic::error(Kind::Semantic, code, message, span).with_help(help));
    }

    pub fn warning(&mut self, code: &'static str, message: impl Into<String>, span: Range<usize>) {
        self.list
            .push(Diagnostic::warning(Kind::Lint, code, message, span));
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }
}

/// Parses one YAML document; a syntax error becomes a `PACK001` diagnostic.
pub fn parse_yaml(text: &str, diags: &mut Diags) -> Option<Node> {
    match saker_sigma::yaml::parse_documents(text) {
        Ok(mut docs) => {
            if docs.len() > 1 {
                diags.error(
                    YAML_SYNTAX,
                    "expected one YAML document, found several (`---`)",
                    0..text.len().min(1),
                );
            }
            if docs.is_empty() {
                diags.error(YAML_SYNTAX, "the file is empty", 0..0);
                return None;
            }
            Some(docs.swap_remove(0))
        }
        Err(e) => {
            diags.error(YAML_SYNTAX, format!("invalid YAML: {}", e.message), e.span);
            None
        }
    }
}

/// A mapping being read: remembers which keys were consumed so the rest can be reported.
pub struct MapReader<'a> {
    node: &'a Node,
    entries: &'a [(Node, Node)],
    used: Vec<&'static str>,
}

impl<'a> MapReader<'a> {
    /// `None` (with a diagnostic) when `node` is not a mapping.
    pub fn new(node: &'a Node, what: &str, diags: &mut Diags) -> Option<Self> {
        match node.as_map() {
            Some(entries) => Some(Self {
                node,
                entries,
                used: Vec::new(),
            }),
            None => {
                diags.error(
                    WRONG_TYPE,
                    format!("{what} must be a mapping, found {}", node.kind_name()),
                    node.span.clone(),
                );
                None
            }
        }
    }

    pub fn span(&self) -> Range<usize> {
        self.node.span.clone()
    }

    /// The span of the mapping's first line, for "missing key" diagnostics.
    pub fn head_span(&self) -> Range<usize> {
        let start = self.node.span.start;
        let end = self
            .entries
            .first()
            .map_or(self.node.span.end, |(k, _)| k.span.end);
        start..end.max(start)
    }

    pub fn get(&mut self, key: &'static str) -> Option<&'a Node> {
        self.used.push(key);
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k.span.clone())
    }

    pub fn required(
        &mut self,
        key: &'static str,
        what: &str,
        diags: &mut Diags,
    ) -> Option<&'a Node> {
        let found = self.get(key);
        if found.is_none() {
            diags.error(
                MISSING_KEY,
                format!("{what} is missing the required key `{key}`"),
                self.head_span(),
            );
        }
        found
    }

    /// Reports every key that was not read with [`MapReader::get`] as unknown.
    pub fn finish(self, what: &str, diags: &mut Diags) {
        for (k, _) in self.entries {
            let name = k.as_scalar_text().unwrap_or_default();
            if !self.used.contains(&name.as_str()) {
                let mut d = Diagnostic::warning(
                    Kind::Lint,
                    UNKNOWN_KEY,
                    format!("unknown key `{name}` in {what}"),
                    k.span.clone(),
                );
                if let Some(close) = closest(&name, &self.used) {
                    d = d.with_help(format!("did you mean `{close}`?"));
                }
                diags.list.push(d);
            }
        }
    }
}

/// A non-empty string scalar.
pub fn string(node: &Node, what: &str, diags: &mut Diags) -> Option<String> {
    match &node.value {
        Value::Str(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Str(_) => {
            diags.error(
                INVALID_VALUE,
                format!("{what} must not be empty"),
                node.span.clone(),
            );
            None
        }
        Value::Number(s) => Some(s.clone()),
        _ => {
            diags.error(
                WRONG_TYPE,
                format!("{what} must be a string, found {}", node.kind_name()),
                node.span.clone(),
            );
            None
        }
    }
}

/// A list of nodes; a single scalar is accepted as a one-element list when `scalar_ok`.
pub fn list<'a>(node: &'a Node, what: &str, scalar_ok: bool, diags: &mut Diags) -> Vec<&'a Node> {
    match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Str(_) | Value::Number(_) if scalar_ok => vec![node],
        _ => {
            diags.error(
                WRONG_TYPE,
                format!("{what} must be a list, found {}", node.kind_name()),
                node.span.clone(),
            );
            Vec::new()
        }
    }
}

/// A list of non-empty strings.
pub fn string_list(
    node: &Node,
    what: &str,
    scalar_ok: bool,
    diags: &mut Diags,
) -> Vec<(String, Range<usize>)> {
    list(node, what, scalar_ok, diags)
        .into_iter()
        .filter_map(|n| string(n, what, diags).map(|s| (s, n.span.clone())))
        .collect()
}

pub fn boolean(node: &Node, what: &str, diags: &mut Diags) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        _ => {
            diags.error(
                WRONG_TYPE,
                format!("{what} must be true or false, found {}", node.kind_name()),
                node.span.clone(),
            );
            None
        }
    }
}

/// A string that must be one of `allowed`.
pub fn one_of(node: &Node, what: &str, allowed: &[&str], diags: &mut Diags) -> Option<String> {
    let s = string(node, what, diags)?;
    if allowed.contains(&s.as_str()) {
        Some(s)
    } else {
        diags.error_help(
            INVALID_VALUE,
            format!("{what} `{s}` is not one of the allowed values"),
            node.span.clone(),
            format!("expected one of: {}", allowed.join(", ")),
        );
        None
    }
}

/// The allowed name closest to `name` by edit distance, when close enough to be a typo.
fn closest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(name, a), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_suggestion_finds_the_near_key() {
        assert_eq!(
            closest("severty", &["severity", "status"]),
            Some("severity")
        );
        assert_eq!(closest("zzzzzz", &["severity", "status"]), None);
    }

    #[test]
    fn unknown_keys_are_reported_with_their_span() {
        let text = "a: 1\nb: 2\n";
        let mut diags = Diags::default();
        let node = parse_yaml(text, &mut diags).expect("yaml");
        let mut map = MapReader::new(&node, "the test", &mut diags).expect("map");
        map.get("a");
        map.finish("the test", &mut diags);
        assert_eq!(diags.list.len(), 1);
        assert_eq!(diags.list[0].code, UNKNOWN_KEY);
        assert_eq!(&text[diags.list[0].span.clone()], "b");
    }
}
