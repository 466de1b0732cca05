//! The real engine: CQL through `saker-cql` + `saker-exec`, Sigma through `saker-sigma` + `saker-exec`.

use std::path::{Path, PathBuf};

use saker_event::Event;

use crate::runner::Engine;

/// Runs queries and rules with saker's own front-ends and executor.
#[derive(Clone, Debug, Default)]
pub struct SakerEngine {
    /// Where `match()`/`readFile()` find lookup files (the pack folder when `None`).
    pub files_dir: Option<PathBuf>,
}

impl Engine for SakerEngine {
    fn run_cql(&self, query: &str, events: &[Event]) -> Result<Vec<Event>, String> {
        let plan =
            saker_cql::compile(query, &saker_cql::CompileOptions::default()).map_err(|diags| {
                let msgs: Vec<String> = diags
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| {
                        let (line, col) = saker_diag::line_col(query, d.span.start);
                        format!("{line}:{col}: {} [{}]", d.message, d.code)
                    })
                    .collect();
                format!("the query does not compile: {}", msgs.join("; "))
            })?;
        let mut opts = saker_exec::Options::default();
        if let Some(dir) = &self.files_dir {
            opts.files_dir = dir.clone();
        }
        let q = saker_exec::Query::compile(&plan, &opts)
            .map_err(|e| format!("the query cannot run: {e}"))?;
        Ok(q.run_all(events.iter().cloned()))
    }

    fn run_sigma(
        &self,
        rule_path: &Path,
        target: Option<&str>,
        events: &[Event],
    ) -> Result<Vec<Event>, String> {
        let target = match target {
            None => saker_sigma::Target::Windows,
            Some(name) => saker_sigma::Target::parse(name)
                .ok_or_else(|| format!("unknown Sigma target `{name}`"))?,
        };
        let opts = saker_sigma::Options {
            target,
            ..Default::default()
        };
        let set = saker_sigma::load(&[rule_path.to_path_buf()], &opts);
        if let Some(r) = set.refused.first() {
            return Err(format!(
                "the rule was refused: {} [{}]",
                r.diagnostic.message, r.diagnostic.code
            ));
        }
        let mut hits = Vec::new();
        for rule in set.rules.iter().filter(|r| r.generate) {
            let q = saker_exec::Query::compile(&rule.plan, &saker_exec::Options::default())
                .map_err(|e| format!("the rule cannot run: {e}"))?;
            hits.extend(q.run_all(events.iter().cloned()));
        }
        if set.rules.is_empty() {
            return Err("the file holds no detection rule".into());
        }
        Ok(hits)
    }
}
