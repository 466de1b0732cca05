//! The canonical layout.

use crate::Diagnostic;

pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = crate::parser::parse(source);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(parsed.diagnostics);
    }
    Ok(source.to_string())
}
