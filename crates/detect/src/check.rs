//! `saker check` for packs: the manifest, the test files, the CQL blocks of the pack's Markdown
//! files, and that every query, block and rule has a positive and a negative test.
//!
//! `*.cql` files and `sigma/*.yml` rules are plain CQL and Sigma files: the generic checker handles
//! them, so they are not checked again here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use saker_diag::{Diagnostic, Kind};

use crate::diags::{DUPLICATE_ID, NO_NEGATIVE_TEST, NO_POSITIVE_TEST};
use crate::markdown;
use crate::pack::{self, Pack};
use crate::spec::{self, Target};

/// Diagnostics of the pack in `dir`, each with the file it is about (spans are byte offsets into
/// that file).
pub fn check_pack(dir: &Path) -> Vec<(PathBuf, Diagnostic)> {
    match pack::load_pack(dir) {
        Err(e) => vec![(
            dir.join(pack::MANIFEST),
            Diagnostic::error(
                Kind::Syntax,
                crate::diags::MISSING_FILE,
                format!("cannot read the pack: {e}"),
                0..0,
            ),
        )],
        Ok(p) => check_loaded(&p),
    }
}

/// [`check_pack`] for every pack at or under `paths`, plus duplicate pack ids.
pub fn check_packs(paths: &[PathBuf]) -> std::io::Result<Vec<(PathBuf, Diagnostic)>> {
    let mut out = Vec::new();
    let mut ids: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in pack::find_packs(paths)? {
        let p = match pack::load_pack(&dir) {
            Ok(p) => p,
            Err(_) => {
                out.extend(check_pack(&dir));
                continue;
            }
        };
        if !p.manifest.id.is_empty() {
            if let Some(first) = ids.get(&p.manifest.id) {
                let span = id_span(&p.manifest_text);
                out.push((
                    p.manifest_path.clone(),
                    Diagnostic::error(
                        Kind::Semantic,
                        DUPLICATE_ID,
                        format!(
                            "pack id `{}` is already used by {}",
                            p.manifest.id,
                            first.display()
                        ),
                        span,
                    )
                    .with_help("test names are `ID/test`; give each pack its own id"),
                ));
            } else {
                ids.insert(p.manifest.id.clone(), p.manifest_path.clone());
            }
        }
        out.extend(check_loaded(&p));
    }
    Ok(out)
}

fn id_span(manifest: &str) -> std::ops::Range<usize> {
    let mut offset = 0;
    for line in manifest.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("id:") {
            let value = rest.trim();
            let start = offset + line.find(value).unwrap_or(3);
            return start..start + value.len();
        }
        offset += line.len();
    }
    0..0
}

fn check_loaded(p: &Pack) -> Vec<(PathBuf, Diagnostic)> {
    let mut out: Vec<(PathBuf, Diagnostic)> = p
        .manifest_diagnostics
        .iter()
        .map(|d| (p.manifest_path.clone(), d.clone()))
        .collect();
    for t in &p.tests {
        out.extend(t.diagnostics.iter().map(|d| (t.path.clone(), d.clone())));
    }
    out.extend(markdown_cql(p));
    out.extend(test_balance(p));
    out
}

/// CQL diagnostics of the Markdown blocks, with spans moved into the Markdown file.
fn markdown_cql(p: &Pack) -> Vec<(PathBuf, Diagnostic)> {
    let mut out = Vec::new();
    let Ok(files) = pack::files_with_ext(&p.dir, &["md"], false) else {
        return out;
    };
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for block in markdown::cql_blocks(&text) {
            for mut d in saker_cql::check(&block.source, &saker_cql::CheckOptions::default()) {
                let shift = block.span.start;
                d.span = d.span.start + shift..d.span.end + shift;
                for l in &mut d.labels {
                    l.span = l.span.start + shift..l.span.end + shift;
                }
                out.push((file.clone(), d));
            }
        }
    }
    out
}

/// Every target needs a test that expects hits and one that expects none.
fn test_balance(p: &Pack) -> Vec<(PathBuf, Diagnostic)> {
    let mut positive: BTreeMap<&Target, usize> = BTreeMap::new();
    let mut negative: BTreeMap<&Target, usize> = BTreeMap::new();
    for spec in p.tests.iter().filter_map(|t| t.spec.as_ref()) {
        let bucket = if spec.expect.is_positive() {
            &mut positive
        } else {
            &mut negative
        };
        for t in &spec.run {
            *bucket.entry(t).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for target in &p.targets {
        let (file, span) = target_location(p, target);
        for (map, code, kind) in [
            (
                &positive,
                NO_POSITIVE_TEST,
                "positive (a test expecting at least one hit)",
            ),
            (
                &negative,
                NO_NEGATIVE_TEST,
                "negative (a test expecting no hit)",
            ),
        ] {
            if !map.contains_key(target) {
                out.push((
                    file.clone(),
                    Diagnostic::error(
                        Kind::Semantic,
                        code,
                        format!("`{}` has no {kind} test", target.label()),
                        span.clone(),
                    )
                    .with_help(format!(
                        "add a file under tests/ with `run: {}`",
                        target.label()
                    )),
                ));
            }
        }
    }
    out
}

fn target_location(p: &Pack, target: &Target) -> (PathBuf, std::ops::Range<usize>) {
    match target {
        Target::Cql { file } | Target::Sigma { file } => {
            let path = p.dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            (path, spec::whole(&text))
        }
        Target::CqlBlock { file, index } => {
            let path = p.dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let span = markdown::cql_blocks(&text)
                .into_iter()
                .find(|b| b.index == *index)
                .map_or(0..0, |b| b.span);
            (path, span)
        }
    }
}
