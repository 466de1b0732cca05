//! `saker fmt`: rewrite CQL queries in the canonical layout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use annotate_snippets::Renderer;

#[derive(clap::Args)]
pub struct Args {
    /// Report files that are not formatted (exit 1) instead of printing them.
    #[arg(long)]
    check: bool,
    /// Rewrite the files in place.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Query files, or folders searched recursively for `.cql` files.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn collect(paths: &[PathBuf], out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|e| e.is_dir() || e.extension().is_some_and(|x| x == "cql"))
                .collect();
            entries.sort();
            collect(&entries, out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    collect(&args.paths, &mut files)?;
    let mut failed = 0usize;
    let mut unformatted = 0usize;
    for path in &files {
        match format_file(path, &args) {
            Ok(changed) => unformatted += usize::from(changed),
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} file(s) could not be formatted");
        return Ok(ExitCode::from(2));
    }
    if args.check && unformatted > 0 {
        eprintln!("{unformatted} file(s) would be reformatted");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Formats one file; returns whether its text changes.
fn format_file(path: &Path, args: &Args) -> anyhow::Result<bool> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("error: {file}: cannot read: {e}"))?;
    let formatted = match saker_cql::format(&text) {
        Ok(f) => f,
        Err(diags) => {
            let renderer = Renderer::plain();
            let shown: Vec<String> = diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| super::check::render(&renderer, &file, &text, d))
                .collect();
            anyhow::bail!(
                "{}\nerror: {file}: not formatted because it does not parse",
                shown.join("\n\n")
            );
        }
    };
    let changed = formatted != text;
    if args.check {
        if changed {
            println!("{file}");
        }
    } else if args.write {
        if changed {
            std::fs::write(path, &formatted)
                .map_err(|e| anyhow::anyhow!("error: {file}: cannot write: {e}"))?;
        }
    } else {
        print!("{formatted}");
    }
    Ok(changed)
}
