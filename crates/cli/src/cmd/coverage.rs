//! `saker coverage PATH… [--navigator FILE]`: ATT&CK techniques covered by packs and Sigma rules.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use saker_detect::{coverage, navigator_layer};

#[derive(clap::Args)]
pub struct Args {
    /// Pack folders, folders holding packs, Sigma rule files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write an ATT&CK Navigator layer (format 4.5) to FILE.
    #[arg(long, value_name = "FILE")]
    navigator: Option<PathBuf>,
    /// Name of the Navigator layer.
    #[arg(long, default_value = "saker coverage")]
    name: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cov = coverage(&args.paths).context("computing coverage")?;
    for (path, problem) in &cov.problems {
        eprintln!("warning: {}: {problem}", path.display());
    }
    let rows: Vec<[String; 4]> = cov
        .techniques
        .iter()
        .map(|t| {
            let rules: Vec<String> = t.rules.iter().map(|r| r.title.clone()).collect();
            [
                t.id.clone(),
                t.name.clone().unwrap_or_default(),
                t.packs.join(", "),
                if rules.is_empty() {
                    String::new()
                } else {
                    format!("{} ({})", rules.len(), truncate(&rules.join("; "), 60))
                },
            ]
        })
        .collect();
    print_table(&["TECHNIQUE", "NAME", "PACKS", "SIGMA RULES"], &rows);
    println!(
        "{} technique(s) from {} pack(s) and {} Sigma rule(s)",
        cov.techniques.len(),
        cov.packs,
        cov.rules
    );
    if let Some(path) = &args.navigator {
        let layer = navigator_layer(&cov, &args.name);
        let text = serde_json::to_string_pretty(&layer).context("serialising the layer")?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn print_table(header: &[&str; 4], rows: &[[String; 4]]) {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(*header);
    for r in rows {
        line([&r[0], &r[1], &r[2], &r[3]]);
    }
}
