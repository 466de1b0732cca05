//! Semantic checks and lints.

use crate::ast::Query;
use crate::{CheckOptions, Diagnostic};

/// Semantic checks against the function catalogue.
pub fn semantic(_query: &Query, _source: &str) -> Vec<Diagnostic> {
    Vec::new()
}

pub fn check(source: &str, _opts: &CheckOptions) -> Vec<Diagnostic> {
    let parsed = crate::parser::parse(source);
    let mut out = parsed.diagnostics;
    out.extend(semantic(&parsed.query, source));
    out.sort_by_key(|d| d.span.start);
    out
}
