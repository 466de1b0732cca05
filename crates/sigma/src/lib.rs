//! Sigma for saker: rules, correlation rules and filters read from YAML (with source spans and
//! diagnostics), processing pipelines (built-in targets and pySigma pipeline files), and
//! lowering to the plan IR.
//!
//! Entry points: [`load`] (files and folders → [`RuleSet`]), [`load_sources`] (texts),
//! [`check_path`] (diagnostics per file, for `saker check`).

// Errors are diagnostics (message, spans, help): large, but only built on the error path.
#![allow(clippy::result_large_err)]

pub mod builtin;
pub mod codes;
pub mod condition;
pub mod coverage;
pub mod load;
pub mod lower;
pub mod modifier;
pub mod pipeline;
pub mod rule;
pub mod value;
pub mod yaml;

pub use builtin::{NameTable, Route, Target, ValueMap, Variant};
pub use coverage::check_mapped;
pub use load::{
    CompiledCorrelation, CompiledRule, CompiledVariant, CorrelationInput, FileReport, Options,
    Refused, RuleSet, check_path, check_source, load, load_sources,
};
pub use lower::Placeholders;
pub use pipeline::Pipeline;
pub use rule::{CorrelationRule, CorrelationType, Level, Meta};

/// Reads a placeholder file: a YAML mapping of name → value or list of values.
pub fn parse_placeholders(text: &str) -> Result<Placeholders, String> {
    let docs = yaml::parse_documents(text).map_err(|e| e.message)?;
    let mut out = Placeholders::new();
    if let Some(map) = docs.first().and_then(yaml::Node::as_map) {
        for (k, v) in map {
            let name = k.as_scalar_text().unwrap_or_default();
            let values = v
                .as_str_list()
                .ok_or_else(|| format!("placeholder `{name}`: expected a value or a list"))?;
            out.insert(name, values);
        }
    } else if !docs.is_empty() {
        return Err("a placeholder file is a mapping of name to values".into());
    }
    Ok(out)
}
