//! The CQL (CrowdStrike Query Language / LogScale) front-end.
//!
//! * [`parse`]: source → syntax tree, with recovery (several errors per run);
//! * [`check`]: syntax, semantic checks against the function catalogue, and lints;
//! * [`compile`]: parse + semantic checks + lowering to [`saker_plan::Plan`]
//!   (conventions in [`lower`]);
//! * [`format`]: the canonical layout; [`print`]: `Plan` → CQL text.
//!
//! Diagnostics are data ([`saker_diag::Diagnostic`], spans are byte ranges into the source);
//! rendering is the CLI's job.

pub mod ast;
pub mod check;
pub mod codes;
pub mod fmt;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod print;
pub mod text;

use std::collections::BTreeMap;

pub use saker_diag::Diagnostic;

/// Inputs to lowering.
#[derive(Default, Clone, Debug)]
pub struct CompileOptions {
    /// Values for `?name` query parameters.
    pub params: BTreeMap<String, String>,
}

/// Inputs to [`check`].
#[derive(Default, Clone, Debug)]
pub struct CheckOptions {
    pub params: BTreeMap<String, String>,
    /// Run the lints (syntax and semantic checks always run).
    pub no_lints: bool,
}

/// Parses `source`. The tree is `None` only when nothing could be recovered; syntax errors are
/// in the diagnostics either way.
pub fn parse(source: &str) -> (Option<ast::Query>, Vec<Diagnostic>) {
    let parsed = parser::parse(source);
    (Some(parsed.query), parsed.diagnostics)
}

/// Parse, check and lower to the plan IR. Errors are diagnostics with spans into `source`;
/// warnings and lints are not reported here (see [`check`]).
pub fn compile(source: &str, opts: &CompileOptions) -> Result<saker_plan::Plan, Vec<Diagnostic>> {
    let parsed = parser::parse(source);
    let mut errors: Vec<Diagnostic> = parsed
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    errors.extend(
        check::semantic(&parsed.query, source)
            .into_iter()
            .filter(Diagnostic::is_error),
    );
    let (plan, lower_diags) = lower::lower(&parsed.query, &opts.params);
    errors.extend(lower_diags.into_iter().filter(Diagnostic::is_error));
    if errors.is_empty() {
        Ok(plan)
    } else {
        errors.sort_by_key(|d| d.span.start);
        errors.dedup();
        Err(errors)
    }
}

/// Every diagnostic for `source`: syntax, semantic, and (unless disabled) lints, sorted by
/// position. Lints silenced with `// saker:allow(CODE)` comments are left out.
pub fn check(source: &str, opts: &CheckOptions) -> Vec<Diagnostic> {
    check::check(source, opts)
}

/// The canonical layout of `source`; fails with the syntax errors if it does not parse.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    fmt::format(source)
}

/// CQL text for a plan; parsing and lowering the text gives the same plan back.
pub fn print(plan: &saker_plan::Plan) -> String {
    print::print(plan)
}
