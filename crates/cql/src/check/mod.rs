//! `check`: syntax errors, semantic checks against the function catalogue, regex checks and
//! lints, with per-query silencing (`// saker:allow(CQL-L005, CQL-L001)`).

mod lints;
mod regex;
mod schema;
mod semantic;
mod walk;

use std::collections::HashSet;

use crate::ast::Query;
use crate::lexer::Comment;
use crate::{CheckOptions, Diagnostic};

pub use schema::Schema;

/// Semantic checks (unknown functions and parameters, argument shapes, regexes).
pub fn semantic(query: &Query, source: &str) -> Vec<Diagnostic> {
    let mut out = semantic::check(query);
    out.extend(regex::check(query, source));
    out
}

pub fn check(source: &str, opts: &CheckOptions) -> Vec<Diagnostic> {
    let parsed = crate::parser::parse(source);
    let mut out = parsed.diagnostics;
    out.extend(semantic(&parsed.query, source));
    if !opts.no_lints {
        out.extend(lints::check(&parsed.query, Schema::falcon(), &opts.params));
    }
    let allowed = allowed_codes(source, &parsed.comments);
    out.retain(|d| {
        d.is_error() || !allowed.contains(&d.code.to_ascii_uppercase()) && !allowed.contains("ALL")
    });
    out.sort_by(|a, b| a.span.start.cmp(&b.span.start).then(a.code.cmp(b.code)));
    out.dedup();
    out
}

/// Codes named in `saker:allow(…)` comments (upper-cased).
fn allowed_codes(source: &str, comments: &[Comment]) -> HashSet<String> {
    let mut out = HashSet::new();
    for c in comments {
        let text = source.get(c.span.clone()).unwrap_or("");
        let mut rest = text;
        while let Some(i) = rest.find("saker:allow(") {
            let after = &rest[i + "saker:allow(".len()..];
            let Some(end) = after.find(')') else { break };
            for code in after[..end].split(',') {
                out.insert(code.trim().to_ascii_uppercase());
            }
            rest = &after[end..];
        }
    }
    out
}
