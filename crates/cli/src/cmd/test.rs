//! `saker test [PATH…] [--junit FILE]`: run the tests of detection packs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use saker_detect::{Failure, SakerEngine, TestResult, find_packs, junit_xml, load_pack, run_pack};

#[derive(clap::Args)]
pub struct Args {
    /// Pack folders, or folders holding packs (default: `detections`).
    paths: Vec<PathBuf>,
    /// Also write the results as JUnit XML to FILE (one testcase per test).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("detections")]
    } else {
        args.paths
    };
    let packs = find_packs(&paths).context("looking for detection packs")?;
    if packs.is_empty() {
        anyhow::bail!(
            "no detection pack (a folder with detection.yml) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut results: Vec<TestResult> = Vec::new();
    for dir in &packs {
        let pack =
            load_pack(dir).with_context(|| format!("loading the pack in {}", dir.display()))?;
        let engine = SakerEngine {
            files_dir: Some(dir.clone()),
        };
        let pack_results = run_pack(&pack, &engine);
        for r in &pack_results {
            println!(
                "test {} ... {}",
                r.name,
                if r.passed() { "ok" } else { "FAILED" }
            );
        }
        results.extend(pack_results);
    }
    let failed: Vec<&TestResult> = results.iter().filter(|r| !r.passed()).collect();
    if !failed.is_empty() {
        println!("\nfailures:");
        for r in &failed {
            println!("\n---- {} ({}) ----", r.name, r.file.display());
            for f in &r.failures {
                print_failure(f);
            }
        }
        println!("\nfailures:");
        for r in &failed {
            println!("    {}", r.name);
        }
        println!();
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit_xml(&results))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let (passed, failed) = saker_detect::summary(&results);
    println!("{passed} passed, {failed} failed");
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_failure(f: &Failure) {
    let target = if f.target.is_empty() {
        "test"
    } else {
        &f.target
    };
    println!("  {target}: {}", f.message);
    if let Some(rows) = &f.expected {
        println!("    expected rows:");
        for (i, row) in rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={v:?}"),
                    None => format!("{k}=<absent>"),
                })
                .collect();
            println!("      {}. {}", i + 1, cells.join(" "));
        }
    }
    if !f.actual.is_empty() || f.expected.is_some() {
        println!("    actual rows:");
        if f.actual.is_empty() {
            println!("      (none)");
        }
        for (i, row) in f.actual.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            println!("      {}. {}", i + 1, cells.join(" "));
        }
    }
}
