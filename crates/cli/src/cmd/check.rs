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
    /// Query files, or folders searched recursively for `.cql` files.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// What a checked file holds, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    Cql,
    SigmaRule,
    DetectionPack,
}

fn input_kind(path: &Path) -> Option<Input> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".cql") || name.ends_with(".logscale") {
        Some(Input::Cql)
    } else if name == "pack.yml" || name == "pack.yaml" {
        Some(Input::DetectionPack)
    } else if name.ends_with(".yml") || name.ends_with(".yaml") {
        Some(Input::SigmaRule)
    } else {
        None
    }
}

/// Files to check: given files as they are, folders searched recursively for `.cql` files.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if input_kind(&p) == Some(Input::Cql) {
            out.push(p);
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

/// Sigma rules are checked by the Sigma front-end once it offers a checker.
fn check_sigma_rule(_path: &Path, _text: &str) -> anyhow::Result<Vec<Diagnostic>> {
    anyhow::bail!("checking Sigma rules is not supported yet")
}

/// Detection packs are checked by the pack crate once it offers a checker.
fn check_detection_pack(_path: &Path, _text: &str) -> anyhow::Result<Vec<Diagnostic>> {
    anyhow::bail!("checking detection packs is not supported yet")
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
            Some(Input::Cql) | None => Ok(check_cql(&text, &opts)),
            Some(Input::SigmaRule) => check_sigma_rule(path, &text),
            Some(Input::DetectionPack) => check_detection_pack(path, &text),
        };
        match diagnostics {
            Ok(diagnostics) => results.push(Checked {
                file,
                text,
                diagnostics,
            }),
            Err(e) => {
                eprintln!("error: {file}: {e}");
                failures += 1;
            }
        }
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
        assert_eq!(
            input_kind(Path::new("x/pack.yml")),
            Some(Input::DetectionPack)
        );
        assert_eq!(input_kind(Path::new("notes.txt")), None);
    }
}
