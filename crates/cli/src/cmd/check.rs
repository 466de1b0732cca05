//! `saker check`: syntax, semantic checks and lints for query files, rendered like rustc or as
//! JSON records.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use saker_diag::{Diagnostic, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// Output format: rustc-style text or a JSON array of records.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Value of a `?name` query parameter (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Only syntax and semantic checks, no lints.
    #[arg(long)]
    no_lints: bool,
    /// Query files, Sigma rules, or folders searched recursively for `.cql` files, Sigma rules
    /// and detection packs.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// What a checked file holds, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    Cql,
    SigmaRule,
}

fn input_kind(path: &Path) -> Option<Input> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".cql") || name.ends_with(".logscale") {
        Some(Input::Cql)
    } else if name.ends_with(".yml") || name.ends_with(".yaml") {
        Some(Input::SigmaRule)
    } else {
        None
    }
}

/// A YAML file met while walking a folder is taken for a Sigma rule only when it has a top-level
/// `detection:` or `correlation:` key; named on the command line it is always checked.
fn looks_like_sigma(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("detection:") || l.starts_with("correlation:"))
}

/// Files to check: given files as they are; folders searched recursively for `.cql` files and
/// Sigma rules. Inside detection packs (folders holding `detection.yml`) the manifest and the
/// test files are the pack checker's, not Sigma rules.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, false, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, in_pack: bool, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let in_pack = in_pack || dir.join(saker_detect::pack::MANIFEST).is_file();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            let pack_tests = in_pack
                && p.file_name()
                    .is_some_and(|n| n == saker_detect::pack::TESTS_DIR);
            if !pack_tests {
                walk(&p, in_pack, out)?;
            }
            continue;
        }
        match input_kind(&p) {
            Some(Input::Cql) => out.push(p),
            Some(Input::SigmaRule) => {
                let manifest = p
                    .file_name()
                    .is_some_and(|n| n == saker_detect::pack::MANIFEST);
                let sigma = std::fs::read_to_string(&p).is_ok_and(|t| looks_like_sigma(&t));
                if !manifest && sigma {
                    out.push(p);
                }
            }
            None => {}
        }
    }
    Ok(())
}

/// Per-file outcome.
struct Checked {
    file: String,
    text: String,
    diagnostics: Vec<Diagnostic>,
}

fn check_cql(text: &str, opts: &saker_cql::CheckOptions) -> Vec<Diagnostic> {
    saker_cql::check(text, opts)
}

fn check_sigma_rule(path: &Path, text: &str) -> Vec<Diagnostic> {
    saker_sigma::check_source(path, text.to_owned()).diagnostics
}

/// A pack may keep a query verbatim as a reference and list the lints it is known to trip
/// (`known_findings` in `detection.yml`); those warnings become notes that say so.
fn acknowledge_known_findings(path: &Path, mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return diagnostics;
    };
    if !dir.join(saker_detect::pack::MANIFEST).is_file() {
        return diagnostics;
    }
    let Ok(pack) = saker_detect::load_pack(dir) else {
        return diagnostics;
    };
    let name = name.to_string_lossy();
    let Some(entry) = pack.manifest.queries.iter().find(|q| q.file == name) else {
        return diagnostics;
    };
    for d in &mut diagnostics {
        if d.severity == Severity::Warning && entry.known_findings.iter().any(|c| c == d.code) {
            d.severity = Severity::Note;
            d.message = format!(
                "{} (known finding, acknowledged in detection.yml)",
                d.message
            );
        }
    }
    diagnostics
}

