//! Saved queries for `saker run --saved DIR`: `$name(…)` reads `DIR/name.cql`; a package query
//! `$"pkg/name:query"(…)` reads `DIR/pkg/name/query.cql` (or `DIR/pkg/name:query.cql`).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use saker_exec::options::SavedQueries;

pub fn resolver(dir: PathBuf) -> SavedQueries {
    SavedQueries(Arc::new(move |name, params| {
        let path = path_for(&dir, name)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        saker_cql::compile(
            &text,
            &saker_cql::CompileOptions {
                params: params.clone(),
            },
        )
        .map_err(|diags| {
            let messages: Vec<String> = diags
                .iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect();
            format!("{}: {}", path.display(), messages.join("; "))
        })
    }))
}

/// The file of saved query `name` under `dir`; names that would leave `dir` are refused.
fn path_for(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let candidates = [
        format!("{}.cql", name.replace(':', "/")),
        format!("{name}.cql"),
    ];
    for c in &candidates {
        let rel = Path::new(c);
        if !rel.components().all(|p| matches!(p, Component::Normal(_))) {
            return Err(format!("`{name}` is not a saved query name"));
        }
        let path = dir.join(rel);
        if path.is_file() {
            return Ok(path);
        }
    }
    Err(format!(
        "no saved query `{name}`: expected {}",
        dir.join(&candidates[1]).display()
    ))
}
