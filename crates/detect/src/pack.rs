//! Finding packs under paths and loading one pack: manifest, tests and the targets they can run.

use std::path::{Path, PathBuf};

use saker_diag::Diagnostic;

use crate::diags::Diags;
use crate::manifest::{Manifest, parse_manifest};
use crate::markdown;
use crate::spec::{Target, TestSpec, parse_test};

pub const MANIFEST: &str = "detection.yml";
pub const TESTS_DIR: &str = "tests";
pub const SIGMA_DIR: &str = "sigma";

/// A test file as loaded: its text, its parsed form (absent when unusable) and its diagnostics.
#[derive(Clone, Debug)]
pub struct TestFile {
    pub path: PathBuf,
    pub text: String,
    pub spec: Option<TestSpec>,
    pub diagnostics: Vec<Diagnostic>,
}

impl TestFile {
    pub fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

#[derive(Clone, Debug)]
pub struct Pack {
    pub dir: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest_text: String,
    pub manifest: Manifest,
    pub manifest_diagnostics: Vec<Diagnostic>,
    pub tests: Vec<TestFile>,
    /// Everything in the pack a test can run: `*.cql` files, CQL blocks of `*.md` files, Sigma rules.
    pub targets: Vec<Target>,
}

impl Pack {
    /// The prefix of the pack's test names: its manifest id, or the folder name when the id is unusable.
    pub fn label(&self) -> String {
        if self.manifest.id.is_empty() {
            self.dir
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            self.manifest.id.clone()
        }
    }
}

/// Pack folders (folders holding `detection.yml`) at or under `paths`, sorted, each once.
/// A path may also name a `detection.yml` directly.
pub fn find_packs(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
        if meta.is_file() {
            if p.file_name().is_some_and(|n| n == MANIFEST) {
                out.push(p.parent().unwrap_or(Path::new(".")).to_path_buf());
            }
        } else {
            walk(p, &mut out)?;
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.join(MANIFEST).is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() && !entry.file_name().to_string_lossy().starts_with('.') {
            subdirs.push(entry.path());
        }
    }
    subdirs.sort();
    for d in subdirs {
        walk(&d, out)?;
    }
    Ok(())
}

/// Loads the pack in `dir`. I/O errors on the manifest are errors; everything else is diagnostics.
pub fn load_pack(dir: &Path) -> std::io::Result<Pack> {
    let manifest_path = dir.join(MANIFEST);
    let manifest_text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", manifest_path.display())))?;
    let mut diags = Diags::default();
    let manifest = parse_manifest(&manifest_text, dir, &mut diags);
    let mut tests = Vec::new();
    for path in files_with_ext(&dir.join(TESTS_DIR), &["yml", "yaml"], false)? {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let mut d = Diags::default();
        let spec = parse_test(&text, &path, dir, &mut d);
        tests.push(TestFile {
            path,
            text,
            spec,
            diagnostics: d.list,
        });
    }
    let targets = pack_targets(dir)?;
    Ok(Pack {
        dir: dir.to_path_buf(),
        manifest_path,
        manifest_text,
        manifest,
        manifest_diagnostics: diags.list,
        tests,
        targets,
    })
}

fn pack_targets(dir: &Path) -> std::io::Result<Vec<Target>> {
    let mut targets = Vec::new();
    for path in files_with_ext(dir, &["cql"], false)? {
        targets.push(Target::Cql {
            file: relative(dir, &path),
        });
    }
    for path in files_with_ext(dir, &["md"], false)? {
        let text = std::fs::read_to_string(&path)?;
        let file = relative(dir, &path);
        for block in markdown::cql_blocks(&text) {
            targets.push(Target::CqlBlock {
                file: file.clone(),
                index: block.index,
            });
        }
    }
    for path in files_with_ext(&dir.join(SIGMA_DIR), &["yml", "yaml"], true)? {
        targets.push(Target::Sigma {
            file: relative(dir, &path),
        });
    }
    Ok(targets)
}

/// Files directly in `dir` (or below it when `recursive`) with one of `exts`, sorted; none when
/// `dir` does not exist.
pub fn files_with_ext(dir: &Path, exts: &[&str], recursive: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                if recursive {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `base`, with `/` separators (how tests name targets).
pub fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