/// Pack diagnostics (manifest, tests, Markdown query blocks, test coverage of each query and
/// rule), grouped per file so each renders against its own text.
fn check_detection_packs(paths: &[PathBuf]) -> anyhow::Result<Vec<Checked>> {
    let mut by_file: Vec<Checked> = Vec::new();
    for (file, d) in saker_detect::check_packs(paths)? {
        let name = file.display().to_string();
        match by_file.iter_mut().find(|c| c.file == name) {
            Some(c) => c.diagnostics.push(d),
            None => {
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                by_file.push(Checked {
                    file: name,
                    text,
                    diagnostics: vec![d],
                });
            }
        }
    }
    Ok(by_file)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = saker_cql::CheckOptions {
        no_lints: args.no_lints,
        ..Default::default()
    };
    for p in &args.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--param {p}: expected NAME=VALUE"))?;
        opts.params.insert(k.to_string(), v.to_string());
    }
    let files = collect(&args.paths)?;
    let mut results = Vec::new();
    let mut failures = 0usize;
    for path in &files {
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {file}: cannot read: {e}");
                failures += 1;
                continue;
            }
        };
        let diagnostics = match input_kind(path) {
            Some(Input::Cql) | None => acknowledge_known_findings(path, check_cql(&text, &opts)),
            Some(Input::SigmaRule) => check_sigma_rule(path, &text),
        };
        results.push(Checked {
            file,
            text,
            diagnostics,
        });
    }
    let dirs: Vec<PathBuf> = args.paths.iter().filter(|p| p.is_dir()).cloned().collect();
    if !dirs.is_empty() {
        results.extend(check_detection_packs(&dirs)?);
    }
    let errors = results
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.is_error())
        .count();
    match args.format {
        Format::Json => {
            let records: Vec<_> = results
                .iter()
                .flat_map(|r| r.diagnostics.iter().map(|d| d.record(&r.file, &r.text)))
                .collect();
            println!("{}", serde_json::to_string_pretty(&records)?);
        }
        Format::Text => {
            let renderer = if std::io::stdout().is_terminal() {
                Renderer::styled()
            } else {
                Renderer::plain()
            };
            for r in &results {
                for d in &r.diagnostics {
                    println!("{}\n", render(&renderer, &r.file, &r.text, d));
                }
            }
            let count = |s: Severity| {
                results
                    .iter()
                    .flat_map(|r| &r.diagnostics)
                    .filter(|d| d.severity == s)
                    .count()
            };
            eprintln!(
                "checked {} file(s): {} error(s), {} warning(s), {} note(s){}",
                results.len(),
                errors,
                count(Severity::Warning),
                count(Severity::Note),
                if failures > 0 {
                    format!(", {failures} file(s) not checked")
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(if errors > 0 || failures > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// A diagnostic the way rustc shows one: header with code, the source line, a caret under the
/// span, secondary labels and a help line.
pub fn render(renderer: &Renderer, file: &str, text: &str, d: &Diagnostic) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let clamp = |r: &std::ops::Range<usize>| {
        let s = floor_boundary(text, r.start.min(text.len()));
        let e = floor_boundary(text, r.end.min(text.len()).max(s));
        s..e
    };
    let mut primary = AnnotationKind::Primary.span(clamp(&d.span));
    if let Some(l) = &d.label {
        primary = primary.label(l.as_str());
    }
    let mut snippet = Snippet::source(text).path(file).annotation(primary);
    for l in &d.labels {
        snippet = snippet.annotation(
            AnnotationKind::Context
                .span(clamp(&l.span))
                .label(l.message.as_str()),
        );
    }
    let mut group: Group = level
        .primary_title(d.message.as_str())
        .id(d.code)
        .element(snippet);
    if let Some(h) = &d.help {
        group = group.element(Level::HELP.message(h.as_str()));
    }
    renderer.render(&[group])
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_end_of_an_unclosed_call() {
        let q = "groupBy(ComputerName, function=count()";
        let d = saker_cql::check(q, &Default::default());
        let e = d.iter().find(|d| d.is_error()).expect("syntax error");
        let out = render(&Renderer::plain(), "q.cql", q, e);
        assert!(out.contains("error[CQL0002]"), "{out}");
        assert!(out.contains("q.cql:1:39"), "{out}");
        assert!(out.contains('^'), "{out}");
    }

    #[test]
    fn kinds_by_extension() {
        assert_eq!(input_kind(Path::new("a/b.cql")), Some(Input::Cql));
        assert_eq!(input_kind(Path::new("rule.yml")), Some(Input::SigmaRule));
        assert_eq!(input_kind(Path::new("notes.txt")), None);
    }

    #[test]
    fn only_sigma_shaped_yaml_is_walked() {
        assert!(looks_like_sigma("title: x\ndetection:\n  sel: {}\n"));
        assert!(looks_like_sigma(
            "title: x\ncorrelation:\n  type: event_count\n"
        ));
        assert!(!looks_like_sigma("id: T1\ntests:\n  - name: a\n"));
    }
}
